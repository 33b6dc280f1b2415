//! What spectask's commits leave (objects, trees, commits, branch moves, reflogs) is sound:
//! `git fsck --strict` accepts it, reflogs parse, nothing temporary is left behind.

use spectask_git::{FileWrite, GitError, TaskHandle, WorkSessionCommit};

use crate::support::{assert_fsck_clean, git, registered_repo, status, write_design_docs as write};

/// Contents of `size` bytes that do not compress to nothing.
fn contents(size: usize, seed: usize) -> Vec<u8> {
    (0..size).map(|n| (n * 31 + seed * 7 + n / 97) as u8).collect()
}

/// Every file under `dir` whose name says it was left behind by a cut-off write.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(leftovers(&entry.path()));
        } else if name.starts_with("tmp_")
            || (name.ends_with(".lock") && !entry.path().to_string_lossy().contains("/spectask/locks/"))
        {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn many_design_docs_and_task_commits_leave_a_repository_git_fsck_strict_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    // Names whose order in a tree differs from plain byte order ("b" as a directory sorts as "b/"),
    // sizes around the stored/deflated bound and a stored block's length, empty files.
    let paths = ["b-x.md", "b/inner.md", "b.md", "b/deep/x.md", "b0", "a b/c.md", "z/y/x/w.md", "top.md"];
    let sizes = [0, 1, 4000, 4079, 4080, 4096, 5000, 65_535, 70_000];
    for round in 0..30 {
        let mut writes = Vec::new();
        for (n, path) in paths.iter().enumerate().filter(|(n, _)| (n + round) % 3 != 0) {
            let bytes = contents(sizes[(n + round) % sizes.len()], round);
            writes.push(if round % 2 == 0 {
                FileWrite::put(*path, bytes)
            } else {
                FileWrite::append(*path, bytes)
            });
        }
        writes.push(FileWrite::append(format!("sessions/s{}/log.md", round % 4), format!("line {round}\n")));
        write(&repo, &format!("spec: round {round}"), writes).unwrap();
    }
    assert_eq!(status(&wt), "");

    let task = TaskHandle::new("7f3a-login").unwrap();
    let task_wt = repo.ensure_task_worktree(&task).unwrap().path;
    for round in 0..10 {
        std::fs::create_dir_all(task_wt.join("src/deep")).unwrap();
        std::fs::write(task_wt.join(format!("src/f{}.rs", round % 3)), contents(100 * round, round)).unwrap();
        std::fs::write(task_wt.join("src/deep/big.bin"), contents(5000 + round, round)).unwrap();
        if round % 4 == 3 {
            std::fs::remove_file(task_wt.join("src/f0.rs")).ok();
        }
        let session = WorkSessionCommit {
            message: format!("feat: round {round}"),
            spec_task: "st-1".to_owned(),
            work_session: format!("ws-{round}"),
            implements: vec![],
            paths: (round % 2 == 0).then(|| vec!["src".to_owned()]),
            siblings_paths: Vec::new(),
        };
        repo.commit_work_session(&task, &session).unwrap();
    }
    assert_eq!(status(&task_wt), "");

    assert_fsck_clean(repo.root());
    for (dir, reference, lines) in [
        (repo.root(), "helix-design-docs", "31"),
        // A worktree's HEAD log starts with the two entries `git worktree add` writes.
        (wt.as_path(), "HEAD", "32"),
        (task_wt.as_path(), "HEAD", "12"),
    ] {
        let log = git(dir, &["reflog", "show", "--format=%H %gs", reference]);
        let count = git(dir, &["reflog", "show", "--format=%H", reference]).lines().count().to_string();
        assert_eq!(count, lines, "{reference} in {}: reflog\n{log}", dir.display());
        let tip = git(dir, &["rev-parse", reference]);
        assert!(log.starts_with(&tip), "{reference} in {}: reflog\n{log}", dir.display());
    }
    for path in paths {
        let on_disk = std::fs::read(wt.join(path)).unwrap();
        let committed = std::process::Command::new("git")
            .current_dir(&wt)
            .args(["cat-file", "blob", &format!("HEAD:{path}")])
            .output()
            .unwrap()
            .stdout;
        assert!(on_disk == committed, "{path}");
    }
    let left = leftovers(&repo.root().join(".git"));
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn hfs_and_ntfs_spellings_of_dot_git_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let before = git(repo.root(), &["rev-parse", "helix-design-docs"]);
    for path in
        ["GIT~1/config", ".git./config", ".git /config", "x/.GIT\u{200c}/config", ".git::$INDEX_ALLOCATION/x"]
    {
        let written = write(&repo, "sneaky", vec![FileWrite::put(path, "[core]\n")]);
        assert!(matches!(written, Err(GitError::InvalidFilePath { .. })), "{path:?}: {written:?}");
    }
    assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]), before);
    for path in [".github/x.md", "git~2/x.md", ".gitx/y.md", "a.git/z.md"] {
        write(&repo, "fine", vec![FileWrite::put(path, "ok\n")]).unwrap();
    }
    assert_fsck_clean(repo.root());
}

#[test]
fn a_file_written_over_a_directory_or_under_a_file_is_refused_and_nothing_moves() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let wt = repo.design_docs_worktree();
    write(&repo, "first", vec![FileWrite::put("docs/a.md", "a\n"), FileWrite::put("b.md", "b\n")]).unwrap();
    let before = git(repo.root(), &["rev-parse", "helix-design-docs"]);
    for writes in [
        vec![FileWrite::put("docs", "x\n")],
        vec![FileWrite::append("docs", "x\n")],
        vec![FileWrite::put("b.md/c.md", "c\n")],
        vec![FileWrite::put("new", "n\n"), FileWrite::put("new/inner.md", "i\n")],
    ] {
        let written = write(&repo, "clash", writes.clone());
        assert!(written.is_err(), "{writes:?}: {written:?}");
        assert_eq!(git(repo.root(), &["rev-parse", "helix-design-docs"]), before, "{writes:?}");
        assert_eq!(status(&wt), "", "{writes:?}");
    }
    write(&repo, "after", vec![FileWrite::put("docs/b.md", "b\n")]).unwrap();
    assert_eq!(status(&wt), "");
    assert_fsck_clean(repo.root());
}
