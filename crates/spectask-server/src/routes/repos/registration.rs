//! Registering a repository: by path or by cloning its URL, in git (design-docs branch and
//! worktree) and in the store, with its owner admitted and its design-docs branch checked. What
//! a caller names is resolved and judged first (`crate::repositories`): nothing runs git for a
//! caller who may not use it. A registration that names other settings than the repository has
//! is refused, naming the update that changes them.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use spectask_core::Repository;
use spectask_git::{
    DEFAULT_DESIGN_DOCS_BRANCH, DesignDocsHealth, GitError, RegisterOptions, RemoteTrust, Repo,
};
use spectask_store::SettingsChange;

use crate::repositories::remote_url::RemoteUrl;
use crate::repositories::{access, locate, resolve};
use crate::{ApiError, AppState, Caller};

/// Registering again changes no setting: a registration naming another value is refused, naming
/// the update that changes it.
pub(super) fn refuse_other_settings(
    repository: &Repository,
    settings: &SettingsChange,
) -> Result<(), ApiError> {
    let mut differing = Vec::new();
    if settings.check_command.as_ref().is_some_and(|c| *c != repository.check_command) {
        differing.push("check_command");
    }
    if settings.merge_policy.is_some_and(|p| p != repository.merge_policy) {
        differing.push("merge_policy");
    }
    if settings.task_branches.is_some_and(|p| p != repository.task_branches) {
        differing.push("task_branches");
    }
    if settings.hooks.is_some_and(|p| p != repository.hooks) {
        differing.push("hooks");
    }
    if settings.issue_label.as_ref().is_some_and(|l| *l != repository.issue_label) {
        differing.push("issue_label");
    }
    if settings.pull_request_merge.is_some_and(|p| p != repository.pull_request_merge) {
        differing.push("pull_request_merge");
    }
    if settings.required_approvals.is_some_and(|n| n != repository.required_approvals) {
        differing.push("required_approvals");
    }
    if differing.is_empty() {
        return Ok(());
    }
    Err(settings_need_update(repository, &differing))
}

/// The refusal of a second registration that names other settings.
fn settings_need_update(repository: &Repository, differing: &[&str]) -> ApiError {
    ApiError::conflict(
        "registered_already",
        format!(
            "repository {} is registered already, with another {}; change its settings with \
             `spectask repo set {}` (PATCH /api/v1/repos/{})",
            repository.path.display(),
            differing.join(" and "),
            repository.id,
            repository.id
        ),
    )
}

/// What the design-docs check found.
pub(crate) enum Health {
    Checked(DesignDocsHealth),
    /// The repository could not be opened (moved, deleted, no longer registered in git).
    Unavailable(String),
    /// Registered by URL on another node, and not cloned on this one yet (or its clone not
    /// registered yet: being made): it is when a task needs it.
    NotCloned,
    /// This node's clone of a repository registered by URL on another node cannot be opened.
    CloneUnavailable(String),
}

/// What a registration asks of git; `None` leaves each as it is (or as git finds it, at first).
#[derive(Default)]
pub(crate) struct RegistrationRequest<'a> {
    pub design_docs_branch: Option<&'a str>,
    pub default_branch: Option<&'a str>,
    pub hooks: Option<spectask_core::HookPolicy>,
}

/// What [`register`] did.
pub(crate) struct RegistrationOutcome {
    pub repository: Repository,
    /// This node's copy of it.
    pub repo: Repo,
    /// Whether git made the design-docs branch and worktree now (`None`: a clone, which takes
    /// the remote's branch when it has one).
    pub branch_created: Option<bool>,
    pub worktree_created: Option<bool>,
    pub health: Health,
    /// Whether this registration made the repository (its caller owns it).
    pub created: bool,
}

