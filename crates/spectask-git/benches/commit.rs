//! `cargo bench -p spectask-git`: what one commit costs through spectask-git (which runs the `git`
//! program for every step: checks, staging, commit, bookkeeping) against the same change committed
//! by `git add` and `git commit` alone, for a design-docs write and a work session's commit; and
//! recorded entries per second when N appends are batched per commit.
//!
//! Environment: `BENCH_COMMITS` (commits timed per figure, 50); `BENCH_FILES` (other files already
//! on the branch, and so in its index: 0 for a small repository, 50000 for a large one).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use spectask_git::{
    DesignDocsCommit, FileWrite, RegisterOptions, Repo, TaskHandle, Trailer, WorkSessionCommit,
};

const ENTRIES: usize = 500;
const BATCHES: [usize; 4] = [1, 10, 100, 500];

fn size(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (commits, files) = (size("BENCH_COMMITS", 50), size("BENCH_FILES", 0));
    println!("{files} other files on the branch, {commits} commits per figure");
    let ours = per_commit_spectask(commits, files)?;
    let plain = per_commit_cli(commits, files)?;
    println!("design-docs commit, spectask-git:              {:>8.3} ms", ms(ours));
    println!("the same change by git add + git commit:       {:>8.3} ms", ms(plain));
    println!(
        "ratio spectask-git / git:                      {:>8.2}x",
        ours.as_secs_f64() / plain.as_secs_f64()
    );
    let ours = per_task_commit(commits, files)?;
    let plain = per_task_commit_cli(commits, files)?;
    println!("work-session commit, spectask-git (hooks run): {:>8.3} ms", ms(ours));
    println!("the same change by git add + git commit:       {:>8.3} ms", ms(plain));
    println!(
        "ratio spectask-git / git:                      {:>8.2}x",
        ours.as_secs_f64() / plain.as_secs_f64()
    );
    println!();
    println!("{:>18} {:>10} {:>16}", "appends per commit", "commits", "entries per sec");
    for batch in BATCHES {
        let (commits, rate) = entries_per_second(batch)?;
        println!("{batch:>18} {commits:>10} {rate:>16.0}");
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// A fresh registered repository with one commit on `main`, and `files` files of other tasks on its
/// design-docs branch.
fn repository(dir: &Path, files: u32) -> Result<Repo, Box<dyn std::error::Error>> {
    let root = dir.join("repo");
    std::fs::create_dir_all(&root)?;
    git(&root, &["init", "-q", "-b", "main"])?;
    std::fs::write(root.join("README.md"), "bench\n")?;
    git(&root, &["add", "README.md"])?;
    git(&root, &["commit", "-q", "-m", "initial"])?;
    let repo = Repo::register(&root, &RegisterOptions::default())?.repo;
    if files > 0 {
        let writes = (0..files)
            .map(|n| FileWrite::put(format!("specs/task-{}/doc-{}.md", n / 8, n % 8), format!("file {n}\n")))
            .collect();
        let commit =
            DesignDocsCommit { message: "bench: other tasks".to_owned(), trailers: Vec::new(), writes };
        repo.commit_design_docs(&commit)?;
    }
    Ok(repo)
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()?;
    if !status.success() {
        return Err(format!("git {args:?} failed in {}", dir.display()).into());
    }
    Ok(())
}

fn append(repo: &Repo, lines: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let writes =
        lines.into_iter().map(|line| FileWrite::append("sessions/bench/activity-log.md", line)).collect();
    let commit = DesignDocsCommit {
        message: "history(bench): entries".to_owned(),
        trailers: vec![Trailer::new("Spec-Task", "bench")?],
        writes,
    };
    repo.commit_design_docs(&commit)?;
    Ok(())
}

/// Mean time of one one-line append commit through spectask-git (lock, checks, commit, worktree).
fn per_commit_spectask(commits: u32, files: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let repo = repository(dir.path(), files)?;
    let start = Instant::now();
    for n in 0..commits {
        append(&repo, vec![format!("entry {n}\n")])?;
    }
    Ok(start.elapsed() / commits.max(1))
}

/// Mean time of one work-session commit (one changed file, trailers) in a task's worktree, whose
/// branch holds `files` other files.
fn per_task_commit(commits: u32, files: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let (_dir, repo, wt) = task_worktree(files)?;
    let task = TaskHandle::new("bench-task")?;
    let commit = |paths: Option<Vec<String>>| WorkSessionCommit {
        message: "bench-task: a session".to_owned(),
        spec_task: "bench".to_owned(),
        work_session: "bench".to_owned(),
        implements: vec!["1.1".to_owned()],
        paths,
        siblings_paths: Vec::new(),
    };
    let start = Instant::now();
    for n in 0..commits {
        std::fs::write(wt.join("src/changed.txt"), format!("change {n}\n"))?;
        repo.commit_work_session(&task, &commit(Some(vec!["src/changed.txt".to_owned()])))?;
    }
    Ok(start.elapsed() / commits.max(1))
}

/// The same change as [`per_task_commit`] by `git add` and `git commit` in the task's worktree.
fn per_task_commit_cli(commits: u32, files: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let (_dir, _repo, wt) = task_worktree(files)?;
    let start = Instant::now();
    for n in 0..commits {
        std::fs::write(wt.join("src/changed.txt"), format!("change {n}\n"))?;
        git(&wt, &["add", "--all", "--", "src/changed.txt"])?;
        git(&wt, &["commit", "-q", "-m", "bench-task: a session"])?;
    }
    Ok(start.elapsed() / commits.max(1))
}

/// A registered repository with a task worktree whose branch holds `files` files.
fn task_worktree(
    files: u32,
) -> Result<(tempfile::TempDir, Repo, std::path::PathBuf), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let repo = repository(dir.path(), 0)?;
    let task = TaskHandle::new("bench-task")?;
    let wt = repo.ensure_task_worktree(&task)?.path;
    std::fs::create_dir_all(wt.join("src"))?;
    if files > 0 {
        for n in 0..files {
            let dir = wt.join(format!("src/part-{}", n / 8));
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(format!("file-{}.txt", n % 8)), format!("file {n}\n"))?;
        }
        repo.commit_work_session(
            &task,
            &WorkSessionCommit {
                message: "bench-task: other files".to_owned(),
                spec_task: "bench".to_owned(),
                work_session: "bench".to_owned(),
                implements: vec![],
                paths: None,
                siblings_paths: Vec::new(),
            },
        )?;
    }
    Ok((dir, repo, wt))
}

