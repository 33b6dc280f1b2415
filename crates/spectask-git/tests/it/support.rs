//! Shared test helpers: real repositories made with the `git` CLI, and `git fsck --strict`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git` in `dir` with a fixed identity, panics on failure, returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(git_bytes(dir, args)).unwrap().trim().to_owned()
}

/// Raw stdout of `git args` in `dir` (no trimming, bytes as git gave them); panics on failure.
pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `git` in `dir` and returns its raw output, whatever the exit status.
pub fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap()
}

/// Creates `<parent>/repo` with one commit (`README.md`) on `branch`.
pub fn init_repo(parent: &Path, branch: &str) -> PathBuf {
    let root = parent.join("repo");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q", "-b", branch]);
    std::fs::write(root.join("README.md"), "hello\n").unwrap();
    git(&root, &["add", "README.md"]);
    git(&root, &["commit", "-q", "-m", "initial"]);
    root
}

/// Asserts `git fsck --strict` finds nothing wrong (git's `hint:` lines are advice, not findings).
pub fn assert_fsck_clean(root: &Path) {
    let out = git_output(root, &["fsck", "--strict"]);
    let findings = String::from_utf8_lossy(&out.stderr).lines().any(|l| !l.starts_with("hint:"));
    assert!(
        out.status.success() && !findings,
        "git fsck --strict in {}: {}{}",
        root.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository (`main` branch, one commit) registered with the default options.
pub fn registered_repo(parent: &Path) -> spectask_git::Repo {
    let root = init_repo(parent, "main");
    spectask_git::Repo::register(&root, &spectask_git::RegisterOptions::default()).unwrap().repo
}

/// Writes `files` in `task`'s worktree and commits them as work session `ws-1` of SpecTask `st-1`,
/// implementing the requirements `implements`.
pub fn commit_in_task(
    repo: &spectask_git::Repo,
    task: &spectask_git::TaskHandle,
    files: &[(&str, &str)],
    implements: &[&str],
) {
    let wt = repo.ensure_task_worktree(task).unwrap().path;
    for (file, contents) in files {
        let path = wt.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    let commit = spectask_git::WorkSessionCommit {
        message: format!("{task}: write {}", files[0].0),
        spec_task: "st-1".to_owned(),
        work_session: "ws-1".to_owned(),
        implements: implements.iter().map(|s| (*s).to_owned()).collect(),
        paths: None,
        siblings_paths: Vec::new(),
    };
    repo.commit_work_session(task, &commit).unwrap().unwrap();
}

/// Writes `file` in the checkout at `root` and commits it there (someone's commit on the checked-out
/// branch, outside spectask).
pub fn commit_in_checkout(root: &Path, file: &str, contents: &str, message: &str) {
    std::fs::write(root.join(file), contents).unwrap();
    git(root, &["add", file]);
    git(root, &["commit", "-qm", message]);
}

/// `git status --porcelain` in `dir` (untracked files included).
pub fn status(dir: &Path) -> String {
    git(dir, &["status", "--porcelain", "--untracked-files=all"])
}

/// Commits `writes` on the design-docs branch of `repo` with a `Spec-Task` trailer.
pub fn write_design_docs(
    repo: &spectask_git::Repo,
    message: &str,
    writes: Vec<spectask_git::FileWrite>,
) -> Result<spectask_git::CommitId, spectask_git::GitError> {
    let commit = spectask_git::DesignDocsCommit {
        message: message.to_owned(),
        trailers: vec![spectask_git::Trailer::new("Spec-Task", "task-1").unwrap()],
        writes,
    };
    repo.commit_design_docs(&commit)
}
