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

/// An uncommitted edit of a file a write touches (an agent's) is committed first, as found, and the write goes on top: nothing is lost, and the
/// write is not blocked. Edits of other files stay as they are.
#[test]
fn uncommitted_edits_to_a_written_file_are_committed_first() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("progress.md", "- [ ] 1\n")]).unwrap();
    std::fs::write(wt.join("progress.md"), "- [~] 1\n").unwrap();
    std::fs::write(wt.join("notes.md"), "agent notes\n").unwrap();
    let tip = write(&repo, "second", vec![FileWrite::append("progress.md", "- [ ] 2\n")]).unwrap();
    assert_eq!(repo.read_file_at(tip, "progress.md").unwrap().unwrap(), b"- [~] 1\n- [ ] 2\n");
    let found = git(&wt, &["show", "HEAD~1:progress.md"]);
    assert_eq!(found.trim(), "- [~] 1", "the edit as found, in a commit of its own");
    assert_eq!(
        git(&wt, &["log", "-1", "--format=%s", "HEAD~1"]).trim(),
        "design-docs: changes found in the worktree"
    );
    assert_eq!(git(&wt, &["status", "--porcelain"]).trim(), "?? notes.md", "other edits stay");
    assert!(!repo.design_docs_health().unwrap().needs_attention());
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
        let tip = write(&repo, "tick again", vec![FileWrite::append(path.as_str(), "- [ ] 2\n")]).unwrap();
        let written = repo.read_file_at(tip, &path).unwrap().unwrap();
        assert_eq!(written, b"- [x] 1\n- [ ] 2\n", "the edit is seen and kept");
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

/// The health (what `GET /repos` lists) is what git says at each look: after a spectask write, a
/// rewind outside spectask, refs packed.
#[test]
fn the_health_follows_writes_rewinds_and_packed_refs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    let health = || Repo::open(repo.root()).unwrap().design_docs_health().unwrap();
    assert!(matches!(health(), DesignDocsHealth::Healthy { .. }));

    write(&repo, "first", vec![FileWrite::put("a.md", "a\n")]).unwrap();
    let tip = write(&repo, "second", vec![FileWrite::put("b.md", "b\n")]).unwrap();
    assert_eq!(health(), DesignDocsHealth::Healthy { tip });

    git(&wt, &["reset", "-q", "--hard", "HEAD~1"]);
    assert!(matches!(health(), DesignDocsHealth::Rewritten { last_written, .. } if last_written == tip));
    git(repo.root(), &["pack-refs", "--all"]);
    assert!(matches!(health(), DesignDocsHealth::Rewritten { last_written, .. } if last_written == tip));

    repo.accept_design_docs_rewrite().unwrap();
    assert!(!health().needs_attention());
    std::fs::remove_dir_all(&wt).unwrap();
    assert!(matches!(health(), DesignDocsHealth::WorktreeBroken { .. }));
}

/// The record of the last tip spectask wrote follows every write whether git packed it, and a
/// reflog someone made for it goes on being written; the design-docs branch (packed too) moves and
/// keeps its reflog and HEAD's, as git logs them.
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
    let entry = format!("{second} commit: second Spec Writer <writer@example.com>");
    for (dir, reference) in
        [(repo.root().to_path_buf(), "helix-design-docs"), (repo.design_docs_worktree(), "HEAD")]
    {
        let logged = git(&dir, &["reflog", "show", "--format=%H %gs %gn <%ge>", reference]);
        assert!(logged.starts_with(&entry), "{reference}: {logged}");
    }
    assert_eq!(repo.design_docs_last_written().unwrap(), Some(second));
    assert_fsck_clean(repo.root());
}
