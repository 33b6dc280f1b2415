//! Permission approvals in the database: any node lists and answers them, each is answered once,
//! the asking node reads the answers of the requests its agents hold, and an owner sees only the
//! approvals of their own tasks.

use spectask_core::{EventKind, WorkSession, WorkSessionCommand};
use spectask_store::{ApprovalOption, NewApproval, Store};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(
    an_approval_is_listed_by_owner_answered_once_and_read_back_by_the_asking_node,
    only_the_newest_decided_approvals_of_a_session_are_kept,
    decided_approvals_older_than_the_longest_kept_are_forgotten_in_any_session,
);

fn asked(id: &str, session: &WorkSession, node: &str) -> NewApproval {
    NewApproval {
        id: id.to_owned(),
        spec_task_id: session.spec_task_id,
        work_session_id: session.id,
        acp_session_id: format!("acp-{id}"),
        node: node.to_owned(),
        tool_call_id: format!("call-{id}"),
        title: Some("rm -rf build".to_owned()),
        kind: Some("delete".to_owned()),
        locations: vec!["/wt/build".to_owned()],
        options: vec![
            ApprovalOption { option_id: "allow".into(), name: "Allow".into(), kind: "allow_once".into() },
            ApprovalOption { option_id: "reject".into(), name: "Reject".into(), kind: "reject_once".into() },
        ],
    }
}

