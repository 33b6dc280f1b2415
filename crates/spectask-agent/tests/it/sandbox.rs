//! The OS sandbox: an agent that writes with its own system calls (not through ACP) cannot leave its
//! worktree, whatever path it takes; the kernel refuses, the agent sees a permission error, and the
//! audit reports every attempt. Terminals run in the same sandbox.

use std::path::{Path, PathBuf};

use spectask_agent::events::SandboxFinding;
use spectask_agent::profiles::ProfileKind;
use spectask_agent::{
    AgentEvent, AgentInstance, InstanceOptions, PermissionBroker, PermissionPolicy, SandboxMode, Workspace,
};

use crate::support::{Fixture, config, messages, until_turn_end};

/// A repository's main checkout with the task's worktree inside it (as spectask lays them out), a
/// home with an SSH key, a directory elsewhere and a symlink from the worktree to it.
struct Layout {
    fx: Fixture,
    repo: PathBuf,
    home: PathBuf,
}

impl Layout {
    fn new(script: &str) -> Layout {
        let mut fx = Fixture::new(script);
        let base = fx.dir.path().canonicalize().unwrap();
        let (repo, home) = (base.join("repo"), base.join("home"));
        std::fs::create_dir_all(repo.join(".git-worktrees")).unwrap();
        std::fs::write(repo.join("README.md"), "main checkout\n").unwrap();
        let worktree = repo.join(".git-worktrees/t1");
        std::fs::rename(&fx.worktree, &worktree).unwrap();
        fx.worktree = worktree;
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/id_rsa"), "-----BEGIN FIXTURE KEY-----\n").unwrap();
        std::os::unix::fs::symlink(fx.outside(), fx.worktree.join("link-out")).unwrap();
        let script = std::fs::read_to_string(&fx.script).unwrap();
        let script =
            script.replace("{repo}", repo.to_str().unwrap()).replace("{home}", home.to_str().unwrap());
        std::fs::write(&fx.script, script).unwrap();
        Layout { fx, repo, home }
    }

    fn workspace(&self, output: Option<PathBuf>) -> Workspace {
        Workspace { worktree: self.fx.worktree.clone(), read: vec![self.repo.clone()], output }
    }

    async fn start(&self, workspace: Workspace, ports: Option<Vec<u16>>) -> AgentInstance {
        self.start_in(workspace, ports, SandboxMode::WorkspaceWrite).await
    }

    async fn start_in(
        &self,
        workspace: Workspace,
        ports: Option<Vec<u16>>,
        mode: SandboxMode,
    ) -> AgentInstance {
        let home = self.home.to_str().unwrap();
        let mut profile = self.fx.profile(PermissionPolicy::Auto, &[("HOME", home)]).with_sandbox(mode);
        if let ProfileKind::Acp { connect_ports, .. } = &mut profile.kind {
            *connect_ports = ports;
        }
        let options = InstanceOptions {
            config: std::sync::Arc::new(config()),
            broker: PermissionBroker::new(),
            workspace,
        };
        AgentInstance::start(&profile, options).await.unwrap()
    }
}

async fn turn(agent: &AgentInstance, worktree: &Path, prompt: &str) -> Vec<AgentEvent> {
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, prompt), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn", "{events:#?}");
    events
}

fn findings(events: &[AgentEvent]) -> (Vec<&SandboxFinding>, Vec<&SandboxFinding>) {
    let outside = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::EditOutsideWorktree(f) => Some(f),
            _ => None,
        })
        .collect();
    let refused = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::AccessRefused(f) => Some(f),
            _ => None,
        })
        .collect();
    (outside, refused)
}

const ESCAPES: &str = r#"
[[rule]]
match = "escape"
steps = [
  { os_write = { path = "inside.txt", content = "mine" } },
  { os_write = { path = "{outside}/abs.txt", content = "x" } },
  { os_write = { path = "{repo}/README.md", content = "overwritten" } },
  { os_write = { path = "~/planted.txt", content = "x" } },
  { os_write = { path = "link-out/via-link.txt", content = "x" } },
  { os_write = { path = "{outside}/child.txt", content = "x", child = true } },
  { os_write = { path = "child-inside.txt", content = "ok", child = true } },
  { os_read = { path = "~/.ssh/id_rsa" } },
  { os_read = { path = "{repo}/README.md" } },
  { run = { command = "sh", args = ["-c", "echo x > {outside}/terminal.txt"] } },
  { run = { command = "sh", args = ["-c", "echo tmp > \"$TMPDIR/t\" && cat \"$TMPDIR/t\""] } },
]
"#;

