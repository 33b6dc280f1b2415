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
//!
//! With `attention=true` the stream also carries what the caller's tasks wait for (the attention
//! view, as `GET /attention` answers it): an `attention` frame (no `id`) first, and again after
//! every chunk holding an event that may change it. It is computed once per such chunk and client.
//!
//! A stream lives longer than the request that opened it, so the credential it was opened with is
//! checked again every [`RECHECK`], whether events flow or not: once it names nobody (a revoked
//! token, an ended login, or an anonymous stream of a server that has users now) the stream sends
//! an `end` event saying why and closes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use spectask_core::{Event, EventKind};
use spectask_orchestrator::views;
use spectask_store::{EventFollower, EventScope, SharedEvent};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authenticator, Credential};
use crate::dto::{EventDto, EventsQuery, StreamEndDto, StreamFrameDto};
use crate::extract::ApiQuery;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The live event stream (Server-Sent Events): each event's `id` is its sequence number, its
/// `event` its kind and its `data` an `EventDto`. Replays from `Last-Event-ID` (or `after`), then
/// follows live. With `attention=true`, `attention` frames (no `id`; `data` an `AttentionListDto`)
/// say what the caller's tasks (or the one task) wait for: one first, and one after every change
/// of it. When the credential it was opened with stops naming the caller, a last event `end`
/// (`data: {"reason": …}`) closes it.
#[utoipa::path(get, path = "/events", tag = "events", params(EventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, nullable = false, minimum = 0, description = "Resume after this event")),
    responses((status = 200, description = "A stream of events", content_type = "text/event-stream",
        body = StreamFrameDto)))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Extension(authn): Extension<Arc<Authenticator>>,
    Extension(credential): Extension<Credential>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    if let Some(after) = query.after.filter(|after| *after < 0) {
        return Err(ApiError::bad_request("invalid_query", format!("after {after} is negative")));
    }
    let after = match headers.get("last-event-id") {
        Some(value) => parse_last_event_id(value.to_str().unwrap_or(""))?,
        None => query.after.unwrap_or(0),
    };
    let scope = match (query.spec_task.as_deref(), caller.owner_filter()) {
        (Some(reference), owner) => {
            EventScope::SpecTask(state.store.resolve_spec_task_of(reference, owner).await?)
        }
        (None, Some(owner)) => EventScope::OwnedBy(owner.to_owned()),
        (None, None) => EventScope::All,
    };
    let kinds = parse_kinds(query.kinds.as_deref().unwrap_or(""))?;
    let attention = query.attention.unwrap_or(false).then(|| AttentionFeed {
        state: state.clone(),
        caller: caller.clone(),
        spec_task: match &scope {
            EventScope::SpecTask(id) => Some(id.to_string()),
            _ => None,
        },
        due: true,
    });
    let access = Access { authn, credential, caller, checked: Instant::now() };
    let reader = Reader {
        follower: state.store.follow_events(scope, after).await?,
        kinds,
        pending: VecDeque::new(),
        attention,
        access,
        sent: Instant::now(),
        ended: false,
    };
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

/// How often a stream's credential is checked again.
const RECHECK: Duration = Duration::from_secs(2);

/// Who a stream was opened for, and with what.
struct Access {
    authn: Arc<Authenticator>,
    credential: Credential,
    caller: Caller,
    checked: Instant,
}

impl Access {
    /// Why the stream must end, when its credential no longer names its caller; checked at most
    /// every [`RECHECK`], and before every chunk of an anonymous stream (cheap, and nothing of the
    /// first user's may reach it). A failed check (the database unreachable a moment) lets it go on.
    async fn revoked(&mut self) -> Option<&'static str> {
        if self.credential != Credential::Open && self.checked.elapsed() < RECHECK {
            return None;
        }
        self.checked = Instant::now();
        match self.authn.caller_of_credential(&self.credential).await {
            Ok(Some(caller)) if caller == self.caller => None,
            Ok(Some(_)) | Ok(None) => Some(match self.credential {
                Credential::Open => "the server requires API tokens now: reconnect with one",
                Credential::Token(_) => "the API token was revoked",
                Credential::Session(_) => "the login has ended (logged out, expired, or its token revoked)",
            }),
            Err(err) => {
                tracing::warn!(error = %err.message, "checking an event stream's credential failed");
                None
            }
        }
    }
}

