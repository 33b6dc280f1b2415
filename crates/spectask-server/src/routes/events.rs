//! `GET /events`: the event outbox as Server-Sent Events, replayed from `Last-Event-ID`, then live.
//!
//! Each client follows the node's event tail (`Store::follow_events`): one reader per node reads the
//! outbox when a commit appended events and keeps the newest events in a ring; clients take theirs
//! from it, within their scope (their own SpecTasks, one task, or every event on a server without
//! users), and read the store only while their cursor is older than the ring. Memory per client is
//! one page: a slow client is not buffered for, it lags and catches up from the database.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use spectask_core::{Event, EventKind};
use spectask_store::{EventFollower, EventScope};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{EventDto, EventsQuery};
use crate::extract::ApiQuery;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The live event stream (Server-Sent Events): each event's `id` is its sequence number, its
/// `event` its kind and its `data` an `EventDto`. Replays from `Last-Event-ID` (or `after`), then
/// follows live.
#[utoipa::path(get, path = "/events", tag = "events", params(EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")),
    responses((status = 200, description = "A stream of events", content_type = "text/event-stream",
        body = EventDto)))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    let after = match headers.get("last-event-id") {
        Some(value) => parse_last_event_id(value.to_str().unwrap_or(""))?,
        None => query.after.unwrap_or(0),
    };
    if after < 0 {
        return Err(ApiError::bad_request("invalid_query", format!("after {after} is negative")));
    }
    let scope = match (query.spec_task.as_deref(), caller.owner_filter()) {
        (Some(reference), owner) => {
            EventScope::SpecTask(state.store.resolve_spec_task_of(reference, owner).await?)
        }
        (None, Some(owner)) => EventScope::OwnedBy(owner.to_owned()),
        (None, None) => EventScope::All,
    };
    let kinds = parse_kinds(query.kinds.as_deref().unwrap_or(""))?;
    let reader =
        Reader { follower: state.store.follow_events(scope, after).await?, kinds, pending: VecDeque::new() };
    let events = futures::stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((sse_event(&event), reader))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

fn parse_last_event_id(value: &str) -> Result<i64, ApiError> {
    value.trim().parse::<i64>().ok().filter(|seq| *seq >= 0).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_last_event_id",
            format!("last-event-id {value:?} is not an event sequence number"),
        )
    })
}

/// `a,b,c` → kinds; empty means every kind.
fn parse_kinds(list: &str) -> Result<Vec<EventKind>, ApiError> {
    list.split(',')
        .map(str::trim)
        .filter(|kind| !kind.is_empty())
        .map(|kind| {
            kind.parse().map_err(|e: spectask_core::ParseEnumError| {
                ApiError::bad_request("invalid_query", e.to_string())
            })
        })
        .collect()
}

fn sse_event(event: &Event) -> Result<SseEvent, axum::Error> {
    SseEvent::default().id(event.seq.to_string()).event(event.kind.as_str()).json_data(EventDto::from(event))
}

/// One client's position in the outbox.
struct Reader {
    follower: EventFollower,
    /// Empty: every kind.
    kinds: Vec<EventKind>,
    /// The rest of the last page.
    pending: VecDeque<Arc<Event>>,
}

impl Reader {
    /// The next event to send, waiting for one; `None` ends the stream (shutdown or a database
    /// error: the client reconnects with `Last-Event-ID`).
    async fn next(&mut self) -> Option<Arc<Event>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            match self.follower.next_page().await {
                Ok(Some(page)) => {
                    let kinds = &self.kinds;
                    self.pending
                        .extend(page.into_iter().filter(|e| kinds.is_empty() || kinds.contains(&e.kind)));
                }
                Ok(None) => return None,
                Err(err) => {
                    tracing::warn!(%err, "reading events for a stream failed");
                    return None;
                }
            }
        }
    }
}
