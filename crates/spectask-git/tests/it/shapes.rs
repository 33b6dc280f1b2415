//! Every repository shape users have, each taken through a whole task by spectask: register, spec
//! on the design-docs branch, the agent's work in its worktree, a work-session commit, more design
//! docs, the merge into the default branch. Each shape is made with the `git` program itself, and
//! after the task the repository must be sound, every checkout clean and the person's own changes
//! in the main checkout untouched.

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

#[test]
fn reftable_refs() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &["--ref-format=reftable"]);
    let done = run_whole_task(&root, "7f3a-reftable", Shape::default());

    assert_eq!(git(&root, &["rev-parse", "--show-ref-format"]), "reftable", "{}", state(&root));
    let refs = git(&root, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    assert!(refs.contains(&format!("refs/heads/spectask/7f3a-reftable {}", done.work_commit)), "{refs}");
    assert!(refs.contains(&format!("refs/heads/main {}", done.tip)), "{refs}");
    assert!(refs.contains(&format!("refs/heads/helix-design-docs {}", done.docs_commits[1])), "{refs}");
    // No ref was written as a loose or packed file beside the reftable: `.git/refs` holds only the
    // `heads` stub git made at init.
    let loose: Vec<_> = walk(&root.join(".git/refs"))
        .into_iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(loose, [".git/refs/heads"], "{}", state(&root));
    assert!(root.join(".git/refs/heads").is_file());
    assert!(!root.join(".git/packed-refs").exists(), "{}", state(&root));
    let verify = git_output(&root, &["refs", "verify"]);
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "git refs verify: {}{}",
        String::from_utf8_lossy(&verify.stderr),
        state(&root)
    );
}

#[test]
fn sha256_objects() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &["--object-format=sha256"]);
    let done = run_whole_task(&root, "7f3a-sha256", Shape { binary: true, ..Shape::default() });

    assert_eq!(git(&root, &["rev-parse", "--show-object-format"]), "sha256");
    for id in [done.work_commit, done.tip].iter().chain(&done.docs_commits) {
        assert_eq!(id.to_string().len(), 64, "{id} is a SHA-256 id{}", state(&root));
        assert_eq!(git(&root, &["cat-file", "-t", &id.to_string()]), "commit", "{id}{}", state(&root));
    }
    let tip = done.repo.branch_tip("spectask/7f3a-sha256").unwrap().unwrap();
    assert_eq!(tip.to_string(), git(&root, &["rev-parse", "spectask/7f3a-sha256"]));
    assert_eq!(git_bytes(&root, &["cat-file", "blob", &format!("{tip}:assets/data.bin")]), binary_bytes(11));
}

#[test]
fn split_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    git(&root, &["config", "core.splitIndex", "true"]);
    git(&root, &["update-index", "--split-index"]);
    assert!(!git(&root, &["rev-parse", "--shared-index-path"]).is_empty(), "the index is split");

    let first = run_whole_task(&root, "7f3a-first", Shape::default());
    // Someone looks at the design docs between tasks: git rewrites that worktree's split index.
    let docs_worktree = first.repo.design_docs_worktree();
    assert_eq!(status(&docs_worktree), "", "{}", state(&root));
    let second = run_whole_task(&root, "8b4c-second", Shape::default());

    for task in ["7f3a-first", "8b4c-second"] {
        let path = format!("specs/{task}/requirements.md");
        assert!(docs_worktree.join(&path).is_file(), "{path}{}", state(&root));
        assert!(
            second.repo.read_file_at(second.docs_commits[1], &path).unwrap().is_some(),
            "{path} at the design-docs tip{}",
            state(&root)
        );
    }
    assert!(
        read(&root.join("notes.txt"))
            .ends_with(b"Hello from 7f3a-first, Agent Smith\nHello from 8b4c-second, Agent Smith\n"),
        "{}",
        state(&root)
    );
    assert!(!git(&root, &["rev-parse", "--shared-index-path"]).is_empty(), "the main index is still split");
    assert_ne!(first.tip, second.tip);
    assert_fsck_clean(&root);
}

