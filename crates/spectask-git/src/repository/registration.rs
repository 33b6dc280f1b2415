//! Registering a repository with spectask and the [`Repo`] handle every other operation hangs off.
//!
//! Registration records the default branch and the design-docs branch in `.git/spectask/config`
//! (git-config format, written by `git config`), creates the design-docs branch as an orphan when
//! absent, checks it out at `.git-worktrees/<design-docs-branch>` and excludes `.git-worktrees/`
//! in `.git/info/exclude`.

use std::path::{Path, PathBuf};

use crate::error::{GitError, io_err};
use crate::names::CommitId;
use crate::plumbing::cmd::{Git, OWN_CONFIG, RemoteTrust};
use crate::plumbing::commit::{Worktree, run_with_identity};
use crate::plumbing::lock::{LockScope, RepoLock};
use crate::plumbing::object_reader::ObjectReader;
use crate::plumbing::worktree::{
    Start, WORKTREES_DIR, WorktreeKind, admin_dir, ensure_worktree, worktree_path,
};
use crate::repository::inspect::{inspect_without_default, locate};
use crate::repository::memo::{LastFetch, LastRead};

/// The design-docs branch unless configured otherwise.
pub const DEFAULT_DESIGN_DOCS_BRANCH: &str = "helix-design-docs";

/// The remote a clone spectask made fetches from and pushes to.
pub const CLONE_REMOTE: &str = "origin";

/// The ref recording the last design-docs tip spectask wrote.
pub(crate) fn last_written_ref(branch: &str) -> String {
    format!("refs/spectask/last-written/{branch}")
}

const README: &str = "# Design documents\n\n\
This branch is written by spectask and only ever moves forward: never rebase, reset or force-push it.\n\n\
- `specs/<task>/`: requirements.md, design.md, tasks.md, progress.md, spec-metadata.json, reviews/\n\
- `sessions/<task>/`: coordination-log.md, progress-updates/, one directory per work session\n";

/// Options of [`Repo::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOptions {
    /// The forward-only branch holding specs and session history; default `helix-design-docs`.
    pub design_docs_branch: String,
    /// The branch tasks start from and merge into. `None` keeps the one recorded at the first
    /// registration, or takes the branch HEAD names then.
    pub default_branch: Option<String>,
    /// Whether work sessions' commits run the repository's `pre-commit` and `commit-msg` hooks.
    /// `None` keeps the recorded policy ([`HookPolicy::Run`] at first).
    pub hooks: Option<HookPolicy>,
    /// How far the registration and the handle it gives trust the remote and the repository's
    /// content (a member's repository: not far). Not recorded: whoever opens it again says.
    pub trust: RemoteTrust,
}

/// Whether a task's commits run the repository's commit hooks (spectask's own design-docs
/// commits never do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HookPolicy {
    /// `pre-commit` is judged like a check before a session completes, and both hooks run at
    /// its commit.
    #[default]
    Run,
    Skip,
}

impl HookPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            HookPolicy::Run => "run",
            HookPolicy::Skip => "skip",
        }
    }
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions {
            design_docs_branch: DEFAULT_DESIGN_DOCS_BRANCH.to_owned(),
            default_branch: None,
            hooks: None,
            trust: RemoteTrust::Operator,
        }
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

/// A repository registered with spectask: cheap to clone and to send between threads. Each
/// operation runs git afresh, but for the tips and files read through the object reader its
/// clones share (one `git cat-file --batch`, resolving every name as it is asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    root: PathBuf,
    git_dir: PathBuf,
    default_branch: String,
    design_docs_branch: String,
    /// The remote spectask fetches from and pushes to (`origin` of a repository registered by
    /// URL), and its URL as recorded then; `None` for a repository registered by path, whose
    /// remotes are its owner's.
    remote: Option<(String, String)>,
    hooks: HookPolicy,
    /// How far its git commands trust the remote and the content (see [`Repo::with_trust`]).
    trust: RemoteTrust,
    /// What the default branch's files last read were (see `planning::context`).
    last_read: LastRead,
    /// When the last fetch that succeeded started (see [`Repo::fetch`]).
    last_fetch: LastFetch,
    /// The repository's one `git cat-file --batch`, for tips and files read at every session.
    objects: ObjectReader,
}

