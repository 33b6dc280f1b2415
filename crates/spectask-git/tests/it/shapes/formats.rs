//! Repository formats and index shapes: reftable refs, SHA-256 objects, a split index, a sparse
//! checkout in cone mode.

use super::*;

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
