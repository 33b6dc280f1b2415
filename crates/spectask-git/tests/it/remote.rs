//! Repositories by URL: cloned, fetched before work starts, pushed after it, never forced.

use std::path::{Path, PathBuf};

use spectask_git::{GitError, MergeOutcome, RegisterOptions, Repo, TaskHandle, clone_repository};

use crate::support::{assert_fsck_clean, commit_in_task, git, init_repo, status};

/// A bare repository `upstream.git` under `parent` holding one commit on `main`, and its URL.
fn upstream(parent: &Path) -> (PathBuf, String) {
    let source = init_repo(&parent.join("source"), "main");
    let bare = parent.join("upstream.git");
    git(parent, &["clone", "-q", "--bare", source.to_str().unwrap(), bare.to_str().unwrap()]);
    let url = format!("file://{}", bare.display());
    (bare, url)
}

/// Someone else's commit of `file` pushed to the upstream's `main`.
fn push_elsewhere(parent: &Path, url: &str, file: &str) -> String {
    let other = parent.join(format!("other-{file}"));
    git(parent, &["clone", "-q", url, other.to_str().unwrap()]);
    std::fs::write(other.join(file), "theirs\n").unwrap();
    git(&other, &["add", file]);
    git(&other, &["commit", "-qm", &format!("add {file}")]);
    git(&other, &["push", "-q", "origin", "main"]);
    git(&other, &["rev-parse", "HEAD"])
}

fn registered_clone(parent: &Path, url: &str) -> Repo {
    let dest = parent.join("clones").join("app");
    let info = clone_repository(url, &dest, spectask_git::RemoteTrust::Operator).unwrap();
    assert_eq!(info.default_branch, "main");
    let repo = Repo::register(&dest, &RegisterOptions::default()).unwrap().repo;
    repo.track_remote("origin").unwrap()
}

#[test]
fn a_clone_is_fetched_before_work_and_its_work_pushed_after() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(dir.path(), &url);
    assert_eq!(Repo::open(repo.root()).unwrap().remote(), Some("origin"), "the remote is recorded");
    assert_eq!(repo.remote_url(), Some(url.as_str()));
    assert_eq!(Repo::open(repo.root()).unwrap().remote_url(), Some(url.as_str()));

    let theirs = push_elsewhere(dir.path(), &url, "theirs.txt");
    assert!(repo.fetch().unwrap(), "main moved to the remote's");
    assert_eq!(repo.branch_tip("main").unwrap().unwrap().to_string(), theirs);
    assert!(repo.root().join("theirs.txt").is_file(), "the checkout follows");
    assert!(!repo.fetch().unwrap(), "nothing new");

    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_in_task(&repo, &task, &[("login.rs", "fn login() {}\n")], &["R1"]);
    assert!(matches!(repo.merge_task(&task, "st-1").unwrap(), MergeOutcome::FastForward { .. }));
    repo.push(&["main", &task.branch(), repo.design_docs_branch()]).unwrap();
    for branch in ["main", "spectask/7f3a-login", "helix-design-docs"] {
        let local = git(repo.root(), &["rev-parse", branch]);
        assert_eq!(git(&bare, &["rev-parse", branch]), local, "{branch} on the remote");
    }
    assert_eq!(status(repo.root()), "");
    assert_fsck_clean(repo.root());
    assert_fsck_clean(&bare);
}

