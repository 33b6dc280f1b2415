//! The job queue: effects enqueued with transitions, leases, takeover, ordering, retries, wake-ups.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::join_all;
use spectask_core::{
    JobKind, JobStatus, NewSpecTask, SpecTaskCommand, SpecTaskEffect, SpecTaskStatus, TaskKind,
    WorkSessionCommand, WorkSessionStatus,
};
use spectask_store::{JobOutcome, Store};

use crate::{both_backends, new_task, repo};

both_backends!(
    a_transition_enqueues_its_effects_as_jobs,
    an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish,
    an_expired_lease_taken_back_by_the_same_node_ends_its_earlier_run,
    jobs_of_one_task_run_in_order_and_sessions_run_in_parallel,
    a_retry_waits_until_it_is_due,
    an_interrupted_attempt_is_not_counted_and_is_due_at_once,
    a_postponed_attempt_is_not_counted_and_is_due_at_the_time_named,
    concurrent_workers_claim_each_job_exactly_once,
    one_claim_takes_several_jobs_but_never_two_of_one_key,
    a_job_waiting_for_another_nodes_task_lease_is_due_when_the_lease_lapses,
    enqueuing_wakes_the_waiting_orchestrator,
    a_node_lease_keeps_its_jobs_until_it_lapses,
    the_census_counts_states_and_the_queue,
    a_job_failing_for_good_fails_its_session_and_task_in_the_same_write,
    a_merge_failing_for_good_fails_the_done_task,
);

const LEASE: Duration = Duration::from_secs(30);

async fn a_transition_enqueues_its_effects_as_jobs(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    assert_eq!(store.claim_job("n1", LEASE).await.unwrap(), None, "creation has no effects");
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().expect("a job");
    assert_eq!(job.kind, JobKind::SpecTask(SpecTaskEffect::RunPlanner));
    assert_eq!(job.spec_task_id, Some(task.id));
    assert_eq!((job.status, job.attempts, job.lease_owner.as_deref()), (JobStatus::Running, 1, Some("n1")));
    assert!(store.finish_job(&job, "n1", &JobOutcome::Done).await.unwrap());
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, JobStatus::Done);
}

