//! The live event stream through the real router, on SQLite and PostgreSQL: `Last-Event-ID`
//! replay from within the node's event tail and from before it, filters, live delivery woken by
//! commits (well before the safety sweep), a slow client holding nobody up and losing nothing,
//! streams ending at shutdown, and the frames on the wire.

use crate::support;

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::http::{Request, StatusCode};
use futures::StreamExt;
use serde_json::{Value, json};
use spectask_core::events::payload::WorkSessionPlan;
use spectask_core::wire::sse::{SseEvent, SseParser};
use spectask_core::{NewSpecTask, SpecTask, TaskKind};
use spectask_server::{AppState, app};
use spectask_store::Store;
use tower::ServiceExt;

/// Longer than any local database round trip, shorter than the stream's 5 s safety sweep: an
/// event that arrives within it was delivered because its commit woke the stream.
const PATIENCE: Duration = Duration::from_secs(2);

struct Fixture {
    state: AppState,
    _dir: tempfile::TempDir,
}

/// The event tail's ring in tests that move past it: a handful of events.
const RING: usize = 4;

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(false).await } )+ }
        mod on_postgres { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(true).await } )+ }
    };
}

both_backends!(
    replay_after_last_event_id_is_exact_in_order_and_gap_free,
    reconnecting_within_the_ring_and_before_it_gives_every_event_once,
    a_slow_client_holds_nobody_up_and_loses_nothing,
    a_task_filter_accepts_an_abbreviated_id_and_kinds_narrow_it,
    a_live_event_arrives_when_committed_not_at_the_next_sweep,
    open_streams_end_when_the_store_ends_them,
    bad_cursors_kinds_and_tasks_are_4xx_naming_the_value,
    events_waiting_for_a_client_leave_as_frames_in_one_write,
    attention_frames_say_what_waits_first_and_after_each_change,
);

impl Fixture {
    async fn new(postgres: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = support::store(dir.path(), postgres).await;
        let state = support::state(store);
        Self { state, _dir: dir }
    }

    /// A fixture whose event tail holds only `RING` events.
    async fn with_small_ring(postgres: bool) -> Self {
        let fx = Self::new(postgres).await;
        spectask_store::testing::start_event_tail(fx.store(), RING).await.unwrap();
        fx
    }

    fn store(&self) -> &Store {
        &self.state.store
    }

    async fn task(&self, title: &str) -> SpecTask {
        let repo = self
            .store()
            .register_repository(Path::new("/srv/app"), "main", "helix-design-docs", Some("local"))
            .await;
        self.store()
            .create_spec_task(NewSpecTask::new(TaskKind::default(), repo.unwrap().id, title, title, "test"))
            .await
            .unwrap()
    }

    async fn plan(&self, task: &SpecTask, done: u32) -> i64 {
        let payload = WorkSessionPlan { entries: Vec::new(), done: done as usize, current: None };
        self.store().publish_event(Some(task.id), None, &payload).await.unwrap()
    }