async fn an_approval_is_listed_by_owner_answered_once_and_read_back_by_the_asking_node(store: Store) {
    let shared = repo(&store, "/repos/shared").await;
    let mut sessions = Vec::new();
    for owner in ["alice", "bob"] {
        let mut new = new_task(&shared, owner);
        new.created_by = owner.to_owned();
        let task = store.create_spec_task(new).await.unwrap();
        let session = store.create_work_session(new_session(task.id, owner)).await.unwrap();
        let session =
            store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value;
        sessions.push(session);
    }
    let (alices, bobs) = (&sessions[0], &sessions[1]);
    store.hold_approval(&asked("a1", alices, "node-a")).await.unwrap();
    store.hold_approval(&asked("b1", bobs, "node-b")).await.unwrap();

    let ids =
        |list: Vec<spectask_store::Approval>| list.into_iter().map(|a| a.request.id).collect::<Vec<_>>();
    assert_eq!(ids(store.pending_approvals(None).await.unwrap()), ["a1", "b1"]);
    assert_eq!(ids(store.pending_approvals(Some("alice")).await.unwrap()), ["a1"]);
    assert_eq!(ids(store.pending_approvals_of_tasks(&[bobs.spec_task_id]).await.unwrap()), ["b1"]);
    assert_eq!(
        ids(store.pending_approvals_of_tasks(&[alices.spec_task_id, bobs.spec_task_id]).await.unwrap()),
        ["a1", "b1"]
    );
    let listed = store.pending_approval("a1", Some("alice")).await.unwrap().expect("alice's approval");
    assert_eq!(listed.request, asked("a1", alices, "node-a"));
    assert!(listed.offers("allow") && !listed.offers("maybe"));
    assert_eq!(store.pending_approval("a1", Some("bob")).await.unwrap(), None, "not bob's");

    // Answered once; the asking node reads the answer of the requests it holds.
    assert!(store.answer_approval("a1", "allow", "alice").await.unwrap());
    assert!(!store.answer_approval("a1", "reject", "alice").await.unwrap(), "answered once");
    let held = ["a1".to_owned(), "b1".to_owned(), "gone".to_owned()];
    assert_eq!(store.answers_to(&held).await.unwrap(), [("a1".to_owned(), "allow".to_owned())]);
    assert_eq!(ids(store.pending_approvals(None).await.unwrap()), ["b1"]);
    // The answer is a line of the task's coordination log (its timeline and export), once.
    let log = store.coordination_log(alices.spec_task_id).await.unwrap();
    let answered: Vec<_> =
        log.iter().filter(|e| e.kind == spectask_core::CoordinationKind::PermissionAnswered).collect();
    assert_eq!(answered.len(), 1, "{log:#?}");
    assert_eq!(answered[0].from_session, Some(alices.id));
    assert!(answered[0].message.starts_with("alice answered "), "{}", answered[0].message);
    // A person's pause is a line too; an interruption no person asked for is none.
    let paused =
        spectask_core::WorkSessionCommand::Interrupt { reason: "paused by alice: a look".to_owned() };
    store.change_work_session(alices.id, &paused).await.unwrap();
    store.interrupt_if_running(bobs.id, "the node stopped").await.unwrap();
    let is_stop =
        |e: &spectask_core::CoordinationEvent| e.kind == spectask_core::CoordinationKind::SessionStopped;
    let alice_log = store.coordination_log(alices.spec_task_id).await.unwrap();
    let alice_stopped: Vec<_> = alice_log.iter().filter(|e| is_stop(e)).collect();
    assert_eq!(alice_stopped.len(), 1, "{alice_log:#?}");
    assert_eq!(alice_stopped[0].message, "stopped: paused by alice: a look");
    let bob_log = store.coordination_log(bobs.spec_task_id).await.unwrap();
    assert!(!bob_log.iter().any(is_stop), "{bob_log:#?}");
    store.change_work_session(alices.id, &spectask_core::WorkSessionCommand::Resume).await.unwrap();

    // A node that starts again withdraws what its agents left; withdrawn is not answerable.
    store.withdraw_approvals_of_node("node-b").await.unwrap();
    assert!(store.pending_approvals(None).await.unwrap().is_empty());
    assert!(!store.answer_approval("b1", "allow", "bob").await.unwrap());
    store.hold_approval(&asked("b2", bobs, "node-a")).await.unwrap();
    store.withdraw_approvals_of_session(bobs.id).await.unwrap();
    store.withdraw_approval("b2").await.unwrap();
    assert!(store.pending_approvals(None).await.unwrap().is_empty());

    // A request of a session no longer running is not listed.
    let alices = &store.work_session(alices.id).await.unwrap();
    store.hold_approval(&asked("a2", alices, "node-a")).await.unwrap();
    store.transition_work_session(alices, &WorkSessionCommand::Cancel).await.unwrap();
    assert!(store.pending_approvals(Some("alice")).await.unwrap().is_empty());

    // Each change is one event of the asking session: asked, answered, asked, withdrawn, …
    let decided: Vec<(String, bool)> = store
        .events_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::WorkSessionPermission)
        .map(|e| (e.payload["approval_id"].as_str().unwrap().to_owned(), e.payload["decided"] == true))
        .collect();
    let expected = [
        ("a1", false),
        ("b1", false),
        ("a1", true),
        ("b1", true),
        ("b2", false),
        ("b2", true),
        ("a2", false),
    ];
    assert_eq!(decided, expected.map(|(id, d)| (id.to_owned(), d)));
}

