//! A person's cancel racing the orchestrator: while the orchestrator keeps moving the task (or the
//! session) through legal states, a cancel through each route that cancels is applied to the record
//! as it is when written, never refused with a 409 because it moved since the handler read it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use spectask_core::{SpecTaskCommand, SpecTaskId, WorkSessionCommand, WorkSessionId, WorkSessionStatus};
use spectask_store::{NewWorkSession, Store};

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(
    a_cancel_racing_the_orchestrator_is_never_refused,
    cancel_race_on_sqlite,
    cancel_race_on_postgres
);

const PLAN: &str = "# Tasks\n\n- [ ] 1. Build the form\n";
/// Races per route.
const ROUNDS: usize = 5;

async fn a_cancel_racing_the_orchestrator_is_never_refused(fx: Fixture) {
    let repo = fx.repo("app");
    let mut answers = Vec::new();
    for round in 0..ROUNDS * 4 {
        let id = fx.in_implementation(&repo, PLAN).await;
        let task: SpecTaskId = id.parse().unwrap();
        let session = NewWorkSession::implementation(task, "form", "Build the form");
        let session = fx.store().create_work_session(session).await.unwrap().id;
        let (method, uri, body, moving) = match round % 4 {
            0 => ("POST", format!("/api/v1/spec-tasks/{id}/cancel"), None, Mover::Task(task)),
            1 => (
                "PUT",
                format!("/api/v1/tasks/{id}/status"),
                Some(json!({ "status": "cancelled" })),
                Mover::Task(task),
            ),
            2 => ("DELETE", format!("/api/v1/tasks/{id}"), None, Mover::Task(task)),
            _ => (
                "PUT",
                format!("/api/v1/work-sessions/{session}/status"),
                Some(json!({ "status": "cancelled" })),
                Mover::Session(session),
            ),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let mover = tokio::spawn(moving.run(fx.store().clone(), stop.clone()));
        let (status, answer) = fx.call_text(method, &uri, body).await;
        stop.store(true, Ordering::Relaxed);
        let moves = mover.await.unwrap();
        answers.push(format!("{method} {uri} after {moves} moves: {status} {answer}"));
        assert!(status.is_success(), "a cancel was refused while legal:\n{}", answers.join("\n"));
        let cancelled = match moving {
            Mover::Task(task) => fx.store().spec_task(task).await.unwrap().status().to_string(),
            Mover::Session(id) => fx.store().work_session(id).await.unwrap().status().to_string(),
        };
        assert_eq!(cancelled, "cancelled", "{}", answers.join("\n"));
    }
}

/// The orchestrator's side of a race: moves its record round a cycle of legal states until told
/// to stop or the record ended; answers how many moves it made.
#[derive(Clone, Copy)]
enum Mover {
    /// implementation → implementation_review → implementation_queued → implementation → …
    Task(SpecTaskId),
    /// pending → blocked → pending → …
    Session(WorkSessionId),
}

impl Mover {
    async fn run(self, store: Store, stop: Arc<AtomicBool>) -> usize {
        let mut moves = 0;
        while !stop.load(Ordering::Relaxed) {
            let moved = match self {
                Mover::Task(id) => {
                    let task = store.spec_task(id).await.unwrap();
                    if task.state.is_terminal() {
                        break;
                    }
                    let next = [
                        SpecTaskCommand::SubmitImplementation,
                        SpecTaskCommand::RequestImplementationChanges,
                        SpecTaskCommand::StartImplementation,
                    ]
                    .into_iter()
                    .find(|c| task.state.apply(task.kind, c).is_ok());
                    match next {
                        Some(command) => store.transition_spec_task(&task, &command).await.is_ok(),
                        None => break,
                    }
                }
                Mover::Session(id) => {
                    let session = store.work_session(id).await.unwrap();
                    let command = match session.status() {
                        WorkSessionStatus::Pending => WorkSessionCommand::Block { waiting_on: Vec::new() },
                        WorkSessionStatus::Blocked => WorkSessionCommand::Unblock,
                        _ => break,
                    };
                    store.transition_work_session(&session, &command).await.is_ok()
                }
            };
            moves += usize::from(moved);
        }
        moves
    }
}
