//! The history recorder: commits acknowledged history entries from the database to the
//! design-docs branch in batches — when the oldest pending entry is older than the time window, on
//! milestones ([`flush_task`]), on request ([`flush_history`]) and on shutdown.
//!
//! Exactly once, across crashes and nodes: a recorder commits a repository's history only while it
//! holds that repository's recorder lease (a row in the database, renewed before every commit), and
//! every batch commit names the seqs it holds in a `History-Seqs` trailer. Before a batch, the
//! recorder reads the trailers of the design-docs commits made since the last commit it marked:
//! entries a crashed recorder committed but did not mark are marked then, never appended again.
//! The engine's recorder commits through the node's design-docs writer, beside the other parts
//! waiting for it, on the tip it reconciled against or on a later one no history commit reached.
//! What wakes it, and when it commits, is in `wakeups`.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use spectask_core::{HistoryEntry, RepositoryId, SpecTaskId};
use spectask_git::{CommitId, DesignDocsCommit, FileWrite, GitError, Repo, TaskHandle, Trailer};
use spectask_store::Store;

use crate::config::Node;
use crate::ctx::Ctx;
use crate::ctx::design_docs_writer::{AtTip, Contribution, Part, Writer};
use crate::history::history_text::{
    MAX_SEQ_TRAILER, SEQS_TRAILER, entry_path, entry_text, format_seqs, parse_seqs,
};
use crate::job_error::JobError;
use crate::repos::{Opening, local_repo};

/// Entries per commit at most.
const BATCH_LIMIT: i64 = 500;
/// Batches per flush at most, so one busy repository cannot hold the recorder forever.
const MAX_BATCHES: usize = 20;
/// How long a recorder lease lasts without renewal: the wait after a crashed holder.
const LEASE_TTL: Duration = Duration::from_secs(10);
/// How long a flush waits for another recorder's lease before giving up.
const LEASE_WAIT: Duration = Duration::from_secs(20);
/// Polling for another recorder's lease while waiting: from 50 ms, at most 1 s apart (plus jitter);
/// the total is the caller's wait.
const RECORDER_LEASE_WAIT: ExponentialBuilder = ExponentialBuilder::new()
    .with_jitter()
    .with_min_delay(Duration::from_millis(50))
    .with_max_delay(Duration::from_secs(1))
    .without_max_times();

/// One try at the recorder lease.
enum LeaseTry {
    /// Another recorder holds it.
    Held,
    Failed(spectask_store::StoreError),
}

/// One batch commit: its id, the entries it holds and the tasks they belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryCommit {
    pub commit: String,
    pub seqs: Vec<i64>,
    pub tasks: Vec<String>,
}

/// What a flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// New batch commits.
    pub commits: Vec<HistoryCommit>,
    /// Entries found already committed (by a recorder that died before marking them) and marked.
    pub reconciled: usize,
}

/// A milestone (a plan task completed, a session ended, a review): commits the task's repository's
/// pending history now.
pub(crate) async fn flush_task(ctx: &Ctx, task: SpecTaskId) -> Result<FlushReport, JobError> {
    let task = ctx.store.spec_task(task).await?;
    if ctx.store.pending_history_of_repository(task.repository_id, 1).await?.is_empty() {
        return Ok(FlushReport::default());
    }
    Ok(flush_within(&ctx.store, &ctx.config.here(), Some(ctx), task.repository_id, Duration::ZERO)
        .await?
        .unwrap_or_default())
}

/// Commits a repository's pending history now (waiting for another recorder's lease if need be).
pub async fn flush_history(
    store: &Store,
    node: &Node,
    repository: RepositoryId,
) -> Result<FlushReport, JobError> {
    flush_within(store, node, None, repository, LEASE_WAIT).await?.ok_or_else(|| {
        JobError::retry(format!("the history of repository {repository} is being committed elsewhere"))
    })
}

