//! Forward-only design-docs writes: commits, worktree consistency, rewrite detection, concurrency.

use std::collections::HashSet;
use std::sync::Arc;

use spectask_git::{DesignDocsCommit, DesignDocsHealth, FileWrite, GitError, Repo, Trailer, parse_trailers};

use crate::support::{
    assert_fsck_clean, git, git_output, registered_repo, status, write_design_docs as write,
};

#[test]
fn writes_are_fast_forward_commits_reflected_in_the_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    let mut written =
        vec![write(&repo, "first", vec![FileWrite::put("specs/t/design.md", "# Design\n")]).unwrap()];
    written.push(
        write(
            &repo,
            "second",
            vec![
                FileWrite::append("sessions/t/log.md", "one\n"),
                FileWrite::append("sessions/t/log.md", "two\n"),
            ],
        )
        .unwrap(),
    );
    written.push(write(&repo, "third", vec![FileWrite::append("sessions/t/log.md", "three\n")]).unwrap());

    let tip = git(repo.root(), &["rev-parse", "helix-design-docs"]);
    assert_eq!(tip, written[2].to_string());
    for id in &written {
        let out = git_output(repo.root(), &["merge-base", "--is-ancestor", &id.to_string(), &tip]);
        assert!(out.status.success(), "{id} is an ancestor of {tip}");
    }
    assert_eq!(git(repo.root(), &["rev-list", "--count", "helix-design-docs"]), "4");
    assert_eq!(std::fs::read_to_string(wt.join("sessions/t/log.md")).unwrap(), "one\ntwo\nthree\n");
    assert_eq!(git(&wt, &["show", "HEAD:sessions/t/log.md"]), "one\ntwo\nthree");
    assert_eq!(status(&wt), "", "worktree clean after writes");
    assert_eq!(status(repo.root()), "");
    let message = git(repo.root(), &["log", "-1", "--format=%B", &written[0].to_string()]);
    assert_eq!(parse_trailers(&message), vec![("Spec-Task".to_owned(), "task-1".to_owned())]);
    assert_eq!(repo.design_docs_last_written().unwrap(), Some(written[2]));
    assert_fsck_clean(repo.root());
}

#[test]
fn a_write_that_changes_nothing_makes_no_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let first = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let again = write(&repo, "again", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    assert_eq!(first, again);
    assert_fsck_clean(repo.root());
}

#[test]
fn commits_added_on_top_by_others_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("progress.md", "- [ ] 1\n")]).unwrap();
    std::fs::write(wt.join("progress.md"), "- [x] 1\n").unwrap();
    git(&wt, &["commit", "-qam", "agent ticks 1"]);
    let tip = write(&repo, "ours", vec![FileWrite::append("progress.md", "- [ ] 2\n")]).unwrap();
    assert_eq!(git(&wt, &["show", &format!("{tip}:progress.md")]), "- [x] 1\n- [ ] 2");
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn what_others_commit_and_stage_between_writes_is_kept_in_the_index() {
    // spectask keeps the design-docs worktree open between writes; the index others wrote meanwhile
    // must be the one the next write builds on.
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    std::fs::write(wt.join("b.md"), "b\n").unwrap();
    git(&wt, &["add", "b.md"]);
    git(&wt, &["commit", "-qm", "agent adds b"]);
    write(&repo, "second", vec![FileWrite::append("a.md", "more\n")]).unwrap();
    assert_eq!(status(&wt), "", "b.md is staged as committed");
    std::fs::write(wt.join("c.md"), "c\n").unwrap();
    git(&wt, &["add", "c.md"]);
    write(&repo, "third", vec![FileWrite::append("a.md", "again\n")]).unwrap();
    assert_eq!(status(&wt), "A  c.md", "what someone staged stays staged");
    let staged = git(&wt, &["ls-files"]);
    assert!(["a.md", "b.md", "c.md"].iter().all(|f| staged.lines().any(|l| l == *f)), "{staged}");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_rewritten_branch_is_refused_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let kept = write(&repo, "second", vec![FileWrite::put("b.md", "b\n")]).unwrap();
    git(&wt, &["reset", "-q", "--hard", "HEAD~1"]);
    let rewritten_tip = git(&wt, &["rev-parse", "HEAD"]);

    let health = repo.design_docs_health().unwrap();
    assert!(health.needs_attention());
    assert!(
        matches!(&health, DesignDocsHealth::Rewritten { last_written, .. } if *last_written == kept),
        "{health:?}"
    );
    let err = write(&repo, "third", vec![FileWrite::put("c.md", "c\n")]).unwrap_err();
    assert!(matches!(err, GitError::DesignDocsRewritten { .. }), "{err}");
    assert_eq!(err.category(), spectask_git::ErrorCategory::Refused);
    assert!(err.to_string().contains("helix-design-docs"), "{err}");
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), rewritten_tip, "nothing was forced");

    assert_eq!(repo.accept_design_docs_rewrite().unwrap().to_string(), rewritten_tip);
    write(&repo, "third", vec![FileWrite::put("c.md", "c\n")]).unwrap();
    assert!(!repo.design_docs_health().unwrap().needs_attention());
    assert_fsck_clean(repo.root());
}

