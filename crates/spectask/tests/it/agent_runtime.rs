//! The agent runtime through the real binary: `agent probe` of the scripted agent, an `ask`
//! permission held open until resolved through the approvals API (on the asking node or another one
//! sharing the database), and no agent process left behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::crash_restart::{assert_no_agent_left, setup_agent, wait_for};
use crate::fake_llm::FakeLlm;
use crate::implementation::{sessions, wait_until};
use crate::support::{CoderConfig, Server, git_repo, http, http_json, postgres_url, spectask, stderr};

#[test]
fn probe_of_the_scripted_agent_reports_a_created_session_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = spectask()
        .args(["agent", "probe", "scripted", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["profile"], "scripted", "{report:#}");
    assert_eq!(report["session"]["status"], "created", "{report:#}");
    assert!(report["session"]["session_id"].as_str().is_some_and(|s| !s.is_empty()), "{report:#}");
    // It ran in the sandbox, through this binary's launcher, and says so.
    assert_eq!(report["sandbox"]["mode"], "workspace-write", "{report:#}");
    assert_eq!(report["sandbox"]["enforced"], true, "{report:#}");
    assert_eq!(report["sandbox"]["connect_ports"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["sandbox"]["warnings"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["approval"]["status"], "not_configured", "{report:#}");
    assert_eq!(report["unserved_requests"], serde_json::json!({}), "{report:#}");
    // The probed agent was shut down, not left running.
    let pid = report["pid"].as_u64().expect("the agent's pid");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "the probed agent {pid} still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn probing_qwen_where_it_cannot_start_says_it_needs_node_22() {
    let dir = tempfile::tempdir().unwrap();
    let out = spectask()
        .args(["agent", "probe", "qwen", "--data-dir"])
        .arg(dir.path())
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "probing agent profile qwen (Qwen Code needs Node.js 22 or newer; check with `node --version`)"
        ),
        "{}",
        stderr(&out)
    );
}

const ASKING: &str = r#"
[[rule]]
match = "*Your task: Clean the build*"
steps = [
  { permission = { title = "write cleaned.txt", path = "cleaned.txt" } },
  { write_file = { path = "cleaned.txt", content = "yes\n" } },
  { message = "Cleaned the build directory." },
]
"#;

/// A data dir whose coder follows `ASKING` under `permission_policy = "ask"`; returns it and the script.
fn setup_asking(dir: &Path, llm: &FakeLlm) -> (PathBuf, PathBuf) {
    setup_agent(
        dir,
        llm,
        ASKING,
        &CoderConfig { profile: "permission_policy = \"ask\"\n", ..CoderConfig::default() },
    )
}

