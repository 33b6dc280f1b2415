//! Registering a repository: by path or by cloning its URL, in git (design-docs branch and
//! worktree) and in the store, with its owner admitted and its design-docs branch checked. A
//! registration that names other settings than the repository has is refused, naming the update
//! that changes them.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use spectask_core::Repository;
use spectask_git::{DEFAULT_DESIGN_DOCS_BRANCH, DesignDocsHealth, GitError, RegisterOptions, Repo};
use spectask_store::SettingsChange;

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

/// Clones `url` to `path` (default `<clones dir>/<name>`, named after the URL's last segment) on
/// the blocking pool, and returns where the clone is. A clone of the same URL there is reused.
pub(super) async fn clone(state: &AppState, url: &str, path: Option<&str>) -> Result<String, ApiError> {
    if !spectask_git::is_remote_url(url) {
        return Err(ApiError::bad_request(
            "invalid_repository",
            format!("{url} is not a repository URL (https://…, ssh://…, git@host:…, file://…)"),
        ));
    }
    let dest = match (path.map(str::trim).filter(|p| !p.is_empty()), &state.clones_dir) {
        (Some(path), _) if !Path::new(path).is_absolute() => {
            return Err(ApiError::bad_request(
                "invalid_repository",
                format!("clone path {path} is relative; give an absolute path"),
            ));
        }
        (Some(path), _) => PathBuf::from(path),
        (None, Some(dir)) => dir.join(clone_name(url)),
        (None, None) => {
            return Err(ApiError::bad_request(
                "invalid_repository",
                "give the path to clone the repository to",
            ));
        }
    };
    let (url, at) = (url.to_owned(), dest.clone());
    // A URL that cannot be cloned names no repository this server can reach: as for a path.
    tokio::task::spawn_blocking(move || spectask_git::clone_repository(&url, &at)).await?.map_err(|err| {
        match err {
            GitError::Remote { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "repository_not_found", err.to_string())
            }
            other => ApiError::from(other),
        }
    })?;
    Ok(dest.display().to_string())
}

/// A directory name for a clone of `url`: its last path segment without `.git`, in letters,
/// digits, `-`, `_` and `.`.
fn clone_name(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or_default();
    let name: String = last
        .trim_end_matches(".git")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    let name = name.trim_matches(['.', '-']);
    if name.is_empty() { "repository".to_owned() } else { name.to_owned() }
}

/// What the design-docs check found.
pub(crate) enum Health {
    Checked(DesignDocsHealth),
    /// The repository could not be opened (moved, deleted, no longer registered in git).
    Unavailable(String),
    /// Registered by URL on another node, and not cloned on this one yet: it is when a task needs it.
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
    pub registration: spectask_git::Registration,
    pub health: Health,
    /// Whether this registration made the repository (its caller owns it).
    pub created: bool,
}

/// Registers `path` in git (branch, worktree) and in the store, owned by `caller` when it is new;
/// idempotent for its members (and repairs what a crash left). Another user's repository is
/// refused before git is touched, as is a registration naming other branches or hooks than the
/// repository has. Runs git on the blocking pool.
pub(crate) async fn register(
    state: &AppState,
    caller: &Caller,
    path: &str,
    wanted: &RegistrationRequest<'_>,
) -> Result<RegistrationOutcome, ApiError> {
    if path.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_repository", "repo path is empty"));
    }
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(ApiError::bad_request(
            "invalid_repository",
            format!("repo path {} is relative; give an absolute path", path.display()),
        ));
    }
    let blank = |name: &str, value: Option<&str>| match value.map(str::trim) {
        Some("") => Err(ApiError::bad_request("invalid_branch", format!("{name} is empty"))),
        other => Ok(other.map(str::to_owned)),
    };
    let design_docs_branch = blank("design_docs_branch", wanted.design_docs_branch)?;
    let default_branch = blank("default_branch", wanted.default_branch)?;
    let known = state.store.repository_by_path(&path.canonicalize().unwrap_or(path.clone())).await?;
    if let Some(known) = &known {
        crate::routes::repo_access::admit(state, caller, known).await?;
        let mut differing = Vec::new();
        if design_docs_branch.as_ref().is_some_and(|b| *b != known.design_docs_branch) {
            differing.push("design_docs_branch");
        }
        if default_branch.as_ref().is_some_and(|b| *b != known.default_branch) {
            differing.push("default_branch");
        }
        if wanted.hooks.is_some_and(|hooks| hooks != known.hooks) {
            differing.push("hooks");
        }
        if !differing.is_empty() {
            return Err(settings_need_update(known, &differing));
        }
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
    };
    let (registration, health) = tokio::task::spawn_blocking(move || {
        let registration = Repo::register(&path, &options)?;
        let health = registration.repo.design_docs_health()?;
        Ok::<_, GitError>((registration, health))
    })
    .await?
    .map_err(|err| register_error(caller, err))?;
    let repo = &registration.repo;
    let mut repository = state
        .store
        .register_repository(
            repo.root(),
            repo.default_branch(),
            repo.design_docs_branch(),
            Some(&caller.name),
        )
        .await?;
    let created = known.is_none() && repository.owner.as_deref() == Some(caller.name.as_str());
    if !created {
        // Registered meanwhile by someone else, or known by another path to the same root.
        crate::routes::repo_access::admit(state, caller, &repository).await?;
    }
    if repository.default_branch != repo.default_branch() {
        repository = state.store.set_default_branch(repository.id, repo.default_branch()).await?;
    }
    let health = Health::Checked(health);
    let repository = record_attention(state, repository, &health).await?;
    Ok(RegistrationOutcome { repository, registration, health, created })
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