impl Repo {
    /// Registers the repository whose working tree is `path`; see the module docs. Idempotent:
    /// registering again reuses the branch and worktree, repairs a stale worktree and keeps the
    /// recorded default branch and the record of the last design-docs tip spectask wrote. Call it
    /// again at startup to repair what a crash left behind.
    pub fn register(path: &Path, options: &RegisterOptions) -> Result<Registration, GitError> {
        // A detached HEAD with no `main` or `master` names no default branch: the one chosen, or
        // recorded at an earlier registration, is.
        let (root, _, found_default) = inspect_without_default(path)?;
        let location = locate(&root)?;
        let main = Git::at(&location.root).trusting(options.trust);
        let branch = options.design_docs_branch.as_str();
        let valid = main.yes_no(&["check-ref-format", &format!("refs/heads/{branch}")])?;
        if !valid || branch.starts_with("spectask/") {
            return Err(GitError::InvalidBranchName { name: branch.to_owned() });
        }
        if found_default.as_deref() == Some(branch) {
            return Err(GitError::BranchCheckedOutElsewhere { branch: branch.to_owned(), path: root });
        }
        let _lock = RepoLock::acquire(&location.git_dir, LockScope::Repository)?;
        let _design_docs = RepoLock::acquire(&location.git_dir, LockScope::DesignDocs)?;
        let config_path = location.git_dir.join("spectask").join("config");
        let recorded = read_config(&main, &config_path)?;
        let remote = recorded.as_ref().and_then(|r| r.remote.clone());
        let hooks = options.hooks.or(recorded.as_ref().map(|r| r.hooks)).unwrap_or_default();
        if let Some(chosen) = options.default_branch.as_deref() {
            let exists =
                main.yes_no(&["rev-parse", "-q", "--verify", &format!("refs/heads/{chosen}^{{commit}}")])?;
            if !exists {
                return Err(GitError::BranchNotFound {
                    repo: location.root.clone(),
                    branch: chosen.to_owned(),
                });
            }
            if chosen == branch || chosen.starts_with("spectask/") {
                return Err(GitError::InvalidBranchName { name: chosen.to_owned() });
            }
        }

        let default_branch = options
            .default_branch
            .clone()
            .or(recorded.map(|r| r.default_branch))
            .or(found_default)
            .ok_or_else(|| GitError::NoDefaultBranch { path: location.root.clone() })?;
        let repo = Repo {
            root: location.root,
            git_dir: location.git_dir,
            default_branch,
            design_docs_branch: branch.to_owned(),
            remote,
            hooks,
            trust: options.trust,
            last_read: LastRead::default(),
            last_fetch: LastFetch::default(),
            objects: ObjectReader::new(main.clone()),
        };
        write_config(&main, &config_path, &repo)?;
        write_own_git_config(&main, &repo.git_dir)?;
        exclude_dir(&repo.git_dir, WORKTREES_DIR, None)?;
        let branch_created = repo.ensure_orphan_branch(&main)?;
        let record = last_written_ref(branch);
        if repo.ref_tip(&record)?.is_none() {
            let tip = repo.design_docs_tip()?.to_string();
            main.run(&["update-ref", "-m", "spectask: register", &record, &tip, ""])?;
        }
        let worktree_created = ensure_worktree(
            &main,
            &repo.root,
            &repo.git_dir,
            &repo.design_docs_dir_name(),
            branch,
            WorktreeKind::DesignDocs,
            Start::Branch,
        )?;
        tracing::info!(root = %repo.root.display(), branch, branch_created, worktree_created, "registered repository");
        Ok(Registration { repo, branch_created, worktree_created })
    }

    /// Opens a repository registered earlier, from its root (or a linked worktree of it).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let location = locate(path)?;
        let main = Git::at(&location.root);
        let config = location.git_dir.join("spectask").join("config");
        let Some(recorded) = read_config(&main, &config)? else {
            return Err(GitError::NotRegistered { path: location.root });
        };
        Ok(Repo {
            root: location.root,
            git_dir: location.git_dir,
            default_branch: recorded.default_branch,
            design_docs_branch: recorded.design_docs_branch,
            remote: recorded.remote,
            hooks: recorded.hooks,
            trust: RemoteTrust::default(),
            last_read: LastRead::default(),
            last_fetch: LastFetch::default(),
            objects: ObjectReader::new(main),
        })
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

