//! Every listing and dashboard read answers in a constant number of queries: the store's round
//! trips for a task with 1 session and 1 task in implementation are the same as with 30 of each
//! (a per-row lookup would add 29 or more).

use axum::http::StatusCode;
use spectask_core::SpecTaskId;
use spectask_store::{NewWorkSession, testing};

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(reads_take_as_many_queries_for_30_rows_as_for_1, queries_on_sqlite, queries_on_postgres);

const PLAN: &str = "# Tasks\n\n- [ ] 1. Build the form\n- [ ] 2. Check the password\n";

/// The reads measured; `{id}` is the task with the sessions.
const READS: [&str; 14] = [
    "/api/v1/spec-tasks/{id}/multi-session-overview",
    "/api/v1/agents/fleet/live-progress",
    "/api/v1/spec-tasks/{id}/work-sessions",
    "/api/v1/tasks/{id}/work-sessions",
    "/api/v1/spec-tasks/{id}/progress",
    "/api/v1/spec-tasks/{id}/implementation-review",
    "/api/v1/spec-tasks/{id}/implementation-summary",
    "/api/v1/spec-tasks/{id}/export",
    "/api/v1/spec-tasks/{id}/editor/threads",
    "/api/v1/spec-tasks?limit=50",
    "/api/v1/tasks?limit=50",
    "/api/v1/approvals",
    "/api/v1/attention",
    "/api/v1/attention?spec_task={id}",
];

async fn reads_take_as_many_queries_for_30_rows_as_for_1(fx: Fixture) {
    let repo = fx.repo("app");
    let id = fx.in_implementation(&repo, PLAN).await;
    add_sessions(&fx, &id, 1).await;
    let one = measure(&fx, &id).await;

    add_sessions(&fx, &id, 29).await;
    for _ in 0..29 {
        let other = fx.in_implementation(&repo, PLAN).await;
        add_sessions(&fx, &other, 1).await;
    }
    let thirty = measure(&fx, &id).await;

    let table: String = READS
        .iter()
        .zip(one.iter().zip(&thirty))
        .map(|(read, (one, thirty))| format!("\n  {one:>3} {thirty:>3}  {read}"))
        .collect();
    assert_eq!(one, thirty, "round trips per read for 1 row vs 30:{table}");
    assert!(one.iter().all(|&n| n > 0), "every read goes to the store:{table}");
}

/// `count` more sessions of task `id`, each with a summary.
async fn add_sessions(fx: &Fixture, id: &str, count: usize) {
    let task: SpecTaskId = id.parse().unwrap();
    for n in 0..count {
        let new = NewWorkSession::implementation(task, format!("session {n}"), "work");
        let session = fx.store().create_work_session(new).await.unwrap();
        fx.store().set_work_session_summary(session.id, "did it").await.unwrap();
    }
}

/// The store's round trips of each of [`READS`].
async fn measure(fx: &Fixture, id: &str) -> Vec<u64> {
    let mut counts = Vec::new();
    for read in READS {
        let uri = read.replace("{id}", id);
        let before = testing::round_trips(fx.store());
        let (status, body) = fx.call_text("GET", &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        counts.push(testing::round_trips(fx.store()) - before);
    }
    counts
}