/// A node whose run of a job was too slow to renew its lease (a starved process) may claim the job
/// again itself: the earlier run is then the one that lost it — not renewed, its outcome dropped —
/// though it has the same owner. (The chaos run saw two drives of one session on one node, the new
/// one cancelling the old one's turn and the old one's outcome recorded over the new one's.)
async fn an_expired_lease_taken_back_by_the_same_node_ends_its_earlier_run(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let first = store.claim_job("n1", Duration::from_millis(1)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = store.claim_job("n1", LEASE).await.unwrap().expect("the expired lease is claimable");
    assert_eq!((second.id, second.attempts), (first.id, 2));
    let held = [(first.id, first.attempts), (second.id, second.attempts)];
    assert_eq!(store.job_runs_held("n1", &held[..1]).await.unwrap(), Vec::<i64>::new());
    assert_eq!(store.job_runs_held("n1", &held).await.unwrap(), vec![second.id]);
    // A node running a thousand sessions checks all their runs.
    let many: Vec<(i64, u32)> = (1_000_000..1_001_000).map(|id| (id, 1)).chain([held[1]]).collect();
    assert_eq!(store.job_runs_held("n1", &many).await.unwrap(), vec![second.id]);
    let failed = JobOutcome::Failed { error: "the earlier run's".into() };
    assert!(!store.finish_job(&first, "n1", &failed).await.unwrap(), "the earlier run's outcome is dropped");
    assert!(store.finish_job(&second, "n1", &JobOutcome::Done).await.unwrap());
    assert_eq!(store.jobs_of(task.id).await.unwrap()[0].status, JobStatus::Done);
}

async fn an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let first = store.claim_job("n1", Duration::from_millis(1)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = store.claim_job("n2", LEASE).await.unwrap().expect("the expired lease is claimable");
    assert_eq!(second.id, first.id);
    assert_eq!(second.attempts, 2);
    assert_eq!(
        store.job_runs_held("n1", &[(first.id, first.attempts)]).await.unwrap(),
        Vec::<i64>::new(),
        "n1 lost its lease"
    );
    assert!(!store.finish_job(&first, "n1", &JobOutcome::Done).await.unwrap());
    assert_eq!(store.job_runs_held("n2", &[(second.id, second.attempts)]).await.unwrap(), vec![second.id]);
    assert!(store.finish_job(&second, "n2", &JobOutcome::Done).await.unwrap());
    assert_eq!(
        store.job_runs_held("n2", &[(second.id, second.attempts)]).await.unwrap(),
        Vec::<i64>::new(),
        "a finished job"
    );
}

async fn jobs_of_one_task_run_in_order_and_sessions_run_in_parallel(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let task = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value;
    store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap();
    let run_planner = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    assert_eq!(store.claim_job("n2", LEASE).await.unwrap(), None, "stop_agents waits for run_planner");
    store.finish_job(&run_planner, "n1", &JobOutcome::Done).await.unwrap();
    let stop = store.claim_job("n2", LEASE).await.unwrap().unwrap();
    assert_eq!(stop.kind, JobKind::SpecTask(SpecTaskEffect::StopAgents));
    store.finish_job(&stop, "n2", &JobOutcome::Done).await.unwrap();

    // Two work sessions of one task: their start_thread jobs are claimable side by side.
    let other = store.create_spec_task(new_task(&r, "u")).await.unwrap();
    let mut sessions = Vec::new();
    for name in ["a", "b"] {
        let ws = store.create_work_session(crate::planning::new_session(other.id, name)).await.unwrap();
        store.transition_work_session(&ws, &WorkSessionCommand::Start).await.unwrap();
        sessions.push(ws.id);
    }
    let a = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    let b = store.claim_job("n2", LEASE).await.unwrap().unwrap();
    let claimed: HashSet<_> = [a.work_session_id.unwrap(), b.work_session_id.unwrap()].into();
    assert_eq!(claimed, sessions.into_iter().collect());
}

async fn a_retry_waits_until_it_is_due(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    // Due well after the claim below even on a loaded machine (a 300 ms margin failed at load 21);
    // the test then sleeps only until the due time itself.
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let outcome = JobOutcome::Retry { error: "planner answered 503".into(), at };
    assert!(store.finish_job(&job, "n1", &outcome).await.unwrap());
    assert_eq!(store.claim_job("n1", LEASE).await.unwrap(), None, "not due yet");
    let due = store.next_job_due("n1").await.unwrap().unwrap();
    assert!((due - at).num_milliseconds().abs() <= 1, "{due} vs {at}");
    let until_due = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_due + Duration::from_millis(50)).await;
    let again = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (job.id, 2));
    assert_eq!(again.last_error.as_deref(), Some("planner answered 503"));
    store.finish_job(&again, "n1", &JobOutcome::Failed { error: "gave up".into() }).await.unwrap();
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert_eq!(jobs[0].status, JobStatus::Failed);
    // The task failed with it; what its failure queued is all that is left to do.
    assert_eq!(
        jobs[1..].iter().map(|j| j.kind).collect::<Vec<_>>(),
        [JobKind::SpecTask(SpecTaskEffect::StopAgents)]
    );
}

/// A node stopping gracefully hands its job back: queued at once for any node, its attempt not
/// counted, so shutdowns never use up a job's attempts.
async fn an_interrupted_attempt_is_not_counted_and_is_due_at_once(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    assert_eq!(job.attempts, 1);
    let outcome = JobOutcome::Interrupted { reason: "interrupted by shutdown".into() };
    assert!(store.finish_job(&job, "n1", &outcome).await.unwrap());
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert_eq!((jobs[0].status, jobs[0].attempts), (JobStatus::Queued, 0), "{jobs:?}");
    let again = store.claim_job("n2", LEASE).await.unwrap().expect("due at once, for another node");
    assert_eq!((again.id, again.attempts), (job.id, 1));
    assert_eq!(again.last_error.as_deref(), Some("interrupted by shutdown"));
    // The lease is what the outcome is recorded under: an old owner's interruption is dropped.
    assert!(!store.finish_job(&job, "n1", &outcome).await.unwrap());
    assert_eq!(store.jobs_of(task.id).await.unwrap()[0].attempts, 1);
}

