//! The offline demo's sample repositories: listed, and a SpecTask on one (its repository created on
//! first use). Only `spectask demo` offers them, with the scripted agents each sample needs. A task
//! on a sample's repository, however it is made, is its scripted agents' unless another agent is
//! chosen, and follows only a workflow they can.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{Repository, SpecTask, TaskKind};
use spectask_demo::{SAMPLES, Sample};
use spectask_spec::Workflow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{CreateFromDemo, CreateSpecTask, DemoRepoDto, SpecTaskDto};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{checked_prompt, create_in, register_repository};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_demo_repos)).routes(routes!(create_from_demo))
}

/// The sample repositories a SpecTask may be created on: every sample under `spectask demo`, none
/// under `spectask serve`.
#[utoipa::path(get, path = "/demo-repos", tag = "demo",
    responses((status = 200, description = "The demo's sample repositories", body = Vec<DemoRepoDto>)))]
async fn list_demo_repos(State(state): State<AppState>, _caller: Caller) -> Json<Vec<DemoRepoDto>> {
    let Some(repos_dir) = state.demo_repos.as_deref() else { return Json(Vec::new()) };
    Json(SAMPLES.iter().map(|sample| dto(sample, repos_dir)).collect())
}

/// Create a SpecTask on a demo repository (created as a git repository on first use), planned and
/// implemented by that sample's scripted agents unless others are named, following one of the
/// workflows they can (the sample's `workflows`; its demo task's by default; a review sample's
/// reviews its branch); it starts in `backlog`.
#[utoipa::path(post, path = "/spec-tasks/from-demo", tag = "demo",
    request_body = CreateFromDemo,
    responses((status = 201, description = "The task, in backlog", body = SpecTaskDto)))]
async fn create_from_demo(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateFromDemo>,
) -> Result<(StatusCode, Json<SpecTaskDto>), ApiError> {
    let Some(repos_dir) = state.demo_repos.clone() else {
        return Err(ApiError::not_found("this server offers no demo repositories; run `spectask demo`"));
    };
    let sample = spectask_demo::sample(&body.demo_repo).ok_or_else(|| {
        let names: Vec<&str> = SAMPLES.iter().map(|s| s.name).collect();
        ApiError::not_found(format!(
            "no demo repository {:?}; there are {}",
            body.demo_repo,
            names.join(", ")
        ))
    })?;
    let prompt = checked_prompt(body.prompt.as_deref().unwrap_or(sample.prompt))?.to_owned();
    // Refused before its repository is made.
    if let Some(name) = &body.workflow {
        offered(sample, name)?;
    }
    let info = tokio::task::spawn_blocking(move || sample.create_repository(&repos_dir)).await??;
    let repository = register_repository(&state, &caller, &info.root.display().to_string()).await?;
    let create = CreateSpecTask {
        prompt,
        repo: repository.path.display().to_string(),
        title: None,
        kind: Some(TaskKind::Spec),
        complexity: body.complexity,
        priority: body.priority,
        planning_agent: body.planning_agent,
        implementation_agent: body.implementation_agent,
        created_by: None,
        depends_on: body.depends_on,
        hold_before: body.hold_before,
        budget: body.budget,
        workflow: body.workflow,
        review_target: None,
    };
    let task = create_in(&state, &caller, repository, create).await?;
    Ok((StatusCode::CREATED, Json(task)))
}