#[test]
fn sparse_checkout_in_cone_mode_with_a_sparse_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::create_dir_all(root.join("vendor/dep")).unwrap();
    std::fs::write(root.join("docs/guide.md"), "# Guide\n").unwrap();
    std::fs::write(root.join("vendor/dep/dep.rs"), "pub fn dep() {}\n").unwrap();
    git(&root, &["add", "docs", "vendor"]);
    git(&root, &["commit", "-q", "-m", "files outside the cone"]);
    git(&root, &["sparse-checkout", "set", "--cone", "--sparse-index", "src"]);
    assert!(!root.join("docs").exists() && !root.join("vendor").exists(), "outside the cone");
    assert!(root.join("src/lib.rs").is_file());

    run_whole_task(&root, "7f3a-sparse", Shape::default());

    // The merge neither took the paths outside the cone for local changes (deleted) nor wrote
    // them out: the checkout is as sparse as before.
    assert!(!root.join("docs").exists() && !root.join("vendor").exists(), "{}", state(&root));
    assert_eq!(git(&root, &["sparse-checkout", "list"]), "src", "{}", state(&root));
    assert_eq!(git(&root, &["config", "index.sparse"]), "true");
    assert_eq!(git(&root, &["show", "main:docs/guide.md"]), "# Guide");
    assert_eq!(git(&root, &["show", "main:vendor/dep/dep.rs"]), "pub fn dep() {}");
    let sparse_entries = git(&root, &["ls-files", "--sparse", "-t"]);
    assert!(
        sparse_entries.lines().any(|l| l == "S docs/") && sparse_entries.lines().any(|l| l == "S vendor/"),
        "the index is still sparse:\n{sparse_entries}{}",
        state(&root)
    );
}

/// A task worktree is a full checkout whatever the person's sparse cone (and sparse index): the
/// agent sees every file, and what it writes outside the cone is committed; the person's own
/// checkout stays as sparse as it was.
#[test]
fn a_task_worktree_is_whole_outside_a_sparse_cone() {
    for sparse_index in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = new_repo(dir.path(), &[]);
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/guide.md"), "# Guide\n").unwrap();
        git(&root, &["add", "docs"]);
        git(&root, &["commit", "-q", "-m", "files outside the cone"]);
        let mut set = vec!["sparse-checkout", "set", "--cone", "src"];
        if sparse_index {
            set.push("--sparse-index");
        }
        git(&root, &set);
        let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
        let task = TaskHandle::new("7f3a-cone").unwrap();
        let worktree = repo.ensure_task_worktree(&task).unwrap().path;
        assert!(worktree.join("docs/guide.md").is_file(), "the whole tree is checked out{}", state(&root));
        std::fs::write(worktree.join("docs/guide.md"), "# Guide, edited\n").unwrap();
        std::fs::write(worktree.join("docs/new.md"), "# New\n").unwrap();
        let committed = repo.commit_work_session(&task, &session("7f3a-cone"));
        let committed = ok(&root, "the commit outside the cone", committed).expect("a commit");
        let mut paths: Vec<&str> = committed.changed_files.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["docs/guide.md", "docs/new.md"], "{}", state(&root));
        assert_eq!(status(&worktree), "", "nothing left over{}", state(&root));
        assert!(!root.join("docs").exists(), "the person's checkout is as sparse as before");
        assert_eq!(git(&root, &["sparse-checkout", "list"]), "src");
    }
}