/// Commits a repository's pending history, waiting at most `wait` for another recorder's lease;
/// `None` when that recorder still holds it (it commits the entries). `kept`: the engine whose
/// open repositories the flush uses (see [`repo_for`]).
async fn flush_within(
    store: &Store,
    node: &Node,
    kept: Option<&Ctx>,
    repository: RepositoryId,
    wait: Duration,
) -> Result<Option<FlushReport>, JobError> {
    let owner = format!(
        "{}/{}/{}",
        node.name,
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    );
    let lease = || async {
        match store.acquire_recorder_lease(repository, &owner, LEASE_TTL).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(LeaseTry::Held),
            Err(e) => Err(LeaseTry::Failed(e)),
        }
    };
    match lease
        .retry(RECORDER_LEASE_WAIT.with_total_delay(Some(wait)))
        .when(|e| matches!(e, LeaseTry::Held))
        .await
    {
        Ok(()) => {}
        Err(LeaseTry::Held) => return Ok(None),
        Err(LeaseTry::Failed(e)) => return Err(e.into()),
    }
    let result = flush_leased(store, &owner, (node, kept), repository).await;
    if let Err(err) = store.release_recorder_lease(repository, &owner).await {
        tracing::warn!(%repository, %err, "releasing the recorder lease failed");
    }
    result.map(Some)
}

async fn flush_leased(
    store: &Store,
    owner: &str,
    (node, kept): (&Node, Option<&Ctx>),
    id: RepositoryId,
) -> Result<FlushReport, JobError> {
    let repository = store.repository(id).await?;
    let repo = repo_for(store, (node, kept), &repository).await?;
    // The engine's writer knows the commits it made: the reconcile reads those without git.
    let writer = kept.map(|ctx| ctx.design_docs.of(&repo));
    let mut report = FlushReport::default();
    let mut handles: HashMap<SpecTaskId, TaskHandle> = HashMap::new();
    for _ in 0..MAX_BATCHES {
        let pending = store.pending_history_of_repository(id, BATCH_LIMIT).await?;
        if pending.is_empty() {
            break;
        }
        let (pending, tip) = reconcile(store, (&repo, writer.as_ref()), id, pending, &mut report).await?;
        if pending.is_empty() {
            continue;
        }
        for entry in &pending {
            if !handles.contains_key(&entry.spec_task_id) {
                let task = store.spec_task(entry.spec_task_id).await?;
                let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
                handles.insert(task.id, name);
            }
        }
        let (commit, seqs, tasks) = batch(&pending, &handles)?;
        // Written while the lease surely holds: half its time from now, whatever waits before.
        let leased_until = Instant::now() + LEASE_TTL / 2;
        if !store.acquire_recorder_lease(id, owner, LEASE_TTL).await? {
            return Err(JobError::retry(format!("lost the recorder lease of repository {id}")));
        }
        // Never where another recorder (whose lease ran out mid-commit) may have added these
        // entries since the tip reconciled against: they would be appended twice. Then: look again.
        let written = match &writer {
            Some(writer) => through_writer(store, (&repo, writer), id, commit, (tip, leased_until)).await?,
            None => {
                let writer = repo.clone();
                match git(store, id, move || Ok(writer.commit_design_docs_on(&commit, tip))).await? {
                    Ok(commit_id) => Some(commit_id),
                    Err(GitError::ConcurrentUpdate { .. }) => None,
                    Err(err) => return git(store, id, move || Err(err)).await,
                }
            }
        };
        let Some(commit_id) = written.map(|c| c.to_string()) else { continue };
        store.mark_history_committed(&seqs, &commit_id).await?;
        tracing::debug!(repository = %id, commit = %commit_id, entries = seqs.len(), "history committed");
        report.commits.push(HistoryCommit { commit: commit_id, seqs, tasks });
    }
    Ok(report)
}

