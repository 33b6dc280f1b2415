//! Agents for a task: which profile, which worktree, which live instance (on the node holding the
//! task's lease).

use std::path::PathBuf;
use std::sync::Arc;

use spectask_agent::{AgentInstance, AgentProfile, Workspace};
use spectask_core::{SpecTask, SpecTaskStatus, WorkSession};
use spectask_git::{Repo, TaskHandle};

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::repos;

/// The profile serving a session: its own, else its task's, else the default.
pub(crate) fn implementation_profile(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<AgentProfile, JobError> {
    let name = session
        .agent_profile
        .clone()
        .or_else(|| task.implementation_agent.clone())
        .or_else(|| ctx.config.default_implementation_agent.clone())
        .ok_or_else(|| {
            JobError::Fatal(
                "no implementation agent: set one on the task or [orchestrator] default_implementation_agent"
                    .into(),
            )
        })?;
    ctx.profiles.get(&name).cloned().map_err(|e| JobError::Fatal(e.to_string()))
}

/// The task's worktree, opened by its repository's id (what tests set up).
#[cfg(test)]
pub(crate) async fn worktree(ctx: &Ctx, task: &SpecTask) -> Result<PathBuf, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    worktree_in(&repo, task).await
}

/// The task's worktree (`spectask/<task>` checked out at `.git-worktrees/<task>`) in its
/// repository `repo`, made on first use.
pub(crate) async fn worktree_in(repo: &Repo, task: &SpecTask) -> Result<PathBuf, JobError> {
    let repo = repo.clone();
    let name = TaskHandle::new(task.handle()).map_err(|e| JobError::Fatal(e.to_string()))?;
    Ok(repos::blocking(move || repo.ensure_task_worktree(&name)).await?.path)
}

/// Where the task's agent works, for its sandbox: the worktree, with the repository (main checkout
/// and git directory) readable; `output` is a planning agent's only writable folder.
pub(crate) async fn workspace(
    ctx: &Ctx,
    task: &SpecTask,
    worktree: PathBuf,
    output: Option<PathBuf>,
) -> Result<Workspace, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    Ok(workspace_in(&repo, worktree, output))
}

/// [`workspace`] in the task's repository `repo`.
pub(crate) fn workspace_in(repo: &Repo, worktree: PathBuf, output: Option<PathBuf>) -> Workspace {
    Workspace { worktree, read: vec![repo.root().to_path_buf(), repo.git_dir().to_path_buf()], output }
}

/// Files changed in the task's worktree and not committed yet.
pub(crate) async fn uncommitted(ctx: &Ctx, task: &SpecTask) -> Result<Vec<String>, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = TaskHandle::new(task.handle()).map_err(|e| JobError::Fatal(e.to_string()))?;
    repos::blocking(move || repo.task_uncommitted(&name)).await
}

/// The task's agent instance on this node, after taking the task's lease.
pub(crate) async fn instance(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    workspace: &Workspace,
) -> Result<Arc<AgentInstance>, JobError> {
    lease(ctx, task).await?;
    leased_instance(ctx, task, profile, workspace).await
}

/// Takes (or renews) the task's lease for this node: its agent instance lives here.
pub(crate) async fn lease(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let ours = ctx.store.acquire_task_lease(task.id, &ctx.config.node, ctx.config.task_lease()).await?;
    if !ours {
        return Err(JobError::Retry(format!("task {} is held by another node", task.handle())));
    }
    Ok(())
}

/// The task's agent instance on this node, whose lease this node took ([`lease`]).
pub(crate) async fn leased_instance(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    workspace: &Workspace,
) -> Result<Arc<AgentInstance>, JobError> {
    ctx.runtime.instance(task.id, profile, workspace).await.map_err(|e| match e.session_outcome() {
        spectask_agent::SessionOutcome::Interrupted => JobError::Retry(e.to_string()),
        spectask_agent::SessionOutcome::Failed => JobError::Fatal(e.to_string()),
    })
}

/// Stops the task's agent (the StopAgents step) and gives up its lease.
pub(crate) async fn stop(ctx: &Ctx, task: spectask_core::SpecTaskId) -> Result<(), JobError> {
    ctx.runtime.stop(task).await;
    ctx.store.release_task_lease(task, &ctx.config.node).await?;
    Ok(())
}

/// Stops this node's agents of tasks that no longer need one (in review or ended) and gives up
/// their leases. The step that ends a task's work (summarize, StopAgents) runs on any node and
/// stops only that node's agent; an agent living on another node is stopped here, by its own node,
/// before it holds a slot of `max_live_agents` that sessions of other tasks wait for.
pub(crate) async fn stop_finished(ctx: &Ctx) {
    for id in ctx.runtime.live_tasks().await {
        let status = match ctx.store.spec_task(id).await {
            Ok(task) => task.status(),
            Err(err) => {
                tracing::warn!(task = %id, %err, "cannot read the task of a live agent");
                continue;
            }
        };
        let ended = status.is_terminal()
            || matches!(status, SpecTaskStatus::ImplementationReview | SpecTaskStatus::Failed);
        if ended {
            tracing::debug!(task = %id, %status, "stopping the agent of a task that no longer needs it");
            if let Err(err) = stop(ctx, id).await {
                tracing::warn!(task = %id, %err, "cannot give up the lease of a stopped agent");
            }
        }
    }
}
