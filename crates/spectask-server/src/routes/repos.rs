//! Registered repositories: register (idempotent; also on a SpecTask's first use) and list, each
//! with the health of its design-docs branch. A rewritten branch marks the repository as needing
//! attention, and the answer says so. A listing reads git only for the repositories whose
//! design-docs files changed since the last one.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{MergePolicy, Repository};
use spectask_git::{DEFAULT_DESIGN_DOCS_BRANCH, DesignDocsHealth, GitError, RegisterOptions, Repo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use spectask_store::SettingsChange;

use crate::dto::{DesignDocsHealthDto, RegisterRepository, RepositoryDto};
use crate::extract::ApiJson;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_repos, register_repo))
}

/// Register a git repository (design-docs branch and worktree) as its owner. Registering again is
/// harmless for its members and changes nothing: settings change through `PATCH /repos/{id}`.
/// Another user's repository is refused, naming its owner to ask.
#[utoipa::path(post, path = "/repos", tag = "repos", request_body = RegisterRepository,
    responses((status = 200, description = "The repository", body = RepositoryDto),
        (status = 403, description = "Registered by another user", body = crate::error::ErrorBody),
        (status = 409, description = "Registered already, with other settings", body = crate::error::ErrorBody)))]
async fn register_repo(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RegisterRepository>,
) -> Result<(StatusCode, Json<RepositoryDto>), ApiError> {
    let url = body.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let label = body.issue_label.as_deref().and_then(check_command);
    if body.merge_policy == Some(MergePolicy::PullRequest) || label.is_some() {
        // Refused before anything is cloned or registered.
        forge_for_url(&state, url)?;
    }
    let path = match url {
        Some(url) => clone(&state, url, body.path.as_deref()).await?,
        None => body.path.clone().ok_or_else(|| {
            ApiError::bad_request("invalid_repository", "give the repository's path, or its url")
        })?,
    };
    let wanted = RegistrationRequest {
        design_docs_branch: body.design_docs_branch.as_deref(),
        default_branch: body.default_branch.as_deref(),
        hooks: body.hooks,
    };
    let registered = register(&state, &caller, &path, &wanted).await?;
    let RegistrationOutcome { mut repository, mut registration, health, created } = registered;
    if let Some(url) = url {
        let repo = registration.repo.clone();
        registration.repo =
            tokio::task::spawn_blocking(move || repo.track_remote(spectask_git::CLONE_REMOTE))
                .await?
                .map_err(ApiError::from)?;
        // Other nodes clone it from there into their own data dirs.
        if repository.remote_url.as_deref() != Some(url) {
            repository = state.store.set_remote_url(repository.id, url).await?;
        }
    }
    let settings = SettingsChange {
        check_command: body.check_command.as_deref().map(check_command),
        issue_label: body.issue_label.as_deref().map(check_command),
        merge_policy: body.merge_policy,
        task_branches: body.task_branches,
        hooks: body.hooks,
        pull_request_merge: body.pull_request_merge,
        ..SettingsChange::default()
    };
    if created {
        repository =
            state.store.change_repository_settings(repository.id, &caller.signature(), &settings).await?;
    } else {
        refuse_other_settings(&repository, &settings)?;
    }
    let mut dto = repository_dto(&repository, Some(&registration.repo), health);
    dto.branch_created = Some(registration.branch_created);
    dto.worktree_created = Some(registration.worktree_created);
    Ok((StatusCode::OK, Json(dto)))
}

/// A check command as given: an empty one is none.
/// A text setting as given: trimmed, and `None` (removed) when blank.
pub(crate) fn check_command(command: &str) -> Option<String> {
    Some(command.trim()).filter(|c| !c.is_empty()).map(str::to_owned)
}

/// Registering again changes no setting: a registration naming another value is refused, naming
/// the update that changes it.
fn refuse_other_settings(repository: &Repository, settings: &SettingsChange) -> Result<(), ApiError> {
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
async fn clone(state: &AppState, url: &str, path: Option<&str>) -> Result<String, ApiError> {
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

/// Registered repositories with the health of their design-docs branch.
#[utoipa::path(get, path = "/repos", tag = "repos",
    responses((status = 200, description = "The repositories", body = Vec<RepositoryDto>)))]
