//! Nodes that share no disk lose nothing: two `spectask serve` nodes on one PostgreSQL database,
//! each in a mount namespace where the other's directory is an empty tmpfs, one bare remote over
//! smart HTTP on loopback, and the default leases. A spec task's two parallel sessions finish
//! together; the node holding the task is killed with `kill -9` at each step boundary of a
//! session's end, one task per boundary:
//!
//! - committed, not pushed: the remote holds its first push of the task branch back;
//! - pushed, not recorded: the remote took the push but never answers it;
//! - recorded, its follow-up jobs not done: the sessions completed, the remote holds back the
//!   design-docs pushes of their ticks.
//!
//! The other node takes the task over within 30 s, and every task ends done and merged on the
//! remote with each session's work exactly once; nothing fails. The killed node then starts
//! again on its data dir, and says on the task the commits it held that the remote lacks.
//! `SPECTASK_DURABLE_RUNS=n` runs the whole sequence n times in a row and prints the figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::crash_restart::{PLAN, assert_fsck_clean, assert_implemented_once_and_finish, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::git_http::{GitHttp, HeldPushes, HoldAt};
use crate::implementation::{sessions, wait_for_state, wait_until};
use crate::remote_repos::upstream;
use crate::support::{
    CoderConfig, Server, coder_data, http_json, json, parent_of, processes_with, stderr, stdout,
};

/// Sessions 1 and 2 take the same while, then write their file: they finish together and push at
/// once. Session 3 writes at once.
const TOGETHER_CODER: &str = concat!(
    r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { sleep = 1500 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { sleep = 1500 },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

"##,
    crate::crash_restart::wire_login_rule!()
);

/// Where in a session's end the node holding the task is killed.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// Its commit made, its push not on the remote.
    Committed,
    /// Its push on the remote, never answered: nothing recorded.
    Pushed,
    /// Completed and recorded; the ticks' design-docs pushes held back.
    Recorded,
}

const BOUNDARIES: [KillAt; 3] = [KillAt::Pushed, KillAt::Committed, KillAt::Recorded];

/// A dead node's tasks move within this with the default leases (docs/operations.md).
const HAND_OVER_BOUND: Duration = Duration::from_secs(30);

/// One node: where it lives, and its server while it runs.
struct Node {
    name: &'static str,
    home: PathBuf,
    data: PathBuf,
    script: PathBuf,
    server: Option<Server>,
}

impl Node {
    fn server(&self) -> &Server {
        self.server.as_ref().expect("the node runs")
    }

    /// Runs its agents: a process of its scripted coder is its child.
    fn runs_agents(&self) -> bool {
        let pid = self.server.as_ref().map(Server::pid);
        processes_with(&self.script.display().to_string())
            .into_iter()
            .any(|(agent, _)| pid.is_some() && parent_of(agent) == pid)
    }
}

/// The two nodes, the remote and what every scenario needs.
struct Cluster {
    database: String,
    nodes: [Node; 2],
    http: GitHttp,
    _llm: FakeLlm,
    dir: tempfile::TempDir,
    /// One repository per boundary, in the order of [`BOUNDARIES`].
    repositories: Vec<Repository>,
}

/// A scenario's repository: a bare one on the remote, registered by URL on the first node.
#[derive(Clone)]
struct Repository {
    bare: PathBuf,
    /// The first node's clone, which `task create --repo` names there.
    clone: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let database = crate::support::postgres_url();
        let llm = FakeLlm::start(vec![three_task_spec()]);
        let dir = tempfile::tempdir().unwrap();
        let http = GitHttp::serve(&dir.path().join("remote"));
        let node = |name: &'static str| {
            let home = dir.path().join(name);
            // The default leases: only retries are quicker.
            let config = CoderConfig {
                planner: Some(&llm.base_url),
                orchestrator: "backoff_initial_seconds = 0.1\n",
                ..CoderConfig::default()
            };
            let (data, script) = coder_data(&home, TOGETHER_CODER, &config);
            Node { name, home, data, script, server: None }
        };
        let nodes = [node("node-a"), node("node-b")];
        let mut cluster = Cluster { database, nodes, http, _llm: llm, dir, repositories: Vec::new() };
        cluster.start_node(0);
        // Registered before the second node starts: `repo add` by URL writes the record before
        // its URL, and a node that cannot see the path meanwhile marks it as needing attention.
        cluster.repositories = BOUNDARIES.iter().map(|at| cluster.repository(&name(*at))).collect();
        cluster.start_node(1);
        cluster
    }

    /// A new repository on the remote (`<name>.git`, one commit on `main`), registered by URL on
    /// the first node: each scenario's task writes its files anew.
    fn repository(&self, name: &str) -> Repository {
        let made = upstream(&self.dir.path().join(name));
        let bare = self.dir.path().join("remote").join(format!("{name}.git"));
        std::fs::create_dir_all(self.dir.path().join("remote")).unwrap();
        std::fs::rename(&made, &bare).unwrap();
        let url = format!("{}/{name}.git", self.http.base);
        let added = self.nodes[0].server().task_like(&["repo", "add", &url, "--json"]);
        assert!(
            added.status.success(),
            "repo add {url}: {}: {}{}",
            added.status,
            stdout(&added),
            stderr(&added)
        );
        Repository { bare, clone: PathBuf::from(json(&added)["path"].as_str().unwrap()) }
    }

    /// Starts node `at` on its data dir, unable to see the other node's directory.
    fn start_node(&mut self, at: usize) {
        let hidden = self.nodes[1 - at].home.clone();
        let node = &mut self.nodes[at];
        node.server = Some(Server::start_node_hiding(&node.data, &self.database, node.name, &hidden));
    }

    /// What the remote holds back for `at`, set once the task's sessions 1 and 2 run.
    fn hold(&self, at: KillAt) -> HeldPushes {
        match at {
            KillAt::Committed => self.http.hold_pushes("refs/heads/spectask/", HoldAt::Before),
            KillAt::Pushed => self.http.hold_pushes("refs/heads/spectask/", HoldAt::After),
            KillAt::Recorded => self.http.hold_pushes("refs/heads/helix-design-docs", HoldAt::Before),
        }
    }
}