/// A step that cannot go on before a time someone else named (a forge's rate limit) hands its job
/// back for then: not due before, its attempt not counted, whatever the attempts left.
async fn a_postponed_attempt_is_not_counted_and_is_due_at_the_time_named(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let reason = "gh is rate limiting the token: rate-limited until 14:05 UTC (HTTP 403)".to_owned();
    let outcome = JobOutcome::Postponed { reason: reason.clone(), at };
    assert!(store.finish_job(&job, "n1", &outcome).await.unwrap());
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert_eq!((jobs[0].status, jobs[0].attempts), (JobStatus::Queued, 0), "{jobs:?}");
    assert!(store.claim_job("n2", LEASE).await.unwrap().is_none(), "not due before the time named");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let again = store.claim_job("n2", LEASE).await.unwrap().expect("due at the time named");
    assert_eq!((again.id, again.attempts, again.last_error), (job.id, 1, Some(reason)));
}

/// The write recording a job's failure fails its session and its task too, reading both inside
/// it: a crash right after cannot leave the task in implementation with its sessions failed.
async fn a_job_failing_for_good_fails_its_session_and_task_in_the_same_write(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let stale = task.clone();
    let ws = store.create_work_session(crate::planning::new_session(task.id, "Login form")).await.unwrap();
    store.transition_work_session(&ws, &WorkSessionCommand::Start).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    assert_eq!(job.work_session_id, Some(ws.id));
    // Another writer moves the task meanwhile: the failure reads it again in its own write.
    store.transition_spec_task(&stale, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    let failed = JobOutcome::Failed { error: "agent crashed".into() };
    assert!(store.finish_job(&job, "n1", &failed).await.unwrap());
    let session = store.work_session(ws.id).await.unwrap();
    assert_eq!(session.state, spectask_core::WorkSessionState::Failed { reason: "agent crashed".into() });
    let task = store.spec_task(task.id).await.unwrap();
    let failure = task.state.failure().expect("the task failed");
    assert_eq!(
        (failure.from, failure.reason.as_str()),
        (SpecTaskStatus::SpecGeneration, "work session Login form failed: agent crashed")
    );
}

/// The merge runs once the task is done: when it fails for good the done task fails with the
/// reason (and a retry merges again).
async fn a_merge_failing_for_good_fails_the_done_task(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let new = NewSpecTask::new(TaskKind::CodingSession, r.id, "t", "t, please", "alice");
    let mut task = store.create_spec_task(new).await.unwrap();
    for command in [
        SpecTaskCommand::QueueImplementation,
        SpecTaskCommand::StartImplementation,
        SpecTaskCommand::SubmitImplementation,
        SpecTaskCommand::ApproveImplementation,
    ] {
        task = store.transition_spec_task(&task, &command).await.unwrap().value;
    }
    let merge = loop {
        let job = store.claim_job("n1", LEASE).await.unwrap().expect("the merge job is queued");
        if job.kind == JobKind::SpecTask(SpecTaskEffect::MergeTaskBranch) {
            break job;
        }
        store.finish_job(&job, "n1", &JobOutcome::Done).await.unwrap();
    };
    let error = "branch main is checked out at /repos/a with local changes: README.md".to_owned();
    assert!(store.finish_job(&merge, "n1", &JobOutcome::Failed { error: error.clone() }).await.unwrap());
    let task = store.spec_task(task.id).await.unwrap();
    let failure = task.state.failure().expect("the done task failed");
    assert_eq!(failure.from, SpecTaskStatus::Done);
    assert_eq!(failure.reason, format!("merge_task_branch failed: {error}"));
    let retried = store.transition_spec_task(&task, &SpecTaskCommand::Retry).await.unwrap();
    assert_eq!(retried.value.status(), SpecTaskStatus::Done);
    assert_eq!(
        retried.effects,
        [SpecTaskEffect::MergeTaskBranch, SpecTaskEffect::WriteImplementationComplete]
    );
}

async fn concurrent_workers_claim_each_job_exactly_once(store: Store) {
    let r = repo(&store, "/repos/a").await;
    for i in 0..20 {
        let t = store.create_spec_task(new_task(&r, &format!("t{i}"))).await.unwrap();
        store.transition_spec_task(&t, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    }
    let workers = (0..4).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let owner = format!("worker{w}");
            let mut mine = Vec::new();
            while let Some(job) = store.claim_job(&owner, LEASE).await.unwrap() {
                mine.push(job.id);
                assert!(store.finish_job(&job, &owner, &JobOutcome::Done).await.unwrap());
            }
            mine
        })
    });
    let all: Vec<i64> = join_all(workers).await.into_iter().flat_map(|r| r.unwrap()).collect();
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (20, 20), "{all:?}");
}