/// A new task on a demo sample's repository, on the demo's server: its agents are the sample's
/// scripted ones where none is named, its workflow the sample's demo task's where none is chosen,
/// and a review sample's target its branch. With the sample's own agents, a workflow they cannot
/// follow is refused, naming the sample whose agents do (its planner would not write the spec the
/// workflow asks for).
pub(crate) fn with_sample_defaults(
    state: &AppState,
    repository: &Repository,
    mut body: CreateSpecTask,
) -> Result<CreateSpecTask, ApiError> {
    let Some(sample) = sample_of(state, repository) else { return Ok(body) };
    let planner = body.planning_agent.get_or_insert_with(|| sample.planner_profile()).clone();
    let coder = body.implementation_agent.get_or_insert_with(|| sample.coder_profile()).clone();
    if body.kind.unwrap_or_default() != TaskKind::Spec {
        return Ok(body);
    }
    let workflow = body.workflow.get_or_insert_with(|| sample.workflow.name().to_owned()).clone();
    if workflow == Workflow::Review.name() {
        if body.review_target.is_none() {
            body.review_target = sample.review_branch.as_ref().map(|b| b.name.to_owned());
        }
        if coder == sample.coder_profile() {
            offered(sample, &workflow)?;
        }
    } else if planner == sample.planner_profile() && Workflow::from_name(&workflow).is_some() {
        offered(sample, &workflow)?;
    }
    Ok(body)
}

/// The planning and implementation agents of a follow-up of `review`, a task of the built-in
/// `workflow`: the review's implementation agent; on a sample's repository, the sample's scripted
/// agents where the review names none, refused for a workflow they cannot follow (as for any
/// other task on it).
pub(crate) async fn follow_up_agents(
    state: &AppState,
    review: &SpecTask,
    workflow: &str,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let implementation_agent = review.implementation_agent.clone();
    if state.demo_repos.is_none() {
        return Ok((None, implementation_agent));
    }
    let repository = state.store.repository(review.repository_id).await?;
    let Some(sample) = sample_of(state, &repository) else { return Ok((None, implementation_agent)) };
    offered(sample, workflow)?;
    let coder = implementation_agent.unwrap_or_else(|| sample.coder_profile());
    Ok((Some(sample.planner_profile()), Some(coder)))
}

/// Refuses a built-in workflow the sample's scripted agents cannot follow, saying which samples'
/// agents do.
fn offered(sample: &Sample, name: &str) -> Result<(), ApiError> {
    let Some(workflow) = Workflow::from_name(name) else {
        return Err(ApiError::bad_request(
            "invalid_workflow",
            format!(
                "no workflow {name:?} for a demo repository; there are feature, design-first, bugfix and review"
            ),
        ));
    };
    if sample.workflows().contains(&workflow) {
        return Ok(());
    }
    let others: Vec<&str> =
        SAMPLES.iter().filter(|s| s.workflows().contains(&workflow)).map(|s| s.name).collect();
    let theirs: Vec<&str> = sample.workflows().iter().map(|w| w.name()).collect();
    Err(ApiError::bad_request(
        "demo_workflow",
        format!(
            "The {} sample's scripted agents follow only the {} workflow; a {name} task in the demo is made on {}.",
            sample.name,
            theirs.join(" or "),
            others.join(" or ")
        ),
    ))
}

/// The sample whose repository `repository` is, on the demo's server.
fn sample_of(state: &AppState, repository: &Repository) -> Option<&'static Sample> {
    let repos_dir = state.demo_repos.as_deref()?;
    SAMPLES.iter().find(|sample| sample_path(repos_dir, sample) == repository.path)
}

/// Where a sample's repository is (canonical, as registered), or is made on first use.
fn sample_path(repos_dir: &Path, sample: &Sample) -> PathBuf {
    let path = repos_dir.join(sample.name);
    path.canonicalize().unwrap_or(path)
}

fn dto(sample: &Sample, repos_dir: &Path) -> DemoRepoDto {
    DemoRepoDto {
        name: sample.name.to_owned(),
        description: sample.description.to_owned(),
        stack: sample.stack.to_owned(),
        tests: sample.tests.map(str::to_owned),
        prompt: sample.prompt.to_owned(),
        workflow: sample.workflow.name().to_owned(),
        workflows: sample.workflows().iter().map(|w| w.name().to_owned()).collect(),
        path: sample_path(repos_dir, sample).display().to_string(),
        planning_agent: sample.planner_profile(),
        implementation_agent: sample.coder_profile(),
        review_target: sample.review_branch.as_ref().map(|b| b.name.to_owned()),
    }
}
