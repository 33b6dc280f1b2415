//! What a node holds of task branches that the remote lacks, taken up when the node starts: the
//! commits a run cut off by a crash made and never pushed. Nodes that share no disk see a task's
//! work only through the remote, so such a commit is pushed when it still can be (the remote's
//! branch is under it and no other node holds the task), and otherwise said in the task's
//! coordination log, naming this node and the commits, so that nobody takes the task's branch for
//! all of its work unknowingly.

use spectask_core::session::coordination::{HandoffData, HandoffStep};
use spectask_core::{CoordinationKind, Repository, SpecTaskId, WorkSessionId};
use spectask_git::UnpushedBranch;
use spectask_store::NewCoordination;

use crate::ctx::Ctx;
use crate::job_error::JobError;
use crate::repos;

/// Pushes or reports what this node's clones hold that their remotes lack (see the module docs).
/// Failures are logged: the next start looks again.
pub(crate) async fn push_held(ctx: &Ctx) {
    let repositories = match ctx.store.list_repositories().await {
        Ok(all) => all,
        Err(err) => {
            tracing::warn!(%err, "cannot list the repositories to push what this node holds");
            return;
        }
    };
    for repository in repositories.iter().filter(|r| r.remote_url.is_some()) {
        if let Err(err) = push_held_of(ctx, repository).await {
            tracing::warn!(repository = %repository.id, %err, "cannot push what this node holds of the repository");
        }
    }
}

async fn push_held_of(ctx: &Ctx, repository: &Repository) -> Result<(), JobError> {
    let clones = ctx.config.clones_dir.clone();
    let path = repos::local_path(repository, clones.as_deref());
    if !path.exists() {
        return Ok(());
    }
    let repo = repos::open(ctx, repository).await?;
    repos::fetch(&repo).await?;
    let listing = repo.clone();
    let held = repos::blocking(move || listing.unpushed_task_branches()).await?;
    for branch in held {
        let Some(task) = task_of(ctx, &branch).await? else {
            tracing::warn!(branch = %branch.task, "holds commits the remote lacks, of no known session");
            continue;
        };
        let node = &ctx.config.node;
        let ours =
            branch.fast_forward && ctx.store.acquire_task_lease(task, node, ctx.config.task_lease()).await?;
        let sessions = sessions_of(&branch);
        let message = if ours {
            let pushing = repo.clone();
            let name = branch.task.clone();
            let pushed = repos::blocking(move || pushing.push_task_branch(&name)).await;
            ctx.store.release_task_lease(task, node).await?;
            pushed?;
            format!(
                "node {node} pushed {} commit(s) of spectask/{} it held when it started again{sessions}",
                branch.commits.len(),
                branch.task
            )
        } else {
            format!(
                "node {node} holds {} commit(s) of spectask/{} that the remote lacks, at {}{sessions}: \
                 another node carried the task on meanwhile",
                branch.commits.len(),
                branch.task,
                branch.tip
            )
        };
        tracing::info!(task = %task, "{message}");
        let entry = NewCoordination {
            spec_task_id: task,
            kind: CoordinationKind::Handoff,
            from_session: None,
            to_session: None,
            message,
            data: HandoffData::from(if ours {
                HandoffStep::PushHeld { node: node.to_string(), tip: branch.tip.to_string() }
            } else {
                HandoffStep::HeldOnlyHere { node: node.to_string(), tip: branch.tip.to_string() }
            })
            .data(),
        };
        ctx.store.record_coordination_unless_logged(entry).await?;
    }
    Ok(())
}

/// The task of a branch's commits, by the first of their sessions the store knows.
async fn task_of(ctx: &Ctx, branch: &UnpushedBranch) -> Result<Option<SpecTaskId>, JobError> {
    for (_, session) in &branch.commits {
        let Some(id) = session.as_deref().and_then(|s| s.parse::<WorkSessionId>().ok()) else { continue };
        match ctx.store.work_session(id).await {
            Ok(session) => return Ok(Some(session.spec_task_id)),
            Err(spectask_store::StoreError::NotFound { .. }) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Ok(None)
}

/// ` (sessions a, b)`, naming the sessions of the branch's commits.
fn sessions_of(branch: &UnpushedBranch) -> String {
    let named: Vec<&str> = branch.commits.iter().filter_map(|(_, s)| s.as_deref()).collect();
    if named.is_empty() { String::new() } else { format!(" (sessions {})", named.join(", ")) }
}
