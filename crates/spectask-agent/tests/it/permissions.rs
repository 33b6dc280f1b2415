//! Permission requests: `ask` through the broker, cancellation, and the `auto` / `deny` policies.

use std::time::Duration;

use spectask_agent::events::{DecidedBy, Decision};
use spectask_agent::{AgentEvent, ApprovalError, PermissionBroker, PermissionPolicy};

use crate::support::{Fixture, config, messages, until_turn_end};

const SCRIPT: &str = r#"
[[rule]]
match = "ask"
steps = [{ permission = { title = "delete build dir", path = "build" } }, { message = "after" }]

[[rule]]
match = "policy"
steps = [
  { permission = { title = "edit inside", path = "src/lib.rs" } },
  { permission = { title = "edit outside", path = "/etc/passwd" } },
]
"#;

async fn next_approval(broker: &PermissionBroker) -> spectask_agent::PendingApproval {
    for _ in 0..200 {
        if let Some(pending) = broker.list().into_iter().next() {
            return pending;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no pending approval");
}

#[tokio::test]
async fn ask_is_held_until_resolved_through_the_broker() {
    let fx = Fixture::new(SCRIPT);
    let broker = PermissionBroker::new();
    let agent = fx.start_with(config(), PermissionPolicy::Ask, broker.clone(), &[]).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let approve = async {
        let pending = next_approval(&broker).await;
        assert_eq!(pending.session_id, id.0);
        assert_eq!(pending.tool_call.title.as_deref(), Some("delete build dir"));
        let kinds: Vec<_> = pending.options.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["allow_once", "allow_always", "reject_once"]);
        let err = broker.resolve(&pending.id, "nope").await.unwrap_err();
        assert!(matches!(err, ApprovalError::UnknownOption { .. }), "{err}");
        broker.resolve(&pending.id, "allow").await.unwrap();
        assert!(broker.list().is_empty());
        assert!(matches!(broker.resolve(&pending.id, "allow").await, Err(ApprovalError::UnknownApproval(_))));
        pending.id
    };
    let (stop, approval_id, events) =
        tokio::join!(agent.prompt(&id, "ask me"), approve, until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(messages(&events), "permission: allow|after");
    assert!(events.iter().any(
        |e| matches!(e, AgentEvent::PermissionRequested(r) if r.approval_id.as_deref() == Some(approval_id.as_str()))
    ));
    assert!(events.iter().any(|e| matches!(e,
        AgentEvent::PermissionDecided { decision: Decision::Allowed { option_id }, by: DecidedBy::User, .. }
        if option_id == "allow")));
    agent.shutdown().await;
}

#[tokio::test]
async fn cancel_answers_pending_approvals_with_cancelled() {
    let fx = Fixture::new(SCRIPT);
    let broker = PermissionBroker::new();
    let agent = fx.start_with(config(), PermissionPolicy::Ask, broker.clone(), &[]).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let cancel = async {
        next_approval(&broker).await;
        agent.cancel(&id).await.unwrap();
    };
    let (stop, (), events) = tokio::join!(agent.prompt(&id, "ask me"), cancel, until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "cancelled");
    assert_eq!(messages(&events), "permission: cancelled");
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::PermissionDecided { decision: Decision::Cancelled, by: DecidedBy::SessionCancelled, .. }
    )));
    assert!(broker.list().is_empty());
    agent.shutdown().await;
}

#[tokio::test]
async fn auto_allows_inside_the_worktree_and_deny_rejects_everything() {
    let fx = Fixture::new(SCRIPT);
    for (policy, expected) in [
        (PermissionPolicy::Auto, "permission: allow|permission: reject"),
        (PermissionPolicy::Deny, "permission: reject|permission: reject"),
    ] {
        let agent = fx.start(config(), policy).await;
        let (tx, mut rx) = agent.event_channel();
        let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
        let (stop, events) = tokio::join!(agent.prompt(&id, "policy"), until_turn_end(&mut rx));
        assert_eq!(stop.unwrap(), "end_turn");
        assert_eq!(messages(&events), expected, "{policy:?}");
        let decided = events
            .iter()
            .filter(|e| matches!(e, AgentEvent::PermissionDecided { by: DecidedBy::Policy, .. }))
            .count();
        assert_eq!(decided, 2);
        agent.shutdown().await;
    }
}