    /// The remote spectask fetches from and pushes to, when the repository was registered by URL.
    pub fn remote(&self) -> Option<&str> {
        self.remote.as_ref().map(|(name, _)| name.as_str())
    }

    /// Whether work sessions' commits run the repository's commit hooks.
    pub fn hooks(&self) -> HookPolicy {
        self.hooks
    }

    /// This handle, its git commands trusting the remote and the repository's content as `trust`
    /// says ([`RemoteTrust::Operator`], git's defaults, until told otherwise). Who may use the
    /// repository decides it: the caller, which knows them.
    pub fn with_trust(mut self, trust: RemoteTrust) -> Repo {
        self.trust = trust;
        self
    }

    /// How far this handle's git commands trust the remote and the repository's content.
    pub fn trust(&self) -> RemoteTrust {
        self.trust
    }

    /// The URL of [`Repo::remote`] as recorded when it was tracked.
    pub fn remote_url(&self) -> Option<&str> {
        self.remote.as_ref().map(|(_, url)| url.as_str())
    }

    /// Records `remote` (and its URL) as the one spectask fetches from and pushes to (see
    /// [`Repo::remote`]), and pushes the design-docs branch there.
    pub fn track_remote(mut self, remote: &str) -> Result<Repo, GitError> {
        let _lock = self.lock(LockScope::Repository)?;
        let main = self.main_git();
        let url = main.reading().text(&["remote", "get-url", remote])?;
        let config = self.git_dir.join("spectask").join("config");
        let file = config.to_string_lossy().into_owned();
        main.run(&["config", "--file", &file, "spectask.remote", remote])?;
        main.run(&["config", "--file", &file, "spectask.remoteUrl", &url])?;
        self.remote = Some((remote.to_owned(), url));
        // The design-docs branch goes on the remote at once: a clone made elsewhere starts from it.
        let _design_docs = self.lock(LockScope::DesignDocs)?;
        if let Err(error) = self.catch_up_design_docs().and_then(|()| self.publish_design_docs()) {
            tracing::warn!(%error, "could not push the design-docs branch; its next write pushes it");
        }
        Ok(self)
    }

    /// `<root>/.git-worktrees/<design-docs branch, '/' replaced by '-'>`.
    pub fn design_docs_worktree(&self) -> PathBuf {
        worktree_path(&self.root, &self.design_docs_dir_name())
    }

    pub(crate) fn design_docs_dir_name(&self) -> String {
        self.design_docs_branch.replace('/', "-")
    }

    /// git in the main working tree.
    pub(crate) fn main_git(&self) -> Git {
        Git::at(&self.root).trusting(self.trust)
    }

    /// The memo of the default branch's files last read.
    pub(crate) fn last_read(&self) -> &LastRead {
        &self.last_read
    }

    /// The memo of the last fetch that succeeded.
    pub(crate) fn last_fetch(&self) -> &LastFetch {
        &self.last_fetch
    }

    /// The design-docs worktree, named by its admin dir.
    pub(crate) fn design_docs_checkout(&self) -> Worktree {
        let name = self.design_docs_dir_name();
        Worktree::linked(&self.main_git(), admin_dir(&self.git_dir, &name), worktree_path(&self.root, &name))
    }

    /// Takes the writer lock of `scope` (see `plumbing/lock.rs`).
    pub(crate) fn lock(&self, scope: LockScope<'_>) -> Result<RepoLock, GitError> {
        RepoLock::acquire(&self.git_dir, scope)
    }

    /// The commit `name` (a full ref name) points at, `None` when it does not exist.
    pub(crate) fn ref_tip(&self, name: &str) -> Result<Option<CommitId>, GitError> {
        let mut read = self.objects.read(&[format!("{name}^{{commit}}")])?;
        read.pop().flatten().map(|commit| CommitId::from_git(commit.id.as_bytes())).transpose()
    }

    /// The repository's object reader (see [`ObjectReader`]).
    pub(crate) fn objects(&self) -> &ObjectReader {
        &self.objects
    }

