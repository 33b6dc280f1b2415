//! Verified completion through the real binary: a repository's check command (`repo add --check`)
//! runs in the session's worktree after a turn that claims completion; a failing check goes back to
//! the same thread with its output, and the session completes only once it passes, or fails with
//! the output when no round is left. Every check is a decision in the history and an event.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::implementation::{git, sessions};
use crate::support::{
    CoderConfig, Server, coder_data, git_repo, http_json, json, scripted_coder_data, spectask, stderr,
};

const CHECK: &str = "test -f fixed.txt || { echo 'fixed.txt is missing'; exit 1; }";

/// The rule of the first turn: it writes the feature but not `fixed.txt`.
macro_rules! greeting_rule {
    () => {
        r#"
[[rule]]
match = "*Your task: Add a greeting*"
steps = [
  { write_file = { path = "greeting.txt", content = "hello\n" } },
  { message = "Added greeting.txt." },
]
"#
    };
}

/// Told that the check failed, it adds `fixed.txt`.
const FIXING: &str = concat!(
    r#"
[[rule]]
match = "*check `*` failed after your turn*fixed.txt is missing*"
steps = [
  { write_file = { path = "fixed.txt", content = "fixed\n" } },
  { message = "Added fixed.txt." },
]
"#,
    greeting_rule!()
);

/// Its agent process dies when told that the check failed.
const CRASHING: &str = concat!(
    r#"
[[rule]]
match = "*check `*` failed after your turn*"
steps = [{ crash = 3 }]
"#,
    greeting_rule!()
);

/// Never fixes anything.
const STUBBORN: &str = r#"
[[rule]]
match = "*"
steps = [
  { write_file = { path = "greeting.txt", content = "hello\n" } },
  { message = "Done, I think." },
]
"#;

fn add_repo(server: &Server, repo: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["repo", "add", repo.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let added = server.task_like(&args);
    assert!(added.status.success(), "{}", stderr(&added));
    json(&added)
}

/// `spectask repo set <repo> <extra> --json`.
fn set_repo(server: &Server, repo: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["repo", "set", repo.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let set = server.task_like(&args);
    assert!(set.status.success(), "{}", stderr(&set));
    json(&set)
}

/// The `work_session.check` events of task `id` (`task watch --json` replays them; it exits once
/// the task has ended).
pub(crate) fn check_events(server: &Server, id: &str) -> Vec<Value> {
    let out = spectask().args(["task", "--server", &server.url, "watch", id, "--json"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["kind"] == "work_session.check")
        .collect()
}

fn history(server: &Server, session: &Value, file: &str) -> String {
    let id = session["id"].as_str().unwrap();
    let history = http_json(&server.url, &format!("/api/v1/work-sessions/{id}/history"));
    history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"] == file)
        .filter_map(|e| e["content"].as_str())
        .collect()
}

/// The repository's `pre-commit` hook refuses work without `fixed.txt` staged.
const PRE_COMMIT_HOOK: &str = "#!/bin/sh\n\
git diff --cached --name-only | grep -qx fixed.txt || { echo 'pre-commit: fixed.txt is missing'; exit 1; }\n";

/// A repository `app` under `dir` whose `pre-commit` hook is [`PRE_COMMIT_HOOK`], and a server whose
/// coder follows [`FIXING`].
fn with_refusing_hook(dir: &Path) -> (std::path::PathBuf, Server) {
    use std::os::unix::fs::PermissionsExt;
    let repo = git_repo(dir, "app");
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, PRE_COMMIT_HOOK).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = scripted_coder_data(dir, FIXING);
    (repo, Server::start(&data, None))
}

/// A repository's `pre-commit` hook is judged like a check before the session completes: its
/// refusal goes back to the thread with the hook's output, and the work is committed, hook and
/// all, once it passes.
#[test]
fn a_refusing_pre_commit_hook_goes_back_to_the_thread_like_a_failing_check() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, server) = with_refusing_hook(dir.path());
    add_repo(&server, &repo, &[]);

    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    assert_eq!(session["status"], "completed", "{session:#}");
    let conversation = history(&server, &session, "conversation");
    assert!(conversation.contains("pre-commit: fixed.txt is missing"), "{conversation}");
    let decisions = history(&server, &session, "decisions");
    assert!(
        decisions.contains("- check `git hook run pre-commit`: failed (exit 1), sent back"),
        "{decisions}"
    );

    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(files.contains("greeting.txt") && files.contains("fixed.txt"), "{files}");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "done", Duration::from_secs(60));
    let events = check_events(&server, &id);
    let outcomes: Vec<&str> = events.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back"], "the hook passed, and no check command is set: {events:#?}");
    server.stop();
}

/// A repository whose hooks are skipped (`repo add --hooks skip`): the refusing hook is never run,
/// and the work is committed as the agent left it. The policy is the store's, which every node
/// records in its own clone: a clone that recorded otherwise (another node's, or one set before)
/// follows it once a node opens it.
#[test]
fn a_repository_may_skip_its_hooks_for_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, server) = with_refusing_hook(dir.path());
    assert_eq!(add_repo(&server, &repo, &["--hooks", "skip"])["hooks"], "skip");
    assert_eq!(add_repo(&server, &repo, &[])["hooks"], "skip", "kept when not named");
    server.stop();
    let config = repo.join(".git/spectask/config");
    assert!(std::fs::read_to_string(&config).unwrap().contains("hooks = skip"));
    git(&repo, &["config", "--file", config.to_str().unwrap(), "spectask.hooks", "run"]);
    let server = Server::start(&dir.path().join("data"), None);
    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(files.contains("greeting.txt") && !files.contains("fixed.txt"), "{files}");
    assert!(server.task(&["approve", &id]).status.success());
    wait_for(&server, &id, "done", Duration::from_secs(60));
    assert!(check_events(&server, &id).is_empty(), "nothing was judged");
    server.stop();
}

