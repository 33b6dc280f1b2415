//! The implementation review's view of a task branch: its commits and hunks against its base,
//! before and after the merge, within bounds.

use spectask_git::{DiffLimits, FileChange, LineKind, TaskHandle};

use crate::support::{commit_in_checkout, commit_in_task, git, registered_repo};

#[test]
fn the_branch_shows_its_commits_and_hunks_against_its_base_before_and_after_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-login").unwrap();
    let start = git(repo.root(), &["rev-parse", "main"]);
    assert_eq!(repo.task_branch_review(&task, "st-1", DiffLimits::default()).unwrap(), None, "no branch yet");

    commit_in_task(
        &repo,
        &task,
        &[("login.rs", "fn login() {}\n"), ("README.md", "hello\nlogin\n")],
        &["1.1"],
    );
    commit_in_task(&repo, &task, &[("login.rs", "fn login() {}\nfn logout() {}\n")], &[]);
    // The default branch moves on meanwhile: its change is not the task's.
    commit_in_checkout(repo.root(), "other.rs", "fn other() {}\n", "meanwhile on main");

    let review = repo.task_branch_review(&task, "st-1", DiffLimits::default()).unwrap().unwrap();
    assert_eq!(review.base.to_string(), start);
    assert!(!review.merged);
    assert_eq!(review.commits.len(), 2, "{review:#?}");
    let trailers = &review.commits[0].trailers;
    assert!(trailers.contains(&("Implements".to_owned(), "1.1".to_owned())), "{trailers:?}");
    assert!(trailers.contains(&("Work-Session".to_owned(), "ws-1".to_owned())), "{trailers:?}");
    let paths: Vec<_> = review.files.iter().map(|f| (f.path.as_str(), f.change)).collect();
    assert_eq!(paths, [("README.md", FileChange::Modified), ("login.rs", FileChange::Added)]);
    let readme = &review.files[0];
    assert_eq!((readme.additions, readme.deletions), (1, 0));
    let lines: Vec<_> =
        readme.hunks[0].lines.iter().map(|l| (l.kind, l.old_line, l.new_line, l.text.as_str())).collect();
    assert_eq!(
        lines,
        [(LineKind::Context, Some(1), Some(1), "hello"), (LineKind::Added, None, Some(2), "login")]
    );
    assert!(readme.hunks[0].header.starts_with("@@ -1 +1,2 @@"), "{}", readme.hunks[0].header);

    repo.merge_task(&task, "st-1").unwrap();
    let merged = repo.task_branch_review(&task, "st-1", DiffLimits::default()).unwrap().unwrap();
    assert!(merged.merged);
    assert_eq!(merged.base.to_string(), start, "the base is below the task's own commits");
    assert_eq!(merged.commits, review.commits);
    assert_eq!(merged.files, review.files);
}

#[test]
fn large_diffs_are_cut_at_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let task = TaskHandle::new("7f3a-big").unwrap();
    let long: String = (0..50).map(|i| format!("line {i}\n")).collect();
    commit_in_task(&repo, &task, &[("a.txt", &long), ("b.txt", "b\n"), ("c.txt", "c\n")], &[]);

    let limits = DiffLimits { max_files: 2, max_lines_per_file: 10 };
    let review = repo.task_branch_review(&task, "st-1", limits).unwrap().unwrap();
    assert_eq!(review.files.len(), 2);
    assert_eq!(review.files_left_out, 1);
    let big = &review.files[0];
    assert!(big.truncated);
    assert_eq!(big.additions, 50, "the counts are the whole file's");
    assert_eq!(big.hunks.iter().map(|h| h.lines.len()).sum::<usize>(), 10);
    assert!(!review.files[1].truncated);
}
