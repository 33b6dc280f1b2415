//! One store suite, run against both backends: SQLite in a temp dir and PostgreSQL in a schema of
//! its own. PostgreSQL must be reachable (SPECTASK_TEST_DATABASE_URL, default the local `test`
//! database): an unreachable server fails these tests, it never skips them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use futures::future::join_all;
use spectask_core::{
    EventKind, NewSpecTask, PlanTaskRef, Priority, SpecTaskCommand, SpecTaskEffect, SpecTaskStatus, TaskKind,
    WorkSessionCommand, WorkSessionPhase, WorkSessionStatus,
};
use spectask_store::{DatabaseUrl, NewWorkSession, SpecTaskFilter, Store, StoreError};

/// A store on a fresh database, and what keeps it alive (the temp dir or the schema's name).
struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path())).await.unwrap();
    Fixture { store, _dir: dir }
}

async fn postgres() -> Fixture {
    let url = spectask_store::testing::isolated_postgres_url().await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL at {} is required for the store suite: {e}",
            spectask_store::testing::postgres_base_url()
        )
    });
    let store = Store::open(&DatabaseUrl::parse(&url).unwrap()).await.unwrap();
    Fixture { store, _dir: tempfile::tempdir().unwrap() }
}

mod admission;
mod approvals;
mod attention;
mod budget_holds;
mod closing;
mod coordination_tools;
mod events_stream;
mod events_tail;
mod forge_sharing;
mod history_batches;
mod idempotency;
mod jobs;
mod listing;
mod migrations;
mod nodes;
mod notifications;
mod planning;
mod pull_requests;
mod repository_owners;
mod scheduling;
mod session_making;
mod snapshot;
mod standings;
mod usage;
mod users;

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(crate::sqlite().await.store).await } )+ }
        mod on_postgres { $( #[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(crate::postgres().await.store).await } )+ }
    };
}

pub(crate) use both_backends;

both_backends!(
    created_task_starts_in_backlog_and_records_an_event,
    transitions_persist_and_record_from_to_and_effects,
    illegal_transition_is_refused_and_nothing_is_written,
    concurrent_writers_from_the_same_state_one_wins_one_conflicts,
    short_ids_and_handles_resolve_and_ambiguity_lists_candidates,
    listing_filters_by_status_and_repository_and_paginates,
    work_sessions_move_through_their_lifecycle,
    an_interrupt_read_in_its_write_holds_after_a_retry_moved_the_session,
    events_are_gap_free_and_ordered_under_concurrent_writes,
    registering_a_repository_twice_returns_the_same_record,
);

pub(crate) async fn repo(store: &Store, path: &str) -> spectask_core::Repository {
    store.register_repository(Path::new(path), "main", "helix-design-docs", Some("local")).await.unwrap()
}

pub(crate) fn new_task(repository: &spectask_core::Repository, title: &str) -> NewSpecTask {
    NewSpecTask {
        planning_agent: Some("planner".into()),
        priority: Priority::High,
        ..NewSpecTask::new(TaskKind::Spec, repository.id, title, format!("{title}, please"), "alice")
    }
}

async fn created_task_starts_in_backlog_and_records_an_event(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "Add JWT authentication")).await.unwrap();
    let loaded = store.spec_task(task.id).await.unwrap();
    assert_eq!(loaded, task);
    assert_eq!(loaded.status(), SpecTaskStatus::Backlog);
    assert_eq!(loaded.slug, "add-jwt-authentication");
    assert_eq!(loaded.priority, Priority::High);
    assert_eq!(loaded.complexity, spectask_core::Complexity::Complex, "the default");
    let simple = store
        .create_spec_task(NewSpecTask {
            complexity: spectask_core::Complexity::Simple,
            ..new_task(&r, "Fix a typo")
        })
        .await
        .unwrap();
    assert_eq!(store.spec_task(simple.id).await.unwrap().complexity, spectask_core::Complexity::Simple);
    let events = store.events_of_spec_task(task.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::SpecTaskCreated);
    assert_eq!(events[0].payload["title"], "Add JWT authentication");
}

async fn transitions_persist_and_record_from_to_and_effects(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let applied = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
    assert_eq!(applied.effects, vec![SpecTaskEffect::RunPlanner]);
    assert_eq!(applied.value.version, task.version + 1);
    assert!(applied.value.started_at.is_some());
    let failed = store
        .apply_to_spec_task(task.id, &SpecTaskCommand::Fail { reason: "planner timed out".into() })
        .await
        .unwrap();
    let reloaded = store.spec_task(task.id).await.unwrap();
    assert_eq!(reloaded, failed.value);
    assert_eq!(reloaded.state.failure().unwrap().reason, "planner timed out");
    assert_eq!(reloaded.state.failure().unwrap().from, SpecTaskStatus::SpecGeneration);
    let retried = store.apply_to_spec_task(task.id, &SpecTaskCommand::Retry).await.unwrap();
    assert_eq!(retried.value.status(), SpecTaskStatus::SpecGeneration);
    let events = store.events_of_spec_task(task.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.seq, retried.event_seq);
    assert_eq!(last.payload["from"], "failed");
    assert_eq!(last.payload["to"], "spec_generation");
    assert_eq!(last.payload["command"]["command"], "retry");
    assert_eq!(last.payload["effects"][0], "run_planner");
}

