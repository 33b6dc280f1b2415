//! The converge pass after implementation: the spec compared with what was built. Its gaps are
//! plan tasks no completed session did, sessions whose last check failed, and acceptance criteria
//! no commit implements (from the implementation review's traceability); each calls for a new plan
//! task. Work done before the task (plan tasks ticked when it was taken up, with no session) is no
//! gap. A person approves them into a new spec version (the plan with them appended), which is
//! handed off and implemented in sessions of their own; a pass that finds nothing records that the
//! spec and the code converged (at each implementation review, and when a person asks). Rounds are
//! bounded (`[orchestrator] converge_rounds`), and every round and the convergence are in the
//! task's coordination log (kind `converge`).

use serde_json::json;
use spectask_core::session::coordination::ConvergeData;
use spectask_core::{
    CoordinationEvent, CoordinationKind, SpecTask, SpecVersion, TaskKind, WorkSessionStatus,
};
use spectask_git::{DiffLimits, TaskHandle};
use spectask_spec::{NewPlanTask, Plan, PlanTaskState, append_tasks};
use spectask_store::{NewCoordination, NewSpecVersion, Store, StoreError};

use crate::ctx::Ctx;
use crate::implementation::follow_ups::rounds;
use crate::job_error::JobError;
use crate::repos;
use crate::views::{
    CriterionReview, ImplementationReview, ROUND_PLANNER, implementation_review, plan_task_states,
};

/// What a converge pass found, and where the task's rounds stand.
#[derive(Clone, Debug, PartialEq)]
pub struct Convergence {
    /// Rounds approved so far.
    pub rounds: u32,
    /// Rounds a task may have.
    pub max_rounds: u32,
    /// A pass found nothing since the last change to the code.
    pub converged: bool,
    pub gaps: Vec<Gap>,
    /// The plan tasks the gaps call for, numbered when approved.
    pub proposed: Vec<NewPlanTask>,
    /// The indexes of the plan tasks done, ticked in a round's version.
    pub done: Vec<usize>,
    /// The indexes of the plan tasks done before the task: ticked in its plan, no session on them
    /// (an adopted spec's work done before it was taken up).
    pub before: Vec<usize>,
}

/// One difference between the spec and what was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gap {
    /// A plan task not done by the one rule of a plan task's state.
    PlanTaskNotDone { label: String, title: String, requirements: Vec<String> },
    /// A completed session whose last check failed.
    FailingCheck { session: String, command: String, requirements: Vec<String> },
    /// An acceptance criterion no commit implements.
    CriterionWithoutCommit { criterion: String, text: String },
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::PlanTaskNotDone { label, title, .. } => {
                write!(f, "plan task {label} ({title}) was done by no completed session")
            }
            Gap::FailingCheck { session, command, .. } => {
                write!(f, "the last check (`{command}`) of session \"{session}\" failed")
            }
            Gap::CriterionWithoutCommit { criterion, text } => {
                write!(f, "no commit implements criterion {criterion}: {text}")
            }
        }
    }
}

/// Why a converge round cannot be approved.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    #[error("the task has had its {0} converge rounds ([orchestrator] converge_rounds)")]
    RoundsUsed(u32),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What approving a pass did.
#[derive(Clone, Debug, PartialEq)]
pub enum ConvergeOutcome {
    /// Nothing to do: the convergence is recorded (once).
    Converged(SpecTask),
    /// The proposed plan tasks are the task's new spec version, handed off next.
    Round { task: SpecTask, round: u32, added: Vec<String> },
}

/// The pass over `task`'s implementation review, with its rounds so far from the coordination log.
pub async fn convergence(
    store: &Store,
    task: &SpecTask,
    review: &ImplementationReview,
    max_rounds: u32,
) -> Result<Convergence, StoreError> {
    let (plan, done) = match task.spec_version {
        0 => (Plan::parse(""), Done::default()),
        version => {
            let version = store.spec_version(task.id, Some(version)).await?;
            let done = done_plan_tasks(store, task, &version).await?;
            (Plan::parse(&version.documents.tasks), done)
        }
    };
    let log = store.coordination_log(task.id).await?;
    let gaps = gaps(&plan, &done, review);
    Ok(Convergence {
        rounds: rounds(&log),
        max_rounds,
        converged: converged(&log),
        proposed: proposal(&gaps),
        gaps,
        done: done.done,
        before: done.before,
    })
}

