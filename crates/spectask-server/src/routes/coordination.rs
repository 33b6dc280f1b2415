//! The coordination API: what a work session's agent calls through its MCP tools (`spectask mcp`).
//! Every route takes only a session credential (`Authorization: Bearer stc_…`), which names one
//! unfinished work session and reaches nothing beyond its own SpecTask's coordination. The rules
//! live in `spectask_orchestrator::coordination`; these handlers translate.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use spectask_core::{CoordinationKind, WorkSession};
use spectask_orchestrator::{CoordinationError, PlanStatus};
use spectask_spec::PlanTaskState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    ToolBlockedBody, ToolHandoffBody, ToolLogDto, ToolLogQuery, ToolMessageBody, ToolPlanStatusDto,
    ToolPlanTaskDto, ToolSentDto, ToolSessionDto, ToolSessionStatusDto, ToolSpawnBody, ToolWhoAmIDto,
    WorkSessionDto,
};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::work_sessions::session_dto;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tool_session))
        .routes(routes!(tool_spawn))
        .routes(routes!(tool_message))
        .routes(routes!(tool_blocked))
        .routes(routes!(tool_handoff))
        .routes(routes!(tool_log))
        .routes(routes!(tool_plan_status))
}

/// The work session a request's credential names (401 without a valid one).
pub struct SessionCaller(pub WorkSession);

impl FromRequestParts<AppState> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the coordination API takes a work session's credential: Authorization: Bearer stc_…",
                )
            })?;
        Ok(SessionCaller(spectask_orchestrator::caller(&state.store, credential).await.map_err(refused)?))
    }
}

fn refused(err: CoordinationError) -> ApiError {
    let message = err.to_string();
    match err {
        CoordinationError::UnknownCredential => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credential", message)
        }
        CoordinationError::CallerFinished { .. } => {
            ApiError::new(StatusCode::UNAUTHORIZED, "session_finished", message)
        }
        CoordinationError::TaskEnded { .. } => ApiError::new(StatusCode::UNAUTHORIZED, "task_ended", message),
        CoordinationError::UnknownSession { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_session", message)
        }
        CoordinationError::AmbiguousSession { .. } => ApiError::bad_request("ambiguous_session", message),
        CoordinationError::RecipientFinished { .. } => {
            ApiError::new(StatusCode::CONFLICT, "recipient_finished", message)
        }
        CoordinationError::Invalid(_) => ApiError::bad_request("invalid_request", message),
        CoordinationError::Limit(_) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "limit_reached", message),
        CoordinationError::Store(e) => e.into(),
    }
}

fn tool_session_dto(s: &WorkSession) -> ToolSessionDto {
    ToolSessionDto {
        id: s.id,
        name: s.name.clone(),
        status: s.status(),
        plan_task: s.plan_task.as_ref().and_then(|p| p.id.clone()),
        parent_id: s.parent_id,
        spawned_by_id: s.spawned_by_id,
    }
}

/// The calling session and its task.
#[utoipa::path(get, path = "/coordination/session", tag = "coordination",
    responses((status = 200, description = "The session the credential names", body = ToolWhoAmIDto)))]
async fn tool_session(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
) -> Result<Json<ToolWhoAmIDto>, ApiError> {
    let task = state.store.spec_task(caller.spec_task_id).await?;
    Ok(Json(ToolWhoAmIDto {
        session: session_dto(&state, &caller).await?,
        spec_task_id: task.id,
        task_title: task.title,
    }))
}

/// `spawn_session`: a child work session of the caller, under the task's limits.
#[utoipa::path(post, path = "/coordination/spawn", tag = "coordination", request_body = ToolSpawnBody,
    responses((status = 201, description = "The new session (pending until a slot is free)", body = WorkSessionDto)))]
async fn tool_spawn(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJson(body): ApiJson<ToolSpawnBody>,
) -> Result<(StatusCode, Json<WorkSessionDto>), ApiError> {
    let child = spectask_orchestrator::spawn_child(
        &state.store,
        &state.coordination,
        &caller,
        &body.name,
        &body.description,
        body.priority,
    )
    .await
    .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(session_dto(&state, &child).await?)))
}

