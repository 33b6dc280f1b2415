//! Sessions made during implementation: a spawn checks the task's status in its own write, and the
//! sessions an implementation calls for are made once each, whoever made others first.

use spectask_core::{
    CoordinationKind, PlanTaskRef, SpecTask, SpecTaskCommand, SpecTaskStatus, TaskKind, WorkSessionCommand,
};
use spectask_store::{NewWorkSession, Store, StoreError};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(
    a_spawn_into_a_task_submitted_meanwhile_is_refused_and_leaves_nothing,
    missing_sessions_are_made_once_per_plan_task_and_per_name,
);

/// A coding-session task in implementation.
pub(crate) async fn in_implementation(store: &Store) -> SpecTask {
    let r = repo(store, "/repos/a").await;
    let task = store
        .create_spec_task(spectask_core::NewSpecTask { kind: TaskKind::CodingSession, ..new_task(&r, "t") })
        .await
        .unwrap();
    store.apply_to_spec_task(task.id, &SpecTaskCommand::QueueImplementation).await.unwrap();
    store.apply_to_spec_task(task.id, &SpecTaskCommand::StartImplementation).await.unwrap().value
}

fn plan_session(task: &SpecTask, index: u32) -> NewWorkSession {
    let title = format!("part {index}");
    let plan_task =
        PlanTaskRef { index, id: Some(index.to_string()), title: title.clone(), description: String::new() };
    NewWorkSession { plan_task: Some(plan_task), ..new_session(task.id, &title) }
}

/// The caller saw the task in implementation; it was submitted for review before the spawn's write.
/// The spawn is refused: no session is left pending in a task merged without it.
async fn a_spawn_into_a_task_submitted_meanwhile_is_refused_and_leaves_nothing(store: Store) {
    let task = in_implementation(&store).await;
    let main = store.create_work_session(new_session(task.id, "main")).await.unwrap();
    let running = store.transition_work_session(&main, &WorkSessionCommand::Start).await.unwrap().value;
    store.transition_work_session(&running, &WorkSessionCommand::Complete).await.unwrap();
    let nothing = |_: &spectask_store::SchedulingView<'_>| spectask_store::Schedule::default();
    let scheduled = store
        .record_work_session_committed(
            &main,
            spectask_store::CommitRecord::default(),
            spectask_store::Scheduling { decide: &nothing, claim: None },
        )
        .await
        .unwrap();
    assert!(scheduled.submitted, "its one session committed: {scheduled:#?}");
    assert_eq!(store.spec_task(task.id).await.unwrap().status(), SpecTaskStatus::ImplementationReview);

    let refused = store.spawn_work_session(new_session(task.id, "late")).await;
    assert!(matches!(refused, Err(StoreError::Transition(_))), "{refused:?}");
    let sessions = store.work_sessions_of(task.id).await.unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:#?}");

    // In implementation, a spawn is made with its entry.
    let again = in_implementation(&store).await;
    let spawned = store.spawn_work_session(new_session(again.id, "extra")).await.unwrap();
    let log = store.coordination_log(again.id).await.unwrap();
    assert!(
        log.iter().any(|e| e.kind == CoordinationKind::SessionSpawned && e.to_session == Some(spawned.id)),
        "{log:#?}"
    );
}

/// A session spawned before the plan's sessions were made does not stand for them, and
/// making them again, or a follow-up by the same name, makes nothing.
async fn missing_sessions_are_made_once_per_plan_task_and_per_name(store: Store) {
    let task = in_implementation(&store).await;
    store.spawn_work_session(new_session(task.id, "extra")).await.unwrap();
    let wanted = vec![plan_session(&task, 0), plan_session(&task, 1)];
    let made = store.make_missing_work_sessions(task.id, wanted.clone(), false).await.unwrap();
    assert_eq!(made.len(), 2, "{made:#?}");
    let again = store.make_missing_work_sessions(task.id, wanted, false).await.unwrap();
    assert!(again.is_empty(), "{again:#?}");
    let follow_up = || vec![new_session(task.id, "Address review comments")];
    assert_eq!(store.make_missing_work_sessions(task.id, follow_up(), true).await.unwrap().len(), 1);
    assert!(store.make_missing_work_sessions(task.id, follow_up(), true).await.unwrap().is_empty());
    let names: Vec<String> =
        store.work_sessions_of(task.id).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["extra", "part 0", "part 1", "Address review comments"]);
    let spawned = store.coordination_log(task.id).await.unwrap();
    let spawned = spawned.iter().filter(|e| e.kind == CoordinationKind::SessionSpawned).count();
    assert_eq!(spawned, 2, "the spawn and the follow-up are logged, the plan's sessions are not");
}
