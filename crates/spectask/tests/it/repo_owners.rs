//! Two users on one server: a repository belongs to the user who registered it and the members
//! they add. Another user cannot change what runs in its tasks — not by registering its path again
//! with their own check command, merge policy or design-docs branch, not through an update, not by
//! creating tasks in it — and the owner's task runs the owner's check only, end to end.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::implementation::git;
use crate::support::{Server, git_repo, json, scripted_coder_data, spectask, stderr, stdout};

pub const GREETING: &str = r#"
[[rule]]
match = "*Your task: Add a greeting*"
steps = [
  { write_file = { path = "greeting.txt", content = "hello\n" } },
  { message = "Added greeting.txt." },
]
"#;

const ALICES_CHECK: &str = "test -f greeting.txt";
const BOBS_CHECK: &str = "echo pwned > pwned.txt; true";

/// `spectask <args>` against `server` as the user whose token is `token`.
pub fn as_user(server: &Server, token: &str, args: &[&str]) -> Output {
    spectask()
        .args(&args[..1])
        .arg("--server")
        .arg(&server.url)
        .args(&args[1..])
        .env("SPECTASK_TOKEN", token)
        .output()
        .expect("run spectask")
}

/// Adds `name` to the server's users and returns a token of theirs.
pub fn user(data: &Path, name: &str) -> String {
    let added = spectask().args(["user", "add", name, "--data-dir"]).arg(data).output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let token =
        spectask().args(["token", "create", "--user", name, "--data-dir"]).arg(data).output().unwrap();
    assert!(token.status.success(), "{}", stderr(&token));
    stdout(&token).trim().to_owned()
}

fn refused(output: &Output, naming: &str) {
    assert!(!output.status.success(), "not refused: {}", stdout(output));
    assert!(stderr(output).contains(naming), "the refusal should say {naming:?}: {}", stderr(output));
}

#[test]
fn another_user_cannot_change_what_runs_in_the_owners_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), GREETING);
    let server = Server::start(&data, None);
    let (alice, bob) = (user(&data, "alice"), user(&data, "bob"));
    let path = repo.to_str().unwrap();

    let added = as_user(&server, &alice, &["repo", "add", path, "--check", ALICES_CHECK, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let added = json(&added);
    assert_eq!(added["owner"], "alice", "{added}");
    let id = added["id"].as_str().unwrap().to_owned();

    // Registering her path again, with or without settings, is refused naming the way in (not
    // her, nor the repository's id).
    let takeover = ["repo", "add", path, "--check", BOBS_CHECK, "--merge-policy", "keep_branch"];
    refused(&as_user(&server, &bob, &takeover), "registered by another user");
    let again = as_user(&server, &bob, &["repo", "add", path]);
    refused(&again, "spectask repo member add");
    assert!(!stderr(&again).contains("alice") && !stderr(&again).contains(&id), "{}", stderr(&again));
    refused(&as_user(&server, &bob, &["repo", "add", path, "--design-docs-branch", "stray"]), "another user");
    let branches = git(&repo, &["branch", "--list", "--format=%(refname:short)"]);
    assert!(!branches.contains("stray"), "no branch made for bob: {branches}");
    assert!(!repo.join(".git-worktrees/stray").exists(), "no worktree made for bob");
    // Nor can he change its settings, add himself, or create tasks in it.
    refused(&as_user(&server, &bob, &["repo", "set", &id, "--check", BOBS_CHECK]), "no repository of yours");
    refused(&as_user(&server, &bob, &["repo", "member", "add", &id, "bob"]), "no repository of yours");
    let create = ["task", "create", "--repo", path, "--kind", "coding_session", "Add a greeting"];
    refused(&as_user(&server, &bob, &create), "registered by another user");
    // Nor probe the server's disk: a missing path and a plain directory are refused alike.
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let missing = dir.path().join("missing");
    for path in [plain.to_str().unwrap(), missing.to_str().unwrap()] {
        let probe = as_user(&server, &bob, &["repo", "add", path]);
        refused(&probe, "is not a git repository this server can use");
        assert!(!stderr(&probe).contains("does not exist"), "{}", stderr(&probe));
    }
    // Outside the directories the operator allows, whatever is there.
    for path in ["/nonexistent/spectask-probe", "/etc", "/"] {
        refused(&as_user(&server, &bob, &["repo", "add", path]), "outside the directories");
    }
    let listed = json(&as_user(&server, &alice, &["repo", "list", "--json"]));
    assert_eq!(listed[0]["check_command"], ALICES_CHECK, "{listed}");
    assert_eq!(listed[0]["merge_policy"], "merge", "{listed}");

    // Her task runs her check only, and lands on main without anything of bob's.
    let task = greeting_task(&server, &alice, path);
    wait_as(&server, &alice, &task, "implementation_review");
    assert!(as_user(&server, &alice, &["task", "approve", &task]).status.success());
    wait_as(&server, &alice, &task, "done");
    let ran: Vec<String> = check_events_as(&server, &alice, &task);
    assert_eq!(ran, [ALICES_CHECK], "only her check ran");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(files.contains("greeting.txt") && !files.contains("pwned.txt"), "{files}");
    assert!(!repo.join("pwned.txt").exists());

    // Once she adds him, he changes settings; once she removes him, he cannot.
    assert!(as_user(&server, &alice, &["repo", "member", "add", &id, "bob"]).status.success());
    let members = json(&as_user(&server, &bob, &["repo", "member", "list", &id, "--json"]));
    assert_eq!(members["members"], serde_json::json!(["alice", "bob"]), "{members}");
    refused(
        &as_user(&server, &bob, &["repo", "member", "remove", &id, "alice"]),
        "only the repository's owner",
    );
    let set = as_user(&server, &bob, &["repo", "set", &id, "--merge-policy", "keep_branch", "--json"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(json(&set)["merge_policy"], "keep_branch");
    assert!(as_user(&server, &alice, &["repo", "member", "remove", &id, "bob"]).status.success());
    refused(&as_user(&server, &bob, &["repo", "set", &id, "--check", BOBS_CHECK]), "no repository of yours");
    server.stop();
}

/// Creates the greeting coding session in the repository at `path` as the user of `token`; its id.
pub fn greeting_task(server: &Server, token: &str, path: &str) -> String {
    let args = ["task", "create", "--repo", path, "--kind", "coding_session", "--title", "Add a greeting"];
    let created = as_user(server, token, &[&args[..], &["Add a greeting", "--json"]].concat());
    assert!(created.status.success(), "{}", stderr(&created));
    json(&created)["id"].as_str().unwrap().to_owned()
}

/// Waits, as the user of `token`, until task `id` is `want`.
pub fn wait_as(server: &Server, token: &str, id: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let task = json(&as_user(server, token, &["task", "show", id, "--json"]));
        if task["status"] == want {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "task stayed {} (want {want}): {task}", task["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The commands of the checks that ran in task `id`, from its events as its owner sees them.
fn check_events_as(server: &Server, token: &str, id: &str) -> Vec<String> {
    let watched = as_user(server, token, &["task", "watch", id, "--json"]);
    let events: Vec<serde_json::Value> = stdout(&watched)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .filter(|e: &serde_json::Value| e["kind"] == "work_session.check")
        .collect();
    events.iter().filter_map(|e| e["payload"]["command"].as_str().map(str::to_owned)).collect()
}
