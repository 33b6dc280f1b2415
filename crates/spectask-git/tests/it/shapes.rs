//! Every repository shape users have, each taken through a whole task by spectask: register, spec
//! on the design-docs branch, the agent's work in its worktree, a work-session commit, more design
//! docs, the merge into the default branch. Each shape is made with the `git` program itself, and
//! after the task the repository must be sound, every checkout clean and the person's own changes
//! in the main checkout untouched.
//!
//! The harness is here; the shapes are grouped by what they are: [`formats`], [`content`], [`setups`].

mod content;
mod formats;
mod setups;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use spectask_git::{
    CommitId, DesignDocsCommit, FileWrite, GitError, MergeOutcome, RegisterOptions, Repo, TaskHandle,
    Trailer, WorkSessionCommit,
};

use crate::support::{assert_fsck_clean, commit_in_checkout, git, git_bytes, git_output, status};

/// The person's own untracked file in the main checkout, made before the merge.
const UNTRACKED: &str = "my-notes.txt";
const UNTRACKED_CONTENTS: &[u8] = b"mine, not spectask's\n";
/// A tracked file the person edits in the main checkout before the merge (the task never touches it).
const EDITED: &str = "unrelated.md";

/// What a shape changes in how its task runs or in what its checkout shows.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// The agent also writes the binary-ish `assets/data.bin`.
    binary: bool,
    /// Text files are checked out with CRLF (`* text=auto eol=crlf`).
    crlf: bool,
    /// Someone commits on the default branch while the task runs: the merge makes a merge commit.
    diverge: bool,
}

/// `git init -q -b main <init_args> <parent>/repo`, then `README.md`, `unrelated.md` and
/// `src/lib.rs` committed on `main`.
fn new_repo(parent: &Path, init_args: &[&str]) -> PathBuf {
    std::fs::create_dir_all(parent).unwrap();
    let root = parent.join("repo");
    let mut args = vec!["init", "-q", "-b", "main"];
    args.extend_from_slice(init_args);
    args.push(root.to_str().unwrap());
    git(parent, &args);
    seed(&root);
    root
}

/// Commits the files every shape starts with in the checkout at `root`.
fn seed(root: &Path) {
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("README.md"), "hello\n").unwrap();
    std::fs::write(root.join(EDITED), "nothing to do with the task\n").unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn lib() {}\n").unwrap();
    git(root, &["add", "README.md", EDITED, "src/lib.rs"]);
    git(root, &["commit", "-q", "-m", "initial"]);
}