/// Registers the repository at `path` in git (branch, worktree) and in the store, owned by
/// `caller` when it is new; idempotent for its members (and repairs what a crash left). Before
/// any git command runs: the path is resolved from the filesystem to the main working tree
/// holding it, judged by the operator's policy (a member registers only under the configured
/// roots), and another user's repository is refused, as is a registration naming other branches
/// or hooks than the repository has. Only the root of a main working tree is registered. Runs
/// git on the blocking pool.
pub(crate) async fn register(
    state: &AppState,
    caller: &Caller,
    path: &str,
    wanted: &RegistrationRequest<'_>,
) -> Result<RegistrationOutcome, ApiError> {
    let given = path.trim();
    if given.is_empty() {
        return Err(ApiError::bad_request("invalid_repository", "repo path is empty"));
    }
    let path = PathBuf::from(given);
    if !path.is_absolute() {
        return Err(ApiError::bad_request(
            "invalid_repository",
            format!("repo path {} is relative; give an absolute path", path.display()),
        ));
    }
    let (design_docs_branch, default_branch) = wanted_branches(wanted)?;
    // Judged where it leads (symlinks and `..` resolved), before anything else is said of it.
    let canonical = path.canonicalize().unwrap_or_else(|_| lexical(&path));
    state.repositories.check_path(caller, &path, &canonical)?;
    let root = locate::main_root(&canonical);
    if let Some(root) = &root {
        state.repositories.check_path(caller, &path, root)?;
    }
    let known = match &root {
        Some(root) => state.store.repository_by_path(root).await?,
        None => None,
    };
    if let Some(known) = &known {
        access::admit(state, caller, known).await?;
        refuse_other_branches(known, design_docs_branch.as_deref(), default_branch.as_deref(), wanted)?;
    }
    if let Some(root) = &root
        && *root != canonical
    {
        return Err(ApiError::bad_request(
            "invalid_repository",
            format!(
                "{} is inside the repository at {}, or one of its worktrees; register the repository \
                 itself",
                path.display(),
                root.display()
            ),
        ));
    }
    if let Some(root) = &root {
        state.repositories.check_git_dir(caller, &path, root)?;
    }
    let options = RegisterOptions {
        design_docs_branch: match (&known, design_docs_branch) {
            (Some(known), _) => known.design_docs_branch.clone(),
            (None, branch) => branch.unwrap_or_else(|| DEFAULT_DESIGN_DOCS_BRANCH.to_owned()),
        },
        default_branch: if known.is_some() { None } else { default_branch },
        hooks: match &known {
            Some(known) => Some(spectask_orchestrator::git_hooks(known.hooks)),
            None => wanted.hooks.map(spectask_orchestrator::git_hooks),
        },
        // Trusted as the least trusted of the caller and the repository's users.
        trust: match &known {
            Some(known) if caller.admin => spectask_orchestrator::remote_trust(known),
            _ => caller_trust(caller),
        },
    };
    let at = root.unwrap_or(path);
    let (registration, health) = tokio::task::spawn_blocking(move || {
        let registration = Repo::register(&at, &options)?;
        let health = registration.repo.design_docs_health()?;
        Ok::<_, GitError>((registration, health))
    })
    .await?
    .map_err(|err| register_error(caller, err))?;
    let repo = registration.repo;
    let repository = state
        .store
        .register_repository(
            repo.root(),
            repo.default_branch(),
            repo.design_docs_branch(),
            Some(&caller.name),
        )
        .await?;
    let mut outcome =
        recorded(state, caller, known.is_none(), repository, repo, Health::Checked(health)).await?;
    outcome.branch_created = Some(registration.branch_created);
    outcome.worktree_created = Some(registration.worktree_created);
    Ok(outcome)
}

