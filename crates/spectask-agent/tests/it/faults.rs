//! Faults: crash, stall, garbage, oversized line and permission flood, each typed, with the stderr
//! tail, and the agent's process group gone and reaped.

use std::time::Duration;

use spectask_agent::{AgentError, FaultKind, PermissionPolicy, RuntimeConfig, SessionOutcome};

use crate::support::{Fixture, assert_gone, config};

const SCRIPT: &str = r#"
[[rule]]
match = "crash"
steps = [{ message = "bye" }, { crash = 3 }]

[[rule]]
match = "hang"
steps = [{ message = "thinking" }, "hang"]

[[rule]]
match = "garbage"
steps = [{ garbage = "this is not json" }]

[[rule]]
match = "oversize"
steps = [{ oversize = 200000 }]

[[rule]]
match = "flood"
steps = [{ permission_flood = 40 }]
"#;

async fn fault_of(prompt: &str, cfg: RuntimeConfig) -> (AgentError, u32) {
    let fx = Fixture::new(SCRIPT);
    let agent = fx.start(cfg, PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let drain = async { while rx.recv().await.is_some() {} };
    let result = tokio::select! {
        result = agent.prompt(&id, prompt) => result,
        () = drain => panic!("event channel closed before the prompt ended"),
    };
    let error = result.unwrap_err();
    assert!(!agent.is_alive());
    let pid = agent.pid();
    agent.shutdown().await;
    (error, pid)
}

#[tokio::test]
async fn crash_is_a_process_exit_fault_with_stderr() {
    let (error, pid) = fault_of("crash", config()).await;
    let fault = error.fault().unwrap_or_else(|| panic!("not a fault: {error}"));
    assert_eq!(fault.kind, FaultKind::ProcessExited { code: Some(3), signal: None });
    assert!(fault.stderr_tail.contains("crashing on purpose"), "{:?}", fault.stderr_tail);
    assert_eq!(error.session_outcome(), SessionOutcome::Interrupted);
    assert!(error.to_string().contains("agent exited with code 3"), "{error}");
    assert_gone(pid).await;
}

#[tokio::test]
async fn hang_is_a_stall_fault() {
    let cfg = RuntimeConfig { stall_timeout: Duration::from_millis(400), ..config() };
    let started = std::time::Instant::now();
    let (error, pid) = fault_of("hang", cfg).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let fault = error.fault().unwrap_or_else(|| panic!("not a fault: {error}"));
    assert!(matches!(fault.kind, FaultKind::Stalled { .. }), "{error}");
    assert!(fault.stderr_tail.contains("hanging on purpose"), "{:?}", fault.stderr_tail);
    assert_gone(pid).await;
}

#[tokio::test]
async fn garbage_on_stdout_is_a_fault() {
    let (error, pid) = fault_of("garbage", config()).await;
    let fault = error.fault().unwrap_or_else(|| panic!("not a fault: {error}"));
    assert_eq!(fault.kind, FaultKind::Garbage { line: "this is not json".to_owned() });
    assert_eq!(error.session_outcome(), SessionOutcome::Failed);
    assert_gone(pid).await;
}

#[tokio::test]
async fn oversized_line_is_a_fault() {
    let cfg = RuntimeConfig { max_line_bytes: 64 * 1024, ..config() };
    let (error, pid) = fault_of("oversize", cfg).await;
    let fault = error.fault().unwrap_or_else(|| panic!("not a fault: {error}"));
    assert_eq!(fault.kind, FaultKind::LineTooLong { limit: 64 * 1024 });
    assert_gone(pid).await;
}

#[tokio::test]
async fn permission_flood_is_a_fault() {
    let cfg = RuntimeConfig {
        permission_rate: spectask_agent::RateLimit { max: 5, per: Duration::from_secs(10) },
        ..config()
    };
    let (error, pid) = fault_of("flood", cfg).await;
    let fault = error.fault().unwrap_or_else(|| panic!("not a fault: {error}"));
    assert!(matches!(fault.kind, FaultKind::PermissionFlood { max: 5, .. }), "{error}");
    assert_gone(pid).await;
}
