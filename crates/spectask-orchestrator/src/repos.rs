//! Git access from async code: registration on first use, run on the blocking pool; a person's
//! change of a repository's settings (`settings`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spectask_core::{Repository, RepositoryId, SpecTask};
use spectask_git::{GitError, RegisterOptions, RemoteTrust, Repo};

use crate::ctx::Ctx;
use crate::job_error::JobError;

pub mod settings;

/// Runs a git operation on the blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, JobError>
where
    F: FnOnce() -> Result<T, GitError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(git_error),
        Err(err) => Err(JobError::retry(format!("git operation panicked or was cancelled: {err}"))),
    }
}

/// How long [`open_id`] trusts the last row it read of a repository before it reads it again.
const ROW_READ_FOR: Duration = Duration::from_secs(2);

/// The repositories this process registered, and the locks under which it registers each.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    handles: std::sync::Mutex<HashMap<RepositoryId, Registered>>,
    /// One per repository, held across its registration: two steps opening one repository from
    /// rows of different ages register in turn, the second finding the first's handle. A slow
    /// registration (a first clone) holds up no other repository's.
    registering: std::sync::Mutex<HashMap<RepositoryId, Arc<tokio::sync::Mutex<()>>>>,
}

/// A repository this process registered: the row it was registered from, the handle, and when
/// [`open_id`] last read the row (`None`: registered from a row a step read, of unknown age).
#[derive(Debug)]
struct Registered {
    row: Repository,
    repo: Repo,
    read_at: Option<Instant>,
}

impl Registry {
    /// The lock held across the registration of the repository `id`.
    fn registering(&self, id: RepositoryId) -> Arc<tokio::sync::Mutex<()>> {
        match self.registering.lock() {
            Ok(mut locks) => locks.entry(id).or_default().clone(),
            // A panic elsewhere poisoned the map: registrations go on, unordered.
            Err(_) => Arc::default(),
        }
    }

    /// Whether this process registered the repository.
    pub(crate) fn holds(&self, id: RepositoryId) -> bool {
        self.handles.lock().is_ok_and(|handles| handles.contains_key(&id))
    }
}

/// The repository, registered (idempotently: design-docs branch and worktree in place). Registration
/// (which also repairs stale worktrees) runs once per repository (and path) per process, and again
/// when a row as new as the handle's says otherwise (its branches, hooks or trust); later steps
/// reuse what it found. A row older than the handle's changes nothing, and the handle's trust
/// only tightens: a row a step read before a member was given the repository cannot loosen it.
pub(crate) async fn open(ctx: &Ctx, repository: &Repository) -> Result<Repo, JobError> {
    open_row(ctx, repository, None).await
}

/// [`open`] of a row [`open_id`] read at `read_at`.
async fn open_row(ctx: &Ctx, repository: &Repository, read_at: Option<Instant>) -> Result<Repo, JobError> {
    let registry = &ctx.registered;
    if let Some(repo) = known_handle(registry, repository, read_at) {
        return Ok(repo);
    }
    let lock = registry.registering(repository.id);
    let guard = lock.lock().await;
    if let Some(repo) = known_handle(registry, repository, read_at) {
        return Ok(repo);
    }
    let row = match registry.handles.lock() {
        Ok(handles) => {
            handles.get(&repository.id).map_or_else(|| repository.clone(), |k| newest(&k.row, repository))
        }
        Err(_) => repository.clone(),
    };
    let clones_dir = ctx.config.clones_dir.clone();
    let registering = row.clone();
    let registered =
        blocking(move || local_repo(&registering, clones_dir.as_deref(), Opening::Register)).await;
    if let (Ok(repo), Ok(mut handles)) = (&registered, registry.handles.lock()) {
        // A step may have recorded a newer row meanwhile: the next `open_id` reads it again.
        let overtaken = handles.get(&row.id).is_some_and(|known| known.row.updated_at > row.updated_at);
        let read_at = if overtaken { None } else { read_at };
        handles.insert(row.id, Registered { row: row.clone(), repo: repo.clone(), read_at });
    }
    drop(guard);
    if let Err(JobError::Fatal { reason, .. }) = &registered {
        tracing::warn!(repository = %row.id, %reason, "the repository needs attention");
        if let Err(err) = ctx.store.set_repository_attention(row.id, Some(reason)).await {
            tracing::warn!(repository = %row.id, %err, "marking the repository failed");
        }
    }
    registered
}

