//! `GET /events`: the event outbox as Server-Sent Events, replayed from `Last-Event-ID`, then live.
//!
//! Each client follows the node's event tail (`Store::follow_events`): one reader per node reads the
//! outbox when a commit appended events and keeps the newest events in a ring; clients take theirs
//! from it, within their scope (their own SpecTasks, one task, or every event on a server without
//! users), and read the store only while their cursor is older than the ring. Memory per client is
//! one page: a slow client is not buffered for, it lags and catches up from the database.
//!
//! An event's frame (`id`, `event`, `data` lines) is made once per node: the first client to send
//! an event of the ring encodes it ([`SharedEvent::wire_with`]) and every other sends the same
//! bytes. What a client has waiting leaves in one write; an idle stream gets a comment line every
//! [`KEEP_ALIVE`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use spectask_core::{Event, EventKind};
use spectask_store::{EventFollower, EventScope, SharedEvent};
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
    let chunks = futures::stream::unfold(reader, |mut reader| async move {
        let chunk = reader.next_chunk().await?;
        Some((Ok::<_, Infallible>(chunk), reader))
    });
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// How long a stream stays silent before it sends a comment line, so that proxies and clients
/// see it alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

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

/// An event as one Server-Sent Events frame: `id` its seq, `event` its kind, `data` its
/// `EventDto` as JSON on one line.
fn sse_frame(event: &Event) -> Bytes {
    let data = match serde_json::to_vec(&EventDto::from(event)) {
        Ok(data) => data,
        Err(err) => {
            // Not reached: an EventDto is plain JSON.
            tracing::error!(%err, seq = event.seq, "an event cannot be encoded; it is not sent");
            return Bytes::new();
        }
    };
    let (seq, kind) = (event.seq.to_string(), event.kind.as_str());
    let mut frame = Vec::with_capacity(data.len() + seq.len() + kind.len() + 24);
    let parts: [&[u8]; 7] =
        [b"id: ", seq.as_bytes(), b"\nevent: ", kind.as_bytes(), b"\ndata: ", &data, b"\n\n"];
    for part in parts {
        frame.extend_from_slice(part);
    }
    Bytes::from(frame)
}

/// One client's position in the outbox.
struct Reader {
    follower: EventFollower,
    /// Empty: every kind.
    kinds: Vec<EventKind>,
    /// The rest of the last page.
    pending: VecDeque<Arc<SharedEvent>>,
}

impl Reader {
    /// What to send next: the frames of every event waiting (in one chunk), or a keep-alive
    /// comment after [`KEEP_ALIVE`] without one; `None` ends the stream (shutdown or a database
    /// error: the client reconnects with `Last-Event-ID`).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        // Waiting is cancel-safe: the follower moves its cursor only with a page it hands over.
        match tokio::time::timeout(KEEP_ALIVE, self.wait()).await {
            Err(_) => return Some(Bytes::from_static(b":\n\n")),
            Ok(false) => return None,
            Ok(true) => {}
        }
        let mut frames = self.pending.drain(..).map(|event| event.wire_with(sse_frame));
        let first = frames.next()?;
        let Some(second) = frames.next() else { return Some(first) };
        let mut chunk = Vec::with_capacity(first.len() * (2 + frames.len()));
        for frame in [first, second].into_iter().chain(frames) {
            chunk.extend_from_slice(&frame);
        }
        Some(Bytes::from(chunk))
    }

    /// Waits until an event of the client's kinds is pending; `false` when the stream ends.
    async fn wait(&mut self) -> bool {
        while self.pending.is_empty() {
            match self.follower.next_page().await {
                Ok(Some(page)) => {
                    let kinds = &self.kinds;
                    self.pending
                        .extend(page.into_iter().filter(|e| kinds.is_empty() || kinds.contains(&e.kind)));
                }
                Ok(None) => return false,
                Err(err) => {
                    tracing::warn!(%err, "reading events for a stream failed");
                    return false;
                }
            }
        }
        true
    }
}
