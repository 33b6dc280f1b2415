//! Work sessions: the session tree of a task, spawning, the coordination log and the
//! implementation review.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use spectask_core::{
    CoordinationEvent, CoordinationKind, PAUSED_BY, SpecTask, SpecTaskCommand, SpecTaskStatus, WorkSession,
    WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use spectask_orchestrator::{JobError, SpawnRequest};
use spectask_store::{NewCoordination, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    ImplementationReviewBody, ImplementationSessionsDto, ImplementationSummaryDto, InterruptBody,
    MessageBody, QueuedMessageDto, SpawnBody, SpecTaskDto, WorkSessionDto, WorkSessionStatusBody,
};
use crate::extract::{ApiJson, ApiPath};
use crate::params::{SessionPath, TaskPath, TaskSessionPath};
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_sessions))
        .routes(routes!(create_implementation_sessions))
        .routes(routes!(spawn_in_task))
        .routes(routes!(get_work_session))
        .routes(routes!(spawn_work_session))
        .routes(routes!(send_message))
        .routes(routes!(complete_work_session))
        .routes(routes!(interrupt_editor_thread))
        .routes(routes!(set_work_session_status))
        .routes(routes!(get_coordination_log))
        .routes(routes!(get_implementation_summary))
        .routes(routes!(approve_implementation))
        .routes(routes!(request_implementation_changes))
}

pub(crate) async fn session_dto(state: &AppState, s: &WorkSession) -> Result<WorkSessionDto, ApiError> {
    let acp_session_id = state.store.thread_of(s.id).await?.and_then(|t| t.acp_session_id);
    let summary = state.store.work_session_summary(s.id).await?;
    let editor = state.store.editor_thread(s.id).await?.map(|t| t.client);
    Ok(session_dto_with(s, acp_session_id, summary, editor))
}

/// The wire form of a session whose thread, summary and editor were read already (a listing reads
/// them for all sessions at once).
fn session_dto_with(
    s: &WorkSession,
    acp_session_id: Option<String>,
    summary: Option<String>,
    opened_from_editor: Option<String>,
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

/// `sessions` of `task` on the wire, their threads, summaries and editors read in two queries.
pub(crate) async fn sessions_dto(
    state: &AppState,
    task: &SpecTask,
    sessions: &[WorkSession],
) -> Result<Vec<WorkSessionDto>, ApiError> {
    let mut details = state.store.work_session_details(task.id).await?;
    let mut editors = state.store.editor_clients_of(task.id).await?;
    let out = sessions
        .iter()
        .map(|s| {
            let (acp_session_id, summary) = details.remove(&s.id).unwrap_or_default();
            session_dto_with(s, acp_session_id, summary, editors.remove(&s.id))
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
            Err(JobError::Fatal(reason)) => {
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

/// Spawn a child session under this one (same task, same agent instance, a new thread).
#[utoipa::path(post, path = "/work-sessions/{id}/spawn", tag = "work-sessions", params(SessionPath),
    request_body = SpawnBody,
    responses((status = 201, description = "The new session", body = WorkSessionDto)))]
async fn spawn_work_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let parent = load_session(&state, &caller, &id).await?;
    let task = state.store.spec_task(parent.spec_task_id).await?;
    spawn_session(&state, &task, Some(parent), body).await
}

/// Spawn a child session under a session of this task.
#[utoipa::path(post, path = "/spec-tasks/{id}/work-sessions/{session}/spawn", tag = "work-sessions",
    params(TaskSessionPath), request_body = SpawnBody,
    responses((status = 201, description = "The new session", body = WorkSessionDto)))]
async fn spawn_in_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskSessionPath { id: task, session }): ApiPath<TaskSessionPath>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let task = load(&state, &caller, &task).await?;
    let parent = load_session(&state, &caller, &session).await?;
    if parent.spec_task_id != task.id {
        return Err(ApiError::not_found(format!(
            "work session {} is not part of task {}",
            parent.id,
            task.handle()
        )));
    }
    spawn_session(&state, &task, Some(parent), body).await
}

/// A new top-level session of a task in implementation (`POST /tasks/{task_id}/work-sessions`).
pub(crate) async fn spawn_top_level(
    state: &AppState,
    task: &SpecTask,
    body: SpawnBody,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    spawn_session(state, task, None, body).await
}

