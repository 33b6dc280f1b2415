//! Durability through the real binary: `kill -9` of the server while work sessions run, then a
//! restart on the same data dir under the same node name; the task completes with nothing done twice
//! and nothing lost.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, said_to, sessions, wait_for_state, wait_until};
use crate::support::{CoderConfig, Server, coder_data, git_repo, http_json, processes_with, stderr};

/// The plan of `three_task_spec`, as session names.
pub const PLAN: [&str; 3] = ["1 Add the user model", "2 Add the login route", "3 Wire login into the app"];
/// The file each plan task's session writes.
const FILES: [&str; 3] = ["src/user.js", "src/login.js", "src/app.js"];

/// The scripted coder's rule for plan task 3, the same in every script of these tests: it writes
/// its file at once.
macro_rules! wire_login_rule {
    () => {
        r##"
[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]
"##
    };
}
pub(crate) use wire_login_rule;

/// Sessions 1 and 2 take a while, then write their file (a thread cut off by a crash is opened anew
/// and does it all again).
pub const SLOW_CODER: &str = concat!(
    r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { sleep = 2500 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { sleep = 4000 },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

"##,
    wire_login_rule!()
);

/// A data dir whose config plans with the fake LLM and implements with the scripted agent, with short
/// leases. The agent keeps no state: a thread cut off by a crash is opened anew with the full prompt.
/// Returns the data dir and the script's path (which names the agent processes).
pub fn setup(dir: &Path, llm: &FakeLlm, script: &str, extra: &str) -> (PathBuf, PathBuf) {
    setup_agent(dir, llm, script, &CoderConfig { orchestrator: extra, ..CoderConfig::default() })
}

/// `setup` for an agent that keeps its sessions on disk (under `dir/agent-state`), so the next agent
/// process can `session/load` them.
pub fn setup_stateful(dir: &Path, llm: &FakeLlm, script: &str) -> (PathBuf, PathBuf) {
    let state = dir.join("agent-state").display().to_string();
    let profile = format!("sandbox_write = [\"{state}\"]\n");
    let config =
        CoderConfig { agent_args: &["--state-dir", &state], profile: &profile, ..CoderConfig::default() };
    setup_agent(dir, llm, script, &config)
}

/// `kill -9` of `server`, then a server on the same data dir under the same node name (`node-1`):
/// the jobs leased to the dead process are taken back at once.
pub fn kill_9_and_restart_node(server: Server, data: &Path, database_url: Option<&str>) -> Server {
    server.kill9();
    Server::start_node(data, database_url, "node-1")
}

/// `setup` as `config` says besides: the fake LLM plans, leases are short and retries quick.
pub fn setup_agent(dir: &Path, llm: &FakeLlm, script: &str, config: &CoderConfig) -> (PathBuf, PathBuf) {
    let orchestrator = format!("lease_seconds = 1.5\nbackoff_initial_seconds = 0.1\n{}", config.orchestrator);
    let config = CoderConfig { planner: Some(&llm.base_url), orchestrator: &orchestrator, ..*config };
    coder_data(dir, script, &config)
}

/// Polls `task show` until the status is `want`, for up to `limit`.
pub fn wait_for(server: &Server, id: &str, want: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let task = server.task_json(&["show", id, "--json"]);
        if task["status"] == want {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "task {id} stayed {} (want {want}): {task}\nsessions: {:#?}",
            task["status"],
            sessions(server, id)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates the three-task spec task and approves its spec; returns its id and handle.
pub fn create_and_approve(server: &Server, repo: &Path) -> (String, String) {
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for(server, &id, "spec_review", Duration::from_secs(30));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    (id, task["handle"].as_str().unwrap().to_owned())
}

/// Waits until sessions 1 and 2 run and spectask has told both their task: their agents are in the
/// middle of a turn.
pub fn wait_mid_session(server: &Server, id: &str) {
    wait_for_state("sessions 1 and 2 are running and told their task", || {
        let all = sessions(server, id);
        let told = |name: &str| {
            all.iter()
                .any(|s| s["name"] == name && s["status"] == "running" && said_to(server, s).contains(name))
        };
        if told(PLAN[0]) && told(PLAN[1]) { Ok(()) } else { Err(format!("sessions: {all:#?}")) }
    });
}

/// What a completed implementation must look like after any crash: the plan's sessions exactly once,
/// each one's commit exactly once on the task branch, every session's completion logged exactly once
/// in a gap-free coordination log. Then approves and waits until the branch is merged.
pub fn assert_implemented_once_and_finish(server: &Server, repo: &Path, id: &str, handle: &str) {
    let all = sessions(server, id);
    let mut names: Vec<&str> = all.iter().map(|s| s["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, PLAN, "one session per plan task, none duplicated: {all:#?}");
    assert!(all.iter().all(|s| s["status"] == "completed"), "{all:#?}");

    let messages = git(repo, &["log", "--format=%B", &format!("spectask/{handle}")]);
    let trailers: Vec<&str> = messages.lines().filter(|l| l.starts_with("Work-Session: ")).collect();
    assert_eq!(trailers.len(), PLAN.len(), "one commit per session:\n{messages}");
    for session in &all {
        let trailer = format!("Work-Session: {}", session["id"].as_str().unwrap());
        assert_eq!(trailers.iter().filter(|t| **t == trailer).count(), 1, "{trailer} in\n{messages}");
        // The session's commit holds its own file, not a sibling's.
        let commit = git(repo, &["log", "--format=%H", "--grep", &trailer, &format!("spectask/{handle}")]);
        let files = git(repo, &["show", "--name-only", "--format=", commit.trim()]);
        let own = PLAN.iter().position(|p| session["name"] == *p).map(|i| FILES[i]).unwrap();
        assert_eq!(files.trim(), own, "the commit of {} holds exactly its file", session["name"]);
    }

    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let log = log.as_array().expect("a list of coordination events");
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gap-free and ordered: {log:#?}");
    for session in &all {
        let completed = log
            .iter()
            .filter(|e| e["kind"] == "session_completed" && e["from_session"] == session["id"])
            .count();
        assert_eq!(completed, 1, "completion of {} logged once: {log:#?}", session["name"]);
    }
    for n in 1..=PLAN.len() {
        let done = format!("{n} done");
        let count =
            log.iter().filter(|e| e["kind"] == "plan_task_done" && e["message"] == done.as_str()).count();
        assert_eq!(count, 1, "{done:?} logged once: {log:#?}");
    }

    let approved = server.task(&["approve", id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(server, id, "done", Duration::from_secs(30));
    wait_until("the task branch is merged into main", || {
        let files = git(repo, &["ls-tree", "-r", "--name-only", "main"]);
        ["src/user.js", "src/login.js", "src/app.js"].iter().all(|f| files.contains(f))
    });
}

/// `git fsck --strict` is clean; run once the server stopped (fsck racing a commit being written
/// reports the new commit as an invalid reflog entry).
pub fn assert_fsck_clean(repo: &Path) {
    let fsck = Command::new("git").args(["fsck", "--strict"]).current_dir(repo).output().unwrap();
    assert!(
        fsck.status.success(),
        "{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
}

/// Agent processes started from `script` are all gone (an orphan must notice its client died).
pub fn assert_no_agent_left(script: &Path) {
    let needle = script.display().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_with(&needle);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "agent processes left behind: {left:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn kill_9_during_implementation_then_restart_completes_without_duplicates() {
    kill_9_and_restart(None);
}

#[test]
fn kill_9_during_implementation_then_restart_completes_without_duplicates_on_postgres() {
    let url = crate::support::postgres_url();
    kill_9_and_restart(Some(&url));
}

fn kill_9_and_restart(database_url: Option<&str>) {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup(dir.path(), &llm, SLOW_CODER, "");
    let server = Server::start_node(&data, database_url, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    wait_mid_session(&server, &id);

    let server = kill_9_and_restart_node(server, &data, database_url);
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_implemented_once_and_finish(&server, &repo, &id, &handle);
    server.stop();
    assert_fsck_clean(&repo);
    assert_no_agent_left(&script);
}

/// A session's `git commit` that fails after its completion was written (someone holds a lock on
/// the task branch's ref for longer than spectask waits): the session is completed with its
/// changes staged, and its file is not on the branch. Once the lock goes, that commit is made
/// first, under the session's own name, before its sibling's: each session's work lands once, in
/// its own commit.
#[test]
fn a_session_commit_failing_after_its_completion_lands_under_its_own_name() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    // Each try of the drives meanwhile waits for the lock and fails: they may not fail the task.
    let (data, _script) = setup(dir.path(), &llm, SLOW_CODER, "max_attempts = 50\n");
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    wait_mid_session(&server, &id);
    let lock = repo.join(".git/refs/heads/spectask").join(format!("{handle}.lock"));
    std::fs::write(&lock, "").unwrap();
    wait_for_state("session 1 is completed", || {
        let all = sessions(&server, &id);
        let done = all.iter().any(|s| s["name"] == PLAN[0] && s["status"] == "completed");
        if done { Ok(()) } else { Err(format!("{all:#?}")) }
    });
    // Well past spectask's wait for a lock (at most 2.6 s): the commit failed.
    std::thread::sleep(Duration::from_secs(5));
    let on_branch = git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    assert!(!on_branch.contains(FILES[0]), "committed despite the lock:\n{on_branch}");
    std::fs::remove_file(&lock).unwrap();

    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_implemented_once_and_finish(&server, &repo, &id, &handle);
    server.stop();
    assert_fsck_clean(&repo);
}

/// Sessions write their file first and then take a while; a thread loaded after a restart only
/// reports back (its changes are already in the worktree).
const RESUMABLE_CODER: &str = concat!(
    r##"
[[rule]]
match = "*You are resuming this task*"
steps = [{ message = "Resumed after the restart: my changes are in place." }]

[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { sleep = 3000 },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { sleep = 3000 },
  { message = "Added src/login.js." },
]

"##,
    wire_login_rule!()
);

#[test]
fn kill_9_then_restart_resumes_the_running_thread_by_session_load() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup_stateful(dir.path(), &llm, RESUMABLE_CODER);
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    let worktree = repo.join(".git-worktrees").join(&handle);
    // Their threads must be on record as told their task: a restart tells only those to resume.
    let running = wait_for_state("sessions 1 and 2 run, told their task, with their files written", || {
        let all = sessions(&server, &id);
        let running: Vec<Value> = all
            .iter()
            .filter(|s| s["status"] == "running" && s["acp_session_id"].is_string())
            .filter(|s| said_to(&server, s).contains("Your task: "))
            .cloned()
            .collect();
        let written = ["src/user.js", "src/login.js"].iter().all(|f| worktree.join(f).is_file());
        if running.len() == 2 && written { Ok(running) } else { Err(format!("sessions: {all:#?}")) }
    });

    let server = kill_9_and_restart_node(server, &data, None);
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let after = sessions(&server, &id);
    for before in &running {
        let resumed = after.iter().find(|s| s["id"] == before["id"]).unwrap();
        assert_eq!(
            resumed["acp_session_id"], before["acp_session_id"],
            "the same thread, loaded: {resumed:#}"
        );
        assert!(
            resumed["summary"].as_str().unwrap_or_default().contains("Resumed after the restart"),
            "the loaded thread was told to continue: {resumed:#}"
        );
    }
    assert_implemented_once_and_finish(&server, &repo, &id, &handle);
    server.stop();
    assert_fsck_clean(&repo);
    assert_no_agent_left(&script);
}

/// Session 1 takes a while; session 3 (behind 1 and 2) rewrites session 1's file.
const REWRITING_CODER: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { sleep = 3000 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [], admins: [] };\n" } },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js, with admins." },
]
"##;

/// A session whose commit nothing can refuse completes once git's status listed its changes, and
/// the session its completion starts is prompted only once they are staged. Here git cannot stage
/// them (someone holds the worktree's index lock for longer than spectask waits): session 1 is
/// completed, session 3 runs but writes nothing, and once the lock goes, session 1's noted commit
/// is made from the worktree, with its own version of the file session 3 rewrites after.
#[test]
fn a_session_started_by_a_completion_is_prompted_only_once_its_changes_are_staged() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = setup(dir.path(), &llm, REWRITING_CODER, "max_attempts = 50\n");
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    let branch = format!("spectask/{handle}");
    let worktree = repo.join(".git-worktrees").join(&handle);
    wait_for_state("session 2 is committed while session 1 works", || {
        // The branch is made as the sessions start.
        let listed =
            Command::new("git").args(["ls-tree", "-r", "--name-only", &branch]).current_dir(&repo).output();
        let on_branch = String::from_utf8_lossy(&listed.unwrap().stdout).into_owned();
        let all = sessions(&server, &id);
        let first_runs = all.iter().any(|s| s["name"] == PLAN[0] && s["status"] == "running");
        if on_branch.contains(FILES[1]) && first_runs {
            Ok(())
        } else {
            Err(format!("{on_branch}\n{all:#?}"))
        }
    });
    let admin = git(&worktree, &["rev-parse", "--absolute-git-dir"]);
    let lock = Path::new(admin.trim()).join("index.lock");
    std::fs::write(&lock, "").unwrap();
    wait_for_state("session 1 is completed and session 3 runs, the index locked", || {
        let all = sessions(&server, &id);
        let is = |name: &str, status: &str| all.iter().any(|s| s["name"] == name && s["status"] == status);
        if is(PLAN[0], "completed") && is(PLAN[2], "running") { Ok(()) } else { Err(format!("{all:#?}")) }
    });
    // Well past spectask's wait for a lock (at most 2.6 s): session 1's staging failed.
    std::thread::sleep(Duration::from_secs(4));
    let user = std::fs::read_to_string(worktree.join("src/user.js")).unwrap();
    assert_eq!(
        user, "module.exports = { users: [] };\n",
        "session 3 wrote before session 1's changes were staged"
    );
    assert!(
        !worktree.join("src/app.js").exists(),
        "session 3 was prompted before session 1's changes were staged"
    );
    std::fs::remove_file(&lock).unwrap();

    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let all = sessions(&server, &id);
    let commit_of = |name: &str| {
        let session = all.iter().find(|s| s["name"] == name).unwrap();
        let trailer = format!("Work-Session: {}", session["id"].as_str().unwrap());
        let commits = git(&repo, &["log", "--format=%H", "--grep", &trailer, &branch]);
        let commits: Vec<&str> = commits.lines().collect();
        assert_eq!(commits.len(), 1, "one commit for session {name}: {commits:?}\n{all:#?}");
        commits[0].to_owned()
    };
    let (first, third) = (commit_of(PLAN[0]), commit_of(PLAN[2]));
    assert_eq!(git(&repo, &["show", &format!("{first}:src/user.js")]), "module.exports = { users: [] };\n");
    let files = git(&repo, &["show", "--name-only", "--format=", &third]);
    assert_eq!(files.lines().collect::<Vec<_>>(), ["src/app.js", "src/user.js"], "session 3's commit");
    assert_eq!(
        git(&repo, &["show", &format!("{third}:src/user.js")]),
        "module.exports = { users: [], admins: [] };\n"
    );
    server.stop();
    assert_fsck_clean(&repo);
}
