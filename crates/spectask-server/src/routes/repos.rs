//! Registered repositories: register (idempotent; also on a SpecTask's first use) and list, each
//! with the health of its design-docs branch. A rewritten branch marks the repository as needing
//! attention, and the answer says so. A listing reads git only for the repositories whose
//! design-docs files changed since the last one.

mod registration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::Repository;
use spectask_git::{DesignDocsHealth, GitError, Repo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use spectask_orchestrator::repository_settings::{forge_needed, required_approvals};
use spectask_store::SettingsChange;

use crate::dto::{DesignDocsHealthDto, RegisterRepository, RepositoryDto, RepositoryLookup};
use crate::extract::{ApiJson, ApiQuery};
use crate::{ApiError, AppState, Caller};

pub(crate) use registration::{Health, RegistrationRequest, register};
use registration::{RegistrationOutcome, record_attention, refuse_other_settings, register_url};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_repos, register_repo)).routes(routes!(lookup_repo))
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
    // Refused before anything is cloned or registered.
    forge_needed(&state.forges, url, body.merge_policy, label.as_deref())?;
    let wanted = RegistrationRequest {
        design_docs_branch: body.design_docs_branch.as_deref(),
        default_branch: body.default_branch.as_deref(),
        hooks: body.hooks,
    };
    let registered = match url {
        Some(url) => register_url(&state, &caller, url, body.path.as_deref(), &wanted).await?,
        None => {
            let path = body.path.as_deref().ok_or_else(|| {
                ApiError::bad_request("invalid_repository", "give the repository's path, or its url")
            })?;
            register(&state, &caller, path, &wanted).await?
        }
    };
    let RegistrationOutcome { mut repository, repo, branch_created, worktree_created, health, created } =
        registered;
    let settings = SettingsChange {
        check_command: body.check_command.as_deref().map(check_command),
        issue_label: body.issue_label.as_deref().map(check_command),
        merge_policy: body.merge_policy,
        task_branches: body.task_branches,
        hooks: body.hooks,
        pull_request_merge: body.pull_request_merge,
        required_approvals: required_approvals(body.required_approvals)?,
        ..SettingsChange::default()
    };
    if created {
        repository =
            state.store.change_repository_settings(repository.id, &caller.signature(), &settings).await?;
    } else {
        refuse_other_settings(&repository, &settings)?;
    }
    let mut dto = repository_dto(&repository, Some(&repo), health);
    dto.branch_created = branch_created;
    dto.worktree_created = worktree_created;
    Ok((StatusCode::OK, Json(dto)))
}

/// The registered repository a reference names (its id, URL under any spelling, or a path on
/// the server's disk inside it), when the caller may use it. Nothing runs git; every miss is the
/// same 404.
#[utoipa::path(get, path = "/repos/lookup", tag = "repos", params(RepositoryLookup),
    responses((status = 200, description = "The repository", body = RepositoryDto),
        (status = 404, description = "No repository of the caller's there", body = crate::error::ErrorBody)))]
async fn lookup_repo(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RepositoryLookup>,
) -> Result<Json<RepositoryDto>, ApiError> {
    let repository = crate::repositories::resolve::registered(&state, &caller, &query.repo).await?;
    Ok(Json(repository_dto(&repository, None, Health::NotCloned)))
}

/// A check command as given: an empty one is none.
/// A text setting as given: trimmed, and `None` (removed) when blank.
pub(crate) fn check_command(command: &str) -> Option<String> {
    Some(command.trim()).filter(|c| !c.is_empty()).map(str::to_owned)
}

/// Registered repositories with the health of their design-docs branch.
#[utoipa::path(get, path = "/repos", tag = "repos",
    responses((status = 200, description = "The repositories", body = Vec<RepositoryDto>)))]
async fn list_repos(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RepositoryDto>>, ApiError> {
    let repositories = crate::repositories::access::callers_repositories(&state, &caller).await?;
    // Each repository's design-docs health as git says it now in this node's copy, all on one trip
    // to the blocking pool.
    let (rows, clones_dir) = (repositories.clone(), state.clones_dir.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let health = |row: &Repository| {
            let path = spectask_orchestrator::local_path(row, clones_dir.as_deref());
            if row.remote_url.is_some() && !path.exists() {
                return (path, Ok(None));
            }
            let checked =
                match Repo::open(&path).map(|r| r.with_trust(spectask_orchestrator::remote_trust(row))) {
                    // This node's clone, made but not registered yet: it is being made (by the first
                    // task here that needs it), and that task finishes it.
                    Err(GitError::NotRegistered { .. }) if path != row.path => Ok(None),
                    opened => opened.and_then(|repo| Ok(Some((repo.design_docs_health()?, repo)))),
                };
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
        required_approvals: repository.required_approvals,
        issue_label: repository.issue_label.clone(),
        check_command: repository.check_command.clone(),
        owner: repository.owner.clone(),
        design_docs,
        branch_created: None,
        worktree_created: None,
        created_at: repository.created_at,
    }
}