async fn illegal_transition_is_refused_and_nothing_is_written(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let cancelled = store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap().value;
    assert!(cancelled.completed_at.is_some());
    let err = store.transition_spec_task(&cancelled, &SpecTaskCommand::Cancel).await.unwrap_err();
    assert!(matches!(err, StoreError::Transition(_)), "{err}");
    assert_eq!(err.to_string(), "cannot cancel spec task: it is cancelled (it is finished)");
    assert_eq!(store.spec_task(task.id).await.unwrap(), cancelled);
    assert_eq!(store.events_of_spec_task(task.id).await.unwrap().len(), 2);
}

async fn concurrent_writers_from_the_same_state_one_wins_one_conflicts(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let attempts = (0..8).map(|i| {
        let store = store.clone();
        let task = task.clone();
        tokio::spawn(async move {
            let command =
                if i % 2 == 0 { SpecTaskCommand::Cancel } else { SpecTaskCommand::StartSpecGeneration };
            store.transition_spec_task(&task, &command).await
        })
    });
    let results: Vec<_> = join_all(attempts).await.into_iter().map(|r| r.unwrap()).collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for loser in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(loser, StoreError::Conflict { expected: 1, .. }), "{loser}");
        assert!(loser.to_string().contains("was changed by someone else since version 1"));
    }
    assert_eq!(store.spec_task(task.id).await.unwrap().version, 2);
    assert_eq!(store.events_of_spec_task(task.id).await.unwrap().len(), 2);
}

async fn short_ids_and_handles_resolve_and_ambiguity_lists_candidates(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        tasks.push(store.create_spec_task(new_task(&r, &format!("task {i}"))).await.unwrap());
    }
    let t = &tasks[7];
    assert_eq!(store.resolve_spec_task(&t.id.to_string()).await.unwrap(), t.id);
    assert_eq!(store.resolve_spec_task(t.short_id.as_str()).await.unwrap(), t.id);
    assert_eq!(store.resolve_spec_task(&t.handle()).await.unwrap(), t.id);
    assert_eq!(store.resolve_spec_task(&t.short_id.as_str().to_uppercase()).await.unwrap(), t.id);
    // The leading 8 characters of UUIDv7 ids are a timestamp: all 40 tasks share them.
    let err = store.resolve_spec_task(&t.id.to_string()[..8]).await.unwrap_err();
    assert!(matches!(err, StoreError::Ambiguous { .. }), "{err}");
    assert!(err.to_string().contains("is ambiguous: it matches"), "{err}");
    let err = store.resolve_spec_task("abc").await.unwrap_err();
    assert_eq!(err.to_string(), "\"abc\" is not a valid spec task id: use at least 4 characters");
    let err = store.resolve_spec_task("zzzz-nothing").await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidReference { .. }), "{err}");
    let missing = uuid::Uuid::now_v7().to_string();
    let err = store.resolve_spec_task(&missing).await.unwrap_err();
    assert_eq!(err.to_string(), format!("no spec task matches {missing:?}"));
}