/// The person's approval of a pass: its plan tasks become a new spec version (the plan tasks
/// done so far ticked), or, when it found nothing, the convergence is recorded.
pub async fn approve(
    store: &Store,
    task: &SpecTask,
    pass: &Convergence,
) -> Result<ConvergeOutcome, ConvergeError> {
    if pass.proposed.is_empty() {
        if !pass.converged {
            let message =
                format!("converged after {} converge rounds: the spec and the code agree", pass.rounds);
            let data = ConvergeData::Converged {
                converged: true,
                rounds: pass.rounds,
                spec_version: task.spec_version,
            };
            store.record_coordination(entry(task, message, data)).await?;
        }
        return Ok(ConvergeOutcome::Converged(task.clone()));
    }
    if pass.rounds >= pass.max_rounds {
        return Err(ConvergeError::RoundsUsed(pass.max_rounds));
    }
    let current = store.spec_version(task.id, Some(task.spec_version)).await?;
    let mut plan = Plan::parse(&current.documents.tasks);
    for &index in &pass.done {
        // Read from the plan just now: only a heading without a checkbox refuses, and stays as written.
        let _ = plan.set_marker_at(index, PlanTaskState::Done);
    }
    let tasks = append_tasks(plan.text(), &pass.proposed);
    let before = plan.top_tasks().count();
    let added: Vec<String> =
        Plan::parse(&tasks).top_tasks().skip(before).map(|t| format!("{} {}", t.label(), t.title)).collect();
    let round = pass.rounds + 1;
    let version = NewSpecVersion {
        documents: spectask_core::SpecDocuments { tasks, ..current.documents },
        planner: format!("{ROUND_PLANNER} {round}"),
        usage: json!([]),
        lint: current.lint,
        questions: Vec::new(),
        consistency: Vec::new(),
    };
    let log = entry(
        task,
        format!("converge round {round}: {} plan tasks added ({})", added.len(), added.join("; ")),
        ConvergeData::Round { round, tasks: added.clone(), spec_version: task.spec_version + 1 },
    );
    let task = store.converge_spec(task, version, log).await?;
    Ok(ConvergeOutcome::Round { task, round, added })
}

/// The pass a task gets when it reaches its implementation review: when it finds nothing, the
/// convergence is recorded (a pass with gaps waits for the person). It never fails the step: a
/// pass that cannot be made is logged, and the person can still ask for one.
pub(crate) async fn record_if_converged(ctx: &Ctx, task: &SpecTask) {
    if task.kind != TaskKind::Spec {
        return;
    }
    let converged = async {
        let repository = ctx.store.repository(task.repository_id).await?;
        let repo = repos::open(ctx, &repository).await?;
        let handle = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
        let spec_task = task.id.to_string();
        let git =
            repos::blocking(move || repo.task_branch_review(&handle, &spec_task, DiffLimits::default()))
                .await?;
        let commits = git.as_ref().map(|g| g.commits.as_slice()).unwrap_or_default();
        let review = implementation_review(&ctx.store, task, commits).await?;
        let pass = convergence(&ctx.store, task, &review, ctx.config.converge_rounds).await?;
        if pass.gaps.is_empty() {
            approve(&ctx.store, task, &pass).await.map_err(JobError::retry_from)?;
        } else if pass.rounds >= pass.max_rounds {
            record_rounds_used(&ctx.store, task, &pass).await?;
        }
        Ok::<(), JobError>(())
    };
    if let Err(err) = converged.await {
        tracing::warn!(task = %task.handle(), %err, "no converge pass at the implementation review");
    }
}

/// Records, once per spec version, that the rounds ran out with gaps left: no further round can
/// close them, and the person decides at the review.
async fn record_rounds_used(store: &Store, task: &SpecTask, pass: &Convergence) -> Result<(), StoreError> {
    let log = store.coordination_log(task.id).await?;
    let recorded = log.iter().any(|e| {
        matches!(ConvergeData::of(e), Some(ConvergeData::RoundsUsed { spec_version, .. })
            if spec_version == task.spec_version)
    });
    if recorded {
        return Ok(());
    }
    let gaps: Vec<String> = pass.gaps.iter().map(ToString::to_string).collect();
    let message = format!(
        "no converge rounds left ({} of {}): {} gaps left ({})",
        pass.rounds,
        pass.max_rounds,
        gaps.len(),
        gaps.join("; ")
    );
    let data = ConvergeData::RoundsUsed { rounds_used: pass.rounds, gaps, spec_version: task.spec_version };
    store.record_coordination(entry(task, message, data)).await?;
    Ok(())
}

/// A converge entry of `task`'s coordination log.
fn entry(task: &SpecTask, message: String, data: ConvergeData) -> NewCoordination {
    NewCoordination {
        spec_task_id: task.id,
        kind: CoordinationKind::Converge,
        from_session: None,
        to_session: None,
        message,
        data: data.data(),
    }
}

