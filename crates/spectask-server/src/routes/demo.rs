//! The offline demo's sample repositories: listed, and a SpecTask on one (its repository created on
//! first use). Only `spectask demo` offers them, with the scripted agents each sample needs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{NewSpecTask, TaskKind, derive_title};
use spectask_demo::{SAMPLES, Sample};
use spectask_store::Prerequisites;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{CreateFromDemo, DemoRepoDto, SpecTaskDto};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{checked_prompt, register_repository, resolve_all};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_demo_repos)).routes(routes!(create_from_demo))
}

/// The sample repositories a SpecTask may be created on: every sample under `spectask demo`, none
/// under `spectask serve`.
#[utoipa::path(get, path = "/demo-repos", tag = "demo",
    responses((status = 200, description = "The demo's sample repositories", body = Vec<DemoRepoDto>)))]
async fn list_demo_repos(State(state): State<AppState>, _caller: Caller) -> Json<Vec<DemoRepoDto>> {
    let offered = if state.demo_repos.is_some() { SAMPLES.as_slice() } else { &[] };
    Json(offered.iter().map(dto).collect())
}

/// Create a SpecTask on a demo repository (created as a git repository on first use), planned and
/// implemented by that sample's scripted agents (a review sample's reviews its branch); it starts
/// in `backlog`.
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
    let prerequisites = Prerequisites {
        tasks: resolve_all(&state, &caller, body.depends_on.as_deref().unwrap_or_default()).await?,
        hold_before: body.hold_before.unwrap_or_default(),
    };
    let budget = body.budget.as_ref().map(crate::dto::BudgetBody::budget).transpose()?;
    let complexity = body.complexity.unwrap_or_default();
    super::spec_tasks::check_complexity(&spectask_spec::Template::builtin(sample.workflow), complexity)?;
    let info = tokio::task::spawn_blocking(move || sample.create_repository(&repos_dir)).await??;
    let repository = register_repository(&state, &caller, &info.root.display().to_string()).await?;
    let new = NewSpecTask {
        planning_agent: Some(sample.planner_profile()),
        implementation_agent: Some(sample.coder_profile()),
        priority: body.priority.unwrap_or_default(),
        complexity,
        workflow: sample.workflow.name().to_owned(),
        workflow_base: sample.workflow.name().to_owned(),
        review_target: sample.review_branch.as_ref().map(|b| b.name.to_owned()),
        ..NewSpecTask::new(TaskKind::Spec, repository.id, derive_title(&prompt), prompt, caller.name.clone())
    };
    let task = state.store.create_spec_task_after(new, &prerequisites, budget.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(super::spec_tasks::task_dto(&state, &task).await?)))
}

fn dto(sample: &Sample) -> DemoRepoDto {
    DemoRepoDto {
        name: sample.name.to_owned(),
        description: sample.description.to_owned(),
        stack: sample.stack.to_owned(),
        tests: sample.tests.map(str::to_owned),
        prompt: sample.prompt.to_owned(),
        workflow: sample.workflow.name().to_owned(),
    }
}
