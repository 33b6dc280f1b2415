//! The agent's own approval system: spectask selects the profile's approval mode in every session,
//! reports whether it took, and puts it back when the agent switches away on its own.

use std::time::Duration;

use spectask_agent::profiles::ProfileKind;
use spectask_agent::{
    AcpSessionProbe, AgentEvent, AgentInstance, ApprovalStatus, InstanceOptions, PermissionBroker,
    PermissionPolicy, ProbeOptions, probe,
};

use crate::support::{Fixture, config, messages, until_turn_end};

fn with_mode(fx: &Fixture, mode: Option<&str>) -> spectask_agent::AgentProfile {
    let mut profile = fx.profile(PermissionPolicy::Ask, &[]);
    if let ProfileKind::Acp { approval_mode, .. } = &mut profile.kind {
        *approval_mode = mode.map(str::to_owned);
    }
    profile
}

async fn start(fx: &Fixture, mode: Option<&str>) -> AgentInstance {
    let options = InstanceOptions {
        config: std::sync::Arc::new(config()),
        broker: PermissionBroker::new(),
        workspace: fx.workspace(),
    };
    AgentInstance::start(&with_mode(fx, mode), options).await.unwrap()
}

const MODES: &str = r#"
modes = ["yolo", "default"]

[[rule]]
match = "report"
steps = ["report_mode"]

[[rule]]
match = "escalate"
steps = [{ switch_mode = "yolo" }, "report_mode"]
"#;

#[tokio::test]
async fn the_approval_mode_is_selected_reported_and_restored() {
    let fx = Fixture::new(MODES);
    let agent = start(&fx, Some("default")).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let check = agent.approval(&id).unwrap();
    assert_eq!(check.status, ApprovalStatus::Set, "{check:?}");
    assert_eq!(check.current_mode.as_deref(), Some("default"));
    assert_eq!(check.available_modes, ["yolo", "default"]);
    let (stop, events) = tokio::join!(agent.prompt(&id, "report"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(messages(&events), "mode: default", "the agent is in the mode spectask selected");

    // The agent escalates itself: spectask records it and switches it back.
    let (stop, events) = tokio::join!(agent.prompt(&id, "escalate"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::ApprovalModeRestored { from, to } if from == "yolo" && to == "default")),
        "{events:#?}"
    );
    let mut said = String::new();
    for _ in 0..50 {
        let (stop, events) = tokio::join!(agent.prompt(&id, "report"), until_turn_end(&mut rx));
        assert_eq!(stop.unwrap(), "end_turn");
        said = messages(&events);
        if said == "mode: default" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(said, "mode: default", "the restore reached the agent");
    agent.shutdown().await;
}

#[tokio::test]
async fn under_auto_a_missing_approval_mode_is_reported_not_refused() {
    let fx = Fixture::new(MODES);
    let mut profile = with_mode(&fx, Some("ask-first"));
    if let ProfileKind::Acp { permission_policy, .. } = &mut profile.kind {
        *permission_policy = PermissionPolicy::Auto;
    }
    let options = InstanceOptions {
        config: std::sync::Arc::new(config()),
        broker: PermissionBroker::new(),
        workspace: fx.workspace(),
    };
    let agent = AgentInstance::start(&profile, options).await.unwrap();
    let (tx, _rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    assert_eq!(agent.approval(&id).unwrap().status, ApprovalStatus::NotOffered);
    agent.shutdown().await;
}

#[tokio::test]
async fn probe_reports_whether_the_approval_mode_took() {
    let fx = Fixture::new(MODES);
    let report = probe(&with_mode(&fx, Some("default")), ProbeOptions { config: config() }).await.unwrap();
    assert!(matches!(report.session, AcpSessionProbe::Created { .. }), "{report:?}");
    let approval = report.approval.as_ref().unwrap();
    assert!(approval.asks_first(), "{approval:?}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["approval"]["status"], "set", "{json:#}");

    // Under the `ask` policy, a session whose agent cannot be put in its asking mode is refused.
    let report = probe(&with_mode(&fx, Some("ask-first")), ProbeOptions { config: config() }).await.unwrap();
    let AcpSessionProbe::Failed { message } = &report.session else { panic!("{report:?}") };
    assert!(message.contains("cannot be held to permission_policy Ask"), "{message}");
    assert!(message.contains("does not offer its approval mode \"ask-first\""), "{message}");
    let approval = report.approval.unwrap();
    assert_eq!(approval.status, ApprovalStatus::NotOffered);
    assert_eq!(approval.detail.as_deref(), Some("the agent offers yolo, default"));

    // An agent that reports no modes: what the preset configured cannot be verified.
    let plain = Fixture::new("");
    let report = probe(&with_mode(&plain, Some("default")), ProbeOptions { config: config() }).await.unwrap();
    assert_eq!(report.approval.unwrap().status, ApprovalStatus::NotReported);
}