/// The handle registered from `repository`'s row, or from a newer one, when `repository` says
/// nothing new of it.
fn known_handle(registry: &Registry, repository: &Repository, read_at: Option<Instant>) -> Option<Repo> {
    let mut handles = registry.handles.lock().ok()?;
    let known = handles.get_mut(&repository.id)?;
    let row = newest(&known.row, repository);
    let repo = &known.repo;
    let same = known.row.path == row.path
        && repo.design_docs_branch() == row.design_docs_branch
        && repo.default_branch() == row.default_branch
        && repo.hooks() == git_hooks(row.hooks)
        && repo.trust() == remote_trust(&row);
    if !same {
        return None;
    }
    if read_at.is_some() {
        known.read_at = read_at;
    }
    let repo = repo.clone();
    known.row = row;
    Some(repo)
}

/// Of the row a handle was registered from and another, the one written last (by `updated_at`,
/// which the store never moves back), with a member's access if either had it: the store never
/// takes that back either.
fn newest(registered: &Repository, other: &Repository) -> Repository {
    let mut row = if other.updated_at < registered.updated_at { registered.clone() } else { other.clone() };
    row.member_access |= registered.member_access || other.member_access;
    row
}

/// Where this node's copy of `repository` is, made or not (blocking): the registered path, unless
/// the repository was registered by URL and that path is not a clone of it here; then
/// `<clones_dir>/<id>`, which [`local_repo`] clones when a task first needs it.
pub fn local_path(repository: &Repository, clones_dir: Option<&Path>) -> PathBuf {
    match (repository.remote_url.as_deref(), clones_dir) {
        (Some(url), Some(dir))
            if !Repo::open(&repository.path).is_ok_and(|r| r.remote_url() == Some(url)) =>
        {
            dir.join(repository.id.to_string())
        }
        _ => repository.path.clone(),
    }
}

/// How [`local_repo`] opens a repository at its registered path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Registered again: stale worktrees repaired (once per process, at first use).
    Register,
    /// Opened as registered; registered only when git forgot it.
    Open,
}

/// This node's copy of `repository`, registered (blocking): the registered path, unless the
/// repository was registered by URL and that path is not a clone of it here (another node's
/// disk, which this node cannot see): then this node's own clone, `<clones_dir>/<id>`, made now
/// when absent, registered as the first node registered it. Its git commands trust the remote and
/// the content as [`remote_trust`] says.
pub fn local_repo(
    repository: &Repository,
    clones_dir: Option<&Path>,
    opening: Opening,
) -> Result<Repo, GitError> {
    local_repo_unjudged(repository, clones_dir, opening).map(|repo| repo.with_trust(remote_trust(repository)))
}

/// How far git trusts `repository`'s remote and content: as git does by default for the
/// repositories only the operator and administrators ever used; not past the operator's checks
/// for one a member owns or may use, or ever did. Its URL met those checks, but its remote, or
/// content a member's agent committed, could lead git past them (a redirect, an LFS server's
/// answer, a submodule's URL) to a loopback port or a cloud's metadata address.
pub fn remote_trust(repository: &Repository) -> RemoteTrust {
    if repository.member_access { RemoteTrust::Member } else { RemoteTrust::Operator }
}

/// [`local_repo`], before the handle is given its trust (which opening a repository does not
/// record).
fn local_repo_unjudged(
    repository: &Repository,
    clones_dir: Option<&Path>,
    opening: Opening,
) -> Result<Repo, GitError> {
    let options = RegisterOptions {
        design_docs_branch: repository.design_docs_branch.clone(),
        default_branch: None,
        // The store's policy, recorded in this node's clone as in every other's.
        hooks: Some(git_hooks(repository.hooks)),
        trust: remote_trust(repository),
    };
    let opened = Repo::open(&repository.path);
    if let (Some(url), Some(dir)) = (repository.remote_url.as_deref(), clones_dir) {
        let registered_here = matches!(&opened, Ok(repo) if repo.remote_url() == Some(url));
        if !registered_here {
            let options =
                RegisterOptions { default_branch: Some(repository.default_branch.clone()), ..options };
            let dest = dir.join(repository.id.to_string());
            return spectask_git::clone_registered(url, &dest, &options);
        }
    }
    match (opening, opened) {
        (Opening::Open, Ok(repo)) if repo.hooks() == git_hooks(repository.hooks) => Ok(repo),
        // Registered again also when the policy changed since this clone recorded it.
        (Opening::Open, Ok(_) | Err(GitError::NotRegistered { .. })) | (Opening::Register, _) => {
            Repo::register(&repository.path, &options).map(|r| r.repo)
        }
        (Opening::Open, Err(error)) => Err(error),
    }
}