/// Whether the last converge entry recorded convergence, and no changes were asked since.
fn converged(log: &[CoordinationEvent]) -> bool {
    let changes = log
        .iter()
        .rev()
        .find(|e| crate::implementation::follow_ups::changes_requested(e).is_some())
        .map(|e| e.seq);
    let last = log.iter().rev().find(|e| e.kind == CoordinationKind::Converge);
    last.is_some_and(|e| {
        matches!(ConvergeData::of(e), Some(ConvergeData::Converged { converged: true, .. }))
            && Some(e.seq) > changes
    })
}

/// The plan tasks done, by index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Done {
    /// Done by the one rule of a plan task's state ([`plan_task_states`]).
    done: Vec<usize>,
    /// Of those, the ones done before the task: ticked in the plan, with no session on them.
    before: Vec<usize>,
}

/// The plan tasks of `version` that are done, and which of them were done before the task.
async fn done_plan_tasks(store: &Store, task: &SpecTask, version: &SpecVersion) -> Result<Done, StoreError> {
    let sessions = store.work_session_standings_of(task.id).await?;
    let mut out = Done::default();
    for (index, t) in plan_task_states(task, version, &sessions).iter().enumerate() {
        if t.state == PlanTaskState::Done {
            out.done.push(index);
            if t.sessions.is_empty() {
                out.before.push(index);
            }
        }
    }
    Ok(out)
}

/// Whether work done before the task may stand for `criterion`, which no commit implements: a plan
/// task naming it was done before the task, or none names it and a plan task done before names no
/// criterion (its work cannot be traced to one). Such a criterion is no gap: proposing it again
/// would redo work the task never had to do.
fn done_before(plan: &Plan, done: &Done, criterion: &CriterionReview) -> bool {
    if criterion.plan_tasks.is_empty() {
        return done.before.iter().filter_map(|&i| plan.tasks().get(i)).any(|t| t.requirements.is_empty());
    }
    criterion.plan_tasks.iter().any(|t| done.before.contains(&t.index))
}

/// The gaps of an implementation against its plan, whose tasks `done` are done, in the order
/// their plan tasks are proposed.
fn gaps(plan: &Plan, done: &Done, review: &ImplementationReview) -> Vec<Gap> {
    let mut out = Vec::new();
    for t in plan.tasks() {
        if t.children.is_empty()
            && !t.optional
            && t.state != PlanTaskState::Done
            && !done.done.contains(&t.index)
        {
            out.push(Gap::PlanTaskNotDone {
                label: t.label(),
                title: t.title.clone(),
                requirements: t.requirements.clone(),
            });
        }
    }
    // A session that did not complete leaves its plan task not done: that gap covers its checks.
    for session in review.sessions.iter().filter(|s| s.status == WorkSessionStatus::Completed) {
        // A bugfix's reproduction check is meant to fail: it is no gap.
        let Some(last) = session.checks.last().filter(|c| !c.check.passed && !c.check.expects_failure) else {
            continue;
        };
        let requirements = session
            .plan_task_index
            .and_then(|i| plan.tasks().get(i as usize))
            .map(|t| t.requirements.clone())
            .unwrap_or_default();
        out.push(Gap::FailingCheck {
            session: session.name.clone(),
            command: last.check.command.clone(),
            requirements,
        });
    }
    for criterion in review.criteria.iter().filter(|c| c.commits.is_empty() && !done_before(plan, done, c)) {
        out.push(Gap::CriterionWithoutCommit {
            criterion: criterion.id.clone(),
            text: criterion.text.clone(),
        });
    }
    out
}

/// A plan task per gap; a criterion a proposed task already names gets none of its own.
fn proposal(gaps: &[Gap]) -> Vec<NewPlanTask> {
    let mut out: Vec<NewPlanTask> = Vec::new();
    for gap in gaps {
        let task = match gap {
            Gap::PlanTaskNotDone { label, title, requirements } => NewPlanTask {
                title: format!("Finish plan task {label}: {title}"),
                details: vec![format!("Plan task {label} was not done by any session.")],
                requirements: requirements.clone(),
            },
            Gap::FailingCheck { session, command, requirements } => NewPlanTask {
                title: format!("Make `{command}` pass after \"{session}\""),
                details: vec![format!("The check failed on the work of session \"{session}\".")],
                requirements: requirements.clone(),
            },
            Gap::CriterionWithoutCommit { criterion, text } => {
                if out.iter().any(|t| t.requirements.contains(criterion)) {
                    continue;
                }
                NewPlanTask {
                    title: format!("Implement criterion {criterion}"),
                    details: vec![text.clone()],
                    requirements: vec![criterion.clone()],
                }
            }
        };
        out.push(task);
    }
    out
}

#[cfg(test)]
mod tests;
