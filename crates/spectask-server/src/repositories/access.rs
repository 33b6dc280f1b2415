//! Who may use a repository: its owner (who registered it) and the members the owner adds. They
//! create tasks in it and change its settings; to anyone else it is not there, except when they
//! name it to register it, which is refused without naming the owner or the repository's id.

use spectask_core::{Repository, RepositoryId};

use crate::{ApiError, AppState, Caller};
use spectask_store::LOCAL_USER;

/// Lets `caller` use `repository`: a member, the local user of an open server, or the first user
/// to register a repository nobody owns, or one the local user registered while the server had
/// no users (who then owns it). Anyone else is refused: the answer names neither the owner nor
/// the repository's id.
pub(crate) async fn admit(
    state: &AppState,
    caller: &Caller,
    repository: &Repository,
) -> Result<(), ApiError> {
    if caller.owner_filter().is_none() || state.store.repository_granted(repository.id, &caller.name).await? {
        return Ok(());
    }
    if state.store.claim_repository(repository.id, &caller.name, LOCAL_USER).await? {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "not_a_member",
        "this repository is registered by another user; ask its owner to add you as a member \
         (`spectask repo member add`)",
    ))
}

/// The repository `id` when `caller` may use it; to anyone else it is unknown.
pub(crate) async fn member_repository(
    state: &AppState,
    caller: &Caller,
    id: RepositoryId,
) -> Result<Repository, ApiError> {
    let unknown = || ApiError::not_found(format!("no registered repository {id}"));
    let repository = match state.store.repository(id).await {
        Ok(repository) => repository,
        Err(spectask_store::StoreError::NotFound { .. }) => return Err(unknown()),
        Err(other) => return Err(other.into()),
    };
    match caller.owner_filter() {
        Some(user) if !state.store.repository_granted(id, user).await? => Err(unknown()),
        _ => Ok(repository),
    }
}

/// Whether `caller` owns the repository (the local user of an open server owns them all).
pub(crate) fn owns(caller: &Caller, repository: &Repository) -> bool {
    caller.owner_filter().is_none() || repository.owner.as_deref() == Some(caller.name.as_str())
}

/// The repositories the caller may use: their own and those they are a member of; every one on a
/// server without users.
pub(crate) async fn callers_repositories(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<Repository>, ApiError> {
    Ok(match caller.owner_filter() {
        Some(user) => state.store.repositories_of(user).await?,
        None => state.store.list_repositories().await?,
    })
}