async fn listing_filters_by_status_and_repository_and_paginates(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let b = repo(&store, "/repos/b").await;
    for i in 0..5 {
        store.create_spec_task(new_task(&a, &format!("a{i}"))).await.unwrap();
    }
    let in_b = store.create_spec_task(new_task(&b, "b0")).await.unwrap();
    store.transition_spec_task(&in_b, &SpecTaskCommand::Cancel).await.unwrap();

    let all = store.list_spec_tasks(&SpecTaskFilter { limit: 3, ..Default::default() }).await.unwrap();
    assert_eq!((all.total, all.items.len()), (6, 3));
    assert_eq!(all.items[0].title, "b0", "newest first");
    let rest =
        store.list_spec_tasks(&SpecTaskFilter { limit: 10, offset: 3, ..Default::default() }).await.unwrap();
    assert_eq!(rest.items.len(), 3);
    let only_a = store
        .list_spec_tasks(&SpecTaskFilter { repository_id: Some(a.id), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(only_a.total, 5);
    let cancelled_in_a = store
        .list_spec_tasks(&SpecTaskFilter {
            repository_id: Some(a.id),
            status: Some(SpecTaskStatus::Cancelled),
            limit: 10,
            offset: 0,
            created_by: None,
        })
        .await
        .unwrap();
    assert_eq!(cancelled_in_a.total, 0);
}

async fn work_sessions_move_through_their_lifecycle(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let new = |name: &str, parent| NewWorkSession {
        spec_task_id: task.id,
        parent_id: parent,
        spawned_by_id: parent,
        name: name.into(),
        description: "do it".into(),
        phase: WorkSessionPhase::Implementation,
        plan_task: Some(PlanTaskRef {
            index: 0,
            id: Some("1".into()),
            title: "Set up".into(),
            description: String::new(),
        }),
        agent_profile: Some("scripted".into()),
        agent_config: serde_json::json!({ "mode": "auto" }),
        priority: Priority::Normal,
    };
    let first = store.create_work_session(new("first", None)).await.unwrap();
    let child = store.create_work_session(new("child", Some(first.id))).await.unwrap();
    // A listing reads every session's thread and summary in one query.
    store.record_thread(first.id, "acp-1", spectask_core::ThreadStatus::Active).await.unwrap();
    store.set_work_session_summary(child.id, "done well").await.unwrap();
    let details = store.work_session_details(task.id).await.unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[&first.id], (Some("acp-1".to_owned()), None));
    assert_eq!(details[&child.id], (None, Some("done well".to_owned())));
    let blocked = store
        .transition_work_session(&child, &WorkSessionCommand::Block { waiting_on: vec![first.id] })
        .await
        .unwrap()
        .value;
    assert_eq!(store.work_session(child.id).await.unwrap(), blocked);
    let running = store.transition_work_session(&first, &WorkSessionCommand::Start).await.unwrap().value;
    let interrupted = store
        .transition_work_session(
            &running,
            &WorkSessionCommand::Interrupt { reason: "server restarted".into() },
        )
        .await
        .unwrap()
        .value;
    let reloaded = store.work_session(first.id).await.unwrap();
    assert_eq!(reloaded, interrupted);
    assert_eq!(reloaded.status(), WorkSessionStatus::Interrupted);
    let err = store.transition_work_session(&running, &WorkSessionCommand::Complete).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "stale snapshot must conflict: {err}");
    let sessions = store.work_sessions_of(task.id).await.unwrap();
    assert_eq!(sessions.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["first", "child"]);
    assert_eq!(sessions[1].parent_id, Some(first.id));
    assert_eq!(sessions[0].agent_config["mode"], "auto");
}

/// The race of an editor's exit with a retried drive: the editor's interrupt read the session
/// running, then the retry interrupted it (the agent crashed) and resumed it.
async fn an_interrupt_read_in_its_write_holds_after_a_retry_moved_the_session(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let new = NewWorkSession::implementation(task.id, "zed thread 1", "a thread");
    let session = store.create_work_session(new).await.unwrap();
    let seen = store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value;
    let crashed = WorkSessionCommand::Interrupt { reason: "the agent exited with code 3".into() };
    let crashed = store.transition_work_session(&seen, &crashed).await.unwrap().value;
    store.transition_work_session(&crashed, &WorkSessionCommand::Resume).await.unwrap();
    // Acting on what it read conflicts, which left the thread running with nobody there.
    let closed = WorkSessionCommand::Interrupt { reason: "the editor closed".into() };
    let err = store.transition_work_session(&seen, &closed).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(store.work_session(seen.id).await.unwrap().status(), WorkSessionStatus::Running);
    // Read in its own write, the interrupt holds, and asking again changes nothing.
    let interrupted = store.interrupt_if_running(seen.id, "the editor closed").await.unwrap();
    let expected = spectask_core::WorkSessionState::Interrupted { reason: "the editor closed".into() };
    assert_eq!(interrupted.state, expected);
    assert_eq!(store.work_session(seen.id).await.unwrap(), interrupted);
    assert_eq!(store.interrupt_if_running(seen.id, "again").await.unwrap(), interrupted);
    let unknown = store
        .interrupt_if_running(spectask_core::WorkSessionId::from_uuid(uuid::Uuid::nil()), "x")
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { .. }), "{unknown}");
}

async fn events_are_gap_free_and_ordered_under_concurrent_writes(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let before = store.events_after(0, 10_000).await.unwrap().len();
    let writers = (0..10).map(|i| {
        let store = store.clone();
        let r = r.clone();
        tokio::spawn(async move {
            let t = store.create_spec_task(new_task(&r, &format!("w{i}"))).await.unwrap();
            store.transition_spec_task(&t, &SpecTaskCommand::StartSpecGeneration).await.unwrap();
        })
    });
    for w in join_all(writers).await {
        w.unwrap();
    }
    let events = store.events_after(0, 10_000).await.unwrap();
    assert_eq!(events.len(), before + 20);
    for pair in events.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1, "gap between {} and {}", pair[0].seq, pair[1].seq);
    }
    let tail = store.events_after(events[before + 9].seq, 100).await.unwrap();
    assert_eq!(tail.len(), 10);
}

async fn registering_a_repository_twice_returns_the_same_record(store: Store) {
    let first = repo(&store, "/repos/same").await;
    let second = repo(&store, "/repos/same").await;
    assert_eq!(first, second);
    assert_eq!(store.list_repositories().await.unwrap().len(), 1);
    assert_eq!(store.repository(first.id).await.unwrap(), first);
}