/// The repository's hook policy as git commits apply it.
pub fn git_hooks(policy: spectask_core::HookPolicy) -> spectask_git::HookPolicy {
    match policy {
        spectask_core::HookPolicy::Run => spectask_git::HookPolicy::Run,
        spectask_core::HookPolicy::Skip => spectask_git::HookPolicy::Skip,
    }
}

/// The repository of `id`, registered as [`open`] does from its row. The row is read again once
/// [`ROW_READ_FOR`] has passed since this process last read it here, so a change of its settings
/// or of who may use it (which tightens its [`remote_trust`]) counts for the steps that open it
/// after that; the steps of a session, which open it several times in that span, read it once. A
/// step keeps the handle it opened for as long as it runs.
pub(crate) async fn open_id(ctx: &Ctx, id: RepositoryId) -> Result<Repo, JobError> {
    let fresh = ctx.registered.handles.lock().ok().and_then(|handles| {
        let known = handles.get(&id)?;
        known.read_at.is_some_and(|at| at.elapsed() < ROW_READ_FOR).then(|| known.repo.clone())
    });
    if let Some(repo) = fresh {
        return Ok(repo);
    }
    let read_at = Instant::now();
    let repository = ctx.store.repository(id).await?;
    open_row(ctx, &repository, Some(read_at)).await
}

/// The repository's steering documents at the tip of its default branch, rendered as one prompt
/// section with headings at `level`; `None` when it has none. Files that are not UTF-8 are skipped.
pub(crate) async fn steering(repo: &Repo, level: usize) -> Result<Option<String>, JobError> {
    Ok(spectask_spec::steering_section(&steering_files(repo).await?, level))
}

/// The rules the repository's steering documents state for the lint, at the tip of its default
/// branch.
pub(crate) async fn steering_rules(repo: &Repo) -> Result<spectask_spec::SteeringRules, JobError> {
    Ok(spectask_spec::SteeringRules::of(&steering_files(repo).await?))
}

/// The steering documents at the tip of the default branch, `(path, text)`; files that are not
/// UTF-8 are skipped.
async fn steering_files(repo: &Repo) -> Result<Vec<(String, String)>, JobError> {
    let repo = repo.clone();
    let files = blocking(move || {
        repo.default_branch_files(spectask_spec::STEERING_DIRS, spectask_spec::STEERING_FILES)
    })
    .await?;
    Ok(files.into_iter().filter_map(|(path, bytes)| Some((path, String::from_utf8(bytes).ok()?))).collect())
}

/// Brings a repository registered by URL up to date with its remote before work is based on it
/// (planning, implementation); nothing for a repository registered by path.
pub(crate) async fn fetch(repo: &Repo) -> Result<(), JobError> {
    if repo.remote().is_none() {
        return Ok(());
    }
    let repo = repo.clone();
    blocking(move || repo.fetch()).await?;
    Ok(())
}

/// Pushes `branches` of a repository registered by URL to its remote (never forced); nothing for
/// a repository registered by path. The design-docs branch is first brought level with the
/// remote's, which other nodes write too. A push that fails is retried by the step, then fails
/// the task with the remote's reason: the work stays on the local branches.
pub(crate) async fn push(repo: &Repo, branches: Vec<String>) -> Result<(), JobError> {
    if repo.remote().is_none() {
        return Ok(());
    }
    let repo = repo.clone();
    blocking(move || {
        let design_docs = branches.iter().any(|b| b == repo.design_docs_branch());
        let names: Vec<&str> =
            branches.iter().map(String::as_str).filter(|b| *b != repo.design_docs_branch()).collect();
        repo.push(&names)?;
        if design_docs {
            repo.push_design_docs()?;
        }
        Ok(())
    })
    .await
}

/// Pushes the task's branch after work was committed on it, for a repository registered by URL
/// (nothing for one registered by path), until the remote holds it: pushes of one branch are
/// queued, and a push the remote refuses because it moved is tried again. Another node can carry
/// the task on from there. A push that still fails fails the step, which is retried: the work
/// stays on this node's branch until it lands, and the session it belongs to is not completed
/// before.
pub(crate) async fn push_task_work(task: &SpecTask, repo: &Repo) -> Result<(), JobError> {
    if repo.remote().is_none() {
        return Ok(());
    }
    let name = spectask_git::TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let repo = repo.clone();
    blocking(move || repo.push_task_branch(&name)).await
}

