//! `POST /editor/events` (also at `/zed/events`): what happened in an editor integration, done
//! through the same code as the other editor routes.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::threads::open;
use super::with_alias;
use crate::dto::{EditorEventBody, EditorEventResultDto, EditorThreadBody};
use crate::extract::ApiJson;
use crate::routes::session_moves::{interrupt_editor, queue_message};
use crate::routes::work_sessions::{load_session, session_dto};
use crate::{ApiError, AppState, Caller};

pub(super) fn router() -> OpenApiRouter<AppState> {
    with_alias(OpenApiRouter::new(), routes!(post_editor_event), "/zed/events")
}

/// What happened in an editor integration: a thread created (it becomes a work session), a
/// message added (queued for the session's agent), a thread closed (the session is interrupted,
/// resumable).
#[utoipa::path(post, path = "/editor/events", tag = "editor", request_body = EditorEventBody,
    responses((status = 200, description = "What the event did", body = EditorEventResultDto)))]
async fn post_editor_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EditorEventBody>,
) -> Result<Json<EditorEventResultDto>, ApiError> {
    let (event_type, session, message_id) = match body {
        EditorEventBody::ThreadCreated { cwd, spec_task, agent_profile } => {
            let client = Some("zed".into());
            let body =
                EditorThreadBody { cwd, task: spec_task, agent_profile, client, mcp_servers: Vec::new() };
            let opened = open(&state, &caller, body, None).await?;
            return Ok(Json(EditorEventResultDto {
                event_type: "thread_created".into(),
                work_session: opened.work_session,
                message_id: None,
            }));
        }
        EditorEventBody::MessageAdded { work_session_id, text } => {
            let session = load_session(&state, &caller, &work_session_id).await?;
            let queued = queue_message(&state, &session, &text).await?;
            ("message_added", session, Some(queued))
        }
        EditorEventBody::ThreadClosed { work_session_id, reason } => {
            let session = load_session(&state, &caller, &work_session_id).await?;
            ("thread_closed", interrupt_editor(&state, session, &reason).await?, None)
        }
    };
    Ok(Json(EditorEventResultDto {
        event_type: event_type.into(),
        work_session: session_dto(&state, &session).await?,
        message_id,
    }))
}
