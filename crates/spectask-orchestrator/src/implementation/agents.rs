//! Agents for a task: which profile, which worktree, which live instance (on the node holding the
//! task's lease).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use spectask_agent::{AgentInstance, AgentProfile, Workspace};
use spectask_core::session::coordination::{HandoffData, HandoffStep};
use spectask_core::{SpecTask, SpecTaskId, SpecTaskStatus, WorkSession};
use spectask_git::{Repo, TaskHandle};
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::job_error::JobError;
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
            JobError::fatal(
                "no implementation agent: set one on the task or [orchestrator] default_implementation_agent",
            )
        })?;
    ctx.profiles.get(&name).cloned().map_err(JobError::fatal_from)
}

/// The task's worktree, opened by its repository's id (what tests set up).
#[cfg(test)]
pub(crate) async fn worktree(ctx: &Ctx, task: &SpecTask) -> Result<PathBuf, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    worktree_in(ctx, &repo, task).await
}

/// The task's worktree (`spectask/<task>` checked out at `.git-worktrees/<task>`) in its
/// repository `repo`, made on first use.
pub(crate) async fn worktree_in(ctx: &Ctx, repo: &Repo, task: &SpecTask) -> Result<PathBuf, JobError> {
    Ok(task_worktree(ctx, repo, task).await?.path)
}

/// [`worktree_in`], saying whether this node made the worktree just now. What this node held of
/// the task that the remote's branch went past (another node carried the task on meanwhile) is set
/// aside, and said in the task's coordination log.
pub(crate) async fn task_worktree(
    ctx: &Ctx,
    repo: &Repo,
    task: &SpecTask,
) -> Result<spectask_git::TaskWorktree, JobError> {
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let repo = repo.clone();
    let made = repos::blocking(move || {
        // A repository registered by URL: a new task branch starts from what the team has now,
        // and a task another node worked on carries on from what it pushed. Out of reach, the
        // remote does not stop a task this node has the branch of.
        if repo.remote().is_some()
            && let Err(error) = repo.fetch()
        {
            if repo.branch_tip(&name.branch())?.is_none() {
                return Err(error);
            }
            tracing::warn!(task = %name, %error, "could not fetch; the task goes on from its local branch");
        }
        repo.ensure_task_worktree(&name)
    })
    .await?;
    if let Some(aside) = &made.set_aside {
        let held = match (aside.commits, aside.uncommitted) {
            (0, _) => "uncommitted changes".to_owned(),
            (n, false) => format!("{n} commit(s) the remote lacks"),
            (n, true) => format!("{n} commit(s) the remote lacks and uncommitted changes"),
        };
        let message = format!(
            "node {} held {held} of {} from before another node carried the task on; kept at {} there",
            ctx.config.node, made.branch, aside.kept_at
        );
        let entry = spectask_store::NewCoordination {
            spec_task_id: task.id,
            kind: spectask_core::CoordinationKind::Handoff,
            from_session: None,
            to_session: None,
            message,
            data: HandoffData::from(HandoffStep::SetAside {
                node: ctx.config.node.clone(),
                kept_at: aside.kept_at.to_string(),
            })
            .data(),
        };
        ctx.store.record_coordination_unless_logged(entry).await?;
    }
    Ok(made)
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
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
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

/// Starts the task's agent instance on this node in the background, unless it lives already: the
/// first sessions' drives find it started (or starting) instead of each waiting for the agent's
/// start after its session was scheduled. Failures are left to those drives, which report them. The
/// start is given up when `stop` is cancelled (the node stops).
pub(crate) fn warm_up(ctx: &Ctx, task: &SpecTask, stop: &CancellationToken) {
    let Some(name) =
        task.implementation_agent.clone().or_else(|| ctx.config.default_implementation_agent.clone())
    else {
        return;
    };
    let (ctx, task, stop) = (ctx.clone(), task.clone(), stop.clone());
    tokio::spawn(async move {
        let started = async {
            let profile = ctx.profiles.get(&name).cloned().map_err(JobError::fatal_from)?;
            let repo = repos::open_id(&ctx, task.repository_id).await?;
            let worktree = worktree_in(&ctx, &repo, &task).await?;
            instance(&ctx, &task, &profile, &workspace_in(&repo, worktree, None)).await
        };
        let started = tokio::select! {
            started = started => started,
            () = stop.cancelled() => return,
        };
        if let Err(err) = started {
            tracing::debug!(task = %task.id, %err, "the agent was not started ahead of the first sessions");
        }
    });
}

/// Takes (or renews) the task's lease for this node: its agent instance lives here. A lease this node
/// took less than half its length ago is held still (no other node can have it before it lapses), and
/// is not written again.
pub(crate) async fn lease(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let ttl = ctx.config.task_lease();
    if ctx.leases.fresh(task.id, ttl / 2) {
        return Ok(());
    }
    let asked = Instant::now();
    let ours = ctx.store.acquire_task_lease(task.id, &ctx.config.node, ttl).await?;
    if !ours {
        ctx.leases.forget(task.id);
        return Err(JobError::retry(format!("task {} is held by another node", task.handle())));
    }
    ctx.leases.hold_until(task.id, asked + ttl);
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
        spectask_agent::SessionOutcome::Interrupted => JobError::retry_from(e),
        spectask_agent::SessionOutcome::Failed => JobError::fatal_from(e),
    })
}