    async fn open(&self, uri: &str, last_event_id: Option<i64>) -> (StatusCode, Sse) {
        let mut req = Request::builder().uri(uri);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = app(self.state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().into_data_stream();
        (status, Sse { body, parser: SseParser::default(), ready: VecDeque::new() })
    }
}

/// One server-sent event: `id`, `event` and the parsed `data`.
#[derive(Debug)]
struct Received {
    id: i64,
    event: String,
    data: Value,
}

struct Sse {
    body: BodyDataStream,
    parser: SseParser,
    ready: VecDeque<SseEvent>,
}

impl Sse {
    /// The next event (keep-alive comments skipped); `None` when the stream ended.
    async fn next(&mut self) -> Option<Received> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                let id = e.id.expect("every event has an id").parse().unwrap();
                let data = serde_json::from_str(&e.data).unwrap();
                return Some(Received { id, event: e.event.unwrap_or_default(), data });
            }
            let chunk = self.body.next().await?.unwrap();
            self.ready.extend(self.parser.feed(&chunk).unwrap());
        }
    }

    /// The next frame as it came (an `attention` frame has no id of its own), within the patience.
    async fn frame(&mut self) -> SseEvent {
        let next = async {
            loop {
                if let Some(e) = self.ready.pop_front() {
                    return e;
                }
                let chunk = self.body.next().await.expect("the stream is open").unwrap();
                self.ready.extend(self.parser.feed(&chunk).unwrap());
            }
        };
        tokio::time::timeout(PATIENCE, next).await.expect("a frame within the patience")
    }

    async fn take(&mut self, n: usize) -> Vec<Received> {
        let mut out = Vec::new();
        while out.len() < n {
            let event = tokio::time::timeout(PATIENCE, self.next()).await;
            out.push(event.expect("an event within the patience").expect("the stream is open"));
        }
        out
    }

    /// Nothing more arrives within a short while.
    async fn quiet(&mut self) {
        let next = tokio::time::timeout(Duration::from_millis(300), self.next()).await;
        assert!(next.is_err(), "unexpected event {next:?}");
    }
}

async fn replay_after_last_event_id_is_exact_in_order_and_gap_free(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let a = fx.task("Add login").await;
    for done in 0..5 {
        fx.plan(&a, done).await;
    }
    let all = fx.store().events_after(0, 1000).await.unwrap();
    let mid = all[2].seq;

    // The header wins over the query (a browser reconnects with the URL it first used).
    let (status, mut sse) = fx.open("/api/v1/events?after=0", Some(mid)).await;
    assert_eq!(status, StatusCode::OK);
    let got = sse.take(all.len() - 3).await;
    let ids: Vec<i64> = got.iter().map(|e| e.id).collect();
    let expected: Vec<i64> = all[3..].iter().map(|e| e.seq).collect();
    assert_eq!(ids, expected);
    assert_eq!(ids, (mid + 1..=mid + ids.len() as i64).collect::<Vec<_>>(), "gap-free");
    for (event, stored) in got.iter().zip(&all[3..]) {
        assert_eq!(event.event, stored.kind.as_str());
        assert_eq!(event.data["seq"], stored.seq);
        assert_eq!(event.data["kind"], stored.kind.as_str());
        assert_eq!(event.data["payload"], stored.payload);
    }
    sse.quiet().await;

    let (_, mut from_query) = fx.open(&format!("/api/v1/events?after={}", all[4].seq), None).await;
    assert_eq!(from_query.take(1).await[0].id, all[5].seq);
}

/// A client reading a few events at a time, dropping its connection and coming back with the last
/// id it got: once from before the event tail's ring, once from within it.
async fn reconnecting_within_the_ring_and_before_it_gives_every_event_once(postgres: bool) {
    let fx = Fixture::with_small_ring(postgres).await;
    let a = fx.task("Add login").await;
    let start = fx.store().last_event_seq().await.unwrap();
    let (_, mut sse) = fx.open(&format!("/api/v1/events?after={start}"), None).await;
    let mut written = Vec::new();
    for done in 0..3 * RING as u32 {
        written.push(fx.plan(&a, done).await);
    }
    let mut received: Vec<i64> = sse.take(2).await.iter().map(|e| e.id).collect();
    // The ring holds the last `RING` events: the second one is long gone from it.
    for (reads, place) in [(7, "before the ring"), (written.len() - 9, "within the ring")] {
        drop(sse);
        let last = *received.last().unwrap();
        let (status, reopened) = fx.open(&format!("/api/v1/events?after={start}"), Some(last)).await;
        assert_eq!(status, StatusCode::OK, "{place}");
        sse = reopened;
        received.extend(sse.take(reads).await.iter().map(|e| e.id));
    }
    assert_eq!(received, written, "every event once, in order");
    let live = fx.plan(&a, 99).await;
    assert_eq!(sse.take(1).await[0].id, live);
    sse.quiet().await;
}

