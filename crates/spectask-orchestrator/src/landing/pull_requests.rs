//! Hand-off through the forge, for a repository whose merge policy is `pull_request`.
//!
//! Approval moves the task to `pull_request` with the OpenPullRequest step ([`open`]): the task
//! branch and the design-docs branch are pushed, and the task's pull request is opened on the
//! forge the repository's remote URL names (or found: a rerun, or one a person opened, is taken
//! up rather than doubled). Then [`watch`] reads each open pull request every `poll_seconds` of
//! its forge, on whichever node claims the reading first: merged → the task is done and its clone
//! takes up the remote's default branch ([`take_up_merge`]); closed without merging → back to
//! implementation review, where the person approves again (a new pull request) or cancels. A
//! forge that is down, rate limiting or refusing is recorded on the pull request with the time,
//! and read again later: it never moves the task.

use std::time::Duration;

use spectask_core::session::coordination::{HandoffData, HandoffStep, PullRequestEvent, PullRequestHandoff};
use spectask_core::{
    CoordinationKind, PullRequestState, Repository, SpecTask, SpecTaskCommand, SpecTaskId, SpecTaskStatus,
    TaskPullRequest,
};
use spectask_forge::{Forge, ForgeClient, ForgeError, ForgeRepo, NewPullRequest};

mod feedback;
mod merging;
mod said;

pub(crate) use feedback::return_fix;
use spectask_store::{NewCoordination, PullRequestReading};
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::job_error::JobError;
use crate::repos;

/// The OpenPullRequest step. While the forge asks to wait (its rate limit), the task says so in
/// its log and the step comes back at the time the forge named.
pub(crate) async fn open(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let result = open_or_take_up(ctx, id).await;
    if let Err(JobError::Wait { reason, .. }) = &result {
        let message = format!("the pull request waits for the forge: {reason}");
        ctx.store.record_coordination_unless_logged(waiting(id, message)).await?;
    }
    result
}

async fn open_or_take_up(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::PullRequest {
        return Ok(());
    }
    let repository = ctx.store.repository(task.repository_id).await?;
    let (forge, forge_repo) = forge_of(ctx, &repository)?;
    let repo = repos::open(ctx, &repository).await?;
    // Fetched, and the task branch here holds what any node pushed of it.
    let worktree = crate::implementation::agents::worktree_in(ctx, &repo, &task).await?;
    let branch = format!("spectask/{}", task.handle());
    repos::push(&repo, vec![branch.clone(), repo.design_docs_branch().to_owned()]).await?;

    let client = ForgeClient::new(forge);
    let base = repository.default_branch.clone();
    let found = client.find_pull_request(&forge_repo, &branch, &base).await.map_err(forge_error)?;
    // An open or merged one is this task's hand-off already; a closed one was turned down.
    let found = match found.filter(|p| p.state != spectask_forge::PullRequestState::Closed) {
        Some(found) => Some(found),
        None => merged_meanwhile(ctx, &client, &task, forge, &forge_repo).await?,
    };
    let (pull_request, opened) = match found {
        Some(found) => (found, false),
        None => {
            let new = NewPullRequest {
                title: task.title.clone(),
                body: said::body(
                    ctx,
                    &client,
                    &task,
                    forge,
                    &forge_repo,
                    (repo.design_docs_branch(), &[worktree.as_path(), repo.root()]),
                )
                .await?,
                head: branch.clone(),
                base: base.clone(),
                draft: false,
            };
            (client.open_pull_request(&forge_repo, &new).await.map_err(forge_error)?, true)
        }
    };
    // A fix pushed to a pull request a reviewer asked changes on is answered there, once: the
    // hand-off entry logged below is the last of its step from then on.
    let log = ctx.store.coordination_of_kind(task.id, CoordinationKind::Handoff).await?;
    let fixing = log
        .iter()
        .rev()
        .filter_map(HandoffData::of)
        .find_map(|e| e.pull_request().cloned())
        .and_then(|e| e.fix());
    if let (false, Some(answers)) = (opened, fixing) {
        // None in an entry whose decision predates what it answers: answers nobody by name.
        let said = said::pushed(&pull_request.head_sha, &answers, &task.handle());
        client.comment_on_pull_request(&forge_repo, pull_request.number, &said).await.map_err(forge_error)?;
    }
    let now = chrono::Utc::now();
    let record = TaskPullRequest {
        spec_task_id: task.id,
        forge: forge.name.clone(),
        repository: forge_repo.to_string(),
        number: pull_request.number,
        url: pull_request.url.clone(),
        state: state(pull_request.state),
        head_sha: pull_request.head_sha.clone(),
        opened_at: now,
        checked_at: now,
        check_error: None,
        checks: Vec::new(),
        reviews: Vec::new(),
    };
    ctx.store.record_pull_request(&record, first_reading(forge)).await?;
    let verb = if opened { "opened" } else { "took up" };
    ctx.store
        .record_coordination_unless_logged(handoff(
            task.id,
            pull_request.number,
            format!(
                "{verb} {} on {} ({branch} into {base}, at {}): {}",
                forge.kind.pull_request_name(pull_request.number),
                forge.name,
                pull_request.head_sha.get(..10).unwrap_or(&pull_request.head_sha),
                pull_request.url
            ),
            PullRequestEvent::Opened { url: pull_request.url.clone() },
        ))
        .await?;
    // Merged already (a reading merged it while this step waited its turn): the watch reads only
    // open pull requests, so the merge is taken up here.
    if record.state == PullRequestState::Merged {
        let task = ctx.store.spec_task(task.id).await?;
        let message =
            format!("{} merged on {}: done", forge.kind.pull_request_name(record.number), record.forge);
        let entry = handoff(task.id, record.number, message, PullRequestEvent::State { state: record.state });
        ctx.store.transition_spec_task_logged(&task, &SpecTaskCommand::PullRequestMerged, entry).await?;
    }
    Ok(())
}