/// Registers the repository at `url`: a URL registered already (under any spelling) is that
/// repository, for its members; a new one is cloned where the server decides (its folder of
/// clones; an administrator may name `path`) and recorded with its URL in one write. Before any
/// git command runs, the URL is judged by the operator's policy and the caller admitted.
pub(crate) async fn register_url(
    state: &AppState,
    caller: &Caller,
    url: &str,
    path: Option<&str>,
    wanted: &RegistrationRequest<'_>,
) -> Result<RegistrationOutcome, ApiError> {
    let remote = RemoteUrl::parse(url)?;
    state.repositories.check_url(caller, &remote).await?;
    let (design_docs_branch, default_branch) = wanted_branches(wanted)?;
    if let Some(known) = resolve::by_url(state, &remote).await? {
        access::admit(state, caller, &known).await?;
        // Read again: the admission may have made the caller its owner (a claim), which decides
        // how far git trusts its remote and content.
        let known = state.store.repository(known.id).await?;
        refuse_other_branches(&known, design_docs_branch.as_deref(), default_branch.as_deref(), wanted)?;
        let (row, clones) = (known.clone(), state.clones_dir.clone());
        let (repo, health) = tokio::task::spawn_blocking(move || {
            let opening = spectask_orchestrator::Opening::Register;
            let repo = spectask_orchestrator::local_repo(&row, clones.as_deref(), opening)?;
            let health = repo.design_docs_health()?;
            Ok::<_, GitError>((repo, health))
        })
        .await?
        .map_err(|err| clone_error(caller, &remote, err))?;
        return recorded(state, caller, false, known, repo, Health::Checked(health)).await;
    }
    let dest = match (path.map(str::trim).filter(|p| !p.is_empty()), &state.clones_dir) {
        (Some(_), _) if !caller.admin => {
            return Err(ApiError::bad_request(
                "invalid_repository",
                "path: the server decides where a repository given by url is cloned; leave path out",
            ));
        }
        (Some(path), _) if !Path::new(path).is_absolute() => {
            return Err(ApiError::bad_request(
                "invalid_repository",
                format!("path {path} is relative; give an absolute path"),
            ));
        }
        (Some(path), _) => PathBuf::from(path),
        (None, Some(dir)) => dir.join(remote.clone_dir_name()),
        (None, None) => {
            return Err(ApiError::bad_request(
                "invalid_repository",
                "this server keeps no clones: give the path of a repository on its disk",
            ));
        }
    };
    let options = RegisterOptions {
        design_docs_branch: design_docs_branch.unwrap_or_else(|| DEFAULT_DESIGN_DOCS_BRANCH.to_owned()),
        default_branch,
        hooks: wanted.hooks.map(spectask_orchestrator::git_hooks),
        // A member's remote is trusted no further than its URL's checks.
        trust: caller_trust(caller),
    };
    let text = remote.text.clone();
    let (repo, health) = tokio::task::spawn_blocking(move || {
        let repo = spectask_git::clone_registered(&text, &dest, &options)?;
        let health = repo.design_docs_health()?;
        Ok::<_, GitError>((repo, health))
    })
    .await?
    .map_err(|err| clone_error(caller, &remote, err))?;
    // Recorded with its URL in one write: another node never sees the record without it.
    let repository = state
        .store
        .register_cloned_repository(
            repo.root(),
            repo.default_branch(),
            repo.design_docs_branch(),
            Some(&caller.name),
            Some(&remote.text),
        )
        .await?;
    recorded(state, caller, true, repository, repo, Health::Checked(health)).await
}

/// How far git trusts the remote and content of a repository `caller` registers: a member's, no
/// further than the operator's checks of what it named.
fn caller_trust(caller: &Caller) -> RemoteTrust {
    if caller.admin { RemoteTrust::Operator } else { RemoteTrust::Member }
}

/// What a registration that reached the store returns: the caller admitted once more when the
/// record is not the one it made (made meanwhile by someone else, or known by another path to
/// the same root), the default branch and the attention mark brought up to date.
async fn recorded(
    state: &AppState,
    caller: &Caller,
    new: bool,
    mut repository: Repository,
    repo: Repo,
    health: Health,
) -> Result<RegistrationOutcome, ApiError> {
    let created = new && repository.owner.as_deref() == Some(caller.name.as_str());
    if !created {
        access::admit(state, caller, &repository).await?;
    }
    if repository.default_branch != repo.default_branch() {
        repository = state.store.set_default_branch(repository.id, repo.default_branch()).await?;
    }
    let repository = record_attention(state, repository, &health).await?;
    Ok(RegistrationOutcome {
        repository,
        repo,
        branch_created: None,
        worktree_created: None,
        health,
        created,
    })
}

/// The branches a registration names, refused when blank.
fn wanted_branches(wanted: &RegistrationRequest<'_>) -> Result<(Option<String>, Option<String>), ApiError> {
    let blank = |name: &str, value: Option<&str>| match value.map(str::trim) {
        Some("") => Err(ApiError::bad_request("invalid_branch", format!("{name} is empty"))),
        other => Ok(other.map(str::to_owned)),
    };
    Ok((
        blank("design_docs_branch", wanted.design_docs_branch)?,
        blank("default_branch", wanted.default_branch)?,
    ))
}