#[test]
fn uncommitted_edits_to_a_written_file_are_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("progress.md", "- [ ] 1\n")]).unwrap();
    std::fs::write(wt.join("progress.md"), "- [~] 1\n").unwrap();
    let err = write(&repo, "second", vec![FileWrite::append("progress.md", "- [ ] 2\n")]).unwrap_err();
    assert!(matches!(&err, GitError::UncommittedChanges { files, .. } if files == &["progress.md"]), "{err}");
    assert_eq!(std::fs::read_to_string(wt.join("progress.md")).unwrap(), "- [~] 1\n");
    // Other files can still be written.
    write(&repo, "third", vec![FileWrite::put("other.md", "x\n")]).unwrap();
    assert_fsck_clean(repo.root());
}

/// A file a write staged is trusted by its stat data only as git would: an edit of the same size
/// made at once (same inode, maybe the same timestamp as the write) is still seen and not lost.
#[test]
fn an_edit_of_the_same_size_right_after_a_write_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    for round in 0..20 {
        let path = format!("progress-{round}.md");
        write(&repo, "tick", vec![FileWrite::put(path.as_str(), "- [ ] 1\n")]).unwrap();
        std::fs::write(wt.join(&path), "- [x] 1\n").unwrap();
        let err =
            write(&repo, "tick again", vec![FileWrite::append(path.as_str(), "- [ ] 2\n")]).unwrap_err();
        assert!(
            matches!(&err, GitError::UncommittedChanges { files, .. } if files == &[path.as_str()]),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(wt.join(&path)).unwrap(), "- [x] 1\n");
    }
    assert_fsck_clean(repo.root());
}

#[test]
fn invalid_paths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    for path in ["../escape.md", "/abs.md", "a//b.md", ".git/config", "a/./b", ""] {
        let err = write(&repo, "bad", vec![FileWrite::put(path, "x")]).unwrap_err();
        assert!(matches!(err, GitError::InvalidFilePath { .. }), "{path}: {err}");
    }
    assert_fsck_clean(repo.root());
}

#[test]
fn fifty_concurrent_writers_each_land_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Arc::new(registered_repo(dir.path()));
    let threads: Vec<_> = (0..50)
        .map(|i| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || {
                let mut tips = Vec::new();
                for n in 0..3 {
                    let line = format!("session {i} entry {n}\n");
                    let writes = vec![
                        FileWrite::append("sessions/t/coordination-log.md", line.clone()),
                        FileWrite::append(format!("sessions/t/s{i}/activity-log.md"), line),
                    ];
                    tips.push(write(&repo, &format!("session {i} entry {n}"), writes).unwrap());
                }
                tips
            })
        })
        .collect();
    let tips: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert_eq!(tips.iter().collect::<HashSet<_>>().len(), 150, "every write made its own commit");

    let wt = repo.design_docs_worktree();
    let log = std::fs::read_to_string(wt.join("sessions/t/coordination-log.md")).unwrap();
    for i in 0..50 {
        let own = std::fs::read_to_string(wt.join(format!("sessions/t/s{i}/activity-log.md"))).unwrap();
        let expected: String = (0..3).map(|n| format!("session {i} entry {n}\n")).collect();
        assert_eq!(own, expected, "in order per session");
        for n in 0..3 {
            assert_eq!(log.matches(&format!("session {i} entry {n}\n")).count(), 1);
        }
    }
    assert_eq!(log.lines().count(), 150);
    let tip = git(repo.root(), &["rev-parse", "helix-design-docs"]);
    for id in &tips {
        let out = git_output(repo.root(), &["merge-base", "--is-ancestor", &id.to_string(), &tip]);
        assert!(out.status.success(), "{id} is an ancestor of the tip");
    }
    assert_eq!(git(repo.root(), &["rev-list", "--count", "helix-design-docs"]), "151");
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_briefly_held_index_lock_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let lock = repo.root().join(".git/worktrees/helix-design-docs/index.lock");
    std::fs::write(&lock, "").unwrap();
    let releaser = {
        let lock = lock.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(150));
            std::fs::remove_file(lock).unwrap();
        })
    };
    write(&repo, "while git status runs", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    releaser.join().unwrap();
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_stale_index_left_by_an_interrupted_write_heals_on_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    let tip = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap().to_string();
    // As if the index write had failed after the branch moved: files match the tip, the index lags.
    git(&wt, &["update-ref", "refs/heads/helix-design-docs", &format!("{tip}~1")]);
    git(&wt, &["reset", "-q", "--mixed"]);
    git(&wt, &["update-ref", "refs/heads/helix-design-docs", &tip]);
    assert_ne!(status(&wt), "", "the index lags behind the tip");
    write(&repo, "second", vec![FileWrite::append("a.md", "b\n")]).unwrap();
    assert_eq!(status(&wt), "");
    assert_eq!(std::fs::read_to_string(wt.join("a.md")).unwrap(), "a\nb\n");
    assert_fsck_clean(repo.root());
}

