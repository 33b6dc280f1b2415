//! Change detection: branch tips, commits between two tips, changed files, contents at a commit, and
//! noticing an agent's own edits to progress markers.

use std::time::Duration;

use spectask_git::{ChangedFile, CommitId, DesignDocsCommit, FileChange, FileWrite, GitError};

use crate::support::{assert_fsck_clean, git, registered_repo};

fn put(repo: &spectask_git::Repo, path: &str, contents: &str) -> CommitId {
    let commit = DesignDocsCommit {
        message: format!("write {path}"),
        trailers: vec![],
        writes: vec![FileWrite::put(path, contents)],
    };
    repo.commit_design_docs(&commit).unwrap()
}

#[test]
fn an_agent_ticking_a_marker_is_visible_as_a_new_commit_and_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    let ours = put(&repo, "specs/t/progress.md", "- [ ] 1. a\n- [ ] 2. b\n");

    // The agent edits the worktree without committing: an uncommitted change.
    std::fs::write(wt.join("specs/t/progress.md"), "- [x] 1. a\n- [ ] 2. b\n").unwrap();
    assert_eq!(repo.design_docs_uncommitted().unwrap(), ["specs/t/progress.md"]);
    // … then commits it itself: a new commit on the branch.
    git(&wt, &["commit", "-qam", "agent: 1 done"]);
    assert!(repo.design_docs_uncommitted().unwrap().is_empty());

    let tip = repo.branch_tip("helix-design-docs").unwrap().unwrap();
    assert_ne!(tip, ours);
    assert!(repo.is_ancestor(ours, tip).unwrap());
    assert!(!repo.is_ancestor(tip, ours).unwrap());
    assert_eq!(repo.commits_between(Some(ours), tip).unwrap(), [tip]);
    assert_eq!(
        repo.changed_files(Some(ours), tip).unwrap(),
        [ChangedFile { path: "specs/t/progress.md".to_owned(), change: FileChange::Modified }]
    );
    assert_eq!(repo.read_file_at(ours, "specs/t/progress.md").unwrap().unwrap(), b"- [ ] 1. a\n- [ ] 2. b\n");
    assert_eq!(repo.read_file_at(tip, "specs/t/progress.md").unwrap().unwrap(), b"- [x] 1. a\n- [ ] 2. b\n");
    assert_eq!(repo.read_file_at(tip, "specs/t/missing.md").unwrap(), None);
    let info = repo.commit_info(tip).unwrap();
    assert_eq!(info.parents, [ours]);
    assert_eq!(info.message.trim(), "agent: 1 done");
    assert_fsck_clean(repo.root());
}

#[test]
fn commits_between_lists_oldest_first_and_ids_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let start = repo.branch_tip("helix-design-docs").unwrap().unwrap();
    let a = put(&repo, "a.md", "a\n");
    let b = put(&repo, "b.md", "b\n");
    assert_eq!(repo.commits_between(Some(start), b).unwrap(), [a, b]);
    assert_eq!(repo.commits_between(None, b).unwrap(), [start, a, b]);
    assert_eq!(b.to_string().parse::<CommitId>().unwrap(), b);
    assert!(matches!("abc".parse::<CommitId>().unwrap_err(), GitError::InvalidCommitId { .. }));
    let added = repo.changed_files(None, a).unwrap();
    assert!(added.iter().all(|c| c.change == FileChange::Added));
    assert_eq!(repo.branch_tip("no-such-branch").unwrap(), None);
    assert_fsck_clean(repo.root());
}

#[test]
fn another_process_holding_the_lock_makes_writers_wait() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let lock_file = repo.root().join(".git/spectask/locks/design-docs.lock");
    assert!(lock_file.is_file(), "created at registration");
    // The other process holds the lock until its standard input closes.
    let mut holder = std::process::Command::new("flock")
        .arg(&lock_file)
        .arg("cat")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the other process really holds the lock.
    let probe = std::fs::File::open(&lock_file).unwrap();
    while probe.try_lock().is_ok() {
        probe.unlock().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let (done, written) = std::sync::mpsc::channel();
    let writer = {
        let repo = repo.clone();
        std::thread::spawn(move || {
            put(&repo, "waited.md", "x\n");
            done.send(()).unwrap();
        })
    };
    assert!(
        written.recv_timeout(Duration::from_millis(500)).is_err(),
        "the write waits while the other process holds the lock"
    );
    drop(holder.stdin.take());
    written.recv_timeout(Duration::from_secs(60)).expect("the write goes on once the lock is released");
    writer.join().unwrap();
    assert!(holder.wait().unwrap().success());

    // A task's commit does not queue behind the design-docs writer: it lands while the lock is held.
    let mut holder =
        std::process::Command::new("flock").arg(&lock_file).args(["sleep", "60"]).spawn().unwrap();
    while probe.try_lock().is_ok() {
        probe.unlock().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let task = spectask_git::TaskHandle::new("4c5d-beside").unwrap();
    crate::support::commit_in_task(&repo, &task, &[("beside.txt", "b\n")], &[]);
    assert!(holder.try_wait().unwrap().is_none(), "committed while the design-docs lock was held");
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_fsck_clean(repo.root());
}

#[test]
fn uncommitted_agent_edits_in_the_design_docs_worktree_can_be_absorbed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    put(&repo, "specs/t/progress.md", "- [ ] 1. a\n");
    std::fs::write(wt.join("specs/t/progress.md"), "- [~] 1. a\n").unwrap();
    std::fs::write(wt.join("specs/t/notes.md"), "agent notes\n").unwrap();
    let trailer = spectask_git::Trailer::new("Spec-Task", "st-1").unwrap();
    let absorbed = repo.commit_design_docs_worktree("progress(t): agent edits", &[trailer]).unwrap().unwrap();
    let mut paths: Vec<_> = absorbed.changed_files.iter().map(|c| c.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["specs/t/notes.md", "specs/t/progress.md"]);
    assert_eq!(repo.design_docs_last_written().unwrap(), Some(absorbed.commit));
    assert_eq!(repo.commit_design_docs_worktree("again", &[]).unwrap(), None);
    let next = DesignDocsCommit {
        message: "progress".to_owned(),
        trailers: vec![],
        writes: vec![FileWrite::put("specs/t/progress.md", "- [x] 1. a\n")],
    };
    let tip = repo.commit_design_docs(&next).unwrap();
    assert_eq!(repo.read_file_at(tip, "specs/t/progress.md").unwrap().unwrap(), b"- [x] 1. a\n");
    assert!(repo.design_docs_uncommitted().unwrap().is_empty());
    assert_fsck_clean(repo.root());
}