/// The task's recorded pull request on this forge repository, when the forge says it merged: a
/// reading merged it while the step waited its turn, and a lookup by branch may not find a merged
/// one (Forgejo's finds the oldest between two branches).
async fn merged_meanwhile(
    ctx: &Ctx,
    client: &ForgeClient,
    task: &SpecTask,
    forge: &Forge,
    repo: &ForgeRepo,
) -> Result<Option<spectask_forge::PullRequest>, JobError> {
    let Some(recorded) = ctx.store.pull_request_of(task.id).await? else { return Ok(None) };
    if recorded.forge != forge.name || recorded.repository != repo.to_string() {
        return Ok(None);
    }
    let found = client.pull_request(repo, recorded.number).await.map_err(forge_error)?;
    Ok((found.state == spectask_forge::PullRequestState::Merged).then_some(found))
}

/// The TakeUpMerge step: the forge merged the task's pull request; this node's clone takes up
/// the remote's default branch, so the next task starts from it, and the issue the task was
/// imported from is closed, saying where it was done.
pub(crate) async fn take_up_merge(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    repos::fetch(&repo).await?;
    close_issue(ctx, &task).await
}

/// Closes the task's issue, once, telling it which pull request did the work.
async fn close_issue(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let Some(issue) = ctx.store.issue_of(task.id).await?.filter(|i| !i.closed) else { return Ok(()) };
    let Some(forge) = ctx.config.forges.named(&issue.forge) else {
        return Err(JobError::fatal(format!(
            "the issue of task {} is on forge {}, which the configuration no longer names",
            task.handle(),
            issue.forge
        )));
    };
    let Ok(repo) = issue.repository.parse::<ForgeRepo>() else { return Ok(()) };
    let client = ForgeClient::new(forge);
    let done = match ctx.store.pull_request_of(task.id).await? {
        Some(pr) => format!("Done in {} (spec task `{}`).", pr.url, task.handle()),
        None => format!("Done (spec task `{}`).", task.handle()),
    };
    client.comment_on_issue(&repo, issue.number, &done).await.map_err(forge_error)?;
    client.close_issue(&repo, issue.number).await.map_err(forge_error)?;
    ctx.store.mark_issue_closed(task.id).await?;
    Ok(())
}