#[test]
fn gitattributes_text_auto_eol_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    std::fs::write(root.join(".gitattributes"), "* text=auto eol=crlf\n").unwrap();
    git(&root, &["add", ".gitattributes"]);
    git(&root, &["commit", "-q", "-m", "CRLF in checkouts"]);
    // Check everything out again, as a clone would: with CRLF.
    for file in [".gitattributes", "README.md", EDITED, "src/lib.rs"] {
        std::fs::remove_file(root.join(file)).unwrap();
    }
    git(&root, &["checkout", "-q", "--", "."]);
    assert_eq!(read(&root.join("README.md")), b"hello\r\n");
    assert_eq!(status(&root), "");

    let shape = Shape { crlf: true, binary: true, ..Shape::default() };
    let done = run_whole_task(&root, "7f3a-crlf", shape);

    for (path, written) in &done.files {
        let blob = git_bytes(&root, &["cat-file", "-p", &format!("{}:{path}", done.work_commit)]);
        let on_disk = read(&root.join(path));
        if path.ends_with(".bin") {
            assert_eq!(blob, *written, "{path}: binary, stored as written{}", state(&root));
            assert_eq!(on_disk, *written, "{path}: binary, checked out as written{}", state(&root));
        } else {
            assert!(
                !blob.contains(&b'\r'),
                "{path} is stored with LF: {:?}{}",
                String::from_utf8_lossy(&blob),
                state(&root)
            );
            assert_eq!(blob, lf(written), "{path}{}", state(&root));
            assert!(on_disk.ends_with(b"\r\n"), "{path} is checked out with CRLF{}", state(&root));
            assert_eq!(
                replace(&on_disk, b"\r\n", b"").iter().filter(|&&b| b == b'\n').count(),
                0,
                "{path}: no lone LF"
            );
        }
    }
    assert_eq!(status(&done.worktree), "");
}

const ROT13: &str = "tr A-Za-z N-ZA-Mn-za-m";

#[test]
fn clean_and_smudge_filter() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    git(dir.path(), &["init", "-q", "-b", "main", root.to_str().unwrap()]);
    git(&root, &["config", "filter.rot.clean", ROT13]);
    git(&root, &["config", "filter.rot.smudge", ROT13]);
    git(&root, &["config", "filter.rot.required", "true"]);
    seed(&root);
    std::fs::write(root.join(".gitattributes"), "*.txt filter=rot\n").unwrap();
    std::fs::write(root.join("existing.txt"), "Plain Text On Main\n").unwrap();
    git(&root, &["add", ".gitattributes", "existing.txt"]);
    git(&root, &["commit", "-q", "-m", "rot13 for text files"]);
    assert_eq!(
        git(&root, &["cat-file", "-p", "HEAD:existing.txt"]),
        "Cynva Grkg Ba Znva",
        "the filter works"
    );

    let done = run_whole_task(&root, "7f3a-rot", Shape::default());

    let (_, notes) = done.files.iter().find(|(p, _)| p == "notes.txt").unwrap();
    let blob = git(&root, &["rev-parse", &format!("{}:notes.txt", done.work_commit)]);
    let cleaned = git(&done.worktree, &["hash-object", "--path", "notes.txt", "notes.txt"]);
    assert_eq!(blob, cleaned, "spectask's blob of notes.txt went through the clean filter{}", state(&root));
    assert_eq!(git_bytes(&root, &["cat-file", "-p", &blob]), rot13(notes), "{}", state(&root));
    assert_eq!(read(&root.join("notes.txt")), *notes, "the main checkout is smudged back");

    let clone = dir.path().join("clone");
    let url = format!("file://{}", root.display());
    let clean = format!("filter.rot.clean={ROT13}");
    let smudge = format!("filter.rot.smudge={ROT13}");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "-c",
            &clean,
            "-c",
            &smudge,
            "-c",
            "filter.rot.required=true",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(read(&clone.join("notes.txt")), *notes, "a fresh clone shows the agent's file as written");
    assert_eq!(read(&clone.join("existing.txt")), b"Plain Text On Main\n");
    assert_eq!(status(&clone), "");
}