    /// The tip of the local branch `branch`, `None` when it does not exist.
    pub(crate) fn tip_of(&self, branch: &str) -> Result<Option<CommitId>, GitError> {
        self.ref_tip(&format!("refs/heads/{branch}"))
    }

    /// The current tip of the design-docs branch.
    pub(crate) fn design_docs_tip(&self) -> Result<CommitId, GitError> {
        self.tip_of(&self.design_docs_branch)?.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root.clone(),
            branch: self.design_docs_branch.clone(),
        })
    }

    /// Creates the design-docs branch unless it exists: from the remote's (a clone's `origin`)
    /// when it has one, so every clone of a repository shares one history; otherwise as an orphan
    /// branch with one commit (a README), through git's plumbing. Created only if still absent.
    fn ensure_orphan_branch(&self, main: &Git) -> Result<bool, GitError> {
        let branch = &self.design_docs_branch;
        if self.tip_of(branch)?.is_some() {
            return Ok(false);
        }
        let remote = self.remote().unwrap_or(CLONE_REMOTE);
        if let Some(theirs) = self.ref_tip(&format!("refs/remotes/{remote}/{branch}"))? {
            let (full, theirs) = (format!("refs/heads/{branch}"), theirs.to_string());
            main.run(&[
                "update-ref",
                "-m",
                "spectask: design-docs branch from the remote's",
                &full,
                &theirs,
                "",
            ])?;
            tracing::info!(branch, remote, "created the design-docs branch from the remote's");
            return Ok(true);
        }
        let blob = main.run_with_input(&["hash-object", "-w", "--stdin"], Some(README.as_bytes()))?;
        let entry = format!("100644 blob {}\tREADME.md\n", String::from_utf8_lossy(&blob).trim());
        let tree = main.run_with_input(&["mktree"], Some(entry.as_bytes()))?;
        let tree = String::from_utf8_lossy(&tree).trim().to_owned();
        let message = format!("design-docs: start {branch}");
        let mut args = vec!["commit-tree", tree.as_str(), "-m", message.as_str()];
        if signing(main)? {
            args.push("-S");
        }
        let commit = CommitId::from_git(&run_with_identity(main, &args, None)?)?.to_string();
        let full = format!("refs/heads/{branch}");
        main.run(&["update-ref", "-m", "spectask: create design-docs branch", &full, &commit, ""])?;
        tracing::info!(branch, "created orphan design-docs branch");
        Ok(true)
    }
}

/// Whether the repository's configuration asks for signed commits (`commit.gpgSign`), which
/// `git commit` honours by itself and `git commit-tree` only when told.
pub(crate) fn signing(git: &Git) -> Result<bool, GitError> {
    let out = git.reading().output(&["config", "--type=bool", "--get", "commit.gpgSign"], None)?;
    Ok(out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "true")
}

/// Adds `/<name>/` to `<git-dir>/info/exclude` unless a line already excludes it; first removes
/// the line `/<dropped>/` spectask wrote there before, when `dropped` is given.
pub(crate) fn exclude_dir(git_dir: &Path, name: &str, dropped: Option<&str>) -> Result<(), GitError> {
    let info = git_dir.join("info");
    let exclude = info.join("exclude");
    let mut existing = match std::fs::read_to_string(&exclude) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_err("read", &exclude)(e)),
    };
    let mut changed = false;
    if let Some(dropped) = dropped.map(|d| format!("/{d}/"))
        && existing.lines().any(|l| l == dropped)
    {
        existing = existing.lines().filter(|l| *l != dropped).map(|l| format!("{l}\n")).collect();
        changed = true;
    }
    let already = existing.lines().any(|line| {
        let line = line.trim();
        line.trim_start_matches('/').trim_end_matches('/') == name
    });
    if already {
        return if changed { replace_file(&exclude, &existing) } else { Ok(()) };
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("/{name}/\n"));
    std::fs::create_dir_all(&info).map_err(io_err("create directory", &info))?;
    replace_file(&exclude, &text)
}