#[test]
fn fetches_asked_together_are_answered_by_one_that_started_after_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (_bare, url) = upstream(dir.path());
    let repo = registered_clone(dir.path(), &url);
    // The remote's upload-pack, counting the fetches it serves, each a second long.
    let served = dir.path().join("served");
    let upload_pack = dir.path().join("upload-pack");
    let script =
        format!("#!/bin/sh\necho fetch >> '{}'\nsleep 1\nexec git-upload-pack \"$@\"\n", served.display());
    std::fs::write(&upload_pack, script).unwrap();
    std::fs::set_permissions(&upload_pack, std::fs::Permissions::from_mode(0o755)).unwrap();
    git(repo.root(), &["config", "remote.origin.uploadpack", upload_pack.to_str().unwrap()]);
    let count = || std::fs::read_to_string(&served).unwrap_or_default().lines().count();

    let theirs = push_elsewhere(dir.path(), &url, "theirs.txt");
    let together = std::sync::Arc::new(std::sync::Barrier::new(8));
    let fetching: Vec<_> = (0..8)
        .map(|_| {
            let (repo, together) = (repo.clone(), together.clone());
            std::thread::spawn(move || {
                together.wait();
                repo.fetch().unwrap()
            })
        })
        .collect();
    let moved: Vec<bool> = fetching.into_iter().map(|t| t.join().unwrap()).collect();
    let made = count();
    assert!((1..=2).contains(&made), "8 fetches asked together made {made}");
    assert_eq!(moved.iter().filter(|m| **m).count(), 1, "one of them moved main: {moved:?}");
    assert_eq!(repo.branch_tip("main").unwrap().unwrap().to_string(), theirs);

    // Asked after they returned, a fetch reads the remote again.
    let later = push_elsewhere(dir.path(), &url, "later.txt");
    assert!(repo.fetch().unwrap(), "main moved to the remote's");
    assert_eq!(count(), made + 1);
    assert_eq!(repo.branch_tip("main").unwrap().unwrap().to_string(), later);
}

/// A push of one branch lands on the remote and moves the clone's tracking ref of it while a
/// fetch is under way: git refuses that ref's update, its old value having moved ("cannot lock
/// ref … but expected …"). The fetch is made again rather than leaving the clone's view of the
/// remote behind, which would have the next push refused as diverged.
#[test]
fn a_tracking_ref_moved_by_a_push_during_a_fetch_does_not_fail_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(dir.path(), &url);
    let dd = repo.design_docs_branch().to_owned();
    let tracking = format!("refs/remotes/origin/{dd}");
    // A design-docs commit of this clone on the remote, as a push leaves it before it moves the
    // clone's tracking ref.
    let tree = git(repo.root(), &["rev-parse", &format!("{dd}^{{tree}}")]);
    let pushed = git(repo.root(), &["commit-tree", &tree, "-p", &dd, "-m", "pushed"]);
    git(repo.root(), &["push", "-q", &url, &format!("{pushed}:refs/heads/{dd}")]);
    // The push moves the tracking ref while the fetch's pack is being made: the remote's
    // pack-objects hook does it.
    let moved = dir.path().join("moved");
    let hook = dir.path().join("pack-objects-hook");
    let git_dir = repo.root().join(".git");
    let script = format!(
        "#!/bin/sh\ngit --git-dir='{}' update-ref {tracking} {pushed} && echo moved >> '{}'\nexec \"$@\"\n",
        git_dir.display(),
        moved.display()
    );
    std::fs::write(&hook, script).unwrap();
    let upload_pack = dir.path().join("upload-pack");
    let script = format!(
        "#!/bin/sh\nexec git -c uploadpack.packObjectsHook='{}' upload-pack \"$@\"\n",
        hook.display()
    );
    std::fs::write(&upload_pack, script).unwrap();
    for file in [&hook, &upload_pack] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    git(repo.root(), &["config", "remote.origin.uploadpack", upload_pack.to_str().unwrap()]);
    let theirs = push_elsewhere(dir.path(), &url, "theirs.txt");

    let fetched = repo.fetch();
    let runs = std::fs::read_to_string(&moved).unwrap_or_default().lines().count();
    assert!(runs >= 1, "the tracking ref was moved during the fetch");
    assert!(fetched.as_ref().is_ok_and(|moved| *moved), "{fetched:?}");
    assert_eq!(repo.branch_tip("main").unwrap().unwrap().to_string(), theirs);
    assert_eq!(git(repo.root(), &["rev-parse", &tracking]), pushed);
    assert_eq!(git(&bare, &["rev-parse", &dd]), pushed);
}

