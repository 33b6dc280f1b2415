//! Registering a repository with spectask and the [`Repo`] handle every other operation hangs off.
//!
//! Registration records the default branch and the design-docs branch in `.git/spectask/config`
//! (git-config format), creates the design-docs branch as an orphan when absent, checks it out at
//! `.git-worktrees/<design-docs-branch>` and excludes `.git-worktrees/` in `.git/info/exclude`.

use std::path::{Path, PathBuf};

use git2::{FileMode, Repository};

use crate::commit::committer;
use crate::design_docs::last_written_ref;
use crate::error::{GitError, GitResultExt, io_err};
use crate::handles::{self, Kept};
use crate::lock::RepoLock;
use crate::repository::{inspect_repository, open_main, root_of};
use crate::worktree::{WORKTREES_DIR, WorktreeKind, ensure_worktree, worktree_path};

/// The design-docs branch unless configured otherwise.
pub const DEFAULT_DESIGN_DOCS_BRANCH: &str = "helix-design-docs";

const README: &str = "# Design documents\n\n\
This branch is written by spectask and only ever moves forward: never rebase, reset or force-push it.\n\n\
- `specs/<task>/`: requirements.md, design.md, tasks.md, progress.md, spec-metadata.json, reviews/\n\
- `sessions/<task>/`: coordination-log.md, progress-updates/, one directory per work session\n";

/// Options of [`Repo::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOptions {
    /// The forward-only branch holding specs and session history; default `helix-design-docs`.
    pub design_docs_branch: String,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions { design_docs_branch: DEFAULT_DESIGN_DOCS_BRANCH.to_owned() }
    }
}

/// What [`Repo::register`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub repo: Repo,
    /// The design-docs branch was absent and was created as an orphan branch.
    pub branch_created: bool,
    /// The design-docs worktree was absent (or stale) and was created.
    pub worktree_created: bool,
}

/// A repository registered with spectask. Plain data: cheap to clone and to send between threads;
/// each operation opens the repository afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    root: PathBuf,
    git_dir: PathBuf,
    default_branch: String,
    design_docs_branch: String,
}

impl Repo {
    /// Registers the repository whose working tree is `path`; see the module docs. Idempotent:
    /// registering again reuses the branch and worktree, repairs a stale or lagging worktree and
    /// keeps the recorded default branch and the record of the last design-docs tip spectask wrote.
    /// Call it again at startup to repair what a crash left behind.
    pub fn register(path: &Path, options: &RegisterOptions) -> Result<Registration, GitError> {
        let info = inspect_repository(path)?;
        let branch = options.design_docs_branch.as_str();
        if !git2::Branch::name_is_valid(branch).unwrap_or(false) || branch.starts_with("spectask/") {
            return Err(GitError::InvalidBranchName { name: branch.to_owned() });
        }
        if info.default_branch == branch {
            return Err(GitError::BranchCheckedOutElsewhere { branch: branch.to_owned(), path: info.root });
        }
        let git = open_main(&info.root)?;
        let git_dir = git.commondir().canonicalize().map_err(io_err("canonicalize", git.commondir()))?;
        let _lock = RepoLock::acquire(&git_dir)?;
        crate::index_lock::sweep_stale(&git_dir);

        let config_path = git_dir.join("spectask").join("config");
        let recorded = read_config(&config_path)?;
        let default_branch = recorded.map(|(default, _)| default).unwrap_or(info.default_branch);
        let repo = Repo { root: info.root, git_dir, default_branch, design_docs_branch: branch.to_owned() };
        write_config(&config_path, &repo)?;
        exclude_worktrees_dir(&repo.git_dir)?;
        let branch_created = ensure_orphan_branch(&git, branch)?;
        let tip = repo.design_docs_tip(&git)?;
        let record = last_written_ref(branch);
        if git.find_reference(&record).is_err() {
            crate::refs::write_spectask_ref(&git, &record, tip, "spectask: register")?;
        }
        let worktree_created = ensure_worktree(
            &git,
            &repo.root,
            &repo.design_docs_dir_name(),
            branch,
            WorktreeKind::DesignDocs,
        )?;
        let path = repo.design_docs_worktree();
        if worktree_created {
            // A handle kept for an earlier worktree at this path is not this one's.
            handles::forget(&path);
        }
        if let Ok(tip) = repo.verify_forward_only(&git) {
            let what = || format!("open the design-docs worktree {}", path.display());
            handles::with_worktree(&path, what, |worktree| {
                repo.sync_design_docs_worktree(&git, worktree, tip)
            })?;
        }
        tracing::info!(root = %repo.root.display(), branch, branch_created, worktree_created, "registered repository");
        Ok(Registration { repo, branch_created, worktree_created })
    }