/// A client that reads nothing while the ring moves on many times over: the others get every
/// event as it comes, and it gets every one of them (from the store) once it reads again.
async fn a_slow_client_holds_nobody_up_and_loses_nothing(postgres: bool) {
    let fx = Fixture::with_small_ring(postgres).await;
    let a = fx.task("Add login").await;
    let start = fx.store().last_event_seq().await.unwrap();
    let uri = format!("/api/v1/events?after={start}");
    let (_, mut slow) = fx.open(&uri, None).await;
    let (_, mut fast) = fx.open(&uri, None).await;
    let mut written = Vec::new();
    for done in 0..5 * RING as u32 {
        let seq = fx.plan(&a, done).await;
        assert_eq!(fast.take(1).await[0].id, seq, "the fast client gets each event as it comes");
        written.push(seq);
    }
    let caught_up: Vec<i64> = slow.take(written.len()).await.iter().map(|e| e.id).collect();
    assert_eq!(caught_up, written, "the slow client lost nothing");
    let live = fx.plan(&a, 99).await;
    assert_eq!(slow.take(1).await[0].id, live);
    assert_eq!(fast.take(1).await[0].id, live);
}

async fn a_task_filter_accepts_an_abbreviated_id_and_kinds_narrow_it(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let a = fx.task("Add login").await;
    let b = fx.task("Add logout").await;
    let mut expected = Vec::new();
    for done in 0..3 {
        expected.push(fx.plan(&a, done).await);
        fx.plan(&b, done).await;
    }
    let short = &a.short_id.to_string()[..6];
    let (status, mut sse) =
        fx.open(&format!("/api/v1/events?spec_task={short}&kinds=work_session.plan"), None).await;
    assert_eq!(status, StatusCode::OK);
    let got = sse.take(3).await;
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), expected);
    assert!(got.iter().all(|e| e.data["spec_task_id"] == a.id.to_string()));
    sse.quiet().await;

    let (_, mut all_of_a) = fx.open(&format!("/api/v1/events?spec_task={}", a.id), None).await;
    let got = all_of_a.take(4).await;
    assert_eq!(got[0].event, "spec_task.created");
    assert_eq!(got[1..].iter().map(|e| e.id).collect::<Vec<_>>(), expected);
}

async fn a_live_event_arrives_when_committed_not_at_the_next_sweep(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let a = fx.task("Add login").await;
    let (_, mut sse) = fx.open("/api/v1/events", None).await;
    let replayed = sse.take(2).await;
    assert_eq!(replayed[1].event, "spec_task.created");
    sse.quiet().await;
    for done in 0..3 {
        let seq = fx.plan(&a, done).await;
        let live = sse.take(1).await;
        assert_eq!((live[0].id, live[0].event.as_str()), (seq, "work_session.plan"));
        assert_eq!(live[0].data["payload"]["done"], done);
    }
}

async fn open_streams_end_when_the_store_ends_them(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    fx.task("Add login").await;
    let (_, mut sse) = fx.open("/api/v1/events", None).await;
    sse.take(2).await;
    fx.store().end_event_streams();
    let end = tokio::time::timeout(PATIENCE, sse.next()).await.expect("the stream ends");
    assert!(end.is_none());
}

async fn bad_cursors_kinds_and_tasks_are_4xx_naming_the_value(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let cases = [
        ("/api/v1/events?kinds=spec_task.created,nope", None, StatusCode::BAD_REQUEST, "nope"),
        ("/api/v1/events?after=-3", None, StatusCode::BAD_REQUEST, "-3"),
        ("/api/v1/events?spec_task=0123abcd", None, StatusCode::NOT_FOUND, "0123abcd"),
        ("/api/v1/events", Some("soon"), StatusCode::BAD_REQUEST, "soon"),
    ];
    for (uri, last_event_id, status, named) in cases {
        let mut req = Request::builder().uri(uri);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = app(fx.state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), status, "{uri}");
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{uri}: {message}");
    }
}

