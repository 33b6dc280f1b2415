//! Admission under WIP limits: priority order, visible reasons, kinds without planning.

use spectask_core::{Priority, SpecTaskCommand, SpecTaskStatus, TaskKind};
use spectask_store::{Admission, Store, WipLimits};

use crate::{both_backends, new_task, repo};

both_backends!(
    admission_respects_limits_and_priority_and_says_why_tasks_wait,
    a_task_with_no_agent_for_its_phase_waits_and_says_why,
    a_task_sent_back_from_review_waits_for_a_slot_like_any,
    a_hold_further_down_a_chain_of_prerequisites_names_its_root,
);

/// A cancelled task holds the tasks after it however far down the chain: the last one's reason
/// names the root, and says it cannot be retried.
async fn a_hold_further_down_a_chain_of_prerequisites_names_its_root(store: Store) {
    let r = repo(&store, "/repos/chain").await;
    let limits = Admission {
        wip: WipLimits { global: 10, per_repository: 10, per_user: 10 },
        default_planner: true,
        default_implementer: true,
    };
    let root = store.create_spec_task(new_task(&r, "root")).await.unwrap();
    let middle = store.create_spec_task(new_task(&r, "middle")).await.unwrap();
    let last = store.create_spec_task(new_task(&r, "last")).await.unwrap();
    let before_planning = |id| spectask_store::Prerequisites {
        tasks: vec![id],
        hold_before: spectask_core::HoldBefore::Planning,
    };
    store.set_prerequisites(middle.id, &before_planning(root.id), "ana").await.unwrap();
    store.set_prerequisites(last.id, &before_planning(middle.id), "ana").await.unwrap();
    store.apply_to_spec_task(root.id, &SpecTaskCommand::Cancel).await.unwrap();
    assert!(store.admit(&limits).await.unwrap().is_empty());
    let reason = store.queue_reason(last.id).await.unwrap().unwrap_or_default();
    assert!(reason.starts_with("held: prerequisite"), "{reason}");
    assert!(reason.contains(&format!("is held by {}", root.id.short())), "{reason}");
    assert!(reason.contains("which is cancelled") && reason.contains("cannot be retried"), "{reason}");
    let holds = store.prerequisite_holds(last.id).await.unwrap();
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!((holds[0].prerequisite.id, holds[0].root.id), (middle.id, root.id));
    assert!(store.prerequisite_holds(root.id).await.unwrap().is_empty());
}

/// A review asking for changes sends the task back to implementation only when a slot is free: never
/// two tasks at work under a limit of one.
async fn a_task_sent_back_from_review_waits_for_a_slot_like_any(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let limits = Admission {
        wip: WipLimits { global: 1, per_repository: 1, per_user: 1 },
        default_planner: true,
        default_implementer: true,
    };
    let coding =
        |title: &str| spectask_core::NewSpecTask { kind: TaskKind::CodingSession, ..new_task(&r, title) };
    let first = store.create_spec_task(coding("first")).await.unwrap();
    let second = store.create_spec_task(coding("second")).await.unwrap();
    for id in [first.id, second.id] {
        store.apply_to_spec_task(id, &SpecTaskCommand::QueueImplementation).await.unwrap();
    }
    assert_eq!(titles(store.admit(&limits).await.unwrap()), ["first"]);
    // The first is submitted for review: in review it holds no slot, so the second is admitted.
    store.apply_to_spec_task(first.id, &SpecTaskCommand::SubmitImplementation).await.unwrap();
    assert_eq!(titles(store.admit(&limits).await.unwrap()), ["second"]);
    let back =
        store.apply_to_spec_task(first.id, &SpecTaskCommand::RequestImplementationChanges).await.unwrap();
    assert_eq!(back.value.status(), SpecTaskStatus::ImplementationQueued);
    assert!(back.effects.is_empty(), "{:?}", back.effects);
    assert!(store.admit(&limits).await.unwrap().is_empty(), "the slot is the second's");
    let reason = store.queue_reason(first.id).await.unwrap().unwrap_or_default();
    assert!(reason.contains("waiting for a free slot"), "{reason}");
    assert!(!reason.contains("1 of"), "other users' tasks are not counted in it: {reason}");
    store.apply_to_spec_task(second.id, &SpecTaskCommand::Cancel).await.unwrap();
    let admitted = store.admit(&limits).await.unwrap();
    assert_eq!(titles(admitted.clone()), ["first"]);
    assert_eq!(admitted[0].status(), SpecTaskStatus::Implementation);
}