/// Stops the task's agent and gives up its lease (the StopAgents step); a task that ended (done,
/// cancelled, rejected) also has its worktree removed.
pub(crate) async fn stop_and_clean(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    stop(ctx, id).await?;
    let task = ctx.store.spec_task(id).await?;
    if task.status().is_terminal() {
        remove_worktree(ctx, &task).await?;
    }
    Ok(())
}

/// Stops the task's agent and gives up its lease.
pub(crate) async fn stop(ctx: &Ctx, task: spectask_core::SpecTaskId) -> Result<(), JobError> {
    ctx.runtime.stop(task).await;
    ctx.leases.forget(task);
    ctx.store.release_task_lease(task, &ctx.config.node).await?;
    Ok(())
}

/// Removes the worktree of a task that ended. Its branch is kept (merged, for a pull request, or as
/// the record of a cancelled task's work), unless the repository's policy deletes merged ones and
/// the default branch holds it: then it goes, here and on the remote. A review task's branch always
/// goes. A worktree holding
/// uncommitted work, or a branch with commits the default branch lacks, is left in place, and said
/// so in the log: nothing is lost.
async fn remove_worktree(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    // A review task's branch only ever pointed at the code it reviewed (its agent commits
    // nothing, and it is never pushed): it goes with the worktree, here.
    let review = task.review_target.is_some();
    let delete_merged = !review
        && repository.task_branches == spectask_core::TaskBranchPolicy::DeleteMerged
        && repository.merge_policy != spectask_core::MergePolicy::KeepBranch
        && task.status() == spectask_core::SpecTaskStatus::Done;
    let removing = repo.clone();
    let removed = tokio::task::spawn_blocking(move || {
        let options = spectask_git::RemoveOptions { force: review };
        let removal = removing.remove_task(&name, review || delete_merged, options)?;
        // Also after a rerun whose first try deleted the local branch only.
        if delete_merged && removing.branch_tip(&name.branch())?.is_none() {
            removing.delete_remote_branch(&name.branch())?;
        }
        Ok::<_, spectask_git::GitError>(removal)
    })
    .await
    .map_err(|e| JobError::retry(format!("git operation panicked or was cancelled: {e}")))?;
    match removed {
        Ok(removal) => {
            if removal.worktree_removed {
                tracing::info!(task = %task.handle(), "removed the worktree of a task that ended");
            }
            if removal.branch_deleted {
                tracing::info!(task = %task.handle(), "deleted the merged branch of a task that ended");
            }
        }
        Err(
            err @ (spectask_git::GitError::UncommittedChanges { .. }
            | spectask_git::GitError::UnmergedCommits { .. }),
        ) => {
            tracing::warn!(task = %task.handle(), %err, "kept the worktree and branch of a task that ended");
        }
        Err(err) => return Err(repos::git_error(err)),
    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::{Backend, Fixture};

    /// A drive takes the task's lease with a write only when this node's lease has less than half its
    /// length left: not at every session. A lease another node holds is never taken, and a lease given
    /// up is taken again.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_held_lease_is_not_written_again_at_every_drive() {
        let f = Fixture::new(Backend::Sqlite).await;
        let task = f.task_in_implementation().await;
        let trips = || spectask_store::testing::round_trips(f.store());
        let before = trips();
        lease(&f.ctx, &task).await.unwrap();
        assert_eq!(trips() - before, 1, "the first drive takes the lease");
        let before = trips();
        lease(&f.ctx, &task).await.unwrap();
        lease(&f.ctx, &task).await.unwrap();
        assert_eq!(trips() - before, 0, "a fresh lease of this node is not written again");
        f.ctx.leases.forget(task.id);
        f.store().release_task_lease(task.id, &f.ctx.config.node).await.unwrap();
        assert!(
            f.store().acquire_task_lease(task.id, "another node", f.ctx.config.task_lease()).await.unwrap()
        );
        let refused = lease(&f.ctx, &task).await;
        assert!(
            matches!(refused, Err(JobError::Retry { reason: ref m, .. }) if m.contains("another node")),
            "{refused:?}"
        );
        assert!(!f.ctx.leases.fresh(task.id, Duration::ZERO), "a refused lease is not held");
    }
}