/// A rewritten design-docs branch, a remote branch that went its own way, a broken repository or
/// a commit its hooks refuse will not heal by retrying.
pub(crate) fn git_error(err: GitError) -> JobError {
    match err {
        GitError::DesignDocsRewritten { .. }
        | GitError::RemoteBranchDiverged { .. }
        | GitError::PathNotFound { .. }
        | GitError::NotARepository { .. }
        | GitError::InsideRepository { .. }
        | GitError::UnusableRepository { .. }
        | GitError::HookRejected { .. }
        | GitError::BareRepository { .. }
        | GitError::NoCommits { .. }
        | GitError::NoDefaultBranch { .. }
        | GitError::InvalidTaskHandle { .. }
        | GitError::InvalidFilePath { .. }
        | GitError::InvalidReviewTarget { .. } => JobError::fatal_from(err),
        other => JobError::retry_from(other),
    }
}

#[cfg(test)]
mod tests {
    use spectask_store::UserRole;

    use super::*;

    /// Makes this process's read of every repository's row as old as [`ROW_READ_FOR`].
    fn age_reads(ctx: &Ctx) {
        for known in ctx.registered.handles.lock().unwrap().values_mut() {
            known.read_at = Instant::now().checked_sub(ROW_READ_FOR);
        }
    }

    #[tokio::test]
    async fn a_step_after_a_member_is_given_the_repository_trusts_it_less() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, _) = crate::testing::ctx_with_session(dir.path()).await;
        let trust = || async { open_id(&ctx, task.repository_id).await.unwrap().trust() };
        assert_eq!(trust().await, RemoteTrust::Operator, "the operator's own");

        ctx.store.add_user("alice", UserRole::Member).await.unwrap();
        ctx.store.grant_repository(task.repository_id, "alice").await.unwrap();
        age_reads(&ctx);
        assert_eq!(trust().await, RemoteTrust::Member, "a member's agents write its content now");

        ctx.store.set_user_role("alice", UserRole::Admin).await.unwrap();
        // As a process started now finds it, from the row alone.
        ctx.registered.handles.lock().unwrap().clear();
        assert_eq!(trust().await, RemoteTrust::Member, "what her agents committed stays");
    }

    #[tokio::test]
    async fn a_step_opening_with_its_own_row_does_not_put_off_the_next_read() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, _) = crate::testing::ctx_with_session(dir.path()).await;
        let id = task.repository_id;
        let before = ctx.store.repository(id).await.unwrap();
        assert_eq!(open_id(&ctx, id).await.unwrap().trust(), RemoteTrust::Operator);

        ctx.store.add_user("alice", UserRole::Member).await.unwrap();
        ctx.store.grant_repository(id, "alice").await.unwrap();
        age_reads(&ctx);
        assert_eq!(open(&ctx, &before).await.unwrap().trust(), RemoteTrust::Operator, "its row's");
        assert_eq!(open_id(&ctx, id).await.unwrap().trust(), RemoteTrust::Member, "read again");
    }

    #[tokio::test]
    async fn a_registration_holds_up_no_other_repository() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, _) = crate::testing::ctx_with_session(dir.path()).await;
        let other_dir = tempfile::tempdir().unwrap();
        let (_, other) = crate::fixtures::registered_repository(&ctx.store, other_dir.path()).await.unwrap();
        // The task's repository registers slowly (a first clone): its lock is held.
        let lock = ctx.registered.registering(task.repository_id);
        let _held = lock.lock().await;
        let opened = tokio::time::timeout(Duration::from_secs(60), open_id(&ctx, other.id)).await;
        assert!(opened.expect("the other repository waited for the first's registration").is_ok());
    }

    #[tokio::test]
    async fn a_row_read_before_a_change_does_not_undo_it() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, _) = crate::testing::ctx_with_session(dir.path()).await;
        let id = task.repository_id;
        let before = ctx.store.repository(id).await.unwrap();
        assert_eq!(open(&ctx, &before).await.unwrap().trust(), RemoteTrust::Operator);

        ctx.store.add_user("alice", UserRole::Member).await.unwrap();
        ctx.store.grant_repository(id, "alice").await.unwrap();
        let hooks = spectask_core::HookPolicy::Skip;
        assert_ne!(before.hooks, hooks);
        let change = spectask_store::SettingsChange { hooks: Some(hooks), ..Default::default() };
        ctx.store.change_repository_settings(id, "alice", &change).await.unwrap();
        let repo = open_id(&ctx, id).await.unwrap();
        assert_eq!((repo.trust(), repo.hooks()), (RemoteTrust::Member, git_hooks(hooks)));

        // A step that read the row before both changes opens the repository with it.
        let repo = open(&ctx, &before).await.unwrap();
        assert_eq!((repo.trust(), repo.hooks()), (RemoteTrust::Member, git_hooks(hooks)), "as changed");
    }
}
