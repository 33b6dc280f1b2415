//! Resolving what a request names — a repository's id, its URL, a path on the server's disk, or
//! a directory inside it — to one registered repository the caller may use. To a caller who may
//! not, every miss is the same: not registered, someone else's, a path that does not exist.

use std::path::{Path, PathBuf};

use spectask_core::{Repository, RepositoryId};

use super::locate::main_root;
use super::remote_url::RemoteUrl;
use crate::{ApiError, AppState, Caller};

/// A repository as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    Id(RepositoryId),
    Url(RemoteUrl),
    /// Absolute, as given.
    Path(PathBuf),
}

impl Reference {
    /// Reads `text` as an id, a URL or an absolute path, refusing anything else naming the rule.
    pub(crate) fn parse(text: &str) -> Result<Self, ApiError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ApiError::bad_request("invalid_repository", "repo is empty"));
        }
        if let Ok(id) = text.parse::<RepositoryId>() {
            return Ok(Self::Id(id));
        }
        if text.starts_with('/') {
            return Ok(Self::Path(PathBuf::from(text)));
        }
        if spectask_git::is_remote_url(text) {
            return RemoteUrl::parse(text).map(Self::Url);
        }
        Err(ApiError::bad_request(
            "invalid_repository",
            format!("repo {text:?} is not a repository id, a repository URL or an absolute path"),
        ))
    }
}

/// The one answer to a reference that names no repository the caller may use.
fn not_yours(reference: &str) -> ApiError {
    ApiError::not_found(format!("no repository of yours is registered at {}", reference.trim()))
}

/// The registered repository `reference` (an id, a URL or a path) names, when the caller may use
/// it. Nothing runs git.
pub(crate) async fn registered(
    state: &AppState,
    caller: &Caller,
    reference: &str,
) -> Result<Repository, ApiError> {
    let found = match Reference::parse(reference)? {
        Reference::Id(id) => {
            return super::access::member_repository(state, caller, id).await.map_err(|error| {
                if error.status == axum::http::StatusCode::NOT_FOUND { not_yours(reference) } else { error }
            });
        }
        Reference::Url(url) => by_url(state, &url).await?,
        Reference::Path(path) => match main_root(&path) {
            Some(root) => state.store.repository_by_path(&root).await?,
            None => None,
        },
    };
    let repository = found.ok_or_else(|| not_yours(reference))?;
    admitted(state, caller, repository).await.ok_or_else(|| not_yours(reference))
}

/// The repository registered by `url` under any spelling of it (see [`RemoteUrl::identity`]).
pub(crate) async fn by_url(state: &AppState, url: &RemoteUrl) -> Result<Option<Repository>, ApiError> {
    let identity = url.identity();
    let repositories = state.store.list_repositories().await?;
    Ok(repositories.into_iter().find(|repository| {
        repository
            .remote_url
            .as_deref()
            .and_then(|known| RemoteUrl::parse(known).ok())
            .is_some_and(|known| known.identity() == identity)
    }))
}

/// The registered repository holding the directory `path` (an editor thread's `cwd`: the
/// repository, a task's worktree inside it, or a linked worktree of it elsewhere), when the
/// caller may use it; the innermost when one holds another.
pub(crate) async fn holding(state: &AppState, caller: &Caller, path: &Path) -> Result<Repository, ApiError> {
    let shown = path.display().to_string();
    let refused = || {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "cwd_outside_repositories",
            format!("{shown} is not inside a repository of yours (register it with `spectask repo add`)"),
        )
    };
    let canonical = path.canonicalize().map_err(|_| refused())?;
    let root = main_root(&canonical);
    let repository = state
        .store
        .list_repositories()
        .await?
        .into_iter()
        .filter(|r| canonical.starts_with(&r.path) || root.as_deref() == Some(r.path.as_path()))
        .max_by_key(|r| r.path.components().count())
        .ok_or_else(refused)?;
    admitted(state, caller, repository).await.ok_or_else(refused)
}

/// `repository` when the caller may use it (the store answers; a failure counts as no).
async fn admitted(state: &AppState, caller: &Caller, repository: Repository) -> Option<Repository> {
    match caller.owner_filter() {
        None => Some(repository),
        Some(user) => match state.store.repository_granted(repository.id, user).await {
            Ok(true) => Some(repository),
            Ok(false) => None,
            Err(error) => {
                tracing::error!(%error, "could not read a repository's members");
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_an_id_a_url_or_an_absolute_path() {
        let id: RepositoryId = "0192f6a0-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(Reference::parse(&id.to_string()).unwrap(), Reference::Id(id));
        assert!(matches!(Reference::parse("https://github.com/a/b").unwrap(), Reference::Url(_)));
        assert!(matches!(Reference::parse("git@github.com:a/b").unwrap(), Reference::Url(_)));
        assert_eq!(Reference::parse(" /srv/app ").unwrap(), Reference::Path(PathBuf::from("/srv/app")));
        for bad in ["", "relative/dir", "app"] {
            assert_eq!(Reference::parse(bad).unwrap_err().code, "invalid_repository", "{bad:?}");
        }
    }
}