#[test]
fn a_push_the_remote_refuses_is_reported_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(dir.path(), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_in_task(&repo, &task, &[("login.rs", "fn login() {}\n")], &[]);
    repo.merge_task(&task, "st-1").unwrap();
    let theirs = push_elsewhere(dir.path(), &url, "theirs.txt");

    let err = repo.push(&["main"]).unwrap_err();
    assert!(matches!(&err, GitError::Remote { message, .. } if message.contains("rejected")), "{err}");
    assert_eq!(git(&bare, &["rev-parse", "main"]), theirs, "the remote keeps its own history");
    let ours = git(repo.root(), &["rev-parse", "main"]);
    assert!(git(repo.root(), &["log", "--format=%H", "main"]).contains(&ours), "our merge is kept");
    assert!(!repo.fetch().unwrap(), "a default branch with unpushed work is not moved by a fetch");
    assert_eq!(git(repo.root(), &["rev-parse", "main"]), ours);
}

#[test]
fn a_bad_url_or_a_taken_destination_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("file://{}/nowhere.git", dir.path().display());
    let err =
        clone_repository(&missing, &dir.path().join("a"), spectask_git::RemoteTrust::Operator).unwrap_err();
    assert!(matches!(err, GitError::Remote { .. }), "{err}");
    assert!(err.to_string().contains("nowhere.git"), "{err}");

    let (_, url) = upstream(dir.path());
    let taken = dir.path().join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("mine.txt"), "mine\n").unwrap();
    let err = clone_repository(&url, &taken, spectask_git::RemoteTrust::Operator).unwrap_err();
    assert!(err.to_string().contains("not a clone of it"), "{err}");
    assert_eq!(std::fs::read_to_string(taken.join("mine.txt")).unwrap(), "mine\n");

    let dest = dir.path().join("again");
    let first = clone_repository(&url, &dest, spectask_git::RemoteTrust::Operator).unwrap();
    assert_eq!(
        clone_repository(&url, &dest, spectask_git::RemoteTrust::Operator).unwrap(),
        first,
        "the same clone is reused"
    );
}

/// A task's work moves between nodes through the remote: what one clone committed and pushed on
/// the task branch is where another clone, which never saw the first one's disk, carries on.
#[test]
fn a_task_branch_pushed_by_one_clone_is_carried_on_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let (_bare, url) = upstream(dir.path());
    let first = registered_clone(&dir.path().join("node-a"), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_in_task(&first, &task, &[("login.rs", "fn login() {}\n")], &["R1"]);
    first.push(&[&task.branch()]).unwrap();
    let pushed = first.branch_tip(&task.branch()).unwrap().unwrap();

    let second = registered_clone(&dir.path().join("node-b"), &url);
    second.fetch().unwrap();
    let made = second.ensure_task_worktree(&task).unwrap();
    assert!(made.branch_created && made.worktree_created);
    assert_eq!(second.branch_tip(&task.branch()).unwrap(), Some(pushed), "carried on from the push");
    assert_eq!(std::fs::read_to_string(made.path.join("login.rs")).unwrap(), "fn login() {}\n");
    commit_in_task(&second, &task, &[("logout.rs", "fn logout() {}\n")], &["R2"]);
    second.push(&[&task.branch()]).unwrap();
    assert_eq!(status(&made.path), "");
    assert_fsck_clean(second.root());
}