#[test]
fn a_failing_check_goes_back_to_the_thread_and_the_session_completes_once_it_passes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), FIXING);
    let server = Server::start(&data, None);
    // Registered without a check, then given one: `repo set` changes an existing repository.
    assert!(add_repo(&server, &repo, &[])["check_command"].is_null());
    assert_eq!(set_repo(&server, &repo, &["--check", CHECK])["check_command"], CHECK);

    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    assert_eq!(session["status"], "completed", "{session:#}");

    // The failure went back to the same thread with the check's output, and the agent fixed it.
    let conversation = history(&server, &session, "conversation");
    assert!(conversation.contains("fixed.txt is missing"), "{conversation}");
    assert!(conversation.contains("Added fixed.txt."), "{conversation}");
    let decisions = history(&server, &session, "decisions");
    let failed = format!("- check `{CHECK}`: failed (exit 1), sent back to the agent");
    assert!(decisions.contains(&failed), "{decisions}");
    assert!(decisions.contains(&format!("- check `{CHECK}`: passed")), "{decisions}");

    // The implementation review lists the session's checks.
    let summary = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-summary"));
    let summary = summary.to_string();
    assert!(summary.contains("Checks:") && summary.contains("passed"), "{summary}");

    // Both files are in the session's commit.
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(files.contains("greeting.txt") && files.contains("fixed.txt"), "{files}");

    // Approved, the task ends and its events can be replayed whole.
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "done", Duration::from_secs(60));
    let events = check_events(&server, &id);
    let outcomes: Vec<&str> = events.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back", "passed"], "{events:#?}");
    assert_eq!(events[0]["payload"]["exit_code"], 1, "{events:#?}");
    assert!(events[0]["payload"]["output"].as_str().unwrap().contains("fixed.txt is missing"));
    assert!(events.iter().all(|e| e["work_session_id"] == session["id"]), "{events:#?}");

    // `--check ""` removes it.
    assert!(set_repo(&server, &repo, &["--check", ""])["check_command"].is_null());
    server.stop();
}

#[test]
fn a_check_that_keeps_failing_fails_the_session_with_its_output_on_postgres() {
    let url = crate::support::postgres_url();
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let config =
        CoderConfig { orchestrator: "check_rounds = 1\nmax_attempts = 1\n", ..CoderConfig::default() };
    let (data, _) = coder_data(dir.path(), STUBBORN, &config);
    let server = Server::start(&data, Some(&url));
    add_repo(&server, &repo, &["--check", CHECK]);

    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "failed", Duration::from_secs(90));
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("the check `{CHECK}` still fails after 1 round(s)")), "{task:#}");
    assert!(reason.contains("fixed.txt is missing"), "{task:#}");
    let session = sessions(&server, &id).into_iter().next().expect("the work session");
    assert_eq!(session["status"], "failed", "{session:#}");

    let decisions = history(&server, &session, "decisions");
    assert!(decisions.contains("sent back to the agent"), "{decisions}");
    assert!(decisions.contains("no round left: the session fails"), "{decisions}");
    assert!(decisions.contains("fixed.txt is missing"), "{decisions}");
    let events = check_events(&server, &id);
    let outcomes: Vec<&str> = events.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back", "failed"], "{events:#?}");

    // A person's retry gives the session its rounds afresh.
    let retried = server.task(&["retry", &id]);
    assert!(retried.status.success(), "{}", stderr(&retried));
    wait_for(&server, &id, "implementation", Duration::from_secs(30));
    let task = wait_for(&server, &id, "failed", Duration::from_secs(90));
    // (`task watch` stops replaying at the first end, so the history tells the rounds here.)
    let decisions = history(&server, &session, "decisions");
    assert_eq!(decisions.matches("sent back to the agent").count(), 2, "{task:#}\n{decisions}");
    assert_eq!(decisions.matches("no round left: the session fails").count(), 2, "{task:#}\n{decisions}");
    server.stop();
}

#[test]
fn the_rounds_count_over_the_orchestrators_retries_of_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let config =
        CoderConfig { orchestrator: "check_rounds = 1\nmax_attempts = 3\n", ..CoderConfig::default() };
    let (data, _) = coder_data(dir.path(), CRASHING, &config);
    let server = Server::start(&data, None);
    add_repo(&server, &repo, &["--check", CHECK]);

    // The failure is sent back; the agent dies on it; the orchestrator tries the session again in
    // a new agent process, whose turn fails the check again: no round is left.
    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "failed", Duration::from_secs(120));
    let reason = task["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("the check `{CHECK}` still fails after 1 round(s)")), "{task:#}");
    let events = check_events(&server, &id);
    let outcomes: Vec<&str> = events.iter().filter_map(|e| e["payload"]["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["sent_back", "failed"], "{events:#?}");
    server.stop();
}
