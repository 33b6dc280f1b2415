//! A process killed (SIGKILL) in the middle of a design-docs write: before its commit, the write
//! leaves nothing behind, so the caller's retry lands once; after it, the commit stands.
//!
//! The kill is exact, not timed: the child process runs with a `git` on its PATH that kills its
//! caller when asked to commit, before or after running the real `git commit`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use spectask_git::{DesignDocsCommit, FileWrite, Repo};

use crate::support::{assert_fsck_clean, git, registered_repo, status};

const CHILD_REPO: &str = "SPECTASK_GIT_TEST_CRASH_REPO";
const LOG: &str = "sessions/t/ws/activity-log.md";

fn entry(n: usize) -> DesignDocsCommit {
    DesignDocsCommit {
        message: format!("history: entry {n}"),
        trailers: vec![],
        writes: vec![
            FileWrite::append(LOG, format!("entry {n}\n")),
            FileWrite::append(format!("sessions/t/ws/new-{n}.md"), "new file\n"),
        ],
    }
}

/// The body of the child process of the tests below; returns at once in an ordinary test run.
#[test]
fn child_process_writes_entry_one() {
    let Ok(root) = std::env::var(CHILD_REPO) else { return };
    let repo = Repo::open(Path::new(&root)).unwrap();
    repo.commit_design_docs(&entry(1)).unwrap();
}

/// Runs the child with a `git` that kills it at `git commit`, `before` or after the real commit.
fn write_entry_one_and_die(dir: &Path, repo: &Repo, before: bool) {
    let real_git = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|g| g.is_file())
        .unwrap();
    let bin = dir.join(if before { "bin-before" } else { "bin-after" });
    std::fs::create_dir_all(&bin).unwrap();
    let commit = if before {
        "kill -9 $PPID; sleep 5".to_owned()
    } else {
        format!("\"{}\" \"$@\"; kill -9 $PPID; sleep 5", real_git.display())
    };
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = commit ] && {{ {commit}; }}\nexec \"{}\" \"$@\"\n",
        real_git.display()
    );
    let wrapper = bin.join("git");
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path: Vec<PathBuf> =
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())).collect();
    let exe = std::env::current_exe().unwrap();
    let status = Command::new(exe)
        .args(["--exact", "crash::child_process_writes_entry_one", "--test-threads=1", "--quiet"])
        .env(CHILD_REPO, repo.root())
        .env("PATH", std::env::join_paths(path).unwrap())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "the child was killed at its commit: {status:?}");
}

#[test]
fn a_write_killed_before_its_commit_is_undone_and_its_retry_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    repo.commit_design_docs(&entry(0)).unwrap();
    let before = git(repo.root(), &["rev-parse", "helix-design-docs"]);
    write_entry_one_and_die(dir.path(), &repo, true);
    assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]), before, "nothing was committed");
    assert_ne!(status(&wt), "", "the interrupted write left changes: {}", status(&wt));

    // The caller never got a commit id: it writes the entry again.
    let tip = repo.commit_design_docs(&entry(1)).unwrap();
    let log = String::from_utf8(repo.read_file_at(tip, LOG).unwrap().unwrap()).unwrap();
    assert_eq!(log, "entry 0\nentry 1\n", "the entry lands once");
    assert_eq!(git(repo.root(), &["rev-list", "--count", &format!("{before}..{tip}")]), "1", "one commit");
    assert_eq!(status(&wt), "", "nothing is left in the worktree");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_write_killed_after_its_commit_stands_and_the_next_write_goes_on_top() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    repo.commit_design_docs(&entry(0)).unwrap();
    write_entry_one_and_die(dir.path(), &repo, false);
    assert_eq!(status(&wt), "", "the write was committed whole");
    let tip = repo.commit_design_docs(&entry(2)).unwrap();
    let log = String::from_utf8(repo.read_file_at(tip, LOG).unwrap().unwrap()).unwrap();
    assert_eq!(log, "entry 0\nentry 1\nentry 2\n");
    assert!(!repo.design_docs_health().unwrap().needs_attention());
    assert_fsck_clean(repo.root());
}

/// A file changed after the crash (an agent editing it) holds no longer what the write put there:
/// it is kept, and committed first as found.
#[test]
fn an_edit_made_after_an_interrupted_write_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    repo.commit_design_docs(&entry(0)).unwrap();
    write_entry_one_and_die(dir.path(), &repo, true);
    let edited = "entry 0\nentry 1\nan agent's note\n";
    std::fs::write(wt.join(LOG), edited).unwrap();
    let tip = repo.commit_design_docs(&entry(2)).unwrap();
    let log = String::from_utf8(repo.read_file_at(tip, LOG).unwrap().unwrap()).unwrap();
    assert_eq!(log, format!("{edited}entry 2\n"), "the edit is kept");
    assert_eq!(
        repo.read_file_at(tip, "sessions/t/ws/new-1.md").unwrap(),
        None,
        "the untouched leftover is undone"
    );
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

/// With a remote, the branch is brought level with the remote's before a write: the catch-up must
/// not make an interrupted write look committed (another node pushed meanwhile).
#[test]
fn a_write_killed_before_its_commit_is_undone_before_catching_up_with_the_remote() {
    let dir = tempfile::tempdir().unwrap();
    let source = crate::support::init_repo(&dir.path().join("source"), "main");
    let bare = dir.path().join("upstream.git");
    git(dir.path(), &["clone", "-q", "--bare", source.to_str().unwrap(), bare.to_str().unwrap()]);
    let url = format!("file://{}", bare.display());
    let clone = |node: &str| {
        let dest = dir.path().join(node).join("app");
        spectask_git::clone_repository(&url, &dest, spectask_git::RemoteTrust::Operator).unwrap();
        let repo = Repo::register(&dest, &spectask_git::RegisterOptions::default()).unwrap().repo;
        repo.track_remote("origin").unwrap()
    };
    let (first, second) = (clone("node-a"), clone("node-b"));
    first.commit_design_docs(&entry(0)).unwrap();
    write_entry_one_and_die(dir.path(), &first, true);
    // Another node writes and pushes while the first is down.
    second.commit_design_docs(&entry(7)).unwrap();

    let tip = first.commit_design_docs(&entry(1)).unwrap();
    let log = String::from_utf8(first.read_file_at(tip, LOG).unwrap().unwrap()).unwrap();
    assert_eq!(log, "entry 0\nentry 7\nentry 1\n", "the entry lands once, after the other node's");
    assert_eq!(status(&first.design_docs_worktree()), "");
    let dd = first.design_docs_branch().to_owned();
    assert_eq!(git(&bare, &["rev-parse", &dd]), tip.to_string(), "pushed");
    assert_fsck_clean(&bare);
}