/// The design-docs branch is one history across clones that share no disk: each write starts from
/// the remote's and is pushed after; a write made while the remote was out of reach is replayed
/// on top of what the other clone pushed meanwhile, and nothing is forced or lost.
#[test]
fn the_design_docs_branch_is_shared_through_the_remote() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let first = registered_clone(&dir.path().join("node-a"), &url);
    let dd = first.design_docs_branch().to_owned();
    assert_eq!(git(&bare, &["rev-parse", &dd]), git(first.root(), &["rev-parse", &dd]), "pushed at once");
    let second = registered_clone(&dir.path().join("node-b"), &url);
    assert_eq!(
        git(second.root(), &["rev-parse", &dd]),
        git(first.root(), &["rev-parse", &dd]),
        "one history"
    );

    let write = |repo: &Repo, path: &str| {
        let commit = spectask_git::DesignDocsCommit {
            message: format!("write {path}"),
            trailers: Vec::new(),
            writes: vec![spectask_git::FileWrite::put(path, format!("{path}\n"))],
        };
        repo.commit_design_docs(&commit).unwrap()
    };
    write(&first, "specs/a/one.md");
    let tip = write(&second, "specs/b/two.md");
    assert_eq!(git(&bare, &["rev-parse", &dd]), tip.to_string(), "the second clone's write is on top");
    let files = git(&bare, &["ls-tree", "-r", "--name-only", &dd]);
    assert!(files.contains("specs/a/one.md") && files.contains("specs/b/two.md"), "{files}");

    // The first clone writes while the remote is out of reach; the second writes meanwhile.
    let moved = dir.path().join("moved.git");
    std::fs::rename(&bare, &moved).unwrap();
    let unpushed = write(&first, "specs/a/three.md");
    std::fs::rename(&moved, &bare).unwrap();
    write(&second, "specs/b/four.md");
    assert_ne!(git(&bare, &["rev-parse", &dd]), unpushed.to_string());
    // Its next write replays the unpushed one on the remote's and pushes both.
    let tip = write(&first, "specs/a/five.md");
    assert_eq!(git(&bare, &["rev-parse", &dd]), tip.to_string());
    let files = git(&bare, &["ls-tree", "-r", "--name-only", &dd]);
    for file in ["specs/a/one.md", "specs/b/two.md", "specs/a/three.md", "specs/b/four.md", "specs/a/five.md"]
    {
        assert!(files.contains(file), "{file} in {files}");
    }
    assert!(first.design_docs_health().unwrap() == spectask_git::DesignDocsHealth::Healthy { tip });
    assert_eq!(status(&first.design_docs_worktree()), "");
    assert_fsck_clean(&bare);
}

/// Two clones append to one history file: the first while cut off from the remote (a node killed
/// before its push), the second meanwhile. The first's next write replays its append on the
/// remote's, keeping both entries, and pushes: its branch is not stuck on a conflict, and no entry
/// is lost. A file that is not history still stops the replay on a conflict.
#[test]
fn appends_to_one_history_file_from_two_clones_are_both_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let first = registered_clone(&dir.path().join("node-a"), &url);
    let second = registered_clone(&dir.path().join("node-b"), &url);
    let dd = first.design_docs_branch().to_owned();
    let log = "sessions/t/coordination-log.md";
    let append = |repo: &Repo, text: &str| {
        let commit = spectask_git::DesignDocsCommit {
            message: format!("history(t): {text}"),
            trailers: Vec::new(),
            writes: vec![spectask_git::FileWrite::append(log, format!("{text}\n"))],
        };
        repo.commit_design_docs(&commit).unwrap()
    };
    append(&first, "entry 1");
    second.push_design_docs().unwrap();

    let moved = dir.path().join("moved.git");
    std::fs::rename(&bare, &moved).unwrap();
    append(&first, "entry 2 (not pushed)");
    std::fs::rename(&moved, &bare).unwrap();
    append(&second, "entry 3");
    let tip = append(&first, "entry 4");

    assert_eq!(git(&bare, &["rev-parse", &dd]), tip.to_string(), "the first clone's branch is pushed");
    let text = git(&bare, &["show", &format!("{dd}:{log}")]);
    for entry in ["entry 1", "entry 2 (not pushed)", "entry 3", "entry 4"] {
        assert_eq!(text.matches(entry).count(), 1, "{entry} once in:\n{text}");
    }
    assert!(!text.contains("<<<<<<<"), "{text}");
    assert_eq!(status(&first.design_docs_worktree()), "");

    // Outside the history, both sides' changes to one file still conflict: nothing is guessed.
    let put = |repo: &Repo, text: &str| {
        let commit = spectask_git::DesignDocsCommit {
            message: format!("state: {text}"),
            trailers: Vec::new(),
            writes: vec![spectask_git::FileWrite::put("specs/t/state.json", format!("{text}\n"))],
        };
        repo.commit_design_docs(&commit).unwrap()
    };
    put(&second, "{}");
    first.push_design_docs().unwrap();
    std::fs::rename(&bare, &moved).unwrap();
    put(&first, "{\"a\": 1}");
    std::fs::rename(&moved, &bare).unwrap();
    put(&second, "{\"b\": 2}");
    let refused = first.push_design_docs().unwrap_err();
    assert!(refused.to_string().contains("conflict"), "{refused}");
    assert_fsck_clean(&bare);
}