/// What one scenario measured.
#[derive(Debug)]
struct Figures {
    at: KillAt,
    hand_over: Duration,
    total: Duration,
}

#[test]
fn nodes_that_share_no_disk_lose_nothing_when_killed_at_each_step_of_a_sessions_end() {
    let runs: usize = std::env::var("SPECTASK_DURABLE_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    let mut all = Vec::new();
    for run in 1..=runs {
        let started = Instant::now();
        let mut cluster = Cluster::start();
        for at in BOUNDARIES {
            let figures = scenario(&mut cluster, at);
            eprintln!("durable: run {run}: {figures:?}");
            all.push(figures);
        }
        for node in &mut cluster.nodes {
            if let Some(server) = node.server.take() {
                server.stop();
            }
        }
        eprintln!("durable: run {run} of {runs} passed in {:?}", started.elapsed());
    }
    for at in BOUNDARIES {
        let times: Vec<f64> = all
            .iter()
            .filter(|f| std::mem::discriminant(&f.at) == std::mem::discriminant(&at))
            .map(|f| f.hand_over.as_secs_f64())
            .collect();
        let max = times.iter().copied().fold(0.0, f64::max);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let longest = all.iter().map(|f| f.total).max().unwrap_or_default();
        eprintln!(
            "durable: {at:?}: {} runs, hand-over mean {mean:.1} s, max {max:.1} s; longest task {longest:?}",
            times.len()
        );
    }
}

/// One task, its holder killed at `at`; see the module docs.
fn scenario(cluster: &mut Cluster, at: KillAt) -> Figures {
    let started = Instant::now();
    let at_index = BOUNDARIES.iter().position(|b| name(*b) == name(at)).expect("a boundary");
    let repository = cluster.repositories[at_index].clone();
    let (id, handle) = create_and_approve(cluster.nodes[0].server(), &repository.clone);
    let first = cluster.nodes[0].server();
    wait_for_state("sessions 1 and 2 run", || {
        let all = sessions(first, &id);
        let running = |name: &str| all.iter().any(|s| s["name"] == name && s["status"] == "running");
        if running(PLAN[0]) && running(PLAN[1]) { Ok(()) } else { Err(format!("{all:#?}")) }
    });
    let held = cluster.hold(at);
    match at {
        KillAt::Committed | KillAt::Pushed => {
            assert!(held.wait(Duration::from_secs(60)), "no push of the task branch came: {at:?}");
        }
        KillAt::Recorded => wait_for_state("a session completed", || {
            let all = sessions(first, &id);
            if all.iter().any(|s| s["status"] == "completed") { Ok(()) } else { Err(format!("{all:#?}")) }
        }),
    }
    let holder = cluster.nodes.iter().position(Node::runs_agents).expect("a node runs the task's agent");
    let survivor = 1 - holder;
    cluster.nodes[holder].server.take().expect("the holder runs").kill9();
    let killed = Instant::now();
    held.release();

    // The survivor takes the task over: its agent starts, or the task reaches review.
    let hand_over = wait_for_state("the survivor takes the task over", || {
        let node = &cluster.nodes[survivor];
        let status = node.server().task_json(&["show", &id, "--json"])["status"].clone();
        if node.runs_agents() || status == "implementation_review" {
            return Ok(killed.elapsed());
        }
        Err(format!("status {status}, sessions {:#?}", sessions(node.server(), &id)))
    });
    assert!(hand_over <= HAND_OVER_BOUND, "{at:?}: the hand-over took {hand_over:?}");
    let survivor_server = cluster.nodes[survivor].server();
    wait_for(survivor_server, &id, "implementation_review", Duration::from_secs(120));
    assert_implemented_once_and_finish(survivor_server, &repository.bare, &id, &handle);

    // The killed node starts again: what it held and the remote lacks is said on the task.
    cluster.start_node(holder);
    if matches!(at, KillAt::Committed) {
        let restarted = cluster.nodes[holder].server();
        let path = format!("/api/v1/spec-tasks/{id}/coordination-log");
        wait_until("the restarted node says what only it held", || {
            let log = http_json(&restarted.url, &path);
            log.as_array().into_iter().flatten().any(|e| {
                e["message"].as_str().is_some_and(|m| {
                    m.contains(cluster.nodes[holder].name) && m.contains("that the remote lacks")
                })
            })
        });
    }
    assert_no_task_failed(cluster);
    assert_fsck_clean(&repository.bare);
    Figures { at, hand_over, total: started.elapsed() }
}

/// The repository name of a boundary.
fn name(at: KillAt) -> String {
    format!("{at:?}").to_lowercase()
}

/// Creates the three-task spec task on `server` and approves its spec; its id and handle.
fn create_and_approve(server: &Server, repo: &Path) -> (String, String) {
    crate::crash_restart::create_and_approve(server, repo)
}

/// No task of the run failed, as any running node sees them.
fn assert_no_task_failed(cluster: &Cluster) {
    let node = cluster.nodes.iter().find(|n| n.server.is_some()).expect("a node runs");
    let tasks = node.server().task_json(&["list", "--json"]);
    let failed: Vec<_> =
        tasks.as_array().into_iter().flatten().filter(|t| t["status"] == "failed").cloned().collect();
    assert!(failed.is_empty(), "failed tasks: {failed:#?}");
}
