use std::collections::HashMap;

use spectask_core::{JobKind, WorkSessionEffect, WorkSessionId, WorkSessionStatus};

use super::decide::chain_lengths;
use super::*;
use crate::testing::{Backend, Fixture, scheduling};

fn is(kind: JobKind) -> impl Fn(&spectask_core::Job) -> bool {
    move |job| job.kind == kind
}

const START_THREAD: JobKind = JobKind::WorkSession(WorkSessionEffect::StartThread);
const COMMIT: JobKind = JobKind::WorkSession(WorkSessionEffect::CommitChanges);

/// The last two sessions of a task commit at the same time (their drives each commit what they
/// completed): the task is still submitted for review, by the one of the two writes that comes last.
async fn last_two_sessions_committing_together_submit_the_task(backend: Backend) {
    let mut f = Fixture::new(backend).await;
    f.configure(|c| c.max_parallel_sessions = 2);
    let task = f.task_in_implementation().await;
    let a = f.session(&task, "a").await;
    let b = f.session(&task, "b").await;
    // StartImplementation starts both sessions.
    let next = f.run_while(scheduling).await.expect("the sessions' threads are queued");
    let mut completed = Vec::new();
    for job in [Some(next), f.claim().await] {
        let job = job.expect("a StartThread job");
        assert!(is(START_THREAD)(&job), "{job:?}");
        let session = f.store().work_session(job.work_session_id.unwrap()).await.unwrap();
        // As the drive completes it: no commit step is queued, the drive commits next.
        let done =
            f.store().complete_work_session_unless_messages(&session, None, Vec::new(), None).await.unwrap();
        completed.push(done.expect("no message waits").session);
        f.finish(&job).await;
    }
    assert!(
        !f.store().jobs_of(task.id).await.unwrap().iter().any(is(COMMIT)),
        "the drives commit themselves"
    );
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("a.txt"), "a\n").unwrap();
    // Both drives commit at once.
    let (first, second) = tokio::join!(
        crate::implementation::work::commit_completed(&f.ctx, &task, &completed[0], "", Vec::new()),
        crate::implementation::work::commit_completed(&f.ctx, &task, &completed[1], "", Vec::new())
    );
    assert_eq!((first, second), (Ok(()), Ok(())));
    // Nothing else needs to run.
    let left = f.run_while(scheduling).await;
    let task = f.store().spec_task(task.id).await.unwrap();
    let sessions = f.store().work_sessions_of(task.id).await.unwrap();
    assert_eq!(
        task.status(),
        SpecTaskStatus::ImplementationReview,
        "both sessions committed, yet the task was not submitted; sessions {:?}, next job {left:?}, jobs {:#?}",
        sessions.iter().map(|s| (s.name.clone(), s.status())).collect::<Vec<_>>(),
        f.store().jobs_of(task.id).await.unwrap(),
    );
    assert!([a.id, b.id].iter().all(|id| sessions.iter().any(|s| s.id == *id)));
    // Each write that changed how the sessions stand left a progress snapshot, the last one all done.
    let updates: Vec<_> = f
        .store()
        .history_of_task(task.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.file == spectask_core::HistoryFile::ProgressUpdate)
        .collect();
    assert!(updates.len() >= 2, "{updates:#?}");
    assert!(updates.last().unwrap().content.starts_with("### 2 of 2 sessions done"), "{updates:#?}");
    advance(&f.ctx, task.id).await.unwrap();
    let again = f.store().history_of_task(task.id).await.unwrap();
    let count = again.iter().filter(|e| e.file == spectask_core::HistoryFile::ProgressUpdate).count();
    assert_eq!(count, updates.len(), "a pass that changed nothing writes no snapshot");
}

#[tokio::test(flavor = "multi_thread")]
async fn last_two_sessions_committing_together_submit_the_task_on_sqlite() {
    last_two_sessions_committing_together_submit_the_task(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn last_two_sessions_committing_together_submit_the_task_on_postgres() {
    last_two_sessions_committing_together_submit_the_task(Backend::Postgres).await;
}

/// Scheduling passes of one task running at once (as a commit step's and a spawn's did) start no
/// more sessions than the per-task limit.
async fn concurrent_passes_keep_the_session_limit(backend: Backend) {
    let mut f = Fixture::new(backend).await;
    f.configure(|c| c.max_parallel_sessions = 2);
    let task = f.task_in_implementation().await;
    for name in ["a", "b", "c", "d", "e"] {
        f.session(&task, name).await;
    }
    let (x, y, z) =
        tokio::join!(advance(&f.ctx, task.id), advance(&f.ctx, task.id), advance(&f.ctx, task.id));
    assert_eq!((x, y, z), (Ok(()), Ok(()), Ok(())));
    let sessions = f.store().work_sessions_of(task.id).await.unwrap();
    let running = sessions.iter().filter(|s| s.status() == WorkSessionStatus::Running).count();
    assert_eq!(running, 2, "{:?}", sessions.iter().map(|s| (s.name.clone(), s.status())).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_passes_keep_the_session_limit_on_sqlite() {
    concurrent_passes_keep_the_session_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_passes_keep_the_session_limit_on_postgres() {
    concurrent_passes_keep_the_session_limit(Backend::Postgres).await;
}

#[test]
fn chain_lengths_count_the_longest_line_of_waiting_sessions() {
    fn id(n: u128) -> WorkSessionId {
        WorkSessionId::from_uuid(uuid::Uuid::from_u128(n))
    }
    // 1 ← 2 ← 3 (a chain), 4 alone, 5 ← 3 too.
    let waits: HashMap<_, _> = [
        (id(1), vec![]),
        (id(2), vec![id(1)]),
        (id(3), vec![id(2), id(5)]),
        (id(4), vec![]),
        (id(5), vec![]),
    ]
    .into_iter()
    .collect();
    let chains = chain_lengths(&waits);
    assert_eq!(chains[&id(1)], 2);
    assert_eq!(chains[&id(2)], 1);
    assert_eq!(chains[&id(3)], 0);
    assert_eq!(chains[&id(4)], 0);
    assert_eq!(chains[&id(5)], 1);
}

/// A scheduling pass reads the task, its sessions and the review decisions (follow-ups) to make the
/// missing sessions, then decides in one write: a pass with nothing to do (two sessions running at
/// the limit, one pending) costs 4 store round trips.
async fn a_pass_reads_the_task_and_its_sessions_once(backend: Backend) {
    let mut f = Fixture::new(backend).await;
    f.configure(|c| c.max_parallel_sessions = 2);
    let task = f.task_in_implementation().await;
    for name in ["a", "b", "c"] {
        f.session(&task, name).await;
    }
    start_implementation(&f.ctx, task.id).await.unwrap();
    let before = spectask_store::testing::round_trips(f.store());
    start_implementation(&f.ctx, task.id).await.unwrap();
    let trips = spectask_store::testing::round_trips(f.store()) - before;
    assert_eq!(trips, 4, "store round trips of a pass that changes nothing");
    let sessions = f.store().work_sessions_of(task.id).await.unwrap();
    let running = sessions.iter().filter(|s| s.status() == WorkSessionStatus::Running).count();
    assert_eq!(running, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pass_reads_the_task_and_its_sessions_once_on_sqlite() {
    a_pass_reads_the_task_and_its_sessions_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pass_reads_the_task_and_its_sessions_once_on_postgres() {
    a_pass_reads_the_task_and_its_sessions_once(Backend::Postgres).await;
}