async fn spawn_session(
    state: &AppState,
    task: &SpecTask,
    parent: Option<WorkSession>,
    body: SpawnBody,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_session", "a spawned session needs a name"));
    }
    if let Some(profile) = &body.agent_profile {
        state.profiles.get(profile).map_err(|e| ApiError::bad_request("unknown_agent", e.to_string()))?;
    }
    let request = SpawnRequest {
        name: body.name.trim().to_owned(),
        description: body.description,
        agent_profile: body.agent_profile,
        priority: body.priority.or(parent.as_ref().map(|p| p.priority)).unwrap_or(task.priority),
    };
    let child = spectask_orchestrator::spawn(&state.store, task, parent.as_ref(), request).await?;
    Ok((StatusCode::CREATED, Json(session_dto(state, &child).await?)))
}

/// What the task's sessions told each other and what happened to them, in order.
#[utoipa::path(get, path = "/spec-tasks/{id}/coordination-log", tag = "work-sessions", params(TaskPath),
    responses((status = 200, description = "The log", body = Vec<CoordinationEvent>)))]
async fn get_coordination_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<Vec<CoordinationEvent>>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    Ok(Json(state.store.coordination_log(task.id).await?))
}

/// The implementation summary: what each session did, its commits and the open plan tasks.
#[utoipa::path(get, path = "/spec-tasks/{id}/implementation-summary", tag = "work-sessions",
    params(TaskPath),
    responses((status = 200, description = "The summary", body = ImplementationSummaryDto)))]
async fn get_implementation_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ImplementationSummaryDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let markdown = spectask_orchestrator::implementation_summary(&state.store, &task).await?;
    Ok(Json(ImplementationSummaryDto { spec_task_id: task.id, status: task.status(), summary: markdown }))
}

/// Approve the implementation: the task is done and its branch merged (or kept, per repository).
#[utoipa::path(post, path = "/spec-tasks/{id}/approve-implementation", tag = "work-sessions",
    params(TaskPath),
    request_body(content = Option<ImplementationReviewBody>, description = "Optional comments"),
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn approve_implementation(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    body: Option<ApiJson<ImplementationReviewBody>>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    review(state, caller, id, SpecTaskCommand::ApproveImplementation, body.map(|b| b.0).unwrap_or_default())
        .await
}

/// Ask for more implementation work: a follow-up session gets the comments.
#[utoipa::path(post, path = "/spec-tasks/{id}/request-implementation-changes", tag = "work-sessions",
    params(TaskPath), request_body = ImplementationReviewBody,
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn request_implementation_changes(
    state: State<AppState>,
    caller: Caller,
    id: ApiPath<TaskPath>,
    ApiJson(body): ApiJson<ImplementationReviewBody>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    if body.comments.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_review", "request-implementation-changes needs comments"));
    }
    review(state, caller, id, SpecTaskCommand::RequestImplementationChanges, body).await
}

async fn review(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    command: SpecTaskCommand,
    body: ImplementationReviewBody,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let decision = match command {
        SpecTaskCommand::ApproveImplementation => "approve",
        _ => "request_changes",
    };
    // Check first, so a refused review leaves no trace in the log.
    task.state.apply(task.kind, &command)?;
    state
        .store
        .record_coordination(NewCoordination {
            spec_task_id: task.id,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: format!("implementation review: {}", decision.replace('_', " ")),
            data: json!({
                "decision": decision,
                "comments": body.comments.trim(),
                "reviewer": body.reviewer.unwrap_or_else(|| "local".into()),
            }),
        })
        .await?;
    let applied = state.store.transition_spec_task(&task, &command).await?;
    Ok(Json(task_dto(&state, &applied.value).await?))
}

/// Say something to the main session of an interactive task; the agent answers in its next turn.
#[utoipa::path(post, path = "/work-sessions/{id}/messages", tag = "work-sessions", params(SessionPath),
    request_body = MessageBody,
    responses((status = 202, description = "The message is queued", body = QueuedMessageDto)))]
async fn send_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<(StatusCode, Json<QueuedMessageDto>), ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let queued = queue_message(&state, &session, &body.text).await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedMessageDto { message_id: queued, work_session_id: session.id })))
}

/// Queues a person's message for an open interactive session or editor thread.
pub(crate) async fn queue_message(
    state: &AppState,
    session: &WorkSession,
    text: &str,
) -> Result<i64, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_message", "the message is empty"));
    }
    interactive_and_open(state, session).await?;
    Ok(state.store.queue_session_message(session, text.trim()).await?)
}