/// A node that never saw the registering node's disk makes its own clone, registered as the first
/// node registered it: the same default branch (made from the remote's), design-docs history and
/// remote; opening it again reuses it.
#[test]
fn another_node_clones_and_registers_the_repository_as_the_first_did() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    git(&bare, &["branch", "trunk", "main"]);
    let options = RegisterOptions { default_branch: Some("trunk".to_owned()), ..RegisterOptions::default() };
    let dest = dir.path().join("clones").join("node-b");
    let repo = spectask_git::clone_registered(&url, &dest, &options).unwrap();
    assert_eq!(repo.default_branch(), "trunk");
    assert_eq!(repo.remote_url(), Some(url.as_str()));
    let dd = repo.design_docs_branch().to_owned();
    assert_eq!(git(&bare, &["rev-parse", &dd]), git(repo.root(), &["rev-parse", &dd]));
    let again = spectask_git::clone_registered(&url, &dest, &options).unwrap();
    assert_eq!(again.root(), repo.root());
    let other = spectask_git::clone_registered("file:///elsewhere.git", &dest, &options).unwrap_err();
    assert!(matches!(other, GitError::Remote { .. }), "{other}");
}

/// A node's jobs open its clone of a repository by URL all at once when it takes up a task: the
/// clone is made once, and no caller sees it half made (a clone without commits yet), nor what a
/// crash mid-clone left.
#[test]
fn clones_of_one_url_made_at_once_are_one_whole_clone() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let dest = dir.path().join("clones").join("node-b");
    // What a node killed mid-clone left.
    std::fs::create_dir_all(dir.path().join("clones").join(".node-b.partial").join(".git")).unwrap();
    let opened: Vec<Result<Repo, GitError>> = std::thread::scope(|scope| {
        let callers: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| spectask_git::clone_registered(&url, &dest, &RegisterOptions::default())))
            .collect();
        callers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for repo in &opened {
        let repo = repo.as_ref().unwrap_or_else(|e| panic!("a caller failed: {e}"));
        assert_eq!(repo.root(), dest.canonicalize().unwrap());
        assert_eq!(repo.remote_url(), Some(url.as_str()));
    }
    let dd = opened[0].as_ref().unwrap().design_docs_branch().to_owned();
    assert_eq!(git(&bare, &["rev-parse", &dd]), git(&dest, &["rev-parse", &dd]));
    let mut beside: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, [".node-b.lock", "node-b"], "the clone and its lock, no partial clone");
    assert_fsck_clean(&dest);
}

/// A session's commit in the task's worktree, only at `file`, with its `Work-Session:` trailer.
fn commit_session(repo: &Repo, task: &TaskHandle, session: &str, file: &str) {
    let worktree = repo.ensure_task_worktree(task).unwrap().path;
    std::fs::write(worktree.join(file), format!("{session}\n")).unwrap();
    let commit = spectask_git::WorkSessionCommit {
        message: format!("{task}: {session}"),
        spec_task: "st-1".to_owned(),
        work_session: session.to_owned(),
        implements: Vec::new(),
        paths: Some(vec![file.to_owned()]),
        siblings_paths: Vec::new(),
    };
    repo.commit_work_session(task, &commit).unwrap().unwrap();
}