/// The stream's headers, and its frames byte for byte: `id`, `event` and `data` (the `EventDto`
/// as JSON on one line); events already waiting for a client leave in one write.
async fn events_waiting_for_a_client_leave_as_frames_in_one_write(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let a = fx.task("Add login").await;
    let start = fx.store().last_event_seq().await.unwrap();
    for done in 0..3 {
        fx.plan(&a, done).await;
    }
    let req = Request::builder().uri(format!("/api/v1/events?after={start}")).body(Body::empty()).unwrap();
    let resp = app(fx.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let mut body = resp.into_body().into_data_stream();
    let chunk = tokio::time::timeout(PATIENCE, body.next()).await.expect("within the patience");
    let chunk = String::from_utf8(chunk.expect("the stream is open").unwrap().to_vec()).unwrap();
    let stored = fx.store().events_after(start, 10).await.unwrap();
    let expected: String = stored
        .iter()
        .map(|e| {
            let data = json!({
                "seq": e.seq,
                "kind": e.kind.as_str(),
                "payload": e.payload,
                "spec_task_id": e.spec_task_id,
                "work_session_id": e.work_session_id,
                "at": e.at,
            });
            format!("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.kind.as_str(), data)
        })
        .collect();
    assert_eq!(stored.len(), 3);
    assert_eq!(chunk, expected, "the three events in one chunk");
}

/// With `attention=true`, the stream says what the caller's tasks wait for: at once (after the
/// events it tells of), then after each event that can change it (a task moved), and not after one
/// that cannot (a session's plan).
async fn attention_frames_say_what_waits_first_and_after_each_change(postgres: bool) {
    let fx = Fixture::new(postgres).await;
    let a = fx.task("Add login").await;
    let (status, mut sse) = fx.open("/api/v1/events?attention=true", None).await;
    assert_eq!(status, StatusCode::OK);
    let attention = |frame: &SseEvent| -> Value {
        assert_eq!(frame.event.as_deref(), Some("attention"), "{frame:?}");
        serde_json::from_str(&frame.data).unwrap()
    };
    // The replay (the repository registered, the task created) first: the list tells of it.
    assert_eq!(sse.frame().await.event.as_deref(), Some("repository.registered"));
    assert_eq!(sse.frame().await.event.as_deref(), Some("spec_task.created"));
    let first = attention(&sse.frame().await);
    assert_eq!(first, json!({ "needs_you": 0, "items": [] }), "a task in the backlog waits for nobody");

    let store = fx.store();
    store.apply_to_spec_task(a.id, &spectask_core::SpecTaskCommand::StartSpecGeneration).await.unwrap();
    store.apply_to_spec_task(a.id, &spectask_core::SpecTaskCommand::SubmitSpec).await.unwrap();
    let in_review = loop {
        let frame = sse.frame().await;
        if frame.event.as_deref() == Some("attention") {
            let list = attention(&frame);
            if list["needs_you"] == 1 {
                break list;
            }
        }
    };
    let item = &in_review["items"][0];
    assert_eq!(
        (&item["kind"], &item["label"]),
        (&json!("spec_review"), &json!("Waiting for you")),
        "{item:#}"
    );
    assert_eq!(item["spec_task_id"], a.id.to_string());

    // Frames still on their way (the second move's, when it came in a chunk of its own).
    while tokio::time::timeout(Duration::from_millis(300), sse.frame()).await.is_ok() {}

    // A plan update changes nothing anyone waits for: no frame after it.
    let seq = fx.plan(&a, 1).await;
    let plan = sse.frame().await;
    assert_eq!((plan.event.as_deref(), plan.id), (Some("work_session.plan"), Some(seq.to_string())));
    let next = tokio::time::timeout(Duration::from_millis(300), sse.frame()).await;
    assert!(next.is_err(), "unexpected frame {next:?}");
}