#[test]
fn git_lfs() {
    let dir = tempfile::tempdir().unwrap();
    let version = git_output(dir.path(), &["lfs", "version"]);
    if !version.status.success() {
        eprintln!(
            "skipped: `git lfs version` failed ({}): {} (install git-lfs; scripts/test does)",
            version.status,
            String::from_utf8_lossy(&version.stderr).trim()
        );
        return;
    }
    let root = new_repo(dir.path(), &[]);
    git(&root, &["lfs", "install", "--local"]);
    git(&root, &["lfs", "track", "*.bin"]);
    git(&root, &["add", ".gitattributes"]);
    git(&root, &["commit", "-q", "-m", "LFS for binaries"]);

    let done = run_whole_task(&root, "7f3a-lfs", Shape { binary: true, ..Shape::default() });

    let blob = git_bytes(&root, &["cat-file", "-p", &format!("{}:assets/data.bin", done.work_commit)]);
    assert!(
        blob.starts_with(b"version https://git-lfs.github.com/spec/v1\n"),
        "assets/data.bin is committed as an LFS pointer, not as {} bytes of content{}",
        blob.len(),
        state(&root)
    );
    let pointer = git_bytes(&root, &["lfs", "pointer", "--file=assets/data.bin"]);
    assert_eq!(
        String::from_utf8_lossy(&blob),
        String::from_utf8_lossy(&pointer),
        "the pointer of the file as written"
    );
    assert_eq!(
        read(&root.join("assets/data.bin")),
        binary_bytes(8),
        "the main checkout has the real contents"
    );
    let fsck = git_output(&root, &["lfs", "fsck"]);
    assert!(
        fsck.status.success(),
        "git lfs fsck: {}{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr),
        state(&root)
    );
}

/// A directory as git makes it in a group-shared repository: group rwx and setgid.
fn shared_dir(mode: u32) -> bool {
    mode & 0o2070 == 0o2070
}

/// A file as git makes it in a group-shared repository: group-readable, and group-writable when
/// its owner may write it.
fn shared_file(mode: u32) -> bool {
    mode & 0o040 != 0 && (mode & 0o200 == 0 || mode & 0o020 != 0)
}

#[test]
fn group_shared_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &["--shared=group"]);
    assert_eq!(git(&root, &["config", "core.sharedRepository"]), "1");
    // An object git made itself, and its directory: what every object spectask's work made must match.
    let own_blob = git(&root, &["rev-parse", "HEAD:README.md"]);
    let own_object = root.join(".git/objects").join(&own_blob[..2]).join(&own_blob[2..]);
    let (own_file_mode, own_dir_mode) = (mode(&own_object), mode(own_object.parent().unwrap()));
    assert!(shared_file(own_file_mode) && shared_dir(own_dir_mode), "{own_file_mode:o} {own_dir_mode:o}");
    let before: std::collections::HashSet<PathBuf> =
        walk(&root.join(".git/objects")).into_iter().chain(walk(&root.join(".git/refs"))).collect();
    let exclude = root.join(".git/info/exclude");
    let exclude_mode = mode(&exclude);
    assert!(shared_file(exclude_mode), "{exclude_mode:o}");

    run_whole_task(&root, "7f3a-shared", Shape { binary: true, ..Shape::default() });
    let lines = std::fs::read_to_string(&exclude).unwrap();
    assert!(lines.contains(".git-worktrees"), "spectask's line is in it:\n{lines}");
    assert_eq!(mode(&exclude), exclude_mode, "info/exclude keeps the mode git gave it");

    let mut made = Vec::new();
    let mut wrong = Vec::new();
    for path in walk(&root.join(".git/objects")).into_iter().chain(walk(&root.join(".git/refs"))) {
        if before.contains(&path) {
            continue;
        }
        let m = mode(&path);
        let loose_object = path.parent().is_some_and(loose_object_dir);
        let fine = if path.is_dir() {
            shared_dir(m) && (!loose_object_dir(&path) || m == own_dir_mode)
        } else {
            shared_file(m) && (!loose_object || m == own_file_mode)
        };
        if !fine {
            wrong.push(format!("{:o} {}", m, path.display()));
        }
        made.push(path);
    }
    assert!(
        made.iter().any(|p| p.parent().is_some_and(loose_object_dir)),
        "the task's work made objects: {made:?}{}",
        state(&root)
    );
    assert!(
        wrong.is_empty(),
        "not shared with the group as git shares its own ({own_file_mode:o} for objects, {own_dir_mode:o} for \
         their directories):\n{}{}",
        wrong.join("\n"),
        state(&root)
    );
}