    /// Opens a repository registered earlier, from its root (or a linked worktree of it).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let git = open_main(path)?;
        let root = root_of(&git)?;
        let git_dir = git.commondir().canonicalize().map_err(io_err("canonicalize", git.commondir()))?;
        let Some((default_branch, design_docs_branch)) =
            read_config(&git_dir.join("spectask").join("config"))?
        else {
            return Err(GitError::NotRegistered { path: root });
        };
        Ok(Repo { root, git_dir, default_branch, design_docs_branch })
    }

    /// Canonical root of the main working tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository's (common) git directory, canonical: usually `<root>/.git`.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The default branch recorded at the first registration.
    pub fn default_branch(&self) -> &str {
        &self.default_branch
    }

    /// The forward-only branch holding specs and session history.
    pub fn design_docs_branch(&self) -> &str {
        &self.design_docs_branch
    }

    /// `<root>/.git-worktrees/<design-docs branch, '/' replaced by '-'>`.
    pub fn design_docs_worktree(&self) -> PathBuf {
        worktree_path(&self.root, &self.design_docs_dir_name())
    }

    pub(crate) fn design_docs_dir_name(&self) -> String {
        self.design_docs_branch.replace('/', "-")
    }

    /// The main repository, kept open between operations (see `handles.rs`).
    pub(crate) fn git(&self) -> Result<Kept, GitError> {
        handles::open(&self.root, || format!("open repository {}", self.root.display()))
    }

    /// Takes the per-repository writer lock (see `lock.rs`).
    pub(crate) fn lock(&self) -> Result<RepoLock, GitError> {
        RepoLock::acquire(&self.git_dir)
    }

    /// The current tip of the design-docs branch.
    pub(crate) fn design_docs_tip(&self, git: &Repository) -> Result<git2::Oid, GitError> {
        branch_tip(git, &self.design_docs_branch)?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root.clone(),
            branch: self.design_docs_branch.clone(),
        })
    }
}

/// The tip of the local branch `branch`, `None` when it does not exist.
pub(crate) fn branch_tip(git: &Repository, branch: &str) -> Result<Option<git2::Oid>, GitError> {
    match git.find_reference(&format!("refs/heads/{branch}")) {
        // A direct reference holds its target: resolving it would read it again.
        Ok(reference) => match reference.target() {
            Some(tip) => Ok(Some(tip)),
            None => Ok(reference.resolve().ok().and_then(|r| r.target())),
        },
        Err(e) if e.code() == git2::ErrorCode::NotFound || e.code() == git2::ErrorCode::InvalidSpec => {
            Ok(None)
        }
        Err(source) => Err(GitError::Git { op: format!("find branch {branch}"), source }),
    }
}

/// Creates `branch` as an orphan branch with one commit (a README) unless it exists.
fn ensure_orphan_branch(git: &Repository, branch: &str) -> Result<bool, GitError> {
    if branch_tip(git, branch)?.is_some() {
        return Ok(false);
    }
    let blob = git.blob(README.as_bytes()).op(|| "write the design-docs readme".to_owned())?;
    let mut builder = git.treebuilder(None).op(|| "build the design-docs tree".to_owned())?;
    builder
        .insert("README.md", blob, FileMode::Blob.into())
        .op(|| "build the design-docs tree".to_owned())?;
    let tree_id = builder.write().op(|| "write the design-docs tree".to_owned())?;
    let tree = git.find_tree(tree_id).op(|| format!("read tree {tree_id}"))?;
    let (sig, logging) = committer(git)?;
    let message = format!("design-docs: start {branch}\n");
    let commit =
        git.commit(None, &sig, &sig, &message, &tree, &[]).op(|| format!("create branch {branch}"))?;
    crate::refs::create_branch(git, branch, commit, &logging, "spectask: create design-docs branch")?;
    tracing::info!(branch, "created orphan design-docs branch");
    Ok(true)
}

/// Adds `/.git-worktrees/` to `<git-dir>/info/exclude` unless a line already excludes it.
fn exclude_worktrees_dir(git_dir: &Path) -> Result<(), GitError> {
    exclude_dir(git_dir, WORKTREES_DIR)
}

/// Adds `/<name>/` to `<git-dir>/info/exclude` unless a line already excludes it.
pub(crate) fn exclude_dir(git_dir: &Path, name: &str) -> Result<(), GitError> {
    let info = git_dir.join("info");
    let exclude = info.join("exclude");
    let existing = match std::fs::read_to_string(&exclude) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_err("read", &exclude)(e)),
    };
    let already = existing.lines().any(|line| {
        let line = line.trim();
        line.trim_start_matches('/').trim_end_matches('/') == name
    });
    if already {
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("/{name}/\n"));
    std::fs::create_dir_all(&info).map_err(io_err("create directory", &info))?;
    std::fs::write(&exclude, text).map_err(io_err("write", &exclude))
}

/// `(default branch, design-docs branch)` from `.git/spectask/config`, `None` when unregistered.
fn read_config(path: &Path) -> Result<Option<(String, String)>, GitError> {
    if !path.is_file() {
        return Ok(None);
    }
    let config = git2::Config::open(path).op(|| format!("read {}", path.display()))?;
    let get = |key| config.get_string(key).ok();
    Ok(get("spectask.defaultBranch").zip(get("spectask.designDocsBranch")))
}

/// Writes the two settings into `.git/spectask/config`, unless it already holds them. Only spectask
/// writes that file, under the repository's writer lock (held here), so a `config.lock` beside it
/// is what a `kill -9` left in the middle of libgit2's write, and is removed: it would stop every
/// later registration, and with it the server's start.
fn write_config(path: &Path, repo: &Repo) -> Result<(), GitError> {
    let wanted = (repo.default_branch.clone(), repo.design_docs_branch.clone());
    if read_config(path)?.as_ref() == Some(&wanted) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
    }
    let lock = path.with_file_name("config.lock");
    match std::fs::remove_file(&lock) {
        Ok(()) => tracing::warn!(path = %lock.display(), "removed a config.lock left by a killed spectask"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("remove", &lock)(e)),
    }
    let mut config = git2::Config::open(path).op(|| format!("open {}", path.display()))?;
    config
        .set_str("spectask.defaultBranch", &repo.default_branch)
        .op(|| format!("write {}", path.display()))?;
    config
        .set_str("spectask.designDocsBranch", &repo.design_docs_branch)
        .op(|| format!("write {}", path.display()))
}
