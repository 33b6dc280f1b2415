//! A task's scheduling decided and carried out in one write: the moves a decision asks for, the
//! threads a commit's write starts claimed for the committing node, and the submission rule.

use std::time::Duration;

use spectask_core::{
    CoordinationKind, JobKind, JobStatus, SpecTask, SpecTaskStatus, WorkSession, WorkSessionCommand,
    WorkSessionEffect, WorkSessionStatus,
};
use spectask_store::{
    CommitRecord, JobClaim, NewCoordination, Schedule, Scheduling, SchedulingView, SessionMove, Store,
};

use crate::both_backends;
use crate::planning::new_session;
use crate::session_making::in_implementation;

both_backends!(
    a_commits_write_claims_the_threads_it_starts_for_its_node,
    a_thread_is_left_queued_when_another_node_holds_the_task,
    a_completion_starts_a_pending_session_in_the_slot_it_leaves,
);

const START_THREAD: JobKind = JobKind::WorkSession(WorkSessionEffect::StartThread);
const LEASE: Duration = Duration::from_secs(30);

/// A finished session `a` (completed, not yet committed) and a pending one `b`.
async fn finished_and_pending(store: &Store, task: &SpecTask) -> (WorkSession, WorkSession) {
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let running = store.record_work_session_transition(&a, &WorkSessionCommand::Start).await.unwrap().value;
    let done = store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();
    (done.value, b)
}

/// Starts every pending session.
fn start_pending(view: &SchedulingView<'_>) -> Schedule {
    let moves = view
        .sessions
        .iter()
        .filter(|s| s.status() == WorkSessionStatus::Pending)
        .map(|s| SessionMove {
            session: s.id,
            command: WorkSessionCommand::Start,
            log: NewCoordination {
                spec_task_id: s.spec_task_id,
                kind: CoordinationKind::SessionStarted,
                from_session: Some(s.id),
                to_session: None,
                message: format!("started: {}", s.name),
                data: serde_json::json!({}),
            },
        })
        .collect();
    Schedule { moves, progress: Some("### snapshot".into()) }
}

/// Records `session`'s commit, starting every pending session and claiming their threads for node-1.
async fn commit_for_node_1(store: &Store, session: &WorkSession) -> spectask_store::SchedulingOutcome {
    let scheduling =
        Scheduling { decide: &start_pending, claim: Some(JobClaim { owner: "node-1", lease: LEASE }) };
    store.record_work_session_committed(session, CommitRecord::default(), scheduling).await.unwrap()
}

async fn a_commits_write_claims_the_threads_it_starts_for_its_node(store: Store) {
    let task = in_implementation(&store).await;
    let (a, b) = finished_and_pending(&store, &task).await;
    let scheduled = commit_for_node_1(&store, &a).await;
    assert_eq!(scheduled.started.iter().map(|s| s.id).collect::<Vec<_>>(), [b.id]);
    assert!(!scheduled.submitted, "b runs");
    let [claimed] = scheduled.claimed.as_slice() else { panic!("one claimed job: {scheduled:#?}") };
    assert_eq!(
        (
            claimed.kind,
            claimed.work_session_id,
            claimed.status,
            claimed.attempts,
            claimed.lease_owner.as_deref()
        ),
        (START_THREAD, Some(b.id), JobStatus::Running, 1, Some("node-1"))
    );
    // No engine claims it again (node-2 takes what else is queued: the task's own first job); the
    // one that runs it finishes it.
    let others = store.claim_jobs("node-2", LEASE, 10).await.unwrap().jobs;
    assert!(others.iter().all(|j| j.work_session_id.is_none()), "{others:#?}");
    let claimed = claimed.clone();
    assert!(store.finish_job(&claimed, "node-1", &spectask_store::JobOutcome::Done).await.unwrap());
    // Both committed: a pass submits the task, and starts and claims nothing.
    let b = store.work_session(b.id).await.unwrap();
    store.record_work_session_transition(&b, &WorkSessionCommand::Complete).await.unwrap();
    let scheduled = commit_for_node_1(&store, &b).await;
    assert!(scheduled.submitted && scheduled.claimed.is_empty(), "{scheduled:#?}");
    assert_eq!(store.spec_task(task.id).await.unwrap().status(), SpecTaskStatus::ImplementationReview);
    let snapshots = store.history_of_task(task.id).await.unwrap();
    let snapshots = snapshots.iter().filter(|e| e.file == spectask_core::HistoryFile::ProgressUpdate).count();
    assert_eq!(snapshots, 1, "a snapshot the same as the last is not appended again");
}

async fn a_thread_is_left_queued_when_another_node_holds_the_task(store: Store) {
    let task = in_implementation(&store).await;
    let (a, b) = finished_and_pending(&store, &task).await;
    assert!(store.acquire_task_lease(task.id, "node-2", LEASE).await.unwrap());
    let scheduled = commit_for_node_1(&store, &a).await;
    assert_eq!(scheduled.started.len(), 1);
    assert!(scheduled.claimed.is_empty(), "{scheduled:#?}");
    let jobs = store.jobs_of(task.id).await.unwrap();
    let thread = jobs.iter().find(|j| j.kind == START_THREAD && j.work_session_id == Some(b.id));
    assert_eq!(thread.map(|j| j.status), Some(JobStatus::Queued), "{jobs:#?}");
    let taken = store.claim_jobs("node-2", LEASE, 10).await.unwrap().jobs;
    assert!(taken.iter().any(|j| j.work_session_id == Some(b.id)), "the lease holder claims it: {taken:#?}");
}

async fn a_completion_starts_a_pending_session_in_the_slot_it_leaves(store: Store) {
    let task = in_implementation(&store).await;
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let a = store.record_work_session_transition(&a, &WorkSessionCommand::Start).await.unwrap().value;
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let scheduling =
        Scheduling { decide: &start_pending, claim: Some(JobClaim { owner: "node-1", lease: LEASE }) };
    let done = store
        .complete_work_session_unless_messages(&a, Some("did a"), Vec::new(), Some(scheduling))
        .await
        .unwrap();
    let done = done.expect("no message waits");
    assert_eq!(done.session.status(), WorkSessionStatus::Completed);
    assert_eq!(done.scheduled.started.iter().map(|s| s.id).collect::<Vec<_>>(), [b.id]);
    assert_eq!(done.scheduled.claimed.iter().map(|j| j.work_session_id).collect::<Vec<_>>(), [Some(b.id)]);
    assert!(!done.scheduled.submitted, "a is not committed yet");
    // With nothing pending, a completion decides nothing.
    let b = store.work_session(b.id).await.unwrap();
    let done = store
        .complete_work_session_unless_messages(&b, None, Vec::new(), Some(scheduling))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.scheduled, spectask_store::SchedulingOutcome::default());
}
