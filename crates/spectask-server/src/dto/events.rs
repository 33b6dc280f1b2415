//! The live event stream on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::events::payload::Payload;
use spectask_core::{Event, SpecTaskId, Timestamp, WorkSessionId};
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
    // The document's pattern, which lists every kind, is set in `openapi.rs`.
    pub kinds: Option<String>,
    /// Also send `attention` frames: what the caller's tasks (or the one task) wait for, first
    /// and after every change.
    pub attention: Option<bool>,
}

/// The `data` of one frame of the event stream: an event of the outbox (the frame's `event` is
/// its kind), what the caller's tasks wait for (`event: attention`), or why the stream ends
/// (`event: end`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum StreamFrameDto {
    Event(Box<EventDto>),
    Attention(super::AttentionListDto),
    End(StreamEndDto),
}

/// The `data` of the stream's last frame, `event: end`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamEndDto {
    /// Why the stream ends (its token was revoked, its login ended, the server gained users).
    pub reason: String,
}

/// One event of the outbox, as the `data` of a server-sent event (whose `id` is `seq` and whose
/// `event` is `kind`): `kind` and its `payload`, one schema per kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub seq: i64,
    #[serde(flatten)]
    pub payload: Payload,
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl EventDto {
    /// The event on the wire; an error when its stored payload does not read as its kind's.
    pub fn of(e: &Event) -> Result<Self, serde_json::Error> {
        Ok(Self {
            seq: e.seq,
            payload: e.read_payload()?,
            spec_task_id: e.spec_task_id,
            work_session_id: e.work_session_id,
            at: e.at,
        })
    }
}