/// Commits a batch through the engine's design-docs writer for the repository, with whatever else
/// waits for it (progress ticks, task states): one commit, and no retry of theirs on a tip this
/// batch just moved. The batch goes on the tip `reconciled` against, or on a later one no history
/// commit reached meanwhile, and only while the recorder's lease surely holds (`leased_until`: it
/// may have waited for the writer); `None` when not (the lease is taken and the entries looked for
/// again).
async fn through_writer(
    store: &Store,
    (repo, writer): (&Repo, &Arc<Writer>),
    id: RepositoryId,
    batch: DesignDocsCommit,
    (reconciled, leased_until): (CommitId, Instant),
) -> Result<Option<CommitId>, JobError> {
    let look_again = Arc::new(AtomicBool::new(false));
    let not_written = look_again.clone();
    let knows = writer.clone();
    let part: Part = Box::new(move |draft| {
        let clear = Instant::now() < leased_until
            && (draft.tip == reconciled || no_history_between((draft.repo, &knows), reconciled, draft.tip));
        not_written.store(!clear, Ordering::SeqCst);
        if !clear {
            return Ok(AtTip::Nothing);
        }
        let DesignDocsCommit { message, trailers, writes } = batch.clone();
        Ok(AtTip::Write(Contribution { subject: message, trailers, writes }))
    });
    match writer.write(repo, part).await {
        Ok(_) if look_again.load(Ordering::SeqCst) => Ok(None),
        Ok(commit) => Ok(Some(commit)),
        Err(err) => {
            if let JobError::Fatal { .. } = &err {
                mark_attention(store, id, &err.to_string()).await;
            }
            Err(err)
        }
    }
}

/// Whether no design-docs commit after `reconciled` up to `tip` holds history entries (none that
/// another recorder made after the reconcile). One that cannot be read counts as holding some.
/// The writer's own commits are known without git.
fn no_history_between((repo, writer): (&Repo, &Writer), reconciled: CommitId, tip: CommitId) -> bool {
    if let Some(made) = writer.made_between(reconciled, tip) {
        return made.iter().all(|(_, trailers)| trailers.iter().all(|t| t.key() != SEQS_TRAILER));
    }
    match repo.commit_infos_between(Some(reconciled), tip) {
        Ok(commits) => commits.iter().all(|c| c.trailers.iter().all(|(key, _)| key != SEQS_TRAILER)),
        Err(err) => {
            tracing::warn!(%reconciled, %tip, %err, "cannot read the design-docs commits since the reconcile");
            false
        }
    }
}

/// Marks the pending entries a design-docs commit since the last marked one already holds, and
/// returns the others with the tip it looked at. The commits since the last marked one are the
/// `writer`'s own when it made each of them, else read with `git log`.
async fn reconcile(
    store: &Store,
    (repo, writer): (&Repo, Option<&Arc<Writer>>),
    id: RepositoryId,
    pending: Vec<HistoryEntry>,
    report: &mut FlushReport,
) -> Result<(Vec<HistoryEntry>, CommitId), JobError> {
    let last: Option<CommitId> = store.last_history_commit(id).await?.and_then(|c| c.parse().ok());
    let (reader, writer) = (repo.clone(), writer.cloned());
    let (tip, found) = git(store, id, move || {
        let Some(tip) = reader.branch_tip(reader.design_docs_branch())? else {
            return Err(GitError::BranchNotFound {
                repo: reader.root().to_path_buf(),
                branch: reader.design_docs_branch().to_owned(),
            });
        };
        let made = writer.zip(last).and_then(|(writer, from)| writer.made_between(from, tip));
        let found: Vec<(CommitId, Vec<i64>)> = match made {
            Some(made) => made
                .into_iter()
                .map(|(commit, trailers)| {
                    (commit, history_seqs(trailers.iter().map(|t| (t.key(), t.value()))))
                })
                .collect(),
            None => {
                // One `git log` for every commit since the last marked one, however many the
                // task's state mirror made meanwhile.
                let commits = match last.map(|from| reader.commit_infos_between(Some(from), tip)) {
                    Some(Ok(commits)) => commits,
                    // The last marked commit is gone (a rewrite a human accepted): read the whole branch.
                    Some(Err(_)) | None => reader.commit_infos_between(None, tip)?,
                };
                commits
                    .into_iter()
                    .map(|info| {
                        let seqs = history_seqs(info.trailers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                        (info.id, seqs)
                    })
                    .collect()
            }
        };
        Ok((tip, found.into_iter().filter(|(_, seqs)| !seqs.is_empty()).collect::<Vec<_>>()))
    })
    .await?;
    let mut open: BTreeSet<i64> = pending.iter().map(|e| e.seq).collect();
    for (commit, seqs) in found {
        let done: Vec<i64> = seqs.into_iter().filter(|s| open.remove(s)).collect();
        if !done.is_empty() {
            tracing::warn!(repository = %id, %commit, entries = done.len(), "history committed by an earlier recorder; marking it");
            store.mark_history_committed(&done, &commit.to_string()).await?;
            report.reconciled += done.len();
        }
    }
    Ok((pending.into_iter().filter(|e| open.contains(&e.seq)).collect(), tip))
}

/// The history entries a commit holds, by its `History-Seqs` trailers.
fn history_seqs<'a>(trailers: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<i64> {
    trailers.filter(|(key, _)| *key == SEQS_TRAILER).flat_map(|(_, value)| parse_seqs(value)).collect()
}

