//! `GET /events`: the event outbox as Server-Sent Events, replayed from `Last-Event-ID`, then live.
//!
//! A reader keeps its own cursor and fetches pages of events after it whenever the store says a
//! commit appended events (a periodic sweep is only a safety net). Memory per client is one page:
//! a slow client is not buffered for, it lags and catches up from the database.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use spectask_core::{Event, EventKind, SpecTaskId};
use spectask_store::{EventWakeups, Store, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{EventDto, EventsQuery};
use crate::extract::ApiQuery;
use crate::{ApiError, AppState, Caller};

/// Events fetched from the database at a time (and so held per client at most).
const PAGE: i64 = 200;
/// How often a caught-up reader looks again without having been woken.
const SWEEP: Duration = Duration::from_secs(5);

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
    let spec_task = match query.spec_task.as_deref() {
        Some(reference) => Some(state.store.resolve_spec_task_of(reference, caller.owner_filter()).await?),
        None => None,
    };
    let kinds = parse_kinds(query.kinds.as_deref().unwrap_or(""))?;
    let reader = Reader {
        wakeups: state.store.event_wakeups(),
        store: state.store,
        cursor: after,
        spec_task,
        owner: caller.owner_filter().map(str::to_owned),
        kinds,
        pending: VecDeque::new(),
        caught_up: false,
    };
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
    store: Store,
    wakeups: EventWakeups,
    /// The last seq read from the database (sent or filtered out).
    cursor: i64,
    spec_task: Option<SpecTaskId>,
    /// Only the events of this user's SpecTasks (`None`: every event).
    owner: Option<String>,
    /// Empty: every kind.
    kinds: Vec<EventKind>,
    /// The rest of the last page, at most `PAGE` events.
    pending: VecDeque<Event>,
    /// The last page was short: nothing more until the next wake-up.
    caught_up: bool,
}

impl Reader {
    /// The next event to send, waiting for one; `None` ends the stream (shutdown or a database
    /// error: the client reconnects with `Last-Event-ID`).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.caught_up {
                // Wait for a commit that appended events, or sweep.
                if let Ok(false) = tokio::time::timeout(SWEEP, self.wakeups.next()).await {
                    return None;
                }
                self.caught_up = false;
            }
            let page = match self.fetch().await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(%err, cursor = self.cursor, "reading events for a stream failed");
                    return None;
                }
            };
            // A short page is the end of the outbox as of this read: no empty read to confirm it.
            self.caught_up = (page.len() as i64) < PAGE;
            if let Some(last) = page.last() {
                self.cursor = last.seq;
                let kinds = &self.kinds;
                self.pending.extend(page.into_iter().filter(|e| kinds.is_empty() || kinds.contains(&e.kind)));
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Event>, StoreError> {
        match (self.spec_task, &self.owner) {
            (Some(id), _) => self.store.events_of_spec_task_after(id, self.cursor, PAGE).await,
            (None, Some(owner)) => self.store.events_of_owner_after(owner, self.cursor, PAGE).await,
            (None, None) => self.store.events_after(self.cursor, PAGE).await,
        }
    }
}