#[test]
fn writes_never_follow_a_symlinked_directory_out_of_the_worktree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, wt.join("specs")).unwrap();
    git(&wt, &["add", "specs"]);
    git(&wt, &["commit", "-qm", "agent adds a symlink"]);
    let err = write(&repo, "through the link", vec![FileWrite::put("specs/t/design.md", "x")]).unwrap_err();
    assert!(matches!(err, GitError::InvalidFilePath { .. }), "{err}");
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none(), "nothing written outside");
    assert_fsck_clean(repo.root());
}

/// Leaves the worktree as a crash between moving the branch and updating the worktree would: the
/// branch has a commit changing `a.md` that neither the worktree's files nor its index reflect.
fn crash_after_moving_the_branch(repo: &Repo) {
    let wt = repo.design_docs_worktree();
    let before = git(&wt, &["rev-parse", "HEAD"]);
    std::fs::write(wt.join("a.md"), "a\nfrom the interrupted write\n").unwrap();
    std::fs::write(wt.join("gone.md"), "").unwrap();
    git(&wt, &["add", "a.md", "gone.md"]);
    git(&wt, &["commit", "-qm", "interrupted write"]);
    git(&wt, &["checkout", &before, "--", "a.md"]);
    git(&wt, &["rm", "-q", "--cached", "gone.md"]);
    std::fs::remove_file(wt.join("gone.md")).unwrap();
    assert_ne!(status(&wt), "");
}

#[test]
fn a_worktree_left_behind_by_a_crash_catches_up_on_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    crash_after_moving_the_branch(&repo);
    write(&repo, "next", vec![FileWrite::append("a.md", "next\n")]).unwrap();
    let wt = repo.design_docs_worktree();
    assert_eq!(std::fs::read_to_string(wt.join("a.md")).unwrap(), "a\nfrom the interrupted write\nnext\n");
    assert_eq!(std::fs::read_to_string(wt.join("gone.md")).unwrap(), "");
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn registering_again_repairs_a_worktree_left_behind_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    crash_after_moving_the_branch(&repo);
    Repo::register(repo.root(), &spectask_git::RegisterOptions::default()).unwrap();
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(repo.root());
}

#[test]
fn an_index_lock_held_by_another_git_is_reported_and_nothing_moves() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let before = repo.branch_tip("helix-design-docs").unwrap();
    let lock = repo.root().join(".git/worktrees/helix-design-docs/index.lock");
    std::fs::write(&lock, "DIRC index being written by git").unwrap();
    let err = write(&repo, "blocked", vec![FileWrite::put("a.md", "a\n")]).unwrap_err();
    assert!(matches!(err, GitError::IndexLocked { .. }), "{err}");
    assert!(err.to_string().contains("index.lock"), "{err}");
    assert_eq!(repo.branch_tip("helix-design-docs").unwrap(), before);
    assert!(lock.is_file(), "another process's lock is never removed");
    std::fs::remove_file(&lock).unwrap();
    write(&repo, "unblocked", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    assert_fsck_clean(repo.root());
}