/// One commit appending `entries` (in seq order) to their files.
fn batch(
    entries: &[HistoryEntry],
    handles: &HashMap<SpecTaskId, TaskHandle>,
) -> Result<(DesignDocsCommit, Vec<i64>, Vec<String>), JobError> {
    let mut writes = Vec::with_capacity(entries.len());
    let mut tasks: Vec<(SpecTaskId, String)> = Vec::new();
    for entry in entries {
        let name = handles.get(&entry.spec_task_id).ok_or_else(|| {
            JobError::fatal(format!("task {} of history entry {} is unknown", entry.spec_task_id, entry.seq))
        })?;
        if !tasks.iter().any(|(id, _)| *id == entry.spec_task_id) {
            tasks.push((entry.spec_task_id, name.to_string()));
        }
        writes.push(FileWrite::append(entry_path(name, entry), entry_text(entry)));
    }
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    let subject = match tasks.as_slice() {
        [(_, name)] => format!("history({name}): {} entries", entries.len()),
        _ => format!("history: {} entries of {} tasks", entries.len(), tasks.len()),
    };
    let trailer = |k: &str, v: String| Trailer::new(k, v).map_err(JobError::fatal_from);
    let mut trailers = Vec::new();
    for (id, _) in &tasks {
        trailers.push(trailer("Spec-Task", id.to_string())?);
    }
    let max = seqs.iter().max().copied().unwrap_or_default();
    trailers.push(trailer(MAX_SEQ_TRAILER, max.to_string())?);
    trailers.push(trailer(SEQS_TRAILER, format_seqs(&seqs))?);
    let names = tasks.into_iter().map(|(_, name)| name).collect();
    Ok((DesignDocsCommit { message: subject, trailers, writes }, seqs, names))
}

/// This node's copy of the repository (registered again when git forgot it; see
/// [`crate::repos::local_repo`]).
pub(crate) async fn open_repo(
    store: &Store,
    clones_dir: Option<&Path>,
    repository: &spectask_core::Repository,
) -> Result<Repo, JobError> {
    let (row, clones_dir) = (repository.clone(), clones_dir.map(Path::to_path_buf));
    git(store, repository.id, move || local_repo(&row, clones_dir.as_deref(), Opening::Open)).await
}

/// The repository a recorder's write goes to: as the engine `kept` keeps it open (`repos::open`,
/// which opens it once per process), else opened for this write (a person's request to the server:
/// three git processes).
pub(crate) async fn repo_for(
    store: &Store,
    (node, kept): (&Node, Option<&Ctx>),
    repository: &spectask_core::Repository,
) -> Result<Repo, JobError> {
    match kept {
        Some(ctx) => crate::repos::open(ctx, repository).await,
        None => open_repo(store, node.clones_dir.as_deref(), repository).await,
    }
}

/// Runs git on the blocking pool; a rewritten design-docs branch marks the repository as needing
/// attention.
pub(crate) async fn git<T, F>(store: &Store, id: RepositoryId, f: F) -> Result<T, JobError>
where
    F: FnOnce() -> Result<T, GitError> + Send + 'static,
    T: Send + 'static,
{
    match crate::repos::blocking(f).await {
        Err(err @ JobError::Fatal { .. }) => {
            mark_attention(store, id, &err.to_string()).await;
            Err(err)
        }
        other => other,
    }
}

/// Marks the repository as needing attention, for `reason`.
async fn mark_attention(store: &Store, id: RepositoryId, reason: &str) {
    tracing::warn!(repository = %id, %reason, "the repository needs attention");
    if let Err(err) = store.set_repository_attention(id, Some(reason)).await {
        tracing::warn!(repository = %id, %err, "marking the repository failed");
    }
}

mod wakeups;

pub(crate) use self::wakeups::run;

#[cfg(test)]
mod tests;