/// A claim takes every due job it may in one write, oldest first, and says when to look again: a due
/// job waiting for an earlier job of its key is not "due" then (the earlier job's end wakes the engine;
/// counting it made the engine's nap zero, and it claimed nothing in a loop until that job ended).
async fn one_claim_takes_several_jobs_but_never_two_of_one_key(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let mut tasks = Vec::new();
    for i in 0..3 {
        let t = store.create_spec_task(new_task(&r, &format!("t{i}"))).await.unwrap();
        tasks
            .push(store.transition_spec_task(&t, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value);
    }
    // The first task's stop_agents waits for its run_planner.
    store.transition_spec_task(&tasks[0], &SpecTaskCommand::Cancel).await.unwrap();
    let before = chrono::Utc::now();
    let claimed = store.claim_jobs("n1", LEASE, 10).await.unwrap();
    let taken: Vec<_> = claimed.jobs.iter().map(|j| (j.spec_task_id.unwrap(), j.kind)).collect();
    let run_planner = JobKind::SpecTask(SpecTaskEffect::RunPlanner);
    assert_eq!(taken, tasks.iter().map(|t| (t.id, run_planner)).collect::<Vec<_>>(), "oldest first");
    assert!(
        claimed.jobs.iter().all(|j| j.status == JobStatus::Running && j.lease_owner.as_deref() == Some("n1"))
    );
    let next = store.claim_jobs("n1", LEASE, 10).await.unwrap();
    assert!(next.jobs.is_empty(), "stop_agents waits: {:?}", next.jobs);
    // Next due: the running jobs' leases lapsing, not the waiting stop_agents (due since before).
    let due = next.next_due.expect("the running jobs' leases");
    assert!(due > before + chrono::Duration::seconds(20), "{due} vs {before}");
    assert_eq!(store.next_job_due("n1").await.unwrap(), Some(due));
    // Its run_planner ended: stop_agents is claimable, and a limit of one takes one.
    store.finish_job(&claimed.jobs[0], "n1", &JobOutcome::Done).await.unwrap();
    let stop = store.claim_jobs("n2", LEASE, 1).await.unwrap();
    assert_eq!(stop.jobs.len(), 1);
    assert_eq!(stop.jobs[0].kind, JobKind::SpecTask(SpecTaskEffect::StopAgents));
}

/// A session's job waits while another node holds its task's lease; the claim says when that lease
/// lapses, so a node whose holder died takes the job over then, without being woken.
async fn a_job_waiting_for_another_nodes_task_lease_is_due_when_the_lease_lapses(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let ws = store.create_work_session(crate::planning::new_session(task.id, "a")).await.unwrap();
    store.transition_work_session(&ws, &WorkSessionCommand::Start).await.unwrap();
    let ttl = Duration::from_secs(5);
    assert!(store.acquire_task_lease(task.id, "n2", ttl).await.unwrap());
    let lapses = chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap();
    let claimed = store.claim_jobs("n1", LEASE, 10).await.unwrap();
    assert!(claimed.jobs.is_empty(), "n2 holds the task");
    let due = claimed.next_due.expect("the lease's end");
    assert!((due - lapses).num_milliseconds().abs() <= 1_000, "{due} vs {lapses}");
    let theirs = store.claim_jobs("n2", LEASE, 10).await.unwrap();
    assert_eq!(theirs.jobs.iter().map(|j| j.work_session_id).collect::<Vec<_>>(), [Some(ws.id)]);
}

async fn enqueuing_wakes_the_waiting_orchestrator(store: Store) {
    let signal = store.jobs_signal();
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let waiter = tokio::spawn(async move { signal.notified().await });
    store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("woken").unwrap();
}

/// A node renews one lease for all its jobs: while it is fresh no other node takes them; once it
/// lapses another node does, and the node's next renewal starts a new epoch and queues the rest again.
async fn a_node_lease_keeps_its_jobs_until_it_lapses(store: Store) {
    let r = repo(&store, "/repos/a").await;
    for i in 0..3 {
        let t = store.create_spec_task(new_task(&r, &format!("t{i}"))).await.unwrap();
        store.transition_spec_task(&t, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    }
    let short = Duration::from_millis(1_000);
    let a = store.claim_job("n1", short).await.unwrap().unwrap();
    let b = store.claim_job("n1", short).await.unwrap().unwrap();
    let theirs = store.claim_job("n2", LEASE).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.renew_node_lease("n1", short).await.unwrap(), 1, "renewed in time: the same epoch");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.claim_job("n2", LEASE).await.unwrap(), None, "a live node's jobs are not taken");
    assert!(store.next_job_due("n2").await.unwrap().is_some(), "due when n1's lease lapses");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let taken = store.claim_job("n2", LEASE).await.unwrap().expect("a lapsed node's job is taken up");
    assert!([a.id, b.id].contains(&taken.id) && taken.attempts == 2, "{taken:?}");
    assert_eq!(store.renew_node_lease("n1", LEASE).await.unwrap(), 2, "a new epoch after the lapse");
    assert_eq!(store.job_runs_held("n1", &[(a.id, 1), (b.id, 1)]).await.unwrap(), Vec::<i64>::new());
    let mut held = store.job_runs_held("n2", &[(theirs.id, 1), (taken.id, 2)]).await.unwrap();
    held.sort_unstable();
    assert_eq!(held, vec![theirs.id.min(taken.id), theirs.id.max(taken.id)]);
    let rest = store.claim_job("n1", LEASE).await.unwrap().expect("n1's other job was queued again");
    assert_eq!((rest.id, rest.attempts), (a.id + b.id - taken.id, 2));
    // A run whose outcome could not be recorded is queued again by its node.
    assert_eq!(store.release_job_runs("n2", &[(theirs.id, 1), (taken.id, 1)]).await.unwrap(), 1);
    assert_eq!(store.job_runs_held("n2", &[(theirs.id, 1)]).await.unwrap(), Vec::<i64>::new());
}

