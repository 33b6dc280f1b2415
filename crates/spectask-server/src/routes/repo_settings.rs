//! A repository's settings and members, changed by those it admits (`repo_access.rs`): its owner
//! and members change its settings, each change recorded with who made it; only the owner adds
//! and removes members.

use axum::Json;
use axum::extract::State;
use spectask_orchestrator::repository_settings::change_settings;
use spectask_store::SettingsChange;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{AddRepositoryMember, RepositoryDto, RepositoryMembersDto, UpdateRepository};
use crate::extract::{ApiJson, ApiPath};
use crate::params::{RepoMemberPath, RepoPath};
use crate::repositories::access::{member_repository, owns};
use crate::routes::repos::{Health, check_command, repository_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_repo))
        .routes(routes!(list_members, add_member))
        .routes(routes!(remove_member))
}

/// Change a repository's settings (its owner or a member).
#[utoipa::path(patch, path = "/repos/{id}", tag = "repos", params(RepoPath), request_body = UpdateRepository,
    responses((status = 200, description = "The repository as it now is", body = RepositoryDto)))]
async fn update_repo(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
    ApiJson(body): ApiJson<UpdateRepository>,
) -> Result<Json<RepositoryDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    let change = SettingsChange {
        check_command: body.check_command.as_deref().map(check_command),
        issue_label: body.issue_label.as_deref().map(check_command),
        merge_policy: body.merge_policy,
        task_branches: body.task_branches,
        pull_request_merge: body.pull_request_merge,
        required_approvals: body.required_approvals,
        default_branch: body.default_branch.as_deref().map(|b| b.trim().to_owned()),
        hooks: body.hooks,
    };
    let clones_dir = state.clones_dir.as_deref();
    let signature = caller.signature();
    let changed =
        change_settings(&state.store, &state.forges, clones_dir, &repository, &signature, change).await?;
    Ok(Json(repository_dto(&changed.repository, Some(&changed.repo), Health::Checked(changed.health))))
}

/// Who may use a repository: its owner and members.
#[utoipa::path(get, path = "/repos/{id}/members", tag = "repos", params(RepoPath),
    responses((status = 200, description = "Its owner and members", body = RepositoryMembersDto)))]
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
) -> Result<Json<RepositoryMembersDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    let members = state.store.repository_members(id).await?;
    Ok(Json(RepositoryMembersDto { owner: repository.owner, members }))
}

/// Add a member (the owner only): they create tasks in the repository and change its settings.
#[utoipa::path(post, path = "/repos/{id}/members", tag = "repos", params(RepoPath),
    request_body = AddRepositoryMember,
    responses((status = 200, description = "Its owner and members", body = RepositoryMembersDto)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoPath { id }): ApiPath<RepoPath>,
    ApiJson(body): ApiJson<AddRepositoryMember>,
) -> Result<Json<RepositoryMembersDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    only_the_owner(&caller, &repository)?;
    let user = body.user.trim();
    if state.store.user_named(user).await?.is_none() {
        return Err(ApiError::bad_request("unknown_user", format!("no user named {user:?} on this server")));
    }
    state.store.grant_repository(id, user).await?;
    let members = state.store.repository_members(id).await?;
    Ok(Json(RepositoryMembersDto { owner: repository.owner, members }))
}

/// Remove a member (the owner only; the owner stays).
#[utoipa::path(delete, path = "/repos/{id}/members/{user}", tag = "repos", params(RepoMemberPath),
    responses((status = 200, description = "Its owner and members", body = RepositoryMembersDto)))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(RepoMemberPath { id, user }): ApiPath<RepoMemberPath>,
) -> Result<Json<RepositoryMembersDto>, ApiError> {
    let repository = member_repository(&state, &caller, id).await?;
    only_the_owner(&caller, &repository)?;
    if repository.owner.as_deref() == Some(user.as_str()) {
        return Err(ApiError::conflict(
            "owner_stays",
            format!("{user} owns the repository and stays its member"),
        ));
    }
    if !state.store.remove_repository_member(id, &user).await? {
        return Err(ApiError::not_found(format!("{user} is not a member of repository {id}")));
    }
    let members = state.store.repository_members(id).await?;
    Ok(Json(RepositoryMembersDto { owner: repository.owner, members }))
}

fn only_the_owner(caller: &Caller, repository: &spectask_core::Repository) -> Result<(), ApiError> {
    if owns(caller, repository) {
        return Ok(());
    }
    let owner = repository.owner.as_deref().unwrap_or("nobody yet");
    Err(ApiError::forbidden(
        "not_the_owner",
        format!("only the repository's owner ({owner}) adds and removes members"),
    ))
}