/// Writes `text` to `path` aside, then renames it into place: a reader never sees it half written.
/// The file keeps its mode and group (a shared repository's group-writable files stay so); a new
/// one is group-writable when its directory is, as git makes the files of a shared repository.
fn replace_file(path: &Path, text: &str) -> Result<(), GitError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let aside = path.with_extension(format!("spectask-{}", std::process::id()));
    std::fs::write(&aside, text).map_err(io_err("write", &aside))?;
    let keep = match std::fs::metadata(path) {
        Ok(old) => Some((old.mode() & 0o7777, Some(old.gid()))),
        Err(_) => {
            let dir = path.parent().and_then(|d| std::fs::metadata(d).ok());
            let written = std::fs::metadata(&aside).map_err(io_err("read", &aside))?;
            dir.filter(|d| d.mode() & 0o020 != 0).map(|_| ((written.mode() & 0o7777) | 0o060, None))
        }
    };
    if let Some((mode, group)) = keep {
        if let Some(group) = group {
            // Not the owner's to change only for another user's file: its mode is kept all the same.
            let _ = std::os::unix::fs::chown(&aside, None, Some(group));
        }
        std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(mode))
            .map_err(io_err("set the mode of", &aside))?;
    }
    std::fs::rename(&aside, path).map_err(io_err("replace", path))
}

/// What `.git/spectask/config` records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegistrationConfig {
    default_branch: String,
    design_docs_branch: String,
    /// The remote's name and URL.
    remote: Option<(String, String)>,
    hooks: HookPolicy,
}

/// What `.git/spectask/config` records, `None` when unregistered.
fn read_config(git: &Git, path: &Path) -> Result<Option<RegistrationConfig>, GitError> {
    if !path.is_file() {
        return Ok(None);
    }
    let file = path.to_string_lossy().into_owned();
    let out =
        git.reading().output(&["config", "--file", &file, "--null", "--get-regexp", "^spectask\\."], None)?;
    let (mut default, mut design_docs, mut remote, mut url) = (None, None, None, None);
    let mut hooks = HookPolicy::Run;
    for entry in crate::plumbing::cmd::nul_fields(&out.stdout) {
        let entry = String::from_utf8_lossy(entry);
        let Some((key, value)) = entry.split_once('\n') else { continue };
        match key {
            "spectask.defaultbranch" => default = Some(value.to_owned()),
            "spectask.designdocsbranch" => design_docs = Some(value.to_owned()),
            "spectask.remote" => remote = Some(value.to_owned()),
            "spectask.remoteurl" => url = Some(value.to_owned()),
            "spectask.hooks" if value == "skip" => hooks = HookPolicy::Skip,
            _ => {}
        }
    }
    Ok(default.zip(design_docs).map(|(default_branch, design_docs_branch)| RegistrationConfig {
        default_branch,
        design_docs_branch,
        remote: remote.zip(url),
        hooks,
    }))
}

/// Writes spectask's own git configuration of the repository ([`OWN_CONFIG`]) when it has none:
/// the identity spectask commits under, then the server user's `~/.gitconfig` (the operator's own:
/// an identity there wins, and its credential helpers serve pushes). The repository's own
/// configuration outranks both, and spectask's policy all three.
fn write_own_git_config(git: &Git, git_dir: &Path) -> Result<(), GitError> {
    let path = git_dir.join(OWN_CONFIG);
    if path.is_file() {
        return Ok(());
    }
    let file = path.to_string_lossy().into_owned();
    git.run(&["config", "--file", &file, "user.name", "spectask"])?;
    git.run(&["config", "--file", &file, "user.email", "spectask@localhost"])?;
    git.run(&["config", "--file", &file, "include.path", "~/.gitconfig"])?;
    Ok(())
}

/// Writes the branches and the hook policy into `.git/spectask/config`, unless it already holds
/// them.
fn write_config(git: &Git, path: &Path, repo: &Repo) -> Result<(), GitError> {
    let recorded = read_config(git, path)?;
    let same = recorded.is_some_and(|r| {
        r.default_branch == repo.default_branch
            && r.design_docs_branch == repo.design_docs_branch
            && r.hooks == repo.hooks
    });
    if same {
        return Ok(());
    }
    let file = path.to_string_lossy().into_owned();
    git.run(&["config", "--file", &file, "spectask.defaultBranch", &repo.default_branch])?;
    git.run(&["config", "--file", &file, "spectask.designDocsBranch", &repo.design_docs_branch])?;
    git.run(&["config", "--file", &file, "spectask.hooks", repo.hooks.as_str()])?;
    Ok(())
}
