//! A repository registered by URL, served over smart HTTP by `git http-backend` on loopback:
//! spectask clones it, starts the task from what the remote has, pushes the task branch as its
//! sessions commit, and pushes the merge and the design-docs history back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::git_http::GitHttp;
use crate::implementation::git;
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json, scripted_coder_data, stderr};

const CHANGELOG: &str = "[[rule]]\nmatch = \"*Your task: Add a changelog*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";

/// `<dir>/remote/upstream.git`: a bare repository with one commit on `main`, open to pushes.
pub fn upstream(dir: &Path) -> std::path::PathBuf {
    let source = git_repo(dir, "source");
    let bare = dir.join("remote").join("upstream.git");
    git(dir, &["clone", "-q", "--bare", source.to_str().unwrap(), bare.to_str().unwrap()]);
    git(&bare, &["config", "http.receivepack", "true"]);
    bare
}

/// The upstream served over smart HTTP and a server whose scripted agent adds a changelog.
struct Served {
    bare: PathBuf,
    url: String,
    data: PathBuf,
    server: Server,
    _http: GitHttp,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let bare = upstream(dir);
        let http = GitHttp::serve(&dir.join("remote"));
        let url = format!("{}/upstream.git", http.base);
        let data = scripted_coder_data(dir, CHANGELOG);
        let server = Server::start(&data, None);
        Self { bare, url, data, server, _http: http }
    }

    /// `repo add URL <extra> --json`, which must succeed.
    fn add(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["repo", "add", self.url.as_str(), "--json"];
        args.extend_from_slice(extra);
        let added = self.server.task_like(&args);
        assert!(added.status.success(), "{}", stderr(&added));
        json(&added)
    }
}

#[test]
fn a_task_on_a_repository_by_url_is_pushed_back_to_its_remote() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let (bare, url, data, server) = (&served.bare, &served.url, &served.data, &served.server);
    let added = served.add(&[]);
    assert_eq!(added["remote_url"], url.as_str(), "{added}");
    let clone = std::path::PathBuf::from(added["path"].as_str().unwrap());
    assert!(clone.starts_with(data.canonicalize().unwrap().join("clones")), "{}", clone.display());

    // Someone pushes to the remote after the clone: the task starts from their commit.
    let other = dir.path().join("other");
    git(dir.path(), &["clone", "-q", url, other.to_str().unwrap()]);
    std::fs::write(other.join("theirs.txt"), "theirs\n").unwrap();
    git(&other, &["add", "theirs.txt"]);
    git(&other, &["-c", "user.name=o", "-c", "user.email=o@example.com", "commit", "-qm", "theirs"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let theirs = git(&other, &["rev-parse", "HEAD"]).trim().to_owned();

    let id = server.coding_session(&clone, "Add a changelog", "Add a changelog");
    let task = wait_for_status(server, &id, "implementation_review");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    let base = git(&clone, &["merge-base", &branch, &theirs]).trim().to_owned();
    assert_eq!(base, theirs, "the task branch starts from the remote's newest commit");
    // The session's commit is on the remote before anyone approves: another node could carry on.
    let committed = git(&clone, &["rev-parse", &branch]);
    assert!(git(bare, &["ls-tree", "--name-only", &branch]).contains("CHANGELOG.md"));
    assert_eq!(git(bare, &["rev-parse", &branch]), committed, "the task branch is pushed as it grows");

    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(server, &id, "done");
    // The merge, then the task's closing history (IMPLEMENTATION_COMPLETE.md) reach the remote.
    let complete = format!("sessions/{}/IMPLEMENTATION_COMPLETE.md", task["handle"].as_str().unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pushed = git(bare, &["ls-tree", "--name-only", "main"]);
        let history = files_on(bare, "helix-design-docs");
        if pushed.contains("CHANGELOG.md") && pushed.contains("theirs.txt") && history.contains(&complete) {
            break;
        }
        let state = server.task_json(&["show", &id, "--json"]);
        assert!(
            std::time::Instant::now() < deadline,
            "not pushed: main {pushed}\nhistory {history}\n{state}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(git(bare, &["rev-parse", &branch]), git(&clone, &["rev-parse", &branch]), "the task branch");
    served.server.stop();
}

/// The files of `branch` in `repo`, empty while the branch does not exist.
pub fn files_on(repo: &Path, branch: &str) -> String {
    let out = std::process::Command::new("git")
        .args(["ls-tree", "-r", "--name-only", branch])
        .current_dir(repo)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository whose merged task branches are deleted (`--task-branches delete_merged`): once the
/// task is done and merged, its branch is gone from the clone and from the remote; the work stays
/// on `main`.
#[test]
fn a_merged_task_branch_is_deleted_here_and_on_the_remote_by_policy() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let (bare, server) = (&served.bare, &served.server);
    let added = served.add(&["--task-branches", "delete_merged"]);
    assert_eq!(added["task_branches"], "delete_merged", "{added}");
    let clone = std::path::PathBuf::from(added["path"].as_str().unwrap());

    let id = server.coding_session(&clone, "Add a changelog", "Add a changelog");
    let task = wait_for_status(server, &id, "implementation_review");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert!(!git(bare, &["rev-parse", &branch]).is_empty(), "pushed while at work");
    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(server, &id, "done");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let here = git(&clone, &["branch", "--list", &branch]);
        let there = git(bare, &["branch", "--list", &branch]);
        if here.trim().is_empty() && there.trim().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still there: here {here:?}, on the remote {there:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(git(bare, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md"), "the work is on main");
    served.server.stop();
}