/// The last frame of a stream whose access ended.
fn end_frame(reason: &str) -> Bytes {
    let end = StreamFrameDto::End(StreamEndDto { reason: reason.to_owned() });
    let data = serde_json::to_string(&end).unwrap_or_else(|_| r#"{"reason":"ended"}"#.to_owned());
    Bytes::from(format!("event: end\ndata: {data}\n\n"))
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

/// An event as one Server-Sent Events frame: `id` its seq, `event` its kind, `data` its
/// `EventDto` as JSON on one line.
fn sse_frame(event: &Event) -> Bytes {
    let data = match EventDto::of(event)
        .and_then(|dto| serde_json::to_vec(&StreamFrameDto::Event(Box::new(dto))))
    {
        Ok(data) => data,
        Err(err) => {
            let seq = event.seq;
            tracing::error!(%err, seq, kind = %event.kind, "an event's payload does not read as its kind's; not sent");
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

/// A stream's `attention` frames: whose tasks, and whether a frame is due.
struct AttentionFeed {
    state: AppState,
    caller: Caller,
    /// The one task of a task's stream.
    spec_task: Option<String>,
    /// An event that may change it passed (or nothing was sent yet).
    due: bool,
}

impl AttentionFeed {
    /// The `attention` frame as it stands, with the newest events committed before and after it was
    /// read (those it tells of surely, and those it may tell of); nothing when it cannot be read
    /// (logged: the next change sends it again).
    async fn frame(&mut self) -> Option<(Bytes, Option<(i64, i64)>)> {
        self.due = false;
        let newest = || async {
            self.state.store.last_event_seq().await.inspect_err(|err| {
                tracing::warn!(%err, "reading the newest event for an attention frame failed");
            })
        };
        let before = newest().await;
        let list = crate::routes::attention::list(&self.state, &self.caller, self.spec_task.as_deref()).await;
        let seqs = match (before, newest().await) {
            (Ok(before), Ok(after)) => Some((before, after)),
            _ => None,
        };
        let data = match list.map(|list| serde_json::to_string(&StreamFrameDto::Attention(list))) {
            Ok(Ok(data)) => data,
            Ok(Err(err)) => {
                tracing::error!(%err, "the attention frame does not serialise");
                return None;
            }
            Err(err) => {
                tracing::warn!(error = %err.message, "reading attention for an event stream failed");
                return None;
            }
        };
        Some((Bytes::from(format!("event: attention\ndata: {data}\n\n")), seqs))
    }
}

/// How long an `attention` frame waits for the events it may tell of to reach this node's tail
/// (they are committed: a wake-up away), before it is sent without them.
const CATCH_UP: Duration = Duration::from_secs(2);

/// One client's position in the outbox.
struct Reader {
    follower: EventFollower,
    /// Empty: every kind.
    kinds: Vec<EventKind>,
    /// The rest of the last page.
    pending: VecDeque<Arc<SharedEvent>>,
    /// `attention` frames, when the client asked for them.
    attention: Option<AttentionFeed>,
    access: Access,
    /// When the last chunk left.
    sent: Instant,
    /// The `end` event was sent: nothing follows.
    ended: bool,
}

impl Reader {
    /// What to send next: the frames of every event waiting (in one chunk), or a keep-alive
    /// comment after [`KEEP_ALIVE`] without one, or the `end` event once the stream's access
    /// ended; `None` ends the stream (after `end`, at shutdown or on a database error: the client
    /// reconnects with `Last-Event-ID`).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        loop {
            // Waiting is cancel-safe: the follower moves its cursor only with a page it hands over.
            let waited = tokio::time::timeout(RECHECK, self.wait()).await;
            if let Some(reason) = self.access.revoked().await {
                self.ended = true;
                return Some(end_frame(reason));
            }
            match waited {
                Err(_) if self.sent.elapsed() >= KEEP_ALIVE => {
                    self.sent = Instant::now();
                    return Some(Bytes::from_static(b":\n\n"));
                }
                Err(_) => continue,
                Ok(false) => return None,
                Ok(true) => break,
            }
        }
        self.sent = Instant::now();
        let attention = match self.attention.as_mut().filter(|feed| feed.due) {
            Some(feed) => feed.frame().await,
            None => None,
        };
        // The events the frame may tell of go before it: a client never hears that a task waits
        // for a review before it hears the task reached it.
        let attention = match attention {
            Some((frame, Some((told, newest)))) => {
                let _ = tokio::time::timeout(CATCH_UP, self.take_through(told, newest)).await;
                Some(frame)
            }
            Some((frame, None)) => Some(frame),
            None => None,
        };
        let mut frames = self.pending.drain(..).map(|event| event.wire_with(sse_frame)).chain(attention);
        let first = frames.next()?;
        let Some(second) = frames.next() else { return Some(first) };
        let mut chunk = Vec::with_capacity(first.len() * (2 + frames.size_hint().0));
        for frame in [first, second].into_iter().chain(frames) {
            chunk.extend_from_slice(&frame);
        }
        Some(Bytes::from(chunk))
    }

    /// An `attention` frame is due.
    fn attention_due(&self) -> bool {
        self.attention.as_ref().is_some_and(|feed| feed.due)
    }

    /// Takes in a page: its events of the client's kinds wait to be sent, and one after `told` (the
    /// newest event the last `attention` frame surely tells of) that may change what the task
    /// waits for makes a frame due.
    fn take(&mut self, page: Vec<Arc<SharedEvent>>, told: i64) {
        if let Some(feed) = self.attention.as_mut() {
            feed.due |= page.iter().any(|e| e.seq > told && views::attention::changed_by(e.kind));
        }
        let kinds = &self.kinds;
        self.pending.extend(page.into_iter().filter(|e| kinds.is_empty() || kinds.contains(&e.kind)));
    }

    /// Takes in the events up to `seq` not read yet; the frame about to leave tells of those up to
    /// `told`.
    async fn take_through(&mut self, told: i64, seq: i64) {
        loop {
            match self.follower.next_page_through(seq).await {
                Ok(Some(page)) if !page.is_empty() => self.take(page, told),
                Ok(_) => return,
                Err(err) => return tracing::warn!(%err, "reading events for a stream failed"),
            }
        }
    }

    /// Waits until an event of the client's kinds is pending, or an `attention` frame is due;
    /// `false` when the stream ends.
    async fn wait(&mut self) -> bool {
        while self.pending.is_empty() && !self.attention_due() {
            match self.follower.next_page().await {
                Ok(Some(page)) => self.take(page, 0),
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