/// Sessions of one task that commit together push together: each push lands (none loses the race to
/// create the remote's branch, "cannot lock ref … reference already exists"), and the remote ends
/// with every session's commit.
#[test]
fn pushes_of_one_task_branch_made_at_once_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(dir.path(), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    repo.ensure_task_worktree(&task).unwrap();
    let sessions: Vec<String> = (0..6).map(|n| format!("ws-{n}")).collect();
    std::thread::scope(|scope| {
        for session in &sessions {
            let (repo, task, bare) = (&repo, &task, &bare);
            scope.spawn(move || {
                commit_session(repo, task, session, &format!("{session}.txt"));
                repo.push_task_branch(task).unwrap();
                let pushed = repo.session_commit(task, session).unwrap().expect("committed");
                let on_remote = git(bare, &["branch", "--contains", &pushed.to_string(), &task.branch()]);
                assert!(!on_remote.is_empty(), "{session}'s commit is on the remote once its push returned");
            });
        }
    });
    assert_eq!(git(&bare, &["rev-parse", &task.branch()]), git(repo.root(), &["rev-parse", &task.branch()]));
    let files = git(&bare, &["ls-tree", "--name-only", &task.branch()]);
    for session in &sessions {
        assert!(files.contains(&format!("{session}.txt")), "{session} in\n{files}");
    }
    assert!(repo.unpushed_task_branches().unwrap().is_empty(), "nothing left to push");
    assert_fsck_clean(&bare);
}