/// Mean time of appending one line to the same file of the design-docs worktree and spawning
/// `git commit -- <file>` (one process per commit, no lock, no checks).
fn per_commit_cli(commits: u32, files: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let repo = repository(dir.path(), files)?;
    let wt = repo.design_docs_worktree();
    let path = "sessions/bench/activity-log.md";
    let file = wt.join(path);
    std::fs::create_dir_all(wt.join("sessions/bench"))?;
    std::fs::write(&file, "")?;
    git(&wt, &["add", path])?;
    let mut contents = String::new();
    let start = Instant::now();
    for n in 0..commits {
        contents.push_str(&format!("entry {n}\n"));
        std::fs::write(&file, &contents)?;
        git(&wt, &["commit", "-q", "-m", "history(bench): entry", "--", path])?;
    }
    Ok(start.elapsed() / commits.max(1))
}

/// Commits `ENTRIES` appended entries, `batch` per commit; returns (commits, entries per second).
fn entries_per_second(batch: usize) -> Result<(usize, f64), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let repo = repository(dir.path(), 0)?;
    let commits = ENTRIES.div_ceil(batch);
    let start = Instant::now();
    for c in 0..commits {
        let lines = (0..batch).map(|n| format!("- {} entry {} of a work session\n", c, n)).collect();
        append(&repo, lines)?;
    }
    Ok((commits, ENTRIES as f64 / start.elapsed().as_secs_f64()))
}
