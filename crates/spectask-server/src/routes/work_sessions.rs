//! Work sessions: a task's session tree, one session, and the sessions its implementation calls for.
//! Spawning is in `session_spawn.rs`, a session's moves and messages in `session_moves.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{SpecTask, SpecTaskStatus, WorkSession, WorkSessionId};
use spectask_orchestrator::JobError;
use spectask_store::StoreError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{ImplementationSessionsDto, UsageDto, WorkSessionDto};
use crate::extract::ApiPath;
use crate::params::{SessionPath, TaskPath};
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_sessions))
        .routes(routes!(create_implementation_sessions))
        .routes(routes!(get_work_session))
}

pub(crate) async fn session_dto(state: &AppState, s: &WorkSession) -> Result<WorkSessionDto, ApiError> {
    let acp_session_id = state.store.thread_of(s.id).await?.and_then(|t| t.acp_session_id);
    let summary = state.store.work_session_summary(s.id).await?;
    let editor = state.store.editor_thread(s.id).await?.map(|t| t.client);
    let usage = state.store.task_usage(s.spec_task_id).await?.sessions.remove(&s.id).unwrap_or_default();
    let stall = state.store.session_stalls(&[s.spec_task_id]).await?.remove(&s.id);
    Ok(session_dto_with(s, acp_session_id, summary, editor, (&usage).into(), stall.as_ref().map(Into::into)))
}

/// The wire form of a session whose thread, summary and editor were read already (a listing reads
/// them for all sessions at once).
fn session_dto_with(
    s: &WorkSession,
    acp_session_id: Option<String>,
    summary: Option<String>,
    opened_from_editor: Option<String>,
    usage: UsageDto,
    stall: Option<crate::dto::StallDto>,
) -> WorkSessionDto {
    WorkSessionDto {
        id: s.id,
        spec_task_id: s.spec_task_id,
        parent_id: s.parent_id,
        spawned_by_id: s.spawned_by_id,
        name: s.name.clone(),
        description: s.description.clone(),
        phase: s.phase,
        status: s.status(),
        state: s.state.clone(),
        plan_task: s.plan_task.clone(),
        agent_profile: s.agent_profile.clone(),
        priority: s.priority,
        acp_session_id,
        summary,
        opened_from_editor,
        created_at: s.created_at,
        started_at: s.started_at,
        completed_at: s.completed_at,
        usage,
        stall,
    }
}

/// The work sessions of a task (its session tree), in creation order.
#[utoipa::path(get, path = "/spec-tasks/{id}/work-sessions", tag = "work-sessions", params(TaskPath),
    responses((status = 200, description = "The sessions", body = Vec<WorkSessionDto>)))]
async fn list_work_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<WorkSessionDto>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(list_sessions(&state, &task).await?))
}

/// A task's sessions on the wire, in three queries whatever their number.
pub(crate) async fn list_sessions(
    state: &AppState,
    task: &SpecTask,
) -> Result<Vec<WorkSessionDto>, ApiError> {
    let sessions = state.store.work_sessions_of(task.id).await?;
    sessions_dto(state, task, &sessions).await
}

/// `sessions` of `task` on the wire, their threads, summaries, editors, usage and stalls read in
/// five queries.
pub(crate) async fn sessions_dto(
    state: &AppState,
    task: &SpecTask,
    sessions: &[WorkSession],
) -> Result<Vec<WorkSessionDto>, ApiError> {
    let mut details = state.store.work_session_details(task.id).await?;
    let mut editors = state.store.editor_clients_of(task.id).await?;
    let mut usage = state.store.task_usage(task.id).await?.sessions;
    let mut stalls = state.store.session_stalls(&[task.id]).await?;
    let out = sessions
        .iter()
        .map(|s| {
            let (acp_session_id, summary) = details.remove(&s.id).unwrap_or_default();
            let usage = usage.remove(&s.id).map(|u| (&u).into()).unwrap_or_default();
            let stall = stalls.remove(&s.id).as_ref().map(Into::into);
            session_dto_with(s, acp_session_id, summary, editors.remove(&s.id), usage, stall)
        })
        .collect();
    Ok(out)
}

/// Makes the sessions the implementation calls for that do not exist yet (one per open plan task of
/// a spec task, the main session of another kind, one per changes request of a review), as the
/// orchestrator does when implementation starts, and queues the task's scheduling pass, which starts
/// them. Answers the sessions made now (none when all exist) and all of the task's sessions; 409
/// `not_in_implementation` naming the task's status, 422 `nothing_to_implement` when the approved
/// plan has no open task.
#[utoipa::path(post, path = "/spec-tasks/{id}/implementation-sessions", tag = "work-sessions",
    params(TaskPath),
    responses((status = 200, description = "The sessions made and all sessions", body = ImplementationSessionsDto)))]
async fn create_implementation_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ImplementationSessionsDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let not_in_implementation = |task: &SpecTask| {
        ApiError::conflict(
            "not_in_implementation",
            format!("sessions are made during implementation; the task is {}", task.status()),
        )
    };
    if task.status() != SpecTaskStatus::Implementation {
        return Err(not_in_implementation(&task));
    }
    let made =
        match spectask_orchestrator::make_implementation_sessions(&state.store, state.granularity, &task)
            .await
        {
            Ok(made) => made,
            Err(JobError::Fatal { reason, .. }) => {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_implement", reason));
            }
            Err(err) => return Err(ApiError::internal(&err)),
        };
    // Made in writes that re-read the task: one that moved on meanwhile got none.
    let task = state.store.spec_task(task.id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        return Err(not_in_implementation(&task));
    }
    state.store.request_advance(task.id).await?;
    let made_ids: Vec<WorkSessionId> = made.iter().map(|s| s.id).collect();
    let sessions = list_sessions(&state, &task).await?;
    let made = sessions.iter().filter(|s| made_ids.contains(&s.id)).cloned().collect();
    Ok(Json(ImplementationSessionsDto { made, sessions }))
}

/// One work session.
#[utoipa::path(get, path = "/work-sessions/{id}", tag = "work-sessions", params(SessionPath),
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn get_work_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    Ok(Json(session_dto(&state, &session).await?))
}

/// The work session `id` names, if it is the caller's (of one of their SpecTasks): another user's
/// answers 404 exactly as an unknown id does.
pub(crate) async fn load_session(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<WorkSession, ApiError> {
    let id: WorkSessionId =
        id.parse().map_err(|e: spectask_core::IdError| ApiError::bad_request("invalid_id", e.to_string()))?;
    let session = state.store.work_session(id).await?;
    if let Some(owner) = caller.owner_filter()
        && state.store.spec_task(session.spec_task_id).await?.created_by != owner
    {
        return Err(StoreError::NotFound { entity: "work session", reference: id.to_string() }.into());
    }
    Ok(session)
}
