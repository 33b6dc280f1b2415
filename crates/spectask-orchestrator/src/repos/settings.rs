//! A person's change of a repository's settings, as one use case: the forge a pull request or an
//! issue label needs, git's registration again (the default branch and the hook policy are git's to
//! check and keep), then the change recorded with who made it. This is also where the merge
//! policy and the issue label are read for what they need of a forge when a repository is
//! registered or changed.

use std::path::Path;

use spectask_core::{MergePolicy, Repository};
use spectask_forge::{Forge, Forges};
use spectask_git::{DesignDocsHealth, GitError, RegisterOptions, Repo};
use spectask_store::{SettingsChange, Store, StoreError};

use super::{Opening, git_hooks, local_repo};

/// Why a repository's settings were not changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A pull request or an issue label needs the repository's forge, and it has none.
    #[error(transparent)]
    NoForge(#[from] NoForge),
    /// The default branch asked for is empty.
    #[error("default_branch is empty")]
    EmptyBranch,
    /// `required_approvals` past [`MOST_APPROVALS`].
    #[error("required_approvals is {0}; it must be at most {MOST_APPROVALS}")]
    TooManyApprovals(u32),
    /// The default branch asked for is not in the repository.
    #[error("{0}")]
    BranchNotFound(#[source] GitError),
    /// The default branch asked for is no branch name git takes.
    #[error("{0}")]
    InvalidBranch(#[source] GitError),
    #[error(transparent)]
    Git(GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the repository's registration panicked or was cancelled: {0}")]
    Blocking(#[from] tokio::task::JoinError),
}

impl From<GitError> for SettingsError {
    fn from(err: GitError) -> Self {
        match err {
            GitError::BranchNotFound { .. } => SettingsError::BranchNotFound(err),
            GitError::InvalidBranchName { .. } => SettingsError::InvalidBranch(err),
            other => SettingsError::Git(other),
        }
    }
}

/// The repository's forge is missing for what its settings ask (a pull request, an issue label).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoForge(String);

/// The repository's settings as they now are, with git's registration of it and the health of its
/// design-docs branch.
#[derive(Debug)]
pub struct SettingsChanged {
    pub repository: Repository,
    pub repo: Repo,
    pub health: DesignDocsHealth,
}

/// The most approvals a repository may ask of a pull request.
pub const MOST_APPROVALS: u32 = 100;

/// Changes `repository`'s settings as `by` asks: `change.default_branch` is the branch asked for
/// (`None`: the one it has), recorded as git registered it. Checked in this order: the forge, the
/// branch's name, git's registration, the required approvals.
pub async fn change_settings(
    store: &Store,
    forges: &Forges,
    clones_dir: Option<&Path>,
    repository: &Repository,
    by: &str,
    mut change: SettingsChange,
) -> Result<SettingsChanged, SettingsError> {
    let label = change.issue_label.as_ref().and_then(|l| l.as_deref());
    forge_needed(forges, repository.remote_url.as_deref(), change.merge_policy, label)?;
    if change.default_branch.as_deref() == Some("") {
        return Err(SettingsError::EmptyBranch);
    }
    let options = RegisterOptions {
        design_docs_branch: repository.design_docs_branch.clone(),
        default_branch: change.default_branch.clone(),
        hooks: Some(git_hooks(change.hooks.unwrap_or(repository.hooks))),
        trust: crate::repos::remote_trust(repository),
    };
    let (row, clones_dir) = (repository.clone(), clones_dir.map(Path::to_path_buf));
    let (repo, health) = tokio::task::spawn_blocking(move || {
        let here = local_repo(&row, clones_dir.as_deref(), Opening::Open)?;
        let registration = Repo::register(here.root(), &options)?;
        let health = registration.repo.design_docs_health()?;
        Ok::<_, GitError>((registration.repo, health))
    })
    .await??;
    required_approvals(change.required_approvals)?;
    change.default_branch = Some(repo.default_branch().to_owned());
    let repository = store.change_repository_settings(repository.id, by, &change).await?;
    Ok(SettingsChanged { repository, repo, health })
}

/// `required_approvals` as given, refused past [`MOST_APPROVALS`].
pub fn required_approvals(given: Option<u32>) -> Result<Option<u32>, SettingsError> {
    match given {
        Some(n) if n > MOST_APPROVALS => Err(SettingsError::TooManyApprovals(n)),
        given => Ok(given),
    }
}

/// Refuses, before anything is registered, settings that need a forge the repository at `url`
/// (`None`: registered by path) has none of: the merge policy `pull_request`, an issue label.
pub fn forge_needed(
    forges: &Forges,
    url: Option<&str>,
    merge_policy: Option<MergePolicy>,
    issue_label: Option<&str>,
) -> Result<(), NoForge> {
    if merge_policy == Some(MergePolicy::PullRequest) || issue_label.is_some() {
        forge_for_url(forges, url)?;
    }
    Ok(())
}

/// The forge connection a repository with the `pull_request` merge policy opens its pull
/// requests on: the one whose host its remote URL names. Refused, naming what is missing, for a
/// repository registered by path or one no connection covers.
pub fn forge_of<'a>(forges: &'a Forges, repository: &Repository) -> Result<&'a Forge, NoForge> {
    forge_for_url(forges, repository.remote_url.as_deref())
}

/// [`forge_of`] for a repository's remote URL (`None`: registered by path).
fn forge_for_url<'a>(forges: &'a Forges, url: Option<&str>) -> Result<&'a Forge, NoForge> {
    let Some(url) = url else {
        return Err(NoForge(
            "merge_policy pull_request and issue_label need a repository registered by URL (repo add <url>)"
                .to_owned(),
        ));
    };
    match forges.for_remote(url) {
        Some((forge, _)) => Ok(forge),
        None => Err(NoForge(format!(
            "merge_policy pull_request and issue_label: no forge connection names the host of {url}; \
             add a [forges.<name>] table with its host to the server's configuration"
        ))),
    }
}