/// `.git/objects/xx`.
fn loose_object_dir(path: &Path) -> bool {
    path.parent().is_some_and(|p| p.ends_with("objects"))
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.len() == 2 && n.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A hook of the repository refuses the agent's commit: the error says what the hook said, the
/// task branch does not move and nothing is lost; spectask's own design-docs commits go on; once
/// the hook is fixed the task finishes.
fn refused_by_hook(hook: &str, script: &str, said: &str) {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    let hook_path = root.join(".git/hooks").join(hook);
    std::fs::create_dir_all(hook_path.parent().unwrap()).unwrap();
    std::fs::write(&hook_path, script).unwrap();
    std::fs::set_permissions(&hook_path, std::fs::Permissions::from_mode(0o755)).unwrap();

    // The spec commit in start_task is made with the failing hook in place.
    let started = start_task(&root, "7f3a-hooked", Shape::default());
    let refused = started.repo.commit_work_session(&started.task, &session("7f3a-hooked"));
    let err = match refused {
        Err(err) => err,
        Ok(committed) => panic!("the {hook} hook did not stop the commit: {committed:?}{}", state(&root)),
    };
    assert!(err.to_string().contains(said), "the error names what the hook said: {err}{}", state(&root));
    assert_eq!(
        git(&root, &["rev-parse", "spectask/7f3a-hooked"]),
        started.start,
        "nothing committed on the task branch{}",
        state(&root)
    );
    for (path, written) in &started.files {
        assert_eq!(read(&started.worktree.join(path)), *written, "{path} is kept in the worktree");
    }
    let docs = design_docs(
        "history(7f3a-hooked): hook refused",
        vec![FileWrite::append("sessions/7f3a-hooked/refused.md", "- refused\n")],
    );
    ok(&root, "design-docs commit with the failing hook", started.repo.commit_design_docs(&docs));

    std::fs::write(&hook_path, "#!/bin/sh\nexit 0\n").unwrap();
    let done = finish_task(started);
    assert_eq!(
        git(&root, &["log", "-1", "--format=%s", &done.work_commit.to_string()]),
        "feat(7f3a-hooked): the feature"
    );
}

#[test]
fn failing_pre_commit_hook() {
    refused_by_hook(
        "pre-commit",
        "#!/bin/sh\necho 'pre-commit: lint failed, 3 warnings' >&2\nexit 1\n",
        "pre-commit: lint failed, 3 warnings",
    );
}

#[test]
fn rejecting_commit_msg_hook() {
    refused_by_hook(
        "commit-msg",
        "#!/bin/sh\necho \"commit-msg: no ticket number in: $(head -n 1 \"$1\")\" >&2\nexit 1\n",
        "commit-msg: no ticket number in: feat(7f3a-hooked): the feature",
    );
}

#[test]
fn not_a_repository_root_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    let refused = |path: &Path| match Repo::register(path, &RegisterOptions::default()) {
        Err(err) => err,
        Ok(_) => panic!("{} was registered{}", path.display(), state(&root)),
    };

    let err = refused(&root.join("src"));
    let text = err.to_string();
    let canonical = root.canonicalize().unwrap();
    assert!(matches!(err, GitError::InsideRepository { .. }), "{err:?}");
    assert!(
        text.contains(&root.display().to_string()) || text.contains(&canonical.display().to_string()),
        "the error names the repository's root: {text}"
    );
    assert!(!text.contains("not a git repository"), "{text}");
    assert!(
        !root.join("src/.git-worktrees").exists() && !root.join(".git-worktrees").exists(),
        "{}",
        state(&root)
    );
    assert_eq!(git(&root, &["branch", "--list", "helix-design-docs"]), "", "nothing was made");

    let bare = dir.path().join("bare.git");
    git(dir.path(), &["clone", "-q", "--bare", root.to_str().unwrap(), bare.to_str().unwrap()]);
    let err = refused(&bare);
    let text = err.to_string();
    assert!(matches!(err, GitError::BareRepository { .. }), "{err:?}");
    assert!(text.contains("bare") && text.contains("bare.git"), "{text}");
    assert!(!text.contains("not a git repository"), "{text}");
    assert_eq!(git(&bare, &["branch", "--list", "helix-design-docs"]), "", "nothing was made");
    assert!(!bare.join(".git-worktrees").exists());

    let missing = dir.path().join("no-such-dir");
    let err = refused(&missing);
    let text = err.to_string();
    assert!(matches!(err, GitError::PathNotFound { .. }), "{err:?}");
    assert!(text.contains("no-such-dir") && text.contains("does not exist"), "{text}");
    assert!(!text.contains("not a git repository"), "{text}");
    assert!(!missing.exists(), "nothing was made");
}