/// Output of `git args` in `dir`, stdout and stderr, whatever the exit status (for failure reports).
fn shown(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    format!(
        "$ git {} (in {}){}\n{}{}\n",
        args.join(" "),
        dir.display(),
        if out.status.success() { String::new() } else { format!(" -> {}", out.status) },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The whole state of the repository at `root` for a failure report: status of the main checkout
/// and of every worktree, every branch's history, the worktree list.
fn state(root: &Path) -> String {
    let mut out = String::from("\n---- repository state ----\n");
    out += &shown(root, &["status", "--porcelain", "--untracked-files=all"]);
    out += &shown(root, &["log", "--oneline", "--all", "--graph", "--decorate"]);
    out += &shown(root, &["worktree", "list", "--porcelain"]);
    let list = git_output(root, &["worktree", "list", "--porcelain"]);
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        if let Some(path) = line.strip_prefix("worktree ") {
            let path = Path::new(path);
            if path.is_dir() && path.canonicalize().ok() != root.canonicalize().ok() {
                out += &shown(path, &["status", "--porcelain", "--untracked-files=all"]);
            }
        }
    }
    out
}

/// The value of `result`, or a panic naming `what`, the error and the repository's whole state.
fn ok<T>(root: &Path, what: &str, result: Result<T, GitError>) -> T {
    result.unwrap_or_else(|err| panic!("{what}: {err}\n{err:?}{}", state(root)))
}

/// `git status --porcelain` lines (leading spaces kept), sorted.
fn status_lines(dir: &Path) -> Vec<String> {
    let out = git_bytes(dir, &["status", "--porcelain", "--untracked-files=all"]);
    let mut lines: Vec<String> = String::from_utf8(out).unwrap().lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// `bytes` with every CRLF made LF (what git stores for a text file).
fn lf(bytes: &[u8]) -> Vec<u8> {
    replace(bytes, b"\r\n", b"\n")
}

/// What the checkout of `path` shows when the agent wrote `written` there.
fn checkout_form(shape: Shape, path: &str, written: &[u8]) -> Vec<u8> {
    if shape.crlf && !path.ends_with(".bin") {
        replace(&lf(written), b"\n", b"\r\n")
    } else {
        written.to_vec()
    }
}

/// Binary-ish contents: NULs, a CRLF, every byte value.
fn binary_bytes(seed: usize) -> Vec<u8> {
    let mut bytes = b"\x00\x01BIN\r\n\x00".to_vec();
    bytes.extend((0..4000usize).map(|n| ((n * 31 + seed * 7 + n / 97) % 256) as u8));
    bytes
}

fn rot13(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| match b {
            b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
            b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
            _ => b,
        })
        .collect()
}

fn design_docs(message: &str, writes: Vec<FileWrite>) -> DesignDocsCommit {
    DesignDocsCommit {
        message: message.to_owned(),
        trailers: vec![Trailer::new("Spec-Task", "st-1").unwrap()],
        writes,
    }
}

fn session(task: &str) -> WorkSessionCommit {
    WorkSessionCommit {
        message: format!("feat({task}): the feature"),
        spec_task: "st-1".to_owned(),
        work_session: "ws-1".to_owned(),
        implements: vec!["R1".to_owned()],
        paths: None,
        siblings_paths: Vec::new(),
    }
}

/// A task under way: registered, its spec written, the agent's files written in its worktree but
/// not committed.
struct Started {
    root: PathBuf,
    shape: Shape,
    repo: Repo,
    task: TaskHandle,
    worktree: PathBuf,
    /// The default branch's tip when the task began.
    start: String,
    /// What the agent wrote in its worktree: path, bytes as written.
    files: Vec<(String, Vec<u8>)>,
    /// What the design-docs branch must hold for this task once done: path, contents.
    docs: Vec<(String, Vec<u8>)>,
    /// Every design-docs commit made for this task.
    docs_commits: Vec<CommitId>,
}

/// A task done: committed and merged into the default branch.
struct Finished {
    repo: Repo,
    worktree: PathBuf,
    work_commit: CommitId,
    tip: CommitId,
    files: Vec<(String, Vec<u8>)>,
    docs_commits: Vec<CommitId>,
}

/// Registers `root`, writes the spec of task `name` on the design-docs branch, makes the task's
/// worktree and writes the agent's files there: `README.md` and `src/lib.rs` changed, the new
/// `src/<name>/feature.rs`, `notes.txt` (new, or appended to) and, for `shape.binary`,
/// `assets/data.bin`.
fn start_task(root: &Path, name: &str, shape: Shape) -> Started {
    let repo = ok(root, "register", Repo::register(root, &RegisterOptions::default())).repo;
    let task = TaskHandle::new(name).unwrap();
    let requirements = format!("# Requirements of {name}\n- R1: the feature\n").into_bytes();
    let design = format!("# Design of {name}\nOne function.\n").into_bytes();
    let log_start = format!("- {name}: spec written\n").into_bytes();
    let spec = design_docs(
        &format!("spec({name}): version 1"),
        vec![
            FileWrite::put(format!("specs/{name}/requirements.md"), requirements.clone()),
            FileWrite::put(format!("specs/{name}/design.md"), design.clone()),
            FileWrite::append(format!("sessions/{name}/log.md"), log_start.clone()),
        ],
    );
    let spec_commit = ok(root, "design-docs spec commit", repo.commit_design_docs(&spec));
    let docs = vec![
        (format!("specs/{name}/requirements.md"), requirements),
        (format!("specs/{name}/design.md"), design),
        (format!("sessions/{name}/log.md"), log_start),
    ];

    let start = git(root, &["rev-parse", "main"]);
    let made = ok(root, "ensure_task_worktree", repo.ensure_task_worktree(&task));
    assert_eq!(made.branch, format!("spectask/{name}"), "{}", state(root));
    let worktree = made.path;

    let ident = name.replace('-', "_");
    let mut files = Vec::new();
    let mut write = |path: String, bytes: Vec<u8>| {
        let full = worktree.join(&path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, &bytes).unwrap();
        files.push((path, bytes));
    };
    let existing = |path: &str| std::fs::read(worktree.join(path)).unwrap_or_default();
    write(
        "README.md".to_owned(),
        [existing("README.md"), format!("{name} was here\n").into_bytes()].concat(),
    );
    write(
        "src/lib.rs".to_owned(),
        [existing("src/lib.rs"), format!("pub fn from_{ident}() {{}}\n").into_bytes()].concat(),
    );
    write(
        format!("src/{name}/feature.rs"),
        format!("pub fn feature() -> &'static str {{\n    \"{name}\"\n}}\n").into_bytes(),
    );
    write(
        "notes.txt".to_owned(),
        [existing("notes.txt"), format!("Hello from {name}, Agent Smith\n").into_bytes()].concat(),
    );
    if shape.binary {
        write("assets/data.bin".to_owned(), binary_bytes(name.len()));
    }
    Started {
        root: root.to_path_buf(),
        shape,
        repo,
        task,
        worktree,
        start,
        files,
        docs,
        docs_commits: vec![spec_commit],
    }
}

/// Commits the agent's work, writes more design docs, makes the person's own changes in the main
/// checkout (and, for `shape.diverge`, someone's commit on main), merges the task and checks
/// everything a whole task must leave behind.
fn finish_task(started: Started) -> Finished {
    let Started { root, shape, repo, task, worktree, start, files, mut docs, mut docs_commits } = started;
    let root = root.as_path();
    let name = task.to_string();
    let branch = format!("spectask/{name}");

    let committed = ok(root, "commit_work_session", repo.commit_work_session(&task, &session(&name)))
        .unwrap_or_else(|| panic!("commit_work_session committed nothing{}", state(root)));
    let work_commit = committed.commit;
    let mut changed: Vec<&str> = committed.changed_files.iter().map(|c| c.path.as_str()).collect();
    changed.sort_unstable();
    let mut expected: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(changed, expected, "the commit's changed files{}", state(root));
    assert_eq!(ok(root, "branch_tip", repo.branch_tip(&branch)), Some(work_commit), "{}", state(root));
    assert_eq!(git(&worktree, &["rev-parse", "HEAD"]), work_commit.to_string(), "{}", state(root));
    assert_eq!(
        git(root, &["rev-parse", &format!("{work_commit}^")]),
        start,
        "the work commit sits on the default branch's tip{}",
        state(root)
    );

    let log_done = format!("- {name}: ws-1 committed as {work_commit}\n").into_bytes();
    let progress = b"- [x] 1. the feature\n".to_vec();
    let more = design_docs(
        &format!("history({name}): ws-1"),
        vec![
            FileWrite::append(format!("sessions/{name}/log.md"), log_done.clone()),
            FileWrite::put(format!("specs/{name}/progress.md"), progress.clone()),
        ],
    );
    docs_commits.push(ok(root, "second design-docs commit", repo.commit_design_docs(&more)));
    docs[2].1.extend_from_slice(&log_done);
    docs.push((format!("specs/{name}/progress.md"), progress));

    if shape.diverge {
        commit_in_checkout(root, "meanwhile.md", "meanwhile on main\n", "meanwhile on main");
    }
    std::fs::write(root.join(UNTRACKED), UNTRACKED_CONTENTS).unwrap();
    let edited = [read(&root.join(EDITED)), b"my own edit, not committed\n".to_vec()].concat();
    std::fs::write(root.join(EDITED), &edited).unwrap();
    let main_before = git(root, &["rev-parse", "main"]);

    let outcome = ok(root, "merge_task", repo.merge_task(&task, "st-1"));
    let tip = match (shape.diverge, outcome) {
        (false, MergeOutcome::FastForward { tip }) => {
            assert_eq!(tip, work_commit, "{}", state(root));
            tip
        }
        (true, MergeOutcome::MergeCommit { tip }) => {
            let parents = git(root, &["rev-list", "--parents", "-n", "1", &tip.to_string()]);
            assert_eq!(
                parents.split_whitespace().skip(1).collect::<Vec<_>>(),
                [main_before.as_str(), work_commit.to_string().as_str()],
                "the merge commit's parents{}",
                state(root)
            );
            tip
        }
        (diverge, other) => panic!("merge_task gave {other:?} (diverged: {diverge}){}", state(root)),
    };
    assert_eq!(git(root, &["rev-parse", "main"]), tip.to_string(), "{}", state(root));
    assert_eq!(
        git(root, &["rev-parse", "HEAD"]),
        tip.to_string(),
        "the main checkout is at the tip{}",
        state(root)
    );

    for (path, written) in &files {
        assert_eq!(
            read(&root.join(path)),
            checkout_form(shape, path, written),
            "{path} in the main checkout{}",
            state(root)
        );
        if path.ends_with(".rs") || path.ends_with(".md") {
            let blob = ok(root, "read_file_at", repo.read_file_at(tip, path));
            assert_eq!(blob, Some(lf(written)), "{path} as committed{}", state(root));
        }
    }
    if shape.diverge {
        assert_eq!(read(&root.join("meanwhile.md")), b"meanwhile on main\n", "{}", state(root));
    }
    assert_eq!(read(&root.join(UNTRACKED)), UNTRACKED_CONTENTS, "the person's untracked file{}", state(root));
    assert_eq!(read(&root.join(EDITED)), edited, "the person's uncommitted edit{}", state(root));
    assert_eq!(
        status_lines(root),
        [format!(" M {EDITED}"), format!("?? {UNTRACKED}")],
        "only the person's own changes show in the main checkout{}",
        state(root)
    );

    let docs_worktree = repo.design_docs_worktree();
    let docs_tip = ok(root, "branch_tip", repo.branch_tip("helix-design-docs"))
        .unwrap_or_else(|| panic!("no design-docs branch{}", state(root)));
    assert_eq!(docs_tip, *docs_commits.last().unwrap(), "{}", state(root));
    for (path, contents) in &docs {
        assert_eq!(
            ok(root, "read_file_at", repo.read_file_at(docs_tip, path)).as_deref(),
            Some(contents.as_slice()),
            "{path} at the design-docs tip{}",
            state(root)
        );
        assert_eq!(
            read(&docs_worktree.join(path)),
            *contents,
            "{path} in the design-docs worktree{}",
            state(root)
        );
    }
    assert_eq!(status(&docs_worktree), "", "the design-docs worktree is clean{}", state(root));
    assert_eq!(status(&worktree), "", "the task worktree is clean{}", state(root));
    assert_fsck_clean(root);

    // Without the person's own changes the main checkout is exactly the merged tip.
    git(root, &["checkout", "-q", "--", EDITED]);
    std::fs::remove_file(root.join(UNTRACKED)).unwrap();
    assert_eq!(status(root), "", "the main checkout matches the tip{}", state(root));
    Finished { repo, worktree, work_commit, tip, files, docs_commits }
}

/// The whole task `name` on the repository at `root` (see [`start_task`] and [`finish_task`]).
fn run_whole_task(root: &Path, name: &str, shape: Shape) -> Finished {
    finish_task(start_task(root, name, shape))
}

/// Every file and directory under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|err| panic!("read {}: {err}", dir.display())) {
        let path = entry.unwrap().path();
        if path.symlink_metadata().unwrap().is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

fn mode(path: &Path) -> u32 {
    path.symlink_metadata().unwrap().permissions().mode() & 0o7777
}
