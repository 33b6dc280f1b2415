//! Planning: from a SpecTask's prompt to an approved spec.
//!
//! This file is the planning step: it runs the task's planning profile and stores the spec version
//! for review. An `llm` profile plans through `spectask-planner`; an `acp` profile is a coding agent
//! ([`plan_agent`]). On approval, [`handoff`] commits the spec and queues implementation (`ctx::plans`
//! reads each approved spec once per version for the steps that follow). [`templates`] resolves the
//! workflow template a task follows: its rules go to the planner, its gates to the lint. A `review`
//! task has no spec: its planning step is the review itself ([`review_agent`]), which writes its
//! [`review_report`]; a task made of chosen findings of the report is a [`follow_up`].

mod agent_turns;
mod follow_up;
pub(crate) mod handoff;
mod plan_agent;
mod review_agent;
mod review_report;
mod templates;

use spectask_agent::profiles::{LlmProvider, ProfileKind};
use spectask_core::{SpecTask, SpecTaskId, SpecTaskStatus, TokenCounts, UsageTotals};
use spectask_planner::{
    LlmPlanner, LlmPlannerConfig, PlanRequest, PlannerError, Provider, RepoContext, ReviewComments, SpecDraft,
};
use spectask_spec::Template;
use spectask_store::{NewSpecVersion, NewUsage, StoreError};

use crate::ctx::Ctx;
use crate::job_error::JobError;
use crate::repos;

pub use self::follow_up::{FollowUpError, FollowUpRequest, MAX_PROMPT_BYTES, NoFinding, make_follow_up};
pub use self::review_report::{ReportError, ReviewReport, review_report};
pub use self::templates::{WorkflowError, available_workflows, resolve_workflow, with_steering};

/// How much of the repository a planner sees.
const CONTEXT_FILES: usize = 400;
const CONTEXT_FILE_BYTES: usize = 16 * 1024;

pub(crate) async fn run(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::SpecGeneration {
        // Cancelled or moved on while the job waited.
        return Ok(());
    }
    // Planning spends: a task a budget holds plans nothing until the budget no longer holds it.
    if let Some(hold) = crate::drive::budget::weigh(ctx, id).await? {
        return hold_planning(ctx, &task, &hold).await;
    }
    if task.workflow == spectask_core::REVIEW_WORKFLOW {
        return review_agent::run(ctx, &task).await;
    }
    let profile_name = task
        .planning_agent
        .clone()
        .or_else(|| ctx.config.default_planning_agent.clone())
        .ok_or_else(|| {
            JobError::fatal("no planning agent: set one on the task or [orchestrator] default_planning_agent")
        })?;
    let profile = ctx.profiles.get(&profile_name).map_err(JobError::fatal_from)?;
    // A repository registered by URL: plan on what the team has now.
    let repo = repos::open_id(ctx, task.repository_id).await?;
    repos::fetch(&repo).await?;
    let template = template_of(&repo, &task).await?;
    let draft = match &profile.kind {
        ProfileKind::Llm { provider, base_url, model, api_key_env, .. } => {
            let provider = match provider {
                LlmProvider::Openai => Provider::OpenAi,
                LlmProvider::Anthropic => Provider::Anthropic,
            };
            let mut config = LlmPlannerConfig::new(
                provider,
                base_url.clone().unwrap_or_else(|| provider.default_base_url().to_owned()),
                model.clone(),
            );
            if let Some(var) = api_key_env {
                let key = std::env::var(var).map_err(|_| {
                    JobError::fatal(format!(
                        "planning profile {profile_name} needs the environment variable {var}"
                    ))
                })?;
                config.api_key = Some(key);
            }
            let planner = LlmPlanner::new(config).map_err(planner_error)?;
            let planner = guarded(ctx, &task, planner, model).await?;
            match plan_with_llm(ctx, &task, &planner, template).await? {
                Ok(draft) => draft,
                Err(err) => {
                    // The calls that answered before it failed spent their tokens: counted all the same.
                    let spent: Vec<NewUsage> =
                        err.calls().iter().map(|c| planner_usage(ctx, &task, c)).collect();
                    if !spent.is_empty() {
                        ctx.store.record_usage(&spent).await?;
                    }
                    // Stopped at a budget: the planning waits for it, as one put off before it ran.
                    if let PlannerError::Stopped { .. } = err
                        && let Some(hold) = crate::drive::budget::weigh(ctx, id).await?
                    {
                        return hold_planning(ctx, &task, &hold).await;
                    }
                    return Err(planner_error(err));
                }
            }
        }
        ProfileKind::Acp { .. } => {
            let draft = match plan_agent::plan(ctx, &task, profile, &template).await? {
                plan_agent::Drafted::Draft(draft) => draft,
                plan_agent::Drafted::Held(hold) => return hold_planning(ctx, &task, &hold).await,
            };
            let version = NewSpecVersion {
                documents: draft.documents,
                planner: profile_name,
                usage: serde_json::json!([]),
                lint: draft.lint,
                questions: draft.questions,
                consistency: draft.consistency,
            };
            return submit(ctx, &task, version).await;
        }
    };
    let version = NewSpecVersion {
        documents: spectask_core::SpecDocuments {
            requirements: draft.requirements.clone(),
            design: draft.design.clone(),
            tasks: draft.tasks.clone(),
        },
        planner: profile_name,
        usage: serde_json::to_value(&draft.calls).unwrap_or_default(),
        lint: draft.lint.clone(),
        questions: draft.questions.clone(),
        consistency: draft.consistency.clone(),
    };
    let ledger: Vec<NewUsage> = draft.calls.iter().map(|call| planner_usage(ctx, &task, call)).collect();
    submit_with_usage(ctx, &task, version, &ledger).await
}