#[test]
fn an_index_lock_left_by_a_killed_spectask_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let lock = repo.root().join(".git/worktrees/helix-design-docs/index.lock");
    std::fs::write(&lock, "spectask\n").unwrap();
    write(&repo, "after a crash", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    assert!(!lock.exists());
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(repo.root());
}

/// `kill -9` while spectask held the index lock and wrote the index leaves its marked lock and its
/// half-written copies (the chaos run on SQLite once found a lock libgit2 had left half filled,
/// which no later write would touch): the next write clears them and goes on.
#[test]
fn leftovers_of_a_spectask_killed_while_writing_the_index_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let admin = repo.root().join(".git/worktrees/helix-design-docs");
    let pid = std::process::id();
    let copy = admin.join(format!("spectask-index-{pid}.tmp"));
    std::fs::write(admin.join("index.lock"), "spectask\n").unwrap();
    // The copy a process of this id left (not the index's second name any more) and the one
    // libgit2 was writing through its lock when killed.
    std::fs::remove_file(&copy).unwrap();
    std::fs::write(&copy, "DIRC, cut off").unwrap();
    std::fs::write(admin.join(format!("spectask-index-{pid}.tmp.lock")), "DIRC, cut").unwrap();
    std::fs::write(admin.join(format!("spectask-index-lock-{pid}.tmp")), "spec").unwrap();
    write(&repo, "next", vec![FileWrite::put("b.md", "b\n")]).unwrap();
    let left: Vec<_> = std::fs::read_dir(&admin)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.contains("lock") || name.ends_with(".tmp"))
        .collect();
    // Only the copy is left, as the new index's second name.
    assert_eq!(left, vec![format!("spectask-index-{pid}.tmp")]);
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(admin.join("index")).unwrap());
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(repo.root());
}

/// What processes killed while writing an index left under their own process ids is never touched
/// by the next write of another process: registering the repository (each process does at startup)
/// sweeps the files of process ids that are gone, and leaves those of live ones.
#[test]
fn index_files_left_by_killed_spectask_processes_are_swept_at_registration() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let dead = {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let id = child.id();
        child.wait().unwrap();
        id
    };
    let live = std::process::id();
    let admin = repo.root().join(".git/worktrees/helix-design-docs");
    let git_dir = repo.root().join(".git");
    let stale = [
        admin.join(format!("spectask-index-{dead}.tmp")),
        admin.join(format!("spectask-index-lock-{dead}.tmp")),
        git_dir.join(format!("spectask-index-{dead}.tmp")),
    ];
    let kept = [admin.join(format!("spectask-index-{live}.tmp")), admin.join("spectask-index-x.tmp")];
    for file in stale.iter().chain(&kept) {
        // Written the way spectask writes them, as new files: this process's copy is the index's
        // second name (see `handles::index`), never written in place.
        let _ = std::fs::remove_file(file);
        std::fs::write(file, "DIRC, cut off").unwrap();
    }
    Repo::register(repo.root(), &spectask_git::RegisterOptions::default()).unwrap();
    for file in &stale {
        assert!(!file.exists(), "{} left", file.display());
    }
    for file in &kept {
        assert!(file.exists(), "{} removed", file.display());
    }
    write(&repo, "after the sweep", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    assert_fsck_clean(repo.root());
}

#[test]
fn a_write_on_an_expected_tip_is_refused_once_the_branch_moved() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let seen = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let commit = |text: &str| DesignDocsCommit {
        message: "history".to_owned(),
        trailers: vec![Trailer::new("History-Seqs", "1-2").unwrap()],
        writes: vec![FileWrite::append("log.md", text)],
    };
    let on_seen = repo.commit_design_docs_on(&commit("one\n"), seen).unwrap();
    let err = repo.commit_design_docs_on(&commit("two\n"), seen).unwrap_err();
    assert!(matches!(err, GitError::ConcurrentUpdate { .. }), "{err}");
    assert_eq!(repo.branch_tip(repo.design_docs_branch()).unwrap(), Some(on_seen), "nothing was written");
    assert_eq!(repo.read_design_doc("log.md").unwrap().unwrap(), b"one\n");
    assert_fsck_clean(repo.root());
}

#[test]
fn a_spectask_killed_after_moving_the_branch_with_the_index_locked_leaves_nothing_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    crash_after_moving_the_branch(&repo);
    let lock = repo.root().join(".git/worktrees/helix-design-docs/index.lock");
    std::fs::write(&lock, "spectask\n").unwrap();
    write(&repo, "next", vec![FileWrite::append("a.md", "next\n")]).unwrap();
    assert!(!lock.exists());
    let wt = repo.design_docs_worktree();
    assert_eq!(std::fs::read_to_string(wt.join("a.md")).unwrap(), "a\nfrom the interrupted write\nnext\n");
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}