#[tokio::test]
async fn waiting_for_a_person_or_a_command_is_not_a_stall() {
    let fx = Fixture::new(
        "[[rule]]\nmatch = \"ask\"\nsteps = [{ permission = { title = \"t\" } }, { run = { command = \"sleep\", args = [\"0.8\"] } }, { message = \"done\" }]\n",
    );
    let broker = PermissionBroker::new();
    let cfg = spectask_agent::RuntimeConfig { stall_timeout: Duration::from_millis(300), ..config() };
    let agent = fx.start_with(cfg, PermissionPolicy::Ask, broker.clone(), &[]).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let approve = async {
        let pending = next_approval(&broker).await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        broker.resolve(&pending.id, "allow").await.unwrap();
    };
    let (stop, (), events) = tokio::join!(agent.prompt(&id, "ask"), approve, until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(messages(&events), "permission: allow|exit 0: |done");
    agent.shutdown().await;
}

/// An agent that writes through spectask without asking first (as one in its own auto-edit mode
/// does), then runs a command, then writes with its own system calls.
const UNASKED: &str = r#"
[[rule]]
match = "unasked"
steps = [
  { write_file = { path = "a.txt", content = "served" } },
  { run = { command = "sh", args = ["-c", "echo ran > ran.txt"] } },
  { os_write = { path = "b.txt", content = "own" } },
  { message = "done" },
]

[[rule]]
match = "asked"
steps = [
  { permission = { title = "edit a.txt", path = "a.txt" } },
  { write_file = { path = "a.txt", content = "served" } },
  { message = "done" },
]
"#;

#[tokio::test]
async fn under_deny_spectask_refuses_unasked_writes_and_the_kernel_the_agents_own() {
    let fx = Fixture::new(UNASKED);
    let agent = fx.start(config(), PermissionPolicy::Deny).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "unasked"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    let said = messages(&events);
    // The agent's model is told why, and that it should not try again.
    assert!(
        said.contains("error: denied: writing ") && said.contains("permission policy is `deny`"),
        "{said}"
    );
    assert!(said.contains("error: denied: running `sh -c echo ran > ran.txt` is refused"), "{said}");
    // Its own system call meets a read-only worktree.
    let own = format!("os_write {}: error: Permission denied", fx.worktree.join("b.txt").display());
    assert!(said.contains(&own), "{said}");
    for file in ["a.txt", "ran.txt", "b.txt"] {
        assert!(!fx.worktree.join(file).exists(), "{file} was written: {said}");
    }
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::FsDenied { reason, .. } if reason.contains("`deny`")))
    );
    assert!(events.iter().any(|e| matches!(e, AgentEvent::TerminalDenied { .. })));
    agent.shutdown().await;
}

#[tokio::test]
async fn under_ask_an_unasked_write_waits_for_a_person_and_a_refusal_keeps_it_out() {
    let fx = Fixture::new(UNASKED);
    let broker = PermissionBroker::new();
    let agent = fx.start_with(config(), PermissionPolicy::Ask, broker.clone(), &[]).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let answer = async {
        let write = next_approval(&broker).await;
        assert_eq!(write.tool_call.title.as_deref(), Some("Write a.txt"), "{write:?}");
        assert_eq!(write.tool_call.kind, Some(spectask_agent::events::ToolKind::Edit));
        let kinds: Vec<_> = write.options.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds, ["allow_once", "reject_once"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!fx.worktree.join("a.txt").exists(), "written before the answer");
        broker.resolve(&write.id, "allow").await.unwrap();
        let run = next_approval(&broker).await;
        assert_eq!(run.tool_call.title.as_deref(), Some("Run `sh -c echo ran > ran.txt`"));
        broker.resolve(&run.id, "reject").await.unwrap();
    };
    let (stop, (), events) = tokio::join!(agent.prompt(&id, "unasked"), answer, until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    let said = messages(&events);
    assert_eq!(std::fs::read_to_string(fx.worktree.join("a.txt")).unwrap(), "served");
    assert!(said.contains("was refused by the person reviewing this session"), "{said}");
    assert!(!fx.worktree.join("ran.txt").exists(), "{said}");
    let by_user = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::PermissionDecided { by: DecidedBy::User, .. }))
        .count();
    assert_eq!(by_user, 2, "{events:#?}");
    agent.shutdown().await;
}

#[tokio::test]
async fn under_ask_the_write_of_an_allowed_edit_is_not_asked_again() {
    let fx = Fixture::new(UNASKED);
    let broker = PermissionBroker::new();
    let agent = fx.start_with(config(), PermissionPolicy::Ask, broker.clone(), &[]).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let answer = async {
        let asked = next_approval(&broker).await;
        assert_eq!(asked.tool_call.title.as_deref(), Some("edit a.txt"));
        broker.resolve(&asked.id, "allow").await.unwrap();
    };
    let (stop, (), events) = tokio::join!(agent.prompt(&id, "asked"), answer, until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    let wrote = format!("permission: allow|wrote {}|done", fx.worktree.join("a.txt").display());
    assert_eq!(messages(&events), wrote);
    assert_eq!(std::fs::read_to_string(fx.worktree.join("a.txt")).unwrap(), "served");
    let asked = events.iter().filter(|e| matches!(e, AgentEvent::PermissionRequested(_))).count();
    assert_eq!(asked, 1, "{events:#?}");
    agent.shutdown().await;
}