/// Every decision forgets the decided approvals of its session beyond the newest `DECIDED_KEPT`
/// (answered or withdrawn alike); pending ones and other sessions' stay.
async fn only_the_newest_decided_approvals_of_a_session_are_kept(store: Store) {
    let repository = repo(&store, "/repos/app").await;
    let task = store.create_spec_task(new_task(&repository, "alice")).await.unwrap();
    let mut sessions = Vec::new();
    for name in ["busy", "quiet"] {
        let session = store.create_work_session(new_session(task.id, name)).await.unwrap();
        sessions
            .push(store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value);
    }
    let (busy, quiet) = (&sessions[0], &sessions[1]);
    store.hold_approval(&asked("q1", quiet, "node-a")).await.unwrap();
    store.answer_approval("q1", "allow", "alice").await.unwrap();
    let kept = usize::try_from(spectask_store::DECIDED_KEPT).unwrap();
    let asked_ids: Vec<String> = (1..=kept + 5).map(|n| format!("a{n:03}")).collect();
    for id in &asked_ids {
        store.hold_approval(&asked(id, busy, "node-a")).await.unwrap();
        store.answer_approval(id, "allow", "alice").await.unwrap();
    }
    store.hold_approval(&asked("p1", busy, "node-a")).await.unwrap();
    let answered = |answers: Vec<(String, String)>| answers.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    let mut everything = asked_ids.clone();
    everything.extend(["q1".to_owned(), "p1".to_owned()]);
    let mut left = answered(store.answers_to(&everything).await.unwrap());
    left.sort();
    let mut expected = asked_ids[5..].to_vec();
    expected.push("q1".to_owned());
    assert_eq!(left, expected, "the newest {kept} of the busy session, and the quiet one's");

    // Withdrawals count as decisions too: 3 more push out the 3 oldest answers.
    for id in ["w1", "w2", "w3"] {
        store.hold_approval(&asked(id, busy, "node-a")).await.unwrap();
        store.withdraw_approval(id).await.unwrap();
    }
    let mut left = answered(store.answers_to(&everything).await.unwrap());
    left.sort();
    assert_eq!(left, [&asked_ids[8..], &["q1".to_owned()]].concat());
    let pending: Vec<String> =
        store.pending_approvals(None).await.unwrap().into_iter().map(|a| a.request.id).collect();
    assert_eq!(pending, ["p1"], "a pending approval is never forgotten");
}

/// Every decision also forgets the decided approvals of any session decided more than
/// `DECIDED_MAX_AGE` ago, though that session decides nothing more; younger ones and pending ones
/// stay.
async fn decided_approvals_older_than_the_longest_kept_are_forgotten_in_any_session(store: Store) {
    use spectask_store::DECIDED_MAX_AGE;
    use spectask_store::testing::backdate_approval_decisions;
    use std::time::Duration;

    let repository = repo(&store, "/repos/app").await;
    let task = store.create_spec_task(new_task(&repository, "alice")).await.unwrap();
    let mut sessions = Vec::new();
    for name in ["old", "recent", "deciding"] {
        let session = store.create_work_session(new_session(task.id, name)).await.unwrap();
        sessions
            .push(store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value);
    }
    let (old, recent, deciding) = (&sessions[0], &sessions[1], &sessions[2]);
    for (id, session) in [("o1", old), ("o2", old), ("r1", recent)] {
        store.hold_approval(&asked(id, session, "node-a")).await.unwrap();
        store.answer_approval(id, "allow", "alice").await.unwrap();
    }
    store.hold_approval(&asked("o3", old, "node-a")).await.unwrap();
    store.withdraw_approval("o3").await.unwrap();
    store.hold_approval(&asked("op", old, "node-a")).await.unwrap();
    let minute = Duration::from_secs(60);
    backdate_approval_decisions(&store, old.id, DECIDED_MAX_AGE + minute).await.unwrap();
    backdate_approval_decisions(&store, recent.id, DECIDED_MAX_AGE - minute).await.unwrap();

    let everything = ["o1", "o2", "r1", "d1"].map(str::to_owned);
    let answered = |answers: Vec<(String, String)>| answers.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(answered(store.answers_to(&everything).await.unwrap()), ["o1", "o2", "r1"]);

    store.hold_approval(&asked("d1", deciding, "node-a")).await.unwrap();
    store.answer_approval("d1", "allow", "alice").await.unwrap();
    let mut left = answered(store.answers_to(&everything).await.unwrap());
    left.sort();
    assert_eq!(left, ["d1", "r1"], "the old session's answers are forgotten, the recent one's kept");
    assert!(!store.answer_approval("o3", "allow", "alice").await.unwrap(), "the withdrawn one is gone");
    let pending: Vec<String> =
        store.pending_approvals(None).await.unwrap().into_iter().map(|a| a.request.id).collect();
    assert_eq!(pending, ["op"], "a pending approval is never forgotten, however old its session's decisions");
}