/// The kept health (what `GET /repos` lists) is read from git once, then again only after a file it
/// was read from changed: a spectask write, a rewind outside spectask, refs packed, the worktree
/// removed; each time it is what a fresh read says.
#[test]
fn the_kept_health_is_read_again_only_when_what_it_was_read_from_changed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let (path, wt) = (repo.root().to_path_buf(), repo.design_docs_worktree());
    let kept = || Repo::kept_design_docs_health(&path).unwrap().1;
    let reads = || Repo::design_docs_health_reads(&path);
    assert_eq!((kept(), reads()), (repo.design_docs_health().unwrap(), 1));
    assert_eq!(
        (kept(), kept(), reads()),
        (repo.design_docs_health().unwrap(), repo.design_docs_health().unwrap(), 1),
        "unchanged: kept"
    );

    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let tip = write(&repo, "second", vec![FileWrite::put("b.md", "b\n")]).unwrap();
    assert_eq!(kept(), DesignDocsHealth::Healthy { tip });
    assert_eq!((kept(), reads()), (DesignDocsHealth::Healthy { tip }, 2));

    git(&wt, &["reset", "-q", "--hard", "HEAD~1"]);
    assert!(matches!(kept(), DesignDocsHealth::Rewritten { last_written, .. } if last_written == tip));
    assert_eq!(reads(), 3);
    git(repo.root(), &["pack-refs", "--all"]);
    assert!(matches!(kept(), DesignDocsHealth::Rewritten { last_written, .. } if last_written == tip));
    assert_eq!(reads(), 4, "packed refs are read again");

    repo.accept_design_docs_rewrite().unwrap();
    assert!(!kept().needs_attention());
    std::fs::remove_dir_all(&wt).unwrap();
    assert!(matches!(kept(), DesignDocsHealth::WorktreeBroken { .. }));
    assert_eq!((kept(), reads()), (repo.design_docs_health().unwrap(), 6));
}

/// The record of the last tip spectask wrote follows every write whether git packed it, and a
/// reflog someone made for it goes on being written; the design-docs branch (packed too) moves and
/// keeps its reflog and HEAD's, unless `core.logAllRefUpdates` is false.
#[test]
fn the_last_written_record_follows_writes_packed_or_logged() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let record = "refs/spectask/last-written/helix-design-docs";
    git(repo.root(), &["config", "user.name", "Spec Writer"]);
    git(repo.root(), &["config", "user.email", "writer@example.com"]);
    git(repo.root(), &["pack-refs", "--all", "--prune"]);
    assert!(!repo.root().join(".git").join(record).exists(), "packed");
    let first = write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    assert_eq!(git(repo.root(), &["rev-parse", record]), first.to_string());
    let log = repo.root().join(".git/logs").join(record);
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, "").unwrap();
    let second = write(&repo, "second", vec![FileWrite::put("b.md", "b\n")]).unwrap();
    assert_eq!(git(repo.root(), &["rev-parse", record]), second.to_string());
    let logged = git(repo.root(), &["reflog", "show", "--format=%H", record]);
    assert_eq!(logged, second.to_string());
    // The branch and the worktree's HEAD log the move as git would, committer and all.
    let entry = format!("{second} spectask: second Spec Writer <writer@example.com>");
    for (dir, reference) in
        [(repo.root().to_path_buf(), "helix-design-docs"), (repo.design_docs_worktree(), "HEAD")]
    {
        let logged = git(&dir, &["reflog", "show", "--format=%H %gs %gn <%ge>", reference]);
        assert!(logged.starts_with(&entry), "{reference}: {logged}");
    }
    assert_eq!(repo.design_docs_last_written().unwrap(), Some(second));
    git(repo.root(), &["config", "core.logAllRefUpdates", "false"]);
    let third = write(&repo, "third", vec![FileWrite::put("c.md", "c\n")]).unwrap();
    assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]), third.to_string());
    let logged = git(repo.root(), &["reflog", "show", "--format=%H", "helix-design-docs"]);
    assert_eq!(logged.lines().next(), Some(second.to_string().as_str()), "no entry when logging is off");
    assert_fsck_clean(repo.root());
}