fn titles(tasks: Vec<spectask_core::SpecTask>) -> Vec<String> {
    tasks.into_iter().map(|t| t.title).collect()
}

async fn admission_respects_limits_and_priority_and_says_why_tasks_wait(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let b = repo(&store, "/repos/b").await;
    let limits = Admission {
        wip: WipLimits { global: 2, per_repository: 1, per_user: 10 },
        default_planner: true,
        default_implementer: true,
    };
    let low = store
        .create_spec_task(spectask_core::NewSpecTask { priority: Priority::Low, ..new_task(&a, "a-low") })
        .await
        .unwrap();
    let urgent = store
        .create_spec_task(spectask_core::NewSpecTask {
            priority: Priority::Urgent,
            ..new_task(&a, "a-urgent")
        })
        .await
        .unwrap();
    let in_b = store.create_spec_task(new_task(&b, "b")).await.unwrap();
    let chat = store
        .create_spec_task(spectask_core::NewSpecTask { kind: TaskKind::Interactive, ..new_task(&b, "chat") })
        .await
        .unwrap();

    let admitted: Vec<_> = store.admit(&limits).await.unwrap().into_iter().map(|t| t.title).collect();
    assert_eq!(admitted, ["a-urgent", "b", "chat"], "urgent first; one per repository; chat only queued");
    assert_eq!(store.spec_task(urgent.id).await.unwrap().status(), SpecTaskStatus::SpecGeneration);
    assert_eq!(store.spec_task(chat.id).await.unwrap().status(), SpecTaskStatus::ImplementationQueued);
    assert_eq!(store.spec_task(low.id).await.unwrap().status(), SpecTaskStatus::Backlog);
    let reason = store.queue_reason(low.id).await.unwrap().unwrap();
    assert!(reason.contains("waiting for a free slot"), "{reason}");
    assert_eq!(store.queue_reason(urgent.id).await.unwrap(), None);

    // Implementation admission counts the same slots: both are taken.
    assert!(store.admit(&limits).await.unwrap().is_empty());
    assert!(store.queue_reason(chat.id).await.unwrap().is_some());

    // The urgent task finishes planning: its slot frees and the low one in repo a gets in.
    let t = store.spec_task(urgent.id).await.unwrap();
    store.transition_spec_task(&t, &SpecTaskCommand::Cancel).await.unwrap();
    let admitted: Vec<_> = store.admit(&limits).await.unwrap().into_iter().map(|t| t.title).collect();
    assert_eq!(admitted, ["a-low"]);
    assert_eq!(store.queue_reason(low.id).await.unwrap(), None);
    let _ = in_b;
}

async fn a_task_with_no_agent_for_its_phase_waits_and_says_why(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let unconfigured =
        Admission { wip: WipLimits::default(), default_planner: false, default_implementer: false };
    let mut new = new_task(&a, "no planner");
    new.planning_agent = None;
    let task = store.create_spec_task(new).await.unwrap();
    assert!(store.admit(&unconfigured).await.unwrap().is_empty());
    assert_eq!(store.spec_task(task.id).await.unwrap().status(), SpecTaskStatus::Backlog);
    assert!(store.queue_reason(task.id).await.unwrap().unwrap().contains("no planning agent"));
    let named = store.create_spec_task(new_task(&a, "named planner")).await.unwrap();
    let moved = store.admit(&unconfigured).await.unwrap();
    assert_eq!(
        moved.iter().map(|t| t.id).collect::<Vec<_>>(),
        [named.id],
        "a task naming its planner starts"
    );
}