/// A push the remote refuses for a while is tried again until it lands; a remote branch that went
/// its own way is refused, never forced, and the local commits are listed as the remote lacks them.
#[test]
fn a_task_push_is_retried_until_it_lands_and_never_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(&dir.path().join("node-a"), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    // The remote refuses the first two pushes.
    let hook = bare.join("hooks").join("pre-receive");
    let count = dir.path().join("refusals");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nn=$(cat '{0}' 2>/dev/null || echo 0)\nif [ \"$n\" -lt 2 ]; then echo $((n+1)) > '{0}'; \
             echo busy >&2; exit 1; fi\n",
            count.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod").args(["+x", hook.to_str().unwrap()]).status().unwrap();
    commit_session(&repo, &task, "ws-1", "one.txt");
    let unpushed = repo.unpushed_task_branches().unwrap();
    assert_eq!(unpushed.len(), 1, "{unpushed:?}");
    assert!(unpushed[0].fast_forward && unpushed[0].remote_tip.is_none(), "{unpushed:?}");
    assert_eq!(unpushed[0].commits.len(), 1);
    assert_eq!(unpushed[0].commits[0].1.as_deref(), Some("ws-1"));
    repo.push_task_branch(&task).unwrap();
    assert_eq!(std::fs::read_to_string(&count).unwrap().trim(), "2", "refused twice, then landed");
    assert_eq!(git(&bare, &["rev-parse", &task.branch()]), git(repo.root(), &["rev-parse", &task.branch()]));
    assert_eq!(
        repo.session_commit(&task, "ws-1").unwrap().map(|c| c.to_string()),
        Some(git(&bare, &["rev-parse", &task.branch()]))
    );
    assert_eq!(repo.session_commit(&task, "ws-2").unwrap(), None);

    // Another clone pushes its own commit on the branch; ours went another way.
    let other = registered_clone(&dir.path().join("node-b"), &url);
    other.fetch().unwrap();
    commit_session(&other, &task, "ws-2", "two.txt");
    other.push_task_branch(&task).unwrap();
    commit_session(&repo, &task, "ws-3", "three.txt");
    let theirs = git(&bare, &["rev-parse", &task.branch()]);
    let err = repo.push_task_branch(&task).unwrap_err();
    assert!(matches!(err, GitError::RemoteBranchDiverged { .. }), "{err}");
    assert_eq!(git(&bare, &["rev-parse", &task.branch()]), theirs, "nothing forced");
    let unpushed = repo.unpushed_task_branches().unwrap();
    assert_eq!(unpushed.len(), 1, "{unpushed:?}");
    assert!(!unpushed[0].fast_forward, "{unpushed:?}");
    let sessions: Vec<_> = unpushed[0].commits.iter().map(|(_, s)| s.as_deref()).collect();
    assert_eq!(sessions, [Some("ws-3")]);
}

/// A clone that held commits and uncommitted changes of a task that another clone carried on
/// through the remote (the first node died, the second redid the work): before it works on the
/// task again, what it held is set aside under a ref, nothing deleted, and its branch and worktree
/// are the remote's.
#[test]
fn what_a_clone_held_of_a_task_carried_on_elsewhere_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let first = registered_clone(&dir.path().join("node-a"), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_session(&first, &task, "ws-1", "one.txt");
    let worktree = first.ensure_task_worktree(&task).unwrap().path;
    std::fs::write(worktree.join("half.txt"), "half done\n").unwrap();
    let held = git(first.root(), &["rev-parse", &task.branch()]);

    let second = registered_clone(&dir.path().join("node-b"), &url);
    // Its own session: the same session's commit made within the same second would be the very
    // same commit, and nothing would differ to set aside.
    commit_session(&second, &task, "ws-2", "one.txt");
    second.push_task_branch(&task).unwrap();
    let theirs = git(&bare, &["rev-parse", &task.branch()]);

    first.fetch().unwrap();
    let made = first.ensure_task_worktree(&task).unwrap();
    let aside = made.set_aside.expect("set aside");
    assert_eq!((aside.commits, aside.uncommitted), (1, true), "{aside:?}");
    assert_eq!(git(first.root(), &["rev-parse", &task.branch()]), theirs, "the remote's branch");
    assert_eq!(status(&worktree), "", "the worktree is the remote's");
    let kept = git(first.root(), &["rev-parse", &aside.kept_at]);
    assert_eq!(git(first.root(), &["rev-parse", &format!("{kept}^")]), held, "the commits are kept");
    let files = git(first.root(), &["ls-tree", "--name-only", &kept]);
    assert!(files.contains("half.txt") && files.contains("one.txt"), "{files}");
    assert!(first.ensure_task_worktree(&task).unwrap().set_aside.is_none(), "once");
    first.push_task_branch(&task).unwrap();
    assert_fsck_clean(first.root());
}

/// Someone force-pushes the task branch after spectask pushed it: the branch lost a commit the
/// remote held, so the clone neither sets its work aside nor builds on the rewrite, and says so.
/// Once the remote holds spectask's commit again, the work carries on.
#[test]
fn a_task_branch_rewritten_on_the_remote_is_named_not_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (bare, url) = upstream(dir.path());
    let repo = registered_clone(&dir.path().join("node-a"), &url);
    let task = TaskHandle::new("7f3a-login").unwrap();
    commit_session(&repo, &task, "ws-1", "one.txt");
    repo.ensure_task_worktree(&task).unwrap();
    repo.push_task_branch(&task).unwrap();
    let ours = git(repo.root(), &["rev-parse", &task.branch()]);

    // A person rewrites the branch: its parent, and a commit of their own.
    let theirs_clone = dir.path().join("theirs");
    git(dir.path(), &["clone", "-q", "-b", &task.branch(), &url, theirs_clone.to_str().unwrap()]);
    git(&theirs_clone, &["reset", "-q", "--hard", "HEAD~1"]);
    std::fs::write(theirs_clone.join("other.txt"), "rewritten\n").unwrap();
    git(&theirs_clone, &["add", "other.txt"]);
    git(
        &theirs_clone,
        &["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "-qm", "Other"],
    );
    git(&theirs_clone, &["push", "-q", "--force", "origin", &task.branch()]);

    repo.fetch().unwrap();
    let err = repo.ensure_task_worktree(&task).unwrap_err();
    assert!(matches!(err, GitError::RemoteBranchDiverged { .. }), "{err}");
    assert_eq!(git(repo.root(), &["rev-parse", &task.branch()]), ours, "ours kept as it was");

    // The remote reset to spectask's: the work carries on, nothing set aside.
    git(repo.root(), &["push", "-q", "--force", "origin", &task.branch()]);
    repo.fetch().unwrap();
    assert!(repo.ensure_task_worktree(&task).unwrap().set_aside.is_none());
    assert_eq!(git(&bare, &["rev-parse", &task.branch()]), ours);
}
