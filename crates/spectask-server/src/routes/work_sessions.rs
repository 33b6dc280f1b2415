//! Work sessions: the session tree of a task, spawning, the coordination log and the
//! implementation review.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use spectask_core::{CoordinationEvent, CoordinationKind, SpecTaskCommand, WorkSession};
use spectask_orchestrator::SpawnRequest;
use spectask_store::NewCoordination;

use crate::dto::{ImplementationReviewBody, MessageBody, SpawnBody, SpecTaskDto, WorkSessionDto};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/spec-tasks/{id}/work-sessions", get(list))
        .route("/spec-tasks/{id}/implementation-sessions", post(create_from_plan))
        .route("/spec-tasks/{id}/work-sessions/{session}/spawn", post(spawn_in_task))
        .route("/work-sessions/{id}", get(show))
        .route("/work-sessions/{id}/spawn", post(spawn))
        .route("/work-sessions/{id}/messages", post(message))
        .route("/work-sessions/{id}/complete", post(complete))
        .route("/spec-tasks/{id}/coordination-log", get(coordination_log))
        .route("/spec-tasks/{id}/implementation-summary", get(summary))
        .route("/spec-tasks/{id}/approve-implementation", post(approve_implementation))
        .route("/spec-tasks/{id}/request-implementation-changes", post(request_implementation_changes))
}

pub(crate) async fn session_dto(state: &AppState, s: &WorkSession) -> Result<WorkSessionDto, ApiError> {
    let thread = state.store.thread_of(s.id).await?;
    Ok(WorkSessionDto {
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
        acp_session_id: thread.and_then(|t| t.acp_session_id),
        summary: state.store.work_session_summary(s.id).await?,
        created_at: s.created_at,
        started_at: s.started_at,
        completed_at: s.completed_at,
    })
}

async fn list(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Vec<WorkSessionDto>>, ApiError> {
    let task = load(&state, &id).await?;
    let mut out = Vec::new();
    for s in state.store.work_sessions_of(task.id).await? {
        out.push(session_dto(&state, &s).await?);
    }
    Ok(Json(out))
}

/// Asks for the sessions of the plan to be made and scheduled now (they are otherwise made when
/// implementation starts); answers 202 with the sessions that exist so far.
async fn create_from_plan(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<(StatusCode, Json<Vec<WorkSessionDto>>), ApiError> {
    let task = load(&state, &id).await?;
    if task.status() != spectask_core::SpecTaskStatus::Implementation {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "illegal_transition",
            format!("sessions are made during implementation; the task is {}", task.status()),
        ));
    }
    state.store.request_advance(task.id).await?;
    let mut out = Vec::new();
    for s in &state.store.work_sessions_of(task.id).await? {
        out.push(session_dto(&state, s).await?);
    }
    Ok((StatusCode::ACCEPTED, Json(out)))
}

async fn show(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &id).await?;
    Ok(Json(session_dto(&state, &session).await?))
}

pub(crate) async fn load_session(state: &AppState, id: &str) -> Result<WorkSession, ApiError> {
    let id =
        id.parse().map_err(|e: spectask_core::IdError| ApiError::bad_request("invalid_id", e.to_string()))?;
    Ok(state.store.work_session(id).await?)
}

async fn spawn(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let parent = load_session(&state, &id).await?;
    spawn_child(&state, parent, body).await
}

async fn spawn_in_task(
    State(state): State<AppState>,
    UrlPath((task, session)): UrlPath<(String, String)>,
    ApiJson(body): ApiJson<SpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let task = load(&state, &task).await?;
    let parent = load_session(&state, &session).await?;
    if parent.spec_task_id != task.id {
        return Err(ApiError::not_found(format!(
            "work session {} is not part of task {}",
            parent.id,
            task.handle()
        )));
    }
    spawn_child(&state, parent, body).await
}

async fn spawn_child(
    state: &AppState,
    parent: WorkSession,
    body: SpawnBody,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    if body.name.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_session", "a spawned session needs a name"));
    }
    if let Some(profile) = &body.agent_profile {
        state.profiles.get(profile).map_err(|e| ApiError::bad_request("unknown_agent", e.to_string()))?;
    }
    let task = state.store.spec_task(parent.spec_task_id).await?;
    let request = SpawnRequest {
        name: body.name.trim().to_owned(),
        description: body.description,
        agent_profile: body.agent_profile,
        priority: body.priority.unwrap_or(parent.priority),
    };
    let child = spectask_orchestrator::spawn(&state.store, &task, Some(&parent), request).await?;
    Ok((StatusCode::CREATED, Json(session_dto(state, &child).await?)))
}

async fn coordination_log(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Vec<CoordinationEvent>>, ApiError> {
    let task = load(&state, &id).await?;
    Ok(Json(state.store.coordination_log(task.id).await?))
}

async fn summary(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let task = load(&state, &id).await?;
    let markdown = spectask_orchestrator::implementation_summary(&state.store, &task).await?;
    Ok(Json(json!({ "spec_task_id": task.id, "status": task.status(), "summary": markdown })))
}

async fn approve_implementation(
    state: State<AppState>,
    id: UrlPath<String>,
    body: Option<ApiJson<ImplementationReviewBody>>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    review(state, id, SpecTaskCommand::ApproveImplementation, body.map(|b| b.0).unwrap_or_default()).await
}

async fn request_implementation_changes(
    state: State<AppState>,
    id: UrlPath<String>,
    ApiJson(body): ApiJson<ImplementationReviewBody>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    if body.comments.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_review", "request-implementation-changes needs comments"));
    }
    review(state, id, SpecTaskCommand::RequestImplementationChanges, body).await
}

async fn review(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    command: SpecTaskCommand,
    body: ImplementationReviewBody,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &id).await?;
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

/// Says something to an interactive session; the agent answers in its next turn.
async fn message(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if body.text.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_message", "the message is empty"));
    }
    let session = load_session(&state, &id).await?;
    interactive_and_open(&state, &session).await?;
    let queued = state.store.queue_session_message(&session, body.text.trim()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "message_id": queued, "work_session_id": session.id }))))
}

/// Ends an interactive session: its changes are committed, and the task moves on to review when
/// nothing else runs.
async fn complete(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<WorkSessionDto>, ApiError> {
    let session = load_session(&state, &id).await?;
    interactive_and_open(&state, &session).await?;
    let applied =
        state.store.transition_work_session(&session, &spectask_core::WorkSessionCommand::Complete).await?;
    Ok(Json(session_dto(&state, &applied.value).await?))
}

/// Messages and completion are for the running session of an interactive task.
async fn interactive_and_open(state: &AppState, session: &WorkSession) -> Result<(), ApiError> {
    let task = state.store.spec_task(session.spec_task_id).await?;
    if task.kind != spectask_core::TaskKind::Interactive || session.parent_id.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_interactive",
            format!(
                "work session {} is not the main session of an interactive task; only that one takes messages",
                session.name
            ),
        ));
    }
    if session.status() != spectask_core::WorkSessionStatus::Running {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "illegal_transition",
            format!("work session {} is {}", session.name, session.status()),
        ));
    }
    Ok(())
}
