//! The live event stream on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{Event, EventKind, SpecTaskId, Timestamp, WorkSessionId};
use utoipa::{IntoParams, ToSchema};

/// `GET /api/v1/events` query. `after` is overridden by a `Last-Event-ID` header.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Replay events after this sequence number.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// A SpecTask reference (full or abbreviated id, or handle).
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub spec_task: Option<String>,
    /// Comma-separated event kinds.
    #[param(
        pattern = r"^((spec_task\.created|spec_task\.transitioned|spec_review\.recorded|work_session\.created|work_session\.transitioned|coordination\.recorded|repository\.registered|repository\.settings_changed|work_session\.plan|plan_progress\.detected|agent\.sandbox|work_session\.permission|spec_task\.hidden|work_session\.check))?(,(spec_task\.created|spec_task\.transitioned|spec_review\.recorded|work_session\.created|work_session\.transitioned|coordination\.recorded|repository\.registered|repository\.settings_changed|work_session\.plan|plan_progress\.detected|agent\.sandbox|work_session\.permission|spec_task\.hidden|work_session\.check))*$"
    )]
    pub kinds: Option<String>,
}

/// One event of the outbox, as the `data` of a server-sent event (whose `id` is `seq` and whose
/// `event` is `kind`).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub seq: i64,
    pub kind: EventKind,
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    pub payload: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<&Event> for EventDto {
    fn from(e: &Event) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind,
            spec_task_id: e.spec_task_id,
            work_session_id: e.work_session_id,
            payload: e.payload.clone(),
            at: e.at,
        }
    }
}