/// Registering a known repository again names no other branches or hooks than it has.
fn refuse_other_branches(
    known: &Repository,
    design_docs_branch: Option<&str>,
    default_branch: Option<&str>,
    wanted: &RegistrationRequest<'_>,
) -> Result<(), ApiError> {
    let mut differing = Vec::new();
    if design_docs_branch.is_some_and(|b| b != known.design_docs_branch) {
        differing.push("design_docs_branch");
    }
    if default_branch.is_some_and(|b| b != known.default_branch) {
        differing.push("default_branch");
    }
    if wanted.hooks.is_some_and(|hooks| hooks != known.hooks) {
        differing.push("hooks");
    }
    if differing.is_empty() { Ok(()) } else { Err(settings_need_update(known, &differing)) }
}

/// `path` with `.` and `..` taken out, for a path that does not exist (nothing to resolve).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What a failed clone tells the caller: that the repository could not be reached. git's own
/// words (which tell a closed port from a TLS or SSH server) go to the server's log, and to
/// an administrator.
fn clone_error(caller: &Caller, remote: &RemoteUrl, err: GitError) -> ApiError {
    match err {
        GitError::Remote { .. } => {
            tracing::info!(user = %caller.name, url = %remote.text, error = %err, "could not clone");
            let detail = if caller.admin { format!(": {err}") } else { String::new() };
            ApiError::new(
                StatusCode::NOT_FOUND,
                "repository_not_found",
                format!("could not reach a repository at {}{detail}", remote.text),
            )
        }
        other => register_error(caller, other),
    }
}

/// What a refused registration tells the caller. A user of a server with users learns only that
/// the path is no repository this server can use, never whether it exists or what it holds: the
/// server's filesystem is not theirs to probe (the detail goes to the server's log).
fn register_error(caller: &Caller, err: GitError) -> ApiError {
    let hidden = matches!(
        err,
        GitError::PathNotFound { .. }
            | GitError::NotARepository { .. }
            | GitError::InsideRepository { .. }
            | GitError::UnusableRepository { .. }
    );
    if hidden && let Some(user) = caller.owner_filter() {
        tracing::info!(user, error = %err, "refused a repository registration");
        let path = match &err {
            GitError::PathNotFound { path }
            | GitError::NotARepository { path }
            | GitError::InsideRepository { path, .. }
            | GitError::UnusableRepository { path, .. } => path.display().to_string(),
            _ => String::new(),
        };
        return ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "repository_not_found",
            format!(
                "{path} is not a git repository this server can use (the root of a non-bare repository with commits, readable by the server)"
            ),
        );
    }
    match err {
        // A name the document allows that spectask keeps for itself or that is the other branch.
        GitError::InvalidBranchName { .. } | GitError::BranchCheckedOutElsewhere { .. } => {
            ApiError::conflict("invalid_branch", err.to_string())
        }
        GitError::BranchNotFound { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "branch_not_found", err.to_string())
        }
        other => other.into(),
    }
}

/// Marks the repository as needing attention when its design-docs branch does (clears the mark once
/// it is healthy again, e.g. after a human accepted a rewrite).
pub(super) async fn record_attention(
    state: &AppState,
    mut repository: Repository,
    health: &Health,
) -> Result<Repository, ApiError> {
    let attention = match health {
        Health::Checked(health) => attention(&repository, health),
        Health::Unavailable(reason) => {
            Some(format!("repository {} is unavailable: {reason}", repository.path.display()))
        }
        // Nothing this node can say about the repository itself.
        Health::NotCloned | Health::CloneUnavailable(_) => return Ok(repository),
    };
    if attention != repository.attention {
        state.store.set_repository_attention(repository.id, attention.as_deref()).await?;
        repository.attention = attention;
    }
    Ok(repository)
}

/// The message a person reads when spectask stopped writing to a repository.
fn attention(repository: &Repository, health: &DesignDocsHealth) -> Option<String> {
    let branch = &repository.design_docs_branch;
    match health {
        DesignDocsHealth::Healthy { .. } => None,
        DesignDocsHealth::Rewritten { last_written, current } => Some(format!(
            "design-docs branch {branch} was rewritten: its tip {current} does not descend from {last_written}, \
             the last commit spectask wrote; spectask stopped writing to it until a human checks and accepts it"
        )),
        DesignDocsHealth::BranchMissing => {
            Some(format!("design-docs branch {branch} is missing; register the repository again"))
        }
        DesignDocsHealth::WorktreeBroken { reason } => {
            Some(format!("design-docs worktree of {branch} is broken: {reason}"))
        }
    }
}
