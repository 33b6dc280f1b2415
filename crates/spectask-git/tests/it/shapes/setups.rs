//! How the repository is set up: shared with a group, hooks that refuse, a path that is not its
//! root, a default branch that moves, a separate git dir, a shallow clone.

use super::*;

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