#[tokio::test]
async fn writes_with_the_agents_own_system_calls_stay_in_the_worktree() {
    let layout = Layout::new(ESCAPES);
    let agent = layout.start(layout.workspace(None), None).await;
    assert!(agent.sandbox().enforced, "{:?}", agent.sandbox());
    let events = turn(&agent, &layout.fx.worktree, "escape").await;
    let said = messages(&events);
    let outside = layout.fx.outside();

    // Inside the worktree the agent and its children write; nowhere else.
    assert_eq!(std::fs::read_to_string(layout.fx.worktree.join("inside.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(layout.fx.worktree.join("child-inside.txt")).unwrap(), "ok");
    for escaped in ["abs.txt", "via-link.txt", "child.txt", "terminal.txt"] {
        assert!(!outside.join(escaped).exists(), "{escaped} was written: {said}");
    }
    assert!(!layout.home.join("planted.txt").exists());
    assert_eq!(std::fs::read_to_string(layout.repo.join("README.md")).unwrap(), "main checkout\n");

    // Each attempt failed inside the agent with a permission error.
    for path in [
        outside.join("abs.txt"),
        layout.repo.join("README.md"),
        layout.home.join("planted.txt"),
        layout.fx.worktree.join("link-out/via-link.txt"),
    ] {
        let line = format!("os_write {}: error: Permission denied", path.display());
        assert!(said.contains(&line), "missing {line:?} in {said}");
    }
    assert!(
        said.contains(&format!(
            "os_write {}: error: sh: 1: cannot create",
            outside.join("child.txt").display()
        )),
        "{said}"
    );
    assert!(said.contains(&format!(
        "os_read {}: error: Permission denied",
        layout.home.join(".ssh/id_rsa").display()
    )));
    assert!(!said.contains("FIXTURE KEY"), "the key leaked: {said}");
    assert!(said.contains("main checkout"), "the repository is readable: {said}");
    assert!(said.contains("exit 2: sh: 1: cannot create"), "the terminal is sandboxed too: {said}");
    assert!(said.contains("exit 0: tmp"), "the private TMPDIR is writable: {said}");

    // The audit found every edit outside the worktree, refused, and every refused access.
    let (outside_edits, refused) = findings(&events);
    assert_eq!(outside_edits.len(), 5, "{outside_edits:#?}");
    assert!(
        outside_edits.iter().all(|f| f.refused && f.detail == "refused by the sandbox"),
        "{outside_edits:#?}"
    );
    assert!(outside_edits.iter().any(|f| f.paths == [layout.repo.join("README.md")]));
    assert_eq!(refused.len(), 6, "5 writes and the key: {refused:#?}");
    assert!(refused.iter().any(|f| f.paths == [layout.home.join(".ssh/id_rsa")]));
    agent.shutdown().await;
}

#[tokio::test]
async fn with_the_sandbox_off_the_same_agent_escapes_and_the_audit_says_so() {
    // The control: what stops the writes above is the sandbox, not the agent or the test.
    let layout = Layout::new(ESCAPES);
    let agent = layout.start_in(layout.workspace(None), None, SandboxMode::Off).await;
    assert!(!agent.sandbox().enforced);
    let events = turn(&agent, &layout.fx.worktree, "escape").await;
    let said = messages(&events);
    assert!(
        layout.fx.outside().join("abs.txt").exists() && layout.home.join("planted.txt").exists(),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(layout.repo.join("README.md")).unwrap(), "overwritten");
    assert!(said.contains("FIXTURE KEY"));
    let (outside_edits, refused) = findings(&events);
    assert_eq!(outside_edits.len(), 5, "{outside_edits:#?}");
    assert!(outside_edits.iter().all(|f| !f.refused && f.detail.starts_with("not sandboxed")));
    assert!(refused.is_empty(), "{refused:#?}");
    agent.shutdown().await;
}

const PLANNING: &str = r##"
[[rule]]
match = "plan"
steps = [
  { os_write = { path = "src.rs", content = "code" } },
  { os_write = { path = ".spectask/spec/requirements.md", content = "# Requirements" } },
]
"##;

#[tokio::test]
async fn a_planning_agent_writes_only_its_planning_folder() {
    let layout = Layout::new(PLANNING);
    let output = layout.fx.worktree.join(".spectask/spec");
    std::fs::create_dir_all(&output).unwrap();
    let agent = layout.start(layout.workspace(Some(output.clone())), None).await;
    let events = turn(&agent, &layout.fx.worktree, "plan").await;
    let said = messages(&events);
    assert!(said.contains("src.rs: error: Permission denied"), "{said}");
    assert!(!layout.fx.worktree.join("src.rs").exists());
    assert_eq!(std::fs::read_to_string(output.join("requirements.md")).unwrap(), "# Requirements");
    let (outside_edits, refused) = findings(&events);
    assert!(outside_edits.is_empty(), "the worktree is not outside: {outside_edits:#?}");
    assert_eq!(refused.len(), 1, "{refused:#?}");
    agent.shutdown().await;
}

#[tokio::test]
async fn tcp_connections_reach_only_the_declared_ports() {
    let allowed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (allowed_port, other_port) =
        (allowed.local_addr().unwrap().port(), other.local_addr().unwrap().port());
    let connect = |port: u16| {
        format!(
            "{{ run = {{ command = \"bash\", args = [\"-c\", \"echo hi > /dev/tcp/127.0.0.1/{port} && echo connected\"] }} }}"
        )
    };
    let script =
        format!("[[rule]]\nmatch = \"net\"\nsteps = [{}, {}]\n", connect(allowed_port), connect(other_port));
    let layout = Layout::new(&script);
    let agent = layout.start(layout.workspace(None), Some(vec![allowed_port])).await;
    assert_eq!(agent.sandbox().connect_ports, Some(vec![allowed_port]));
    let said = messages(&turn(&agent, &layout.fx.worktree, "net").await);
    let parts: Vec<&str> = said.split('|').collect();
    assert!(parts[0].starts_with("exit 0: connected"), "{said}");
    assert!(parts[1].starts_with("exit 1:") && parts[1].contains("Permission denied"), "{said}");
    agent.shutdown().await;
}
