//! Every attempt of an agent to leave its worktree is denied, reported to the agent and recorded.

use spectask_agent::AgentEvent;
use spectask_agent::PermissionPolicy;
use spectask_agent::events::FsOperation;

use crate::support::{Fixture, config, messages, until_turn_end};

const SCRIPT: &str = r#"
[[rule]]
match = "escape"
steps = [
  { write_file = { path = "../escape.txt", content = "x" } },
  { write_file = { path = "{outside}/abs.txt", content = "x" } },
  { write_file = { path = "link-out/via-link.txt", content = "x" } },
  { read_file = { path = "secret-link" } },
  { read_file = { path = ".git/config" } },
  { write_file = { path = ".git/config", content = "[evil]" } },
  { run = { command = "ls", cwd = "/" } },
  { run = { command = "ls", cwd = "../" } },
  { write_file = { path = "ok/inside.txt", content = "fine" } },
  { read_file = { path = "ok/inside.txt" } },
  { run = { command = "sh", args = ["-c", "printf hi; printf err >&2"] } },
  { vendor = "craft/drainMidTurnQueue" },
  { vendor = "craft/drainMidTurnQueue" },
  { read_file = { path = "missing.txt" } },
]
"#;

#[tokio::test]
async fn every_escape_is_denied_and_reported() {
    let fx = Fixture::new(SCRIPT);
    std::fs::write(fx.outside().join("secret"), "top secret").unwrap();
    std::os::unix::fs::symlink(fx.outside(), fx.worktree.join("link-out")).unwrap();
    std::os::unix::fs::symlink(fx.outside().join("secret"), fx.worktree.join("secret-link")).unwrap();
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "escape now"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");

    let denied: Vec<(FsOperation, String)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::FsDenied { operation, reason, .. } => Some((*operation, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(denied.len(), 6, "{denied:#?}");
    assert!(denied[0].1.contains("contains `..`"), "{}", denied[0].1);
    assert!(denied[1].1.contains("outside the worktree"), "{}", denied[1].1);
    assert!(denied[2].1.contains("outside the worktree"), "{}", denied[2].1);
    assert_eq!(denied[3].0, FsOperation::Read);
    assert!(denied[3].1.contains("outside the worktree"), "{}", denied[3].1);
    assert!(denied[4].1.contains("git directory") && denied[5].1.contains("git directory"));

    let terminal_denied = events.iter().filter(|e| matches!(e, AgentEvent::TerminalDenied { .. })).count();
    assert_eq!(terminal_denied, 2);

    // The agent was told each time, the reason and what to do instead in the error's message (what
    // agents show their model), and nothing leaked.
    let said = messages(&events);
    assert_eq!(said.matches("error: denied:").count(), 8, "{said}");
    let root = fx.worktree.display();
    assert!(said.contains(&format!("name a path inside the worktree {root} without `..`")), "{said}");
    assert!(said.contains(&format!("outside the worktree {root}; write inside it")), "{said}");
    assert!(said.contains(&format!("outside the worktree {root}; read files inside it")), "{said}");
    assert!(said.contains("git directory; the git directory is spectask's"), "{said}");
    assert!(said.contains("; run commands with a working directory inside it"), "{said}");
    assert!(!said.contains("top secret"));
    assert!(!fx.worktree.parent().unwrap().join("escape.txt").exists());
    assert!(!fx.outside().join("abs.txt").exists() && !fx.outside().join("via-link.txt").exists());
    assert_eq!(std::fs::read_to_string(fx.worktree.join(".git/config")).unwrap(), "[core]\n");

    // What is inside works.
    assert_eq!(std::fs::read_to_string(fx.worktree.join("ok/inside.txt")).unwrap(), "fine");
    assert!(said.contains("inside.txt: fine"), "{said}");
    assert!(said.contains("exit 0: hierr"), "{said}");
    assert!(events.iter().any(|e| matches!(e, AgentEvent::FsWrite { bytes: 4, .. })));
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::TerminalStarted { command, .. } if command == "sh"))
    );
    assert!(events.iter().any(|e| matches!(e, AgentEvent::TerminalExited { exit_code: Some(0), .. })));

    // A vendor's own request is answered "method not found" and counted.
    assert_eq!(said.matches("craft/drainMidTurnQueue: -32601").count(), 2, "{said}");
    assert_eq!(agent.unserved_requests().get("craft/drainMidTurnQueue"), Some(&2));

    // A file that does not exist yet reads as empty, as in Zed (agents read before creating one).
    let missing = fx.worktree.join("missing.txt");
    assert!(said.ends_with(&format!("read {}: ", missing.display())), "{said}");
    agent.shutdown().await;
}

#[tokio::test]
async fn terminal_time_limit_kills_the_whole_group() {
    let fx = Fixture::new(
        "[[rule]]\nmatch = \"*\"\nsteps = [{ run = { command = \"sh\", args = [\"-c\", \"sleep 31.4159 & sleep 30\"] } }]\n",
    );
    let mut cfg = config();
    cfg.terminal.time_limit = std::time::Duration::from_millis(300);
    let agent = fx.start(cfg, PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "go"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert!(messages(&events).contains("exit SIGKILL"), "{}", messages(&events));
    let started = events.iter().find_map(|e| match e {
        AgentEvent::TerminalStarted { terminal_id, .. } => Some(terminal_id.clone()),
        _ => None,
    });
    assert!(started.is_some());
    // The background `sleep` of the same group is gone too.
    let background = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .any(|cmdline| cmdline == b"sleep\x0031.4159\x00");
    assert!(!background, "background process of the terminal survived");
    agent.shutdown().await;
}

#[tokio::test]
async fn agents_and_terminals_get_an_explicit_environment() {
    let fx = Fixture::new(
        "[[rule]]\nmatch = \"*\"\nsteps = [{ run = { command = \"sh\", args = [\"-c\", \"echo ${CARGO_MANIFEST_DIR:-absent} $PROFILE_VAR\"] } }]\n",
    );
    // Cargo sets CARGO_MANIFEST_DIR for this test process: it must reach neither the agent nor its terminals.
    assert!(std::env::var("CARGO_MANIFEST_DIR").is_ok());
    let agent = fx
        .start_with(
            config(),
            PermissionPolicy::Auto,
            spectask_agent::PermissionBroker::new(),
            &[("PROFILE_VAR", "set")],
        )
        .await;
    let environ = std::fs::read(format!("/proc/{}/environ", agent.pid())).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    let names: Vec<&str> = environ.split('\0').filter_map(|kv| kv.split_once('=').map(|(k, _)| k)).collect();
    assert!(names.contains(&"PATH") && names.contains(&"PROFILE_VAR"), "{names:?}");
    assert!(!names.contains(&"CARGO_MANIFEST_DIR"), "{names:?}");

    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "env"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    // The terminal gets the base environment only (not even the profile's variables).
    assert_eq!(messages(&events), "exit 0: absent\n");
    agent.shutdown().await;
}
