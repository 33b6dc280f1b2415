//! Missing credentials: a typed error naming the variable, never a hang; with the variable set the
//! env-var method is used. Also the probe report.

use spectask_agent::probe::{AcpSessionProbe, ProbeOptions, probe};
use spectask_agent::{AgentError, PermissionBroker, PermissionPolicy};

use crate::support::{Fixture, config};

const SCRIPT: &str = "auth_env = \"SCRIPTED_API_KEY\"\n";

#[tokio::test]
async fn missing_credentials_name_the_variable() {
    let fx = Fixture::new(SCRIPT);
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let method = &agent.info().auth_methods[0];
    assert_eq!(
        (method.kind.as_deref(), method.vars.as_slice()),
        (Some("env_var"), ["SCRIPTED_API_KEY".to_owned()].as_slice())
    );
    let (tx, _rx) = agent.event_channel();
    let err = agent.new_thread(&fx.worktree, tx).await.unwrap_err();
    match &err {
        AgentError::AuthRequired { advice, .. } => assert_eq!(advice, "set SCRIPTED_API_KEY"),
        other => panic!("expected auth required, got {other}"),
    }
    agent.shutdown().await;
}

#[tokio::test]
async fn present_credentials_authenticate_with_the_env_var_method() {
    let fx = Fixture::new(SCRIPT);
    let env = [("SCRIPTED_API_KEY", "dummy")];
    let agent = fx.start_with(config(), PermissionPolicy::Auto, PermissionBroker::new(), &env).await;
    let (tx, _rx) = agent.event_channel();
    agent.new_thread(&fx.worktree, tx).await.unwrap();
    agent.shutdown().await;
}

#[tokio::test]
async fn probe_reports_initialize_and_session_status() {
    // The bare scripted agent (no script: it echoes) is what the `scripted` preset runs.
    let bare =
        spectask_agent::AgentProfile::acp("scripted", env!("CARGO_BIN_EXE_spectask-scripted-agent"), vec![]);
    let report = probe(&bare, ProbeOptions { config: config() }).await.unwrap();
    assert_eq!(report.agent.name.as_deref(), Some("spectask-scripted-agent"));
    assert_eq!(report.agent.protocol_version, Some(1));
    assert!(matches!(report.session, AcpSessionProbe::Created { .. }), "{:?}", report.session);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["session"]["status"], "created");
    assert_eq!(json["capabilities"]["loadSession"], true);
    crate::support::assert_gone(report.pid).await;

    let fx = Fixture::new(SCRIPT);
    let report =
        probe(&fx.profile(PermissionPolicy::Auto, &[]), ProbeOptions { config: config() }).await.unwrap();
    assert_eq!(report.session, AcpSessionProbe::AuthRequired { message: "set SCRIPTED_API_KEY".to_owned() });
    assert_eq!(report.agent.auth_methods[0].vars, ["SCRIPTED_API_KEY"]);
    crate::support::assert_gone(report.pid).await;
}