/// Reads the open pull requests due, on every forge, until `shutdown`; see the module docs.
pub(crate) async fn watch(ctx: Ctx, shutdown: CancellationToken) {
    let Some(shortest) = ctx.config.forges.iter().map(|f| f.poll_interval).min() else { return };
    let tick = (shortest / 2).clamp(Duration::from_millis(100), Duration::from_secs(15));
    // When each forge's labelled issues were last read by this node.
    let mut synced: std::collections::HashMap<String, std::time::Instant> = Default::default();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
        for forge in ctx.config.forges.iter() {
            // While the forge asks to wait, its issues are not read (its pull requests' readings
            // say the wait on their tasks).
            let held = forge.usage().limited_until.is_some();
            if !held && synced.get(&forge.name).is_none_or(|at| at.elapsed() >= forge.poll_interval) {
                synced.insert(forge.name.clone(), std::time::Instant::now());
                if let Err(err) = crate::landing::issues::sync_labelled(&ctx.store, forge).await {
                    tracing::warn!(forge = forge.name, %err, "cannot take up labelled issues");
                }
            }
            let due = match ctx.store.claim_pull_request_checks(&forge.name, forge.poll_interval).await {
                Ok(due) => due,
                Err(err) => {
                    tracing::warn!(forge = forge.name, %err, "cannot claim pull request readings");
                    continue;
                }
            };
            for pull_request in due {
                if let Err(err) = read(&ctx, forge, &pull_request).await {
                    tracing::warn!(task = %pull_request.spec_task_id, %err, "reading a pull request failed");
                }
            }
        }
    }
}

/// Reads one pull request and moves its task when the forge says it merged or closed.
async fn read(ctx: &Ctx, forge: &Forge, pull_request: &TaskPullRequest) -> Result<(), JobError> {
    let repo: ForgeRepo = pull_request.repository.parse().map_err(JobError::fatal)?;
    // A connection whose `repositories` no longer name it reads it no more: the reading fails,
    // saying so on the task, and nothing moves.
    let served = match forge.serves(&repo) {
        true => reading(forge, &repo, pull_request.number).await,
        false => Err(ForgeError::Config {
            forge: forge.name.clone(),
            message: format!(
                "serves {}, not {repo}: its repositories in the configuration decide",
                forge.serving()
            ),
        }),
    };
    let (reading, said) = match served {
        Ok((reading, said)) => (reading, Some(said)),
        Err(err) => match err.rate_limited_until() {
            Some(until) => (PullRequestReading::Waiting { error: err.to_string(), until }, None),
            None => (PullRequestReading::Failed { error: err.to_string() }, None),
        },
    };
    let task_id = pull_request.spec_task_id;
    let Some(now) = ctx
        .store
        .record_pull_request_reading(task_id, pull_request.number, &reading, forge.poll_interval)
        .await?
    else {
        return Ok(());
    };
    let (command, message) = match now.state {
        PullRequestState::Open => {
            // A failed reading moves nothing.
            if let Some(said) = said
                && !feedback::send_back(ctx, forge, &now, &said.items).await?
            {
                merging::when_green(ctx, forge, &repo, &now).await?;
            }
            return Ok(());
        }
        PullRequestState::Merged => (
            SpecTaskCommand::PullRequestMerged,
            format!("{} merged on {}: done", forge.kind.pull_request_name(now.number), now.forge),
        ),
        PullRequestState::Closed => (
            SpecTaskCommand::PullRequestClosed,
            format!(
                "{} was closed on {} without merging: back to implementation review \
                 (approve again to open a new one, or cancel)",
                forge.kind.pull_request_name(now.number),
                now.forge
            ),
        ),
    };
    let task = ctx.store.spec_task(task_id).await?;
    if task.status() != SpecTaskStatus::PullRequest {
        return Ok(());
    }
    let entry = handoff(task_id, now.number, message, PullRequestEvent::State { state: now.state });
    ctx.store.transition_spec_task_logged(&task, &command, entry).await?;
    Ok(())
}

