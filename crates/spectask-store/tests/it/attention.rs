//! What the attention view reads: the open tasks of an owner, the prerequisite graph below some
//! tasks (transitively, in one query), and the pending permission requests of some tasks.

use spectask_core::{EventKind, HoldBefore, SpecTaskCommand, SpecTaskStatus};
use spectask_store::{Admission, PlanningStall, Prerequisites, Store};

use crate::{both_backends, new_task, repo};

both_backends!(
    open_tasks_are_every_unfinished_one_of_their_owner,
    the_prerequisite_graph_reaches_every_task_below,
    a_task_held_by_an_ended_prerequisite_is_told_once_and_freed_once,
    a_silent_planning_agent_is_marked_on_its_task_once_and_cleared_once,
);

async fn open_tasks_are_every_unfinished_one_of_their_owner(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let open = store.create_spec_task(new_task(&r, "open")).await.unwrap();
    let failed = store.create_spec_task(new_task(&r, "failed")).await.unwrap();
    store.apply_to_spec_task(failed.id, &SpecTaskCommand::Fail { reason: "x".into() }).await.unwrap();
    let cancelled = store.create_spec_task(new_task(&r, "cancelled")).await.unwrap();
    store.apply_to_spec_task(cancelled.id, &SpecTaskCommand::Cancel).await.unwrap();
    let bobs = spectask_core::NewSpecTask { created_by: "bob".into(), ..new_task(&r, "bob's") };
    store.create_spec_task(bobs).await.unwrap();

    let mut alice: Vec<String> =
        store.open_spec_tasks(Some("alice"), 10).await.unwrap().into_iter().map(|t| t.title).collect();
    alice.sort();
    assert_eq!(alice, ["failed", "open"], "a failed task still needs someone; a cancelled one does not");
    assert_eq!(store.open_spec_tasks(None, 10).await.unwrap().len(), 3);
    assert_eq!(store.open_spec_tasks(None, 1).await.unwrap().len(), 1, "at most the limit");
    assert!(store.open_spec_tasks(Some("carol"), 10).await.unwrap().is_empty());
    let _ = open;
}

async fn the_prerequisite_graph_reaches_every_task_below(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let root = store.create_spec_task(new_task(&r, "root")).await.unwrap();
    store.apply_to_spec_task(root.id, &SpecTaskCommand::Fail { reason: "x".into() }).await.unwrap();
    let after =
        |tasks: Vec<spectask_core::SpecTaskId>| Prerequisites { tasks, hold_before: HoldBefore::Planning };
    let middle =
        store.create_spec_task_after(new_task(&r, "middle"), &after(vec![root.id]), None).await.unwrap();
    let top = store.create_spec_task_after(new_task(&r, "top"), &after(vec![middle.id]), None).await.unwrap();
    let unrelated = store.create_spec_task(new_task(&r, "unrelated")).await.unwrap();

    let edges = store.prerequisite_graph(&[top.id, unrelated.id]).await.unwrap();
    let mut seen: Vec<(String, String, &str)> = edges
        .iter()
        .map(|e| {
            assert_eq!(e.hold_before, HoldBefore::Planning);
            let waiter = if e.spec_task_id == top.id { "top" } else { "middle" };
            (waiter.to_owned(), e.prerequisite.title.clone(), e.prerequisite.status.as_str())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("middle".to_owned(), "root".to_owned(), SpecTaskStatus::Failed.as_str()),
            ("top".to_owned(), "middle".to_owned(), SpecTaskStatus::Backlog.as_str()),
        ]
    );
    assert!(store.prerequisite_graph(&[]).await.unwrap().is_empty());
    assert!(store.prerequisite_graph(&[unrelated.id]).await.unwrap().is_empty());
    assert!(store.pending_approvals_of_tasks(&[top.id]).await.unwrap().is_empty());
}

/// Admission holds a task whose prerequisite ended undone; the hold is one `spec_task.held` event
/// (what makes its `held` notification), however often admission runs, and its end another.
async fn a_task_held_by_an_ended_prerequisite_is_told_once_and_freed_once(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let limits = Admission { default_planner: true, default_implementer: true, ..Admission::default() };
    let first = store.create_spec_task(new_task(&r, "first")).await.unwrap();
    let wanted = Prerequisites { tasks: vec![first.id], hold_before: HoldBefore::Planning };
    let second = store.create_spec_task_after(new_task(&r, "second"), &wanted, None).await.unwrap();
    store.apply_to_spec_task(first.id, &SpecTaskCommand::Cancel).await.unwrap();
    for _ in 0..3 {
        store.admit(&limits).await.unwrap();
    }
    let held = |events: &[spectask_core::Event]| -> Vec<serde_json::Value> {
        events.iter().filter(|e| e.kind == EventKind::SpecTaskHeld).map(|e| e.payload.clone()).collect()
    };
    let events = held(&store.events_of_spec_task(second.id).await.unwrap());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["held"], true);
    assert!(events[0]["reason"].as_str().unwrap().starts_with("held: prerequisite"), "{events:?}");

    // The person removes the prerequisite: the hold ends, once.
    store.set_prerequisites(second.id, &Prerequisites::default(), "alice").await.unwrap();
    store.admit(&limits).await.unwrap();
    store.admit(&limits).await.unwrap();
    let events = held(&store.events_of_spec_task(second.id).await.unwrap());
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1], serde_json::json!({ "held": false }));
}

/// A planning agent has no work session: its silence is marked on the task, once, with a
/// `work_session.stalled` event without a session, and cleared once.
async fn a_silent_planning_agent_is_marked_on_its_task_once_and_cleared_once(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "planned")).await.unwrap();
    let other = store.create_spec_task(new_task(&r, "other")).await.unwrap();
    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
    let stall = PlanningStall {
        spec_task_id: task.id,
        since: now,
        last_activity_at: now - chrono::Duration::seconds(90),
        policy: "notify".into(),
    };
    assert!(store.mark_planning_stalled(&stall).await.unwrap());
    assert!(!store.mark_planning_stalled(&stall).await.unwrap(), "marked once");
    let stalls = store.planning_stalls(&[task.id, other.id]).await.unwrap();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    let marked = &stalls[&task.id];
    assert_eq!(
        (at(marked.since), at(marked.last_activity_at)),
        (at(stall.since), at(stall.last_activity_at))
    );
    assert_eq!(marked.policy, "notify");
    assert!(store.clear_planning_stall(task.id).await.unwrap());
    assert!(!store.clear_planning_stall(task.id).await.unwrap(), "cleared once");
    assert!(store.planning_stalls(&[task.id]).await.unwrap().is_empty());
    let events: Vec<(Option<spectask_core::WorkSessionId>, serde_json::Value)> = store
        .events_of_spec_task(task.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::WorkSessionStalled)
        .map(|e| (e.work_session_id, e.payload))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, None, "no session: the task's planning");
    assert_eq!(
        (events[0].1["stalled"].clone(), events[0].1["silent_seconds"].clone()),
        (true.into(), 90.into())
    );
    assert_eq!(events[1].1, serde_json::json!({ "stalled": false }));
}
