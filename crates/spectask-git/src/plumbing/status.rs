//! What a worktree holds uncommitted, as `git status` says, and the state files git leaves in its
//! git dir: the changes a commit takes, the check's by-products it leaves out, and the merge,
//! rebase … under way that stop it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::GitError;
use crate::plumbing::cmd::{Git, nul_fields, text};

/// The file in a task worktree's own git dir listing, NUL-separated, the untracked files the
/// repository's check command created there (`__pycache__/*.pyc`, coverage reports …): its
/// by-products, which are not the work. A commit of every change leaves them out, and they do
/// not keep the worktree from being removed. A path a session reports writing is committed with
/// its session all the same.
pub(crate) const CHECK_PRODUCTS: &str = "SPECTASK_CHECK_PRODUCTS";

/// The check's by-products recorded in the worktree whose own git dir is `admin`.
pub(crate) fn check_products(admin: &Path) -> BTreeSet<String> {
    match std::fs::read(admin.join(CHECK_PRODUCTS)) {
        Ok(bytes) => nul_fields(&bytes).map(text).collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The uncommitted changes of a worktree that are work: every one but the untracked files the
/// check created.
pub(crate) fn uncommitted_work(git: &Git, admin: &Path) -> Result<Vec<String>, GitError> {
    let products = check_products(admin);
    Ok(status_entries(git, None)?
        .entries
        .into_iter()
        .filter(|(xy, path)| !(xy == "??" && products.contains(path)))
        .map(|(_, path)| path)
        .collect())
}

/// The uncommitted changes in a worktree: modified, staged, deleted and untracked files (ignored
/// files are not changes), at `paths` only when given.
pub(crate) fn status(git: &Git, paths: Option<&[String]>) -> Result<Vec<String>, GitError> {
    Ok(status_entries(git, paths)?.entries.into_iter().map(|(_, path)| path).collect())
}

/// Every uncommitted change in the worktree.
pub(crate) fn uncommitted_files(git: &Git) -> Result<Vec<String>, GitError> {
    status(git, None)
}

/// What `git status` says of a worktree: the branch checked out (`None` when HEAD is detached),
/// the commit HEAD names (`None` on an unborn branch), and each uncommitted change's two status
/// letters and path (at `paths` only when given; `??` for an untracked file). One
/// `git status --porcelain=v2 --branch`.
pub(crate) struct Status {
    pub(crate) branch: Option<String>,
    pub(crate) head: Option<String>,
    pub(crate) entries: Vec<(String, String)>,
}

pub(crate) fn status_entries(git: &Git, paths: Option<&[String]>) -> Result<Status, GitError> {
    let mut args =
        vec!["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all", "--no-renames"];
    if let Some(paths) = paths {
        args.push("--");
        args.extend(paths.iter().map(String::as_str));
    }
    let out = git.reading().run(&args)?;
    let mut status = Status { branch: None, head: None, entries: Vec::new() };
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(field) = fields.next() {
        let line = text(field);
        if let Some(head) = line.strip_prefix("# branch.head ") {
            status.branch = (head != "(detached)").then(|| head.to_owned());
            continue;
        }
        if let Some(oid) = line.strip_prefix("# branch.oid ") {
            status.head = (oid != "(initial)").then(|| oid.to_owned());
            continue;
        }
        // `1 <XY> <sub> <mH> <mI> <mW> <hH> <hI> <path>`, `2 …` (a rename, its old path next),
        // `u <XY> <sub> <m1> <m2> <m3> <mW> <h1> <h2> <h3> <path>`, `? <path>`.
        let entry = match line.split_at_checked(1) {
            Some(("1", _)) => line.splitn(9, ' ').collect::<Vec<_>>(),
            Some(("2", _)) => {
                fields.next();
                line.splitn(10, ' ').collect()
            }
            Some(("u", _)) => line.splitn(11, ' ').collect(),
            Some(("?", rest)) => vec!["?", "??", rest.trim_start()],
            _ => continue,
        };
        if let (Some(xy), Some(path)) = (entry.get(1), entry.last()) {
            status.entries.push(((*xy).to_owned(), (*path).to_owned()));
        }
    }
    Ok(status)
}

pub(crate) fn is_unmerged(xy: &str) -> bool {
    matches!(xy, "DD" | "AU" | "UD" | "UA" | "DU" | "AA" | "UU")
}

/// Refuses when the git dir `git_dir` of the worktree at `path` says a merge, rebase, cherry-pick,
/// revert or bisect is under way (the state files git itself leaves there).
pub(crate) fn refuse_operation_in_progress(git_dir: &Path, path: &Path) -> Result<(), GitError> {
    const MARKS: [(&str, &str); 6] = [
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
        ("BISECT_LOG", "bisect"),
    ];
    for (mark, state) in MARKS {
        if git_dir.join(mark).exists() {
            return Err(GitError::OperationInProgress { path: path.to_path_buf(), state: state.to_owned() });
        }
    }
    Ok(())
}

/// Whether a merge is under way in the worktree whose git dir (admin dir) is `admin`.
pub(crate) fn merge_under_way(admin: &Path) -> bool {
    admin.join("MERGE_HEAD").is_file()
}