/// The forge's word on pull request `number`: its state, head, the head's checks and the
/// reviewers' verdicts; and what people said on it.
async fn reading(
    forge: &Forge,
    repo: &ForgeRepo,
    number: u64,
) -> Result<(PullRequestReading, spectask_forge::PullRequestFeedback), ForgeError> {
    let read = ForgeClient::new(forge).read_pull_request(repo, number).await?;
    let said = read.feedback;
    let reading = PullRequestReading::Read {
        state: state(read.pull_request.state),
        head_sha: read.pull_request.head_sha,
        checks: read.checks.into_iter().map(feedback::check).collect(),
        reviews: said.reviewers.iter().map(feedback::review).collect(),
    };
    Ok((reading, said))
}

/// A hand-off entry of the task's pull request `number`: `step` `pull_request`, its number, and
/// what happened.
fn handoff(task: SpecTaskId, number: u64, message: String, event: PullRequestEvent) -> NewCoordination {
    handoff_entry(task, message, HandoffStep::PullRequest(PullRequestHandoff { number, event }))
}

/// A hand-off entry of the pull request step saying what it waits for. Not `step: pull_request`:
/// the step's own entries say what it did (a fix pushed, …).
fn waiting(task: SpecTaskId, message: String) -> NewCoordination {
    handoff_entry(task, message, HandoffStep::ForgeWait)
}

fn handoff_entry(task: SpecTaskId, message: String, step: HandoffStep) -> NewCoordination {
    NewCoordination {
        spec_task_id: task,
        kind: CoordinationKind::Handoff,
        from_session: None,
        to_session: None,
        message,
        data: HandoffData::from(step).data(),
    }
}

/// The forge connection the repository's remote URL names, and the repository there.
fn forge_of<'a>(ctx: &'a Ctx, repository: &Repository) -> Result<(&'a Forge, ForgeRepo), JobError> {
    let url = repository.remote_url.as_deref().ok_or_else(|| {
        JobError::fatal(format!(
            "repository {} was registered by path: a pull request needs one registered by URL",
            repository.path.display()
        ))
    })?;
    ctx.config.forges.for_remote(url).ok_or_else(|| match ctx.config.forges.on_host_of(url) {
        Some((forge, repo)) => JobError::fatal(format!(
            "forge connection {} serves {}, not {repo}: its repositories in the configuration decide",
            forge.name,
            forge.serving()
        )),
        None => JobError::fatal(format!(
            "no forge connection names the host of {url}: add a [forges.<name>] table with its host \
             to the configuration"
        )),
    })
}

/// When a pull request opened now is first read: soon, so a quick merge is seen quickly.
fn first_reading(forge: &Forge) -> Duration {
    forge.poll_interval.min(Duration::from_secs(5))
}

fn state(state: spectask_forge::PullRequestState) -> PullRequestState {
    match state {
        spectask_forge::PullRequestState::Open => PullRequestState::Open,
        spectask_forge::PullRequestState::Closed => PullRequestState::Closed,
        spectask_forge::PullRequestState::Merged => PullRequestState::Merged,
    }
}

/// What the forge of the task's pull request calls it: `pull request #7` (GitLab's `merge request
/// !7`); the forge named by the record, `pull request #7` when the configuration names it no more.
pub(super) fn name_on(ctx: &Ctx, forge: &str, number: u64) -> String {
    let kind = ctx.config.forges.named(forge).map_or(spectask_forge::ForgeKind::GitHub, |f| f.kind);
    kind.pull_request_name(number)
}

/// A forge's failure as the step's: a rate limit waits for the time the forge named, uncounted;
/// another failure that may pass by itself is worth another try.
pub(super) fn forge_error(err: ForgeError) -> JobError {
    match err.rate_limited_until() {
        Some(until) => JobError::Wait { reason: err.to_string(), until },
        None if err.is_transient() => JobError::retry_from(err),
        None => JobError::fatal_from(err),
    }
}