async fn list_repos(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RepositoryDto>>, ApiError> {
    let repositories = crate::routes::repo_access::callers_repositories(&state, &caller).await?;
    // Each repository's design-docs health as git says it now in this node's copy, all on one trip
    // to the blocking pool.
    let (rows, clones_dir) = (repositories.clone(), state.clones_dir.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let health = |row: &Repository| {
            let path = spectask_orchestrator::local_path(row, clones_dir.as_deref());
            if row.remote_url.is_some() && !path.exists() {
                return (path, Ok(None));
            }
            let checked = Repo::open(&path).and_then(|repo| Ok(Some((repo.design_docs_health()?, repo))));
            (path, checked)
        };
        rows.iter().map(health).collect::<Vec<_>>()
    })
    .await?;
    let mut answer = Vec::new();
    for (repository, (path, checked)) in repositories.into_iter().zip(checked) {
        let (repo, health) = match checked {
            Ok(Some((health, repo))) => (Some(repo), Health::Checked(health)),
            Ok(None) => (None, Health::NotCloned),
            Err(err) if path == repository.path => (None, Health::Unavailable(err.to_string())),
            // This node's own clone, being made or broken here: nothing about the repository.
            Err(err) => {
                (None, Health::CloneUnavailable(format!("this node's clone {}: {err}", path.display())))
            }
        };
        let repository = record_attention(&state, repository, &health).await?;
        answer.push(repository_dto(&repository, repo.as_ref(), health));
    }
    Ok(Json(answer))
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
async fn record_attention(
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

pub(crate) fn repository_dto(repository: &Repository, repo: Option<&Repo>, health: Health) -> RepositoryDto {
    let empty =
        |state| DesignDocsHealthDto { state, tip: None, last_written: None, current: None, reason: None };
    let design_docs = match health {
        Health::Checked(DesignDocsHealth::Healthy { tip }) => {
            DesignDocsHealthDto { tip: Some(tip.to_string()), ..empty("healthy") }
        }
        Health::Checked(DesignDocsHealth::Rewritten { last_written, current }) => DesignDocsHealthDto {
            last_written: Some(last_written.to_string()),
            current: Some(current.to_string()),
            ..empty("rewritten")
        },
        Health::Checked(DesignDocsHealth::BranchMissing) => empty("branch_missing"),
        Health::Checked(DesignDocsHealth::WorktreeBroken { reason }) => {
            DesignDocsHealthDto { reason: Some(reason), ..empty("worktree_broken") }
        }
        Health::Unavailable(reason) | Health::CloneUnavailable(reason) => {
            DesignDocsHealthDto { reason: Some(reason), ..empty("unavailable") }
        }
        Health::NotCloned => DesignDocsHealthDto {
            reason: Some("not cloned on this node yet: it is when a task needs it".to_owned()),
            ..empty("not_cloned")
        },
    };
    RepositoryDto {
        id: repository.id,
        path: repository.path.display().to_string(),
        default_branch: repository.default_branch.clone(),
        design_docs_branch: repository.design_docs_branch.clone(),
        remote_url: repository
            .remote_url
            .clone()
            .or_else(|| repo.and_then(|r| r.remote_url()).map(str::to_owned)),
        design_docs_worktree: repo
            .map(|r| r.design_docs_worktree().display().to_string())
            .unwrap_or_default(),
        attention: repository.attention.clone(),
        merge_policy: repository.merge_policy,
        task_branches: repository.task_branches,
        hooks: repository.hooks,
        pull_request_merge: repository.pull_request_merge,
        issue_label: repository.issue_label.clone(),
        check_command: repository.check_command.clone(),
        owner: repository.owner.clone(),
        design_docs,
        branch_created: None,
        worktree_created: None,
        created_at: repository.created_at,
    }
}

/// The forge connection a repository with the `pull_request` merge policy opens its pull
/// requests on: the one whose host its remote URL names. Refused, naming what is missing, for a
/// repository registered by path or one no connection covers.
pub(crate) fn forge_of<'a>(
    state: &'a AppState,
    repository: &Repository,
) -> Result<&'a spectask_forge::Forge, ApiError> {
    forge_for_url(state, repository.remote_url.as_deref())
}

/// [`forge_of`] for a repository's remote URL (`None`: registered by path).
pub(crate) fn forge_for_url<'a>(
    state: &'a AppState,
    url: Option<&str>,
) -> Result<&'a spectask_forge::Forge, ApiError> {
    let Some(url) = url else {
        return Err(ApiError::conflict(
            "no_forge",
            "merge_policy pull_request and issue_label need a repository registered by URL (repo add <url>)",
        ));
    };
    match state.forges.for_remote(url) {
        Some((forge, _)) => Ok(forge),
        None => Err(ApiError::conflict(
            "no_forge",
            format!(
                "merge_policy pull_request and issue_label: no forge connection names the host of {url}; \
                 add a [forges.<name>] table with its host to the server's configuration"
            ),
        )),
    }
}