/// `planner`, stopped before a repair call once its calls so far take the task to a budget that
/// holds it (weighed as planning starts), so a planning overshoots a budget by one call at most.
async fn guarded(
    ctx: &Ctx,
    task: &SpecTask,
    planner: LlmPlanner,
    model: &str,
) -> Result<LlmPlanner, JobError> {
    let Some(cap) = crate::drive::budget::cap(ctx, task.id, Some(model.to_owned())).await? else {
        return Ok(planner);
    };
    let (prices, model) = (ctx.config.prices.clone(), model.to_owned());
    Ok(planner.stop_when(Box::new(move |calls| {
        let tokens = calls.iter().fold(TokenCounts::default(), |sum, call| TokenCounts {
            input_tokens: sum.input_tokens + call.input_tokens,
            output_tokens: sum.output_tokens + call.output_tokens,
            cached_tokens: 0,
        });
        let spent = UsageTotals { tokens, cost: prices.cost(Some(&model), tokens), context: None };
        cap.reached(&spent).map(|hold| hold.why)
    })))
}

/// Puts the task's planning off while `hold` holds it: the hold is recorded, and the sweep queues
/// the planning again once no budget holds the task (`drive::budget::wake`).
async fn hold_planning(ctx: &Ctx, task: &SpecTask, hold: &spectask_core::BudgetHold) -> Result<(), JobError> {
    tracing::info!(task = %task.id, why = %hold.why, "planning waits for a budget");
    ctx.store.hold_for_budget(task.id, hold).await?;
    Ok(())
}

/// One planner call's entry in the ledger, priced by the price table.
fn planner_usage(ctx: &Ctx, task: &SpecTask, call: &spectask_planner::CallUsage) -> NewUsage {
    let tokens =
        TokenCounts { input_tokens: call.input_tokens, output_tokens: call.output_tokens, cached_tokens: 0 };
    NewUsage {
        spec_task_id: task.id,
        work_session_id: None,
        model: Some(call.model.clone()),
        tokens,
        cost: ctx.config.prices.cost(Some(&call.model), tokens),
        running_total: None,
    }
}

async fn submit(ctx: &Ctx, task: &SpecTask, version: NewSpecVersion) -> Result<(), JobError> {
    submit_with_usage(ctx, task, version, &[]).await
}

async fn submit_with_usage(
    ctx: &Ctx,
    task: &SpecTask,
    version: NewSpecVersion,
    usage: &[NewUsage],
) -> Result<(), JobError> {
    match ctx.store.submit_spec_version_with_usage(task, version, usage).await {
        Ok(_) => Ok(()),
        // Cancelled while the planner ran: the draft is not wanted.
        Err(StoreError::Conflict { .. } | StoreError::Transition(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// The workflow template `task` follows, with the rules of its repository's steering documents; a
/// name that resolves to none fails the planning for good.
pub(crate) async fn template_of(repo: &spectask_git::Repo, task: &SpecTask) -> Result<Template, JobError> {
    let template = templates::resolve_workflow(repo, &task.workflow).await.map_err(|err| match err {
        templates::WorkflowError::Job(err) => err,
        other => JobError::fatal_from(other),
    })?;
    templates::with_steering(repo, template).await
}

/// The LLM planner's draft, or how it failed (with the calls it made meanwhile).
async fn plan_with_llm(
    ctx: &Ctx,
    task: &SpecTask,
    planner: &LlmPlanner,
    template: Template,
) -> Result<Result<SpecDraft, PlannerError>, JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let steering = repos::steering(&repo, 1).await?.unwrap_or_default();
    let previous = match task.spec_version {
        0 => None,
        version => Some(ctx.store.spec_version(task.id, Some(version)).await?),
    };
    // A first draft sees the repository: the first planning, or the answers to questions alone.
    let first_draft = previous.as_ref().is_none_or(|p| p.documents.is_empty());
    let context = if first_draft {
        let snapshot = repos::blocking(move || repo.snapshot(CONTEXT_FILES, CONTEXT_FILE_BYTES)).await?;
        RepoContext { file_tree: snapshot.file_tree, files: snapshot.files }
    } else {
        RepoContext::default()
    };
    let request = PlanRequest {
        prompt: task.prompt.clone(),
        title: task.title.clone(),
        repo: context,
        steering,
        template,
    };
    let Some(previous) = previous else {
        return Ok(planner.generate(&request).await);
    };
    let reviews = ctx.store.reviews_of(task.id).await?;
    let review = reviews.iter().rev().find(|r| r.version == task.spec_version);
    let comments = ReviewComments {
        overall: review.map(|r| r.comments.clone()).unwrap_or_default(),
        line_comments: review.map(|r| r.line_comments.clone()).unwrap_or_default(),
    };
    let previous = SpecDraft {
        requirements: previous.documents.requirements,
        design: previous.documents.design,
        tasks: previous.documents.tasks,
        calls: Vec::new(),
        lint: previous.lint,
        has_lint_errors: false,
        questions: previous.questions,
        consistency: previous.consistency,
    };
    Ok(planner.revise(&request, &previous, &comments).await)
}

fn planner_error(err: PlannerError) -> JobError {
    match err {
        PlannerError::InvalidConfig(_) | PlannerError::Client { .. } => JobError::fatal_from(err),
        other => JobError::retry_from(other),
    }
}