#[test]
fn default_branch_moved_during_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    let done = run_whole_task(&root, "7f3a-diverged", Shape { diverge: true, ..Shape::default() });
    assert_ne!(done.tip, done.work_commit);
    let message = git(&root, &["log", "-1", "--format=%B", &done.tip.to_string()]);
    assert!(message.contains("Spec-Task: st-1"), "{message}");
    assert_eq!(git(&root, &["rev-list", "--count", "main"]), "4", "{}", state(&root));
}

#[test]
fn separate_git_dir() {
    let dir = tempfile::tempdir().unwrap();
    let git_dir = dir.path().join("elsewhere.git");
    let root = new_repo(dir.path(), &["--separate-git-dir", git_dir.to_str().unwrap()]);
    assert!(root.join(".git").is_file(), "a gitfile");

    let done = run_whole_task(&root, "7f3a-separate", Shape::default());

    assert!(root.join(".git").is_file(), "still a gitfile{}", state(&root));
    let common = PathBuf::from(git(&root, &["rev-parse", "--path-format=absolute", "--git-common-dir"]));
    assert_eq!(common.canonicalize().unwrap(), git_dir.canonicalize().unwrap());
    assert!(git_dir.join("worktrees/7f3a-separate").is_dir(), "{}", state(&root));
    assert!(done.worktree.starts_with(done.repo.root()), "{}", done.worktree.display());
    assert_eq!(
        git(&done.worktree, &["rev-parse", "--path-format=absolute", "--git-common-dir"]),
        common.display().to_string()
    );
}

#[test]
fn shallow_clone() {
    let dir = tempfile::tempdir().unwrap();
    let origin = new_repo(&dir.path().join("origin"), &[]);
    commit_in_checkout(&origin, "README.md", "hello\nsecond\n", "second");
    commit_in_checkout(&origin, "README.md", "hello\nsecond\nthird\n", "third");
    let root = dir.path().join("shallow");
    let url = format!("file://{}", origin.display());
    git(dir.path(), &["clone", "-q", "--depth", "1", &url, root.to_str().unwrap()]);
    assert_eq!(git(&root, &["rev-parse", "--is-shallow-repository"]), "true");
    let shallow_before = read(&root.join(".git/shallow"));

    let done = run_whole_task(&root, "7f3a-shallow", Shape::default());

    assert_eq!(git(&root, &["rev-parse", "--is-shallow-repository"]), "true", "{}", state(&root));
    assert_eq!(read(&root.join(".git/shallow")), shallow_before, "the shallow boundary did not move");
    assert_eq!(read(&root.join("README.md")), b"hello\nsecond\nthird\n7f3a-shallow was here\n");
    assert_eq!(git(&root, &["rev-list", "--count", "main"]), "2", "{}", state(&root));
    assert_eq!(done.tip, done.work_commit);
}