async fn sent(
    state: &AppState,
    caller: &WorkSession,
    to: Option<&str>,
    text: &str,
    kind: CoordinationKind,
) -> Result<(StatusCode, Json<ToolSentDto>), ApiError> {
    let sent = spectask_orchestrator::send(&state.store, &state.coordination, caller, to, text, kind)
        .await
        .map_err(refused)?;
    let delivery = if sent.delivered_to.is_some() { "queued" } else { "logged" };
    let recipient = sent.delivered_to.as_ref().map(tool_session_dto);
    Ok((StatusCode::CREATED, Json(ToolSentDto { event: sent.event, delivery, recipient })))
}

/// `send_message`: to one session (queued for its thread's next turn) or, without `to_session`, to
/// the log for everyone.
#[utoipa::path(post, path = "/coordination/messages", tag = "coordination", request_body = ToolMessageBody,
    responses((status = 201, description = "Logged, and queued for the recipient", body = ToolSentDto)))]
async fn tool_message(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJson(body): ApiJson<ToolMessageBody>,
) -> Result<(StatusCode, Json<ToolSentDto>), ApiError> {
    sent(&state, &caller, body.to_session.as_deref(), &body.text, CoordinationKind::Message).await
}

/// `handoff`: a note to the session taking over, delivered like a message.
#[utoipa::path(post, path = "/coordination/handoffs", tag = "coordination", request_body = ToolHandoffBody,
    responses((status = 201, description = "Logged and queued for the recipient", body = ToolSentDto)))]
async fn tool_handoff(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJson(body): ApiJson<ToolHandoffBody>,
) -> Result<(StatusCode, Json<ToolSentDto>), ApiError> {
    sent(&state, &caller, Some(&body.to_session), &body.note, CoordinationKind::Handoff).await
}

/// `report_blocked`: waiting for another session, or for a reason.
#[utoipa::path(post, path = "/coordination/blocked", tag = "coordination", request_body = ToolBlockedBody,
    responses((status = 201, description = "The logged report", body = spectask_core::CoordinationEvent)))]
async fn tool_blocked(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiJson(body): ApiJson<ToolBlockedBody>,
) -> Result<(StatusCode, Json<spectask_core::CoordinationEvent>), ApiError> {
    let event = spectask_orchestrator::report_blocked(
        &state.store,
        &state.coordination,
        &caller,
        body.on_session.as_deref(),
        body.reason.as_deref(),
    )
    .await
    .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// `read_coordination`: the task's coordination log after `since` (or its latest entries).
#[utoipa::path(get, path = "/coordination/log", tag = "coordination", params(ToolLogQuery),
    responses((status = 200, description = "Log entries in order", body = ToolLogDto)))]
async fn tool_log(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
    ApiQuery(query): ApiQuery<ToolLogQuery>,
) -> Result<Json<ToolLogDto>, ApiError> {
    let entries =
        spectask_orchestrator::coordination_log(&state.store, &caller, query.since).await.map_err(refused)?;
    let next_since = entries.last().map(|e| e.seq).or(query.since).unwrap_or(0);
    Ok(Json(ToolLogDto { entries, next_since }))
}

/// `plan_status`: the plan's tasks and the task's sessions, as they stand.
#[utoipa::path(get, path = "/coordination/plan-status", tag = "coordination",
    responses((status = 200, description = "Plan and sessions", body = ToolPlanStatusDto)))]
async fn tool_plan_status(
    State(state): State<AppState>,
    SessionCaller(caller): SessionCaller,
) -> Result<Json<ToolPlanStatusDto>, ApiError> {
    let status: PlanStatus =
        spectask_orchestrator::plan_status(&state.store, &caller).await.map_err(refused)?;
    let plan = status
        .plan
        .into_iter()
        .map(|t| ToolPlanTaskDto {
            id: t.id,
            title: t.title,
            state: match t.state {
                PlanTaskState::Pending => "pending",
                PlanTaskState::InProgress => "in_progress",
                PlanTaskState::Done => "done",
            },
            optional: t.optional,
            sessions: t.sessions,
        })
        .collect();
    let sessions = status
        .sessions
        .into_iter()
        .map(|s| ToolSessionStatusDto {
            you: s.session.id == status.you,
            session: tool_session_dto(&s.session),
            blocked: s.blocked,
            summary: s.summary,
        })
        .collect();
    Ok(Json(ToolPlanStatusDto {
        spec_task_id: status.task.id,
        title: status.task.title.clone(),
        status: status.task.status(),
        plan,
        sessions,
    }))
}