/// Answers `approval` with `allow` through `answering`: an option the agent did not offer is refused
/// first; answering again through `again` finds it answered.
fn answer_once(approval: &serde_json::Value, answering: &Server, again: &Server) {
    let path = format!("/api/v1/approvals/{}", approval["id"].as_str().unwrap());
    let (status, body) = http(&answering.url, "POST", &path, Some(r#"{"option_id": "maybe"}"#));
    assert_eq!(status, 422, "{body}");
    let (status, body) = http(&answering.url, "POST", &path, Some(r#"{"option_id": "allow"}"#));
    assert_eq!(status, 204, "{body}");
    let (status, body) = http(&again.url, "POST", &path, Some(r#"{"option_id": "allow"}"#));
    assert_eq!(status, 404, "an approval is answered once, whichever node is asked: {body}");
}

#[test]
fn an_ask_permission_waits_for_the_approvals_api_and_the_session_completes() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup_asking(dir.path(), &llm);
    let server = Server::start(&data, None);

    let id = server.coding_session(&repo, "Clean the build", "remove stale build output");
    let mut pending = serde_json::Value::Null;
    wait_until("the permission request is pending", || {
        pending = http_json(&server.url, "/api/v1/approvals");
        pending.as_array().is_some_and(|a| !a.is_empty())
    });
    let approvals = pending.as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{pending:#}");
    let approval = &approvals[0];
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    assert_eq!(session["status"], "running", "the turn is held open: {session:#}");
    assert_eq!(approval["session_id"], session["acp_session_id"], "{approval:#} {session:#}");
    let options: Vec<&str> =
        approval["options"].as_array().unwrap().iter().filter_map(|o| o["option_id"].as_str()).collect();
    assert!(options.contains(&"allow"), "{approval:#}");

    answer_once(approval, &server, &server);

    wait_for(&server, &id, "implementation_review", Duration::from_secs(30));
    assert_eq!(http_json(&server.url, "/api/v1/approvals"), serde_json::json!([]));
    let session = sessions(&server, &id).into_iter().next().unwrap();
    assert_eq!(session["status"], "completed", "{session:#}");

    server.stop();
    assert_no_agent_left(&script);
}

#[test]
fn cancelling_a_task_withdraws_its_pending_approval_and_stops_the_agent() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup_asking(dir.path(), &llm);
    let server = Server::start(&data, None);
    let id = server.coding_session(&repo, "Clean the build", "remove stale build output");
    wait_until("the permission request is pending", || {
        http_json(&server.url, "/api/v1/approvals").as_array().is_some_and(|a| !a.is_empty())
    });

    let cancelled = server.task_json(&["cancel", &id, "--json"]);
    assert_eq!(cancelled["status"], "cancelled");
    wait_until("the approval is withdrawn", || {
        http_json(&server.url, "/api/v1/approvals") == serde_json::json!([])
    });
    wait_until("the session is cancelled", || {
        sessions(&server, &id).iter().all(|s| s["status"] == "cancelled")
    });
    assert_no_agent_left(&script);
    let handle = cancelled["handle"].as_str().unwrap();
    // Nothing uncommitted was left in it: the worktree goes, the branch stays.
    wait_until("the worktree of the cancelled task is removed", || {
        !repo.join(".git-worktrees").join(handle).exists()
    });
    crate::implementation::git(&repo, &["rev-parse", "--verify", &format!("spectask/{handle}")]);
    server.stop();
}

/// Two nodes on one fresh PostgreSQL schema whose coder asks before cleaning, and the coding session
/// asking it, created through the first.
struct Nodes {
    repo: PathBuf,
    script: PathBuf,
    a: Server,
    b: Server,
    id: String,
}

fn two_asking_nodes(dir: &Path, llm: &FakeLlm) -> Nodes {
    let url = postgres_url();
    let repo = git_repo(dir, "app");
    let (data, script) = setup_asking(dir, llm);
    let a = Server::start_node(&data, Some(&url), "node-a");
    let b = Server::start_node(&data, Some(&url), "node-b");
    let id = a.coding_session(&repo, "Clean the build", "remove stale build output");
    Nodes { repo, script, a, b, id }
}

/// A person pausing and resuming a session again and again while its turn runs (a double click, a
/// thread opened and closed in an editor) spends none of its attempts: each paused turn stops its
/// drive, the resume starts the next, and the session completes once allowed.
#[test]
fn pausing_and_resuming_a_turn_again_and_again_fails_nothing() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, script) = setup_asking(dir.path(), &llm);
    let server = Server::start(&data, None);
    let id = server.coding_session(&repo, "Clean the build", "remove stale build output");
    let mut pending = serde_json::Value::Null;
    // More rounds than the drive's attempts (3): each pause cancels a turn under way.
    for round in 1..=4 {
        wait_until(&format!("round {round}: the permission request is pending"), || {
            pending = http_json(&server.url, "/api/v1/approvals");
            let session = sessions(&server, &id).into_iter().next().unwrap();
            assert_ne!(session["status"], "failed", "round {round}: {session:#}");
            pending.as_array().is_some_and(|a| a.len() == 1)
        });
        let session = pending[0]["work_session_id"].as_str().unwrap().to_owned();
        let status = format!("/api/v1/work-sessions/{session}/status");
        let pause = r#"{"status": "interrupted", "reason": "paused again"}"#;
        let (code, body) = http(&server.url, "PUT", &status, Some(pause));
        assert_eq!(code, 200, "round {round}: {body}");
        let (code, body) = http(&server.url, "PUT", &status, Some(r#"{"status": "running"}"#));
        assert_eq!(code, 200, "round {round}: {body}");
    }
    wait_until("the resumed turn asks again", || {
        pending = http_json(&server.url, "/api/v1/approvals");
        let session = sessions(&server, &id).into_iter().next().unwrap();
        assert_ne!(session["status"], "failed", "{session:#}");
        pending.as_array().is_some_and(|a| a.len() == 1)
    });
    let answer = format!("/api/v1/approvals/{}", pending[0]["id"].as_str().unwrap());
    let (code, body) = http(&server.url, "POST", &answer, Some(r#"{"option_id": "allow"}"#));
    assert_eq!(code, 204, "{body}");
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let session = sessions(&server, &id).into_iter().next().unwrap();
    assert_eq!(session["status"], "completed", "{session:#}");
    server.stop();
    assert_no_agent_left(&script);
}

/// Two nodes on one PostgreSQL database: the approval of the agent running on one node is listed by
/// both and answered through the other; the asking node gives its agent the answer.
#[test]
fn an_approval_asked_on_one_node_is_answered_through_the_other() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let Nodes { repo: _, script, a, b, id } = two_asking_nodes(dir.path(), &llm);
    let mut pending = serde_json::Value::Null;
    wait_until("the permission request is pending on both nodes", || {
        pending = http_json(&a.url, "/api/v1/approvals");
        pending.as_array().is_some_and(|l| l.len() == 1) && http_json(&b.url, "/api/v1/approvals") == pending
    });
    let approval = &pending[0];
    let (asking, other) = match approval["node"].as_str() {
        Some("node-a") => (&a, &b),
        Some("node-b") => (&b, &a),
        _ => panic!("the approval names neither node: {pending:#}"),
    };
    let session = sessions(asking, &id).into_iter().next().expect("the work session");
    assert_eq!(approval["work_session_id"], session["id"], "{approval:#} {session:#}");
    assert_eq!(approval["session_id"], session["acp_session_id"], "{approval:#} {session:#}");

    answer_once(approval, other, asking);

    wait_for(other, &id, "implementation_review", Duration::from_secs(60));
    let session = sessions(other, &id).into_iter().next().unwrap();
    assert_eq!(session["status"], "completed", "{session:#}");
    for node in [&a, &b] {
        assert_eq!(http_json(&node.url, "/api/v1/approvals"), serde_json::json!([]));
    }
    a.stop();
    b.stop();
    assert_no_agent_left(&script);
}

/// Two nodes on one PostgreSQL database: pausing a session through the node that does not run its
/// agent stops the turn under way there (its held permission request is cancelled, nothing is
/// written); resuming it runs it again, and it completes once allowed.
#[test]
fn a_pause_through_the_other_node_stops_the_turn_under_way() {
    let llm = FakeLlm::start(vec![String::new()]);
    let dir = tempfile::tempdir().unwrap();
    let Nodes { repo, script, a, b, id } = two_asking_nodes(dir.path(), &llm);
    let mut pending = serde_json::Value::Null;
    wait_until("the permission request is pending", || {
        pending = http_json(&a.url, "/api/v1/approvals");
        pending.as_array().is_some_and(|l| l.len() == 1)
    });
    let other = if pending[0]["node"] == "node-a" { &b } else { &a };
    let session = pending[0]["work_session_id"].as_str().unwrap().to_owned();
    let status = format!("/api/v1/work-sessions/{session}/status");
    let (code, body) =
        http(&other.url, "PUT", &status, Some(r#"{"status": "interrupted", "reason": "lunch"}"#));
    assert_eq!(code, 200, "{body}");

    let decisions = format!("/api/v1/work-sessions/{session}/history?file=decisions");
    wait_until("the turn under way is cancelled on the agent's node", || {
        http_json(&other.url, &decisions).to_string().contains("not answered, the turn was cancelled")
    });
    let paused = http_json(&other.url, &format!("/api/v1/work-sessions/{session}"));
    assert_eq!(paused["status"], "interrupted", "a retried drive leaves it paused: {paused:#}");
    assert!(
        !repo
            .join(".git-worktrees")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|d| d.path().join("cleaned.txt").exists())
    );

    let (code, body) = http(&other.url, "PUT", &status, Some(r#"{"status": "running"}"#));
    assert_eq!(code, 200, "{body}");
    let mut asked = serde_json::Value::Null;
    wait_until("the resumed turn asks again", || {
        asked = http_json(&other.url, "/api/v1/approvals");
        asked.as_array().is_some_and(|l| l.len() == 1)
    });
    let answer = format!("/api/v1/approvals/{}", asked[0]["id"].as_str().unwrap());
    let (code, body) = http(&other.url, "POST", &answer, Some(r#"{"option_id": "allow"}"#));
    assert_eq!(code, 204, "{body}");
    wait_for(other, &id, "implementation_review", Duration::from_secs(60));
    a.stop();
    b.stop();
    assert_no_agent_left(&script);
}
