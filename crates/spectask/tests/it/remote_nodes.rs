//! Two nodes on one PostgreSQL database that share no disk: each runs in a mount namespace where
//! the other's directory is an empty tmpfs, and both reach the repository only by its URL, served
//! by `git http-backend` on loopback. The first node registers it, plans the task and starts its
//! sessions; `kill -9` of it mid-session; the second node, which never saw the first one's disk,
//! clones the repository into its own data dir, carries the task on from what was pushed, and
//! completes it: every session once, the merge and the whole history on the remote.

use std::path::Path;
use std::time::Duration;

use crate::crash_restart::{
    SLOW_CODER, assert_fsck_clean, assert_implemented_once_and_finish, create_and_approve, setup, wait_for,
    wait_mid_session,
};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::git_http::GitHttp;
use crate::implementation::{git, wait_until};
use crate::remote_repos::{files_on, upstream};
use crate::support::{Server, json, processes_with, stderr, stdout};

#[test]
fn a_task_moves_to_a_node_that_shares_no_disk_through_the_remote() {
    let database = crate::support::postgres_url();
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let bare = upstream(dir.path());
    let http = GitHttp::serve(&dir.path().join("remote"));
    let url = format!("{}/upstream.git", http.base);
    let (home_a, home_b) = (dir.path().join("a"), dir.path().join("b"));
    let (data_a, script_a) = setup(&home_a, &llm, SLOW_CODER, "");
    let (data_b, _) = setup(&home_b, &llm, SLOW_CODER, "");
    assert_hidden_from_each_other(&home_a, &home_b);

    let a = Server::start_node_hiding(&data_a, &database, "node-a", &home_b);
    let added = a.task_like(&["repo", "add", &url, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let added = json(&added);
    let clone_a = Path::new(added["path"].as_str().unwrap()).to_path_buf();
    assert!(clone_a.starts_with(home_a.canonicalize().unwrap()), "{}", clone_a.display());
    let (id, handle) = create_and_approve(&a, &clone_a);
    wait_mid_session(&a, &id);
    let needle = script_a.display().to_string();
    assert!(!processes_with(&needle).is_empty(), "the first node's agent works on the task");

    let b = Server::start_node_hiding(&data_b, &database, "node-b", &home_a);
    // The second node has no clone yet: the repository is not unavailable for that.
    let listed = json(&b.task_like(&["repo", "list", "--json"]));
    assert_eq!(listed[0]["design_docs"]["state"], "not_cloned", "{listed:#}");
    a.kill9();
    wait_for(&b, &id, "implementation_review", Duration::from_secs(120));
    // The second node worked in a clone of its own, made from the URL.
    let clone_b = data_b.join("clones").join(added["id"].as_str().unwrap());
    assert!(clone_b.join(".git").is_dir(), "{} is the second node's clone", clone_b.display());
    assert_implemented_once_and_finish(&b, &bare, &id, &handle);

    // The task's history from both nodes is one forward-only history on the remote.
    let complete = format!("sessions/{handle}/IMPLEMENTATION_COMPLETE.md");
    wait_until("the closing history reaches the remote", || {
        files_on(&bare, "helix-design-docs").contains(&complete)
    });
    // A repository marked as needing attention would have its state mirrored no more.
    let repos = b.task_like(&["repo", "list", "--json"]);
    assert!(
        repos.status.success(),
        "the repository needs no attention: {}{}",
        stdout(&repos),
        stderr(&repos)
    );
    let history = files_on(&bare, "helix-design-docs");
    for file in [format!("specs/{handle}/requirements.md"), format!("specs/{handle}/state.json")] {
        let log = || git(&bare, &["log", "--name-status", "--format=%n%h %s", "helix-design-docs"]);
        assert!(history.contains(&file), "{file} in\n{history}\n{}", log());
    }
    // Mirrored before the summary that closes the task: the state there is the task done.
    let state: serde_json::Value =
        serde_json::from_str(&git(&bare, &["show", &format!("helix-design-docs:specs/{handle}/state.json")]))
            .unwrap();
    assert_eq!(state["spec_tasks"][0]["status"], "done", "{state:#}");
    b.stop();
    assert_eq!(git(&clone_b, &["rev-parse", "main"]), git(&bare, &["rev-parse", "main"]), "main pushed");
    assert_fsck_clean(&bare);
    assert_fsck_clean(&clone_b);
}

/// Each node's namespace shows the other's directory empty: the two share no disk.
fn assert_hidden_from_each_other(home_a: &Path, home_b: &Path) {
    for (hidden, seen) in [(home_b, home_a), (home_a, home_b)] {
        let listing = std::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(r#"mount -t tmpfs none "$0" && ls -A "$0" && ls -A "$1" >/dev/null"#)
            .arg(hidden)
            .arg(seen)
            .output()
            .unwrap();
        assert!(listing.status.success(), "{}", stderr(&listing));
        assert_eq!(String::from_utf8_lossy(&listing.stdout), "", "{} is empty there", hidden.display());
    }
}

/// On a node whose clone of a repository registered by URL is still being made (cloned, not yet
/// registered, its maker holding the lock beside it), the repository reads as not cloned yet
/// there: neither unavailable nor needing attention. Once the lock is let go, the node finishes
/// that clone.
#[test]
fn a_clone_still_being_made_reads_as_not_cloned_yet() {
    let database = crate::support::postgres_url();
    let dir = tempfile::tempdir().unwrap();
    upstream(dir.path());
    let http = GitHttp::serve(&dir.path().join("remote"));
    let url = format!("{}/upstream.git", http.base);
    let (home_a, home_b) = (dir.path().join("a"), dir.path().join("b"));
    let (data_a, data_b) = (home_a.join("data"), home_b.join("data"));
    let clones = data_b.join("clones");
    std::fs::create_dir_all(&data_a).unwrap();
    std::fs::create_dir_all(&clones).unwrap();
    let a = Server::start_node_hiding(&data_a, &database, "node-a", &home_b);
    let added = a.task_like(&["repo", "add", &url, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let id = json(&added)["id"].as_str().unwrap().to_owned();

    // The second node's clone as its maker leaves it before registering it: cloned aside, moved
    // into place, the lock beside it held.
    let partial = clones.join(format!(".{id}.partial"));
    git(dir.path(), &["clone", "-q", &url, partial.to_str().unwrap()]);
    std::fs::rename(&partial, clones.join(&id)).unwrap();
    let mut maker = std::process::Command::new("flock")
        .arg("--no-fork")
        .arg(clones.join(format!(".{id}.lock")))
        .args(["sleep", "600"])
        .spawn()
        .unwrap();
    let b = Server::start_node_hiding(&data_b, &database, "node-b", &home_a);
    let listed = json(&b.task_like(&["repo", "list", "--json"]));
    maker.kill().unwrap();
    maker.wait().unwrap();
    assert_eq!(listed[0]["design_docs"]["state"], "not_cloned", "{listed:#}");
    assert_eq!(listed[0]["attention"], serde_json::Value::Null, "{listed:#}");
    // Let go, the clone is finished by the node.
    wait_until("the second node registers its clone", || {
        let listed = b.task_like(&["repo", "list", "--json"]);
        listed.status.success() && json(&listed)[0]["design_docs"]["state"] == "healthy"
    });
    b.stop();
    a.stop();
}