async fn the_census_counts_states_and_the_queue(store: Store) {
    let empty = store.census().await.unwrap();
    assert!(empty.spec_tasks.iter().all(|(_, n)| *n == 0), "{empty:?}");
    assert_eq!(empty.spec_tasks.len(), SpecTaskStatus::ALL.len(), "every status, zero or not");
    assert_eq!(empty.work_sessions.len(), WorkSessionStatus::ALL.len());
    assert_eq!((empty.jobs_queued, empty.jobs_running, empty.oldest_due_job), (0, 0, None));

    let r = repo(&store, "/repos/a").await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for title in ["a", "b"] {
        let task = store.create_spec_task(new_task(&r, title)).await.unwrap();
        store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    }
    store.create_spec_task(new_task(&r, "c")).await.unwrap();
    let census = store.census().await.unwrap();
    let count = |status| census.spec_tasks.iter().find(|(s, _)| *s == status).unwrap().1;
    assert_eq!(count(SpecTaskStatus::SpecGeneration), 2, "{census:?}");
    assert_eq!(count(SpecTaskStatus::Backlog), 1, "{census:?}");
    assert_eq!((census.jobs_queued, census.jobs_running), (2, 0), "{census:?}");
    let due = census.oldest_due_job.expect("the planner jobs are due");
    assert!(due >= before && due <= chrono::Utc::now(), "{due}");

    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    let census = store.census().await.unwrap();
    assert_eq!((census.jobs_queued, census.jobs_running), (1, 1), "{census:?}");
    store.finish_job(&job, "n1", &JobOutcome::Done).await.unwrap();
    let job = store.claim_job("n1", LEASE).await.unwrap().unwrap();
    store.finish_job(&job, "n1", &JobOutcome::Done).await.unwrap();
    let census = store.census().await.unwrap();
    assert_eq!((census.jobs_queued, census.jobs_running, census.oldest_due_job), (0, 0, None), "{census:?}");
}