/// End the main session of an interactive task: its changes are committed, and the task moves on
/// to review when nothing else runs.
#[utoipa::path(post, path = "/work-sessions/{id}/complete", tag = "work-sessions", params(SessionPath),
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn complete_work_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    interactive_and_open(&state, &session).await?;
    let applied =
        state.store.transition_work_session(&session, &spectask_core::WorkSessionCommand::Complete).await?;
    Ok(Json(session_dto(&state, &applied.value).await?))
}

/// The editor holding a thread went away (Zed closed): its work session is left `interrupted`, and
/// the next prompt from an editor resumes it.
#[utoipa::path(post, path = "/work-sessions/{id}/interrupt", tag = "editor", params(SessionPath),
    request_body = InterruptBody,
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn interrupt_editor_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<InterruptBody>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let session = interrupt_editor(&state, session, &body.reason).await?;
    Ok(Json(session_dto(&state, &session).await?))
}

/// An editor thread whose editor went away: interrupted (when it ran) and resumable.
pub(crate) async fn interrupt_editor(
    state: &AppState,
    session: WorkSession,
    reason: &str,
) -> Result<WorkSession, ApiError> {
    if state.store.editor_thread(session.id).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_editor_thread",
            format!(
                "work session {} was not opened from an editor; only editor threads are interrupted this way",
                session.name
            ),
        ));
    }
    let reason = reason.trim();
    let reason: String =
        if reason.is_empty() { "the editor closed" } else { reason }.chars().take(200).collect();
    // Read again in the write: a retried drive may have moved the session since it was loaded.
    Ok(state.store.interrupt_if_running(session.id, &reason).await?)
}

/// Messages and completion are for the running session of an interactive task, and for editor threads.
pub(crate) async fn interactive_and_open(state: &AppState, session: &WorkSession) -> Result<(), ApiError> {
    let task = state.store.spec_task(session.spec_task_id).await?;
    let editor = state.store.editor_thread(session.id).await?.is_some();
    if !editor && (task.kind != spectask_core::TaskKind::Interactive || session.parent_id.is_some()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_interactive",
            format!(
                "work session {} is not the main session of an interactive task; only that one takes messages",
                session.name
            ),
        ));
    }
    // An editor thread takes prompts before it starts and after an interruption too: they wait for
    // (and resume) its turn.
    use spectask_core::WorkSessionStatus::{Interrupted, Pending, Running};
    let open = match session.status() {
        Running => true,
        Pending | Interrupted => editor,
        _ => false,
    };
    if !open {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "illegal_transition",
            format!("work session {} is {}", session.name, session.status()),
        ));
    }
    Ok(())
}

/// Move one session through its state machine as a person: pause a running session
/// (`interrupted`; the turn under way stops, on whichever node runs it, and the session waits for a
/// person to resume it), resume it
/// (`running`), complete a running session (`completed`; its changes are committed) or cancel it
/// (`cancelled`). A session that ends this way lets its task's scheduling go on.
#[utoipa::path(put, path = "/work-sessions/{id}/status", tag = "work-sessions", params(SessionPath),
    request_body = WorkSessionStatusBody,
    responses((status = 200, description = "The session", body = WorkSessionDto)))]
async fn set_work_session_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<WorkSessionStatusBody>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &caller, &id).await?;
    let command = match body.status {
        WorkSessionStatus::Interrupted => {
            let reason = match body.reason.trim() {
                "" => format!("{PAUSED_BY}{}", caller.name),
                why => format!("{PAUSED_BY}{}: {}", caller.name, why.chars().take(200).collect::<String>()),
            };
            WorkSessionCommand::Interrupt { reason }
        }
        WorkSessionStatus::Running => WorkSessionCommand::Resume,
        WorkSessionStatus::Completed => WorkSessionCommand::Complete,
        WorkSessionStatus::Cancelled => WorkSessionCommand::Cancel,
        other => {
            return Err(ApiError::bad_request(
                "invalid_status",
                format!(
                    "a person cannot move a session to {other}; choose interrupted, running, completed or cancelled"
                ),
            ));
        }
    };
    let applied = state.store.change_work_session(session.id, &command).await?;
    Ok(Json(session_dto(&state, &applied.value).await?))
}
