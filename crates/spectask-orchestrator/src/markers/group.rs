//! A node's ticks committed together: every tick waiting while one is being committed goes into the
//! next design-docs commit of its repository, so five sessions finishing at once cost two commits,
//! not five, and no tick waits behind four others.
//!
//! The first tick to get the writer takes every waiting tick with it (its own included) and
//! answers each; a tick answered meanwhile returns that answer. A writer dropped half-way (its job
//! cancelled) leaves the ticks it took unanswered, and their steps are retried.

use std::sync::{Arc, Mutex, PoisonError};

use spectask_core::RepositoryId;
use spectask_git::{CommitId, DesignDocsCommit, FileWrite, GitError, Repo, Trailer};
use tokio::sync::oneshot;

use crate::dispatch::JobError;
use crate::repos;

/// An edit of one document: `None` when it has nothing to change.
pub(super) type Edit = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One tick: edits of one task's progress.md and tasks.md.
pub(super) struct Tick {
    pub repository: RepositoryId,
    pub repo: Repo,
    pub task_id: String,
    /// The task's handle: its folder `specs/<handle>/` and the commit subject's scope.
    pub handle: String,
    /// What the subject says of it, e.g. `1.2 done`.
    pub label: String,
    pub edit: Edit,
}

struct Waiting {
    tick: Tick,
    answer: oneshot::Sender<Result<(), JobError>>,
}

/// This node's ticks waiting for their commit, and the one writer committing them.
#[derive(Default)]
pub(crate) struct Ticker {
    waiting: Mutex<Vec<Waiting>>,
    writer: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").finish_non_exhaustive()
    }
}

impl Ticker {
    /// Commits `tick`, together with whatever else waits, once it is this node's turn.
    pub(super) async fn tick(&self, tick: Tick) -> Result<(), JobError> {
        let (answer, mut answered) = oneshot::channel();
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner).push(Waiting { tick, answer });
        let writer = self.writer.lock().await;
        match answered.try_recv() {
            Ok(result) => return result,
            Err(oneshot::error::TryRecvError::Closed) => return Err(unanswered()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let batch = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(PoisonError::into_inner));
        let mut by_repository: Vec<(RepositoryId, Vec<Waiting>)> = Vec::new();
        for waiting in batch {
            match by_repository.iter_mut().find(|(id, _)| *id == waiting.tick.repository) {
                Some((_, group)) => group.push(waiting),
                None => by_repository.push((waiting.tick.repository, vec![waiting])),
            }
        }
        for (_, group) in by_repository {
            let (ticks, answers): (Vec<Tick>, Vec<_>) = group.into_iter().map(|w| (w.tick, w.answer)).unzip();
            let result = commit_group(Arc::new(ticks)).await;
            for answer in answers {
                // A tick whose step was dropped meanwhile no longer listens.
                let _ = answer.send(result.clone());
            }
        }
        drop(writer);
        answered.await.unwrap_or_else(|_| Err(unanswered()))
    }
}

fn unanswered() -> JobError {
    JobError::Retry("the writer committing this progress tick stopped before it was committed".into())
}

/// How often the ticks are made again on a branch that moved under them, before their steps are
/// retried.
const MAX_TICK_ATTEMPTS: usize = 20;

/// Commits the ticks of one repository in one design-docs commit (none when they change nothing).
///
/// The documents are read at the design-docs tip and the edits are committed only directly on that
/// tip: when anyone else (another node's tick, the history recorder) moved the branch in between,
/// the edits are made again on what they wrote, so no tick is overwritten.
async fn commit_group(ticks: Arc<Vec<Tick>>) -> Result<(), JobError> {
    for _ in 0..MAX_TICK_ATTEMPTS {
        let ticks = ticks.clone();
        match repos::blocking(move || commit_on_tip(&ticks)).await? {
            Ok(()) => return Ok(()),
            Err(moved) => tracing::debug!(%moved, "the design-docs branch moved under a tick; ticking again"),
        }
    }
    Err(JobError::Retry(format!(
        "the design-docs branch kept moving while progress was ticked ({MAX_TICK_ATTEMPTS} attempts)"
    )))
}

/// One try: `Ok(Err(_))` when the branch moved between the read and the commit.
fn commit_on_tip(ticks: &[Tick]) -> Result<Result<(), GitError>, GitError> {
    let Some(first) = ticks.first() else { return Ok(Ok(())) };
    let repo = &first.repo;
    let Some(tip) = repo.branch_tip(repo.design_docs_branch())? else {
        return Ok(Ok(()));
    };
    let mut tasks: Vec<(&str, &str, Vec<&Tick>)> = Vec::new();
    for tick in ticks {
        match tasks.iter_mut().find(|(id, _, _)| *id == tick.task_id) {
            Some((_, _, of_task)) => of_task.push(tick),
            None => tasks.push((&tick.task_id, &tick.handle, vec![tick])),
        }
    }
    let (mut writes, mut subjects, mut trailers) = (Vec::new(), Vec::new(), Vec::new());
    for (task_id, handle, of_task) in &tasks {
        let changed = edited_documents(repo, tip, handle, of_task)?;
        if changed.is_empty() {
            continue;
        }
        writes.extend(changed);
        let labels: Vec<&str> = of_task.iter().map(|t| t.label.as_str()).collect();
        subjects.push(format!("progress({handle}): {}", labels.join(", ")));
        trailers.push(Trailer::new("Spec-Task", *task_id)?);
    }
    if writes.is_empty() {
        return Ok(Ok(()));
    }
    let commit = DesignDocsCommit { message: subjects.join("; "), trailers, writes };
    // Read at `tip`, written only on `tip`: the documents cannot have changed in between.
    match repo.commit_design_docs_on(&commit, tip) {
        Ok(_) => Ok(Ok(())),
        Err(err @ GitError::ConcurrentUpdate { .. }) => Ok(Err(err)),
        Err(err) => Err(err),
    }
}

/// progress.md and tasks.md of the task `handle` at `tip` with every tick's edit applied in turn;
/// only the documents that change.
fn edited_documents(
    repo: &Repo,
    tip: CommitId,
    handle: &str,
    ticks: &[&Tick],
) -> Result<Vec<FileWrite>, GitError> {
    let mut writes = Vec::new();
    for name in ["progress.md", "tasks.md"] {
        let path = format!("specs/{handle}/{name}");
        let Some(bytes) = repo.read_file_at(tip, &path)? else { continue };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let edited =
            ticks.iter().fold(text.clone(), |current, tick| (tick.edit)(&current).unwrap_or(current));
        if edited != text {
            writes.push(FileWrite::put(path, edited.into_bytes()));
        }
    }
    Ok(writes)
}

#[cfg(test)]
impl Ticker {
    /// Holds the writer, as a tick being committed does.
    pub(crate) async fn hold_writer(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// Returns once `n` ticks wait for the writer.
    pub(crate) async fn until_waiting(&self, n: usize) {
        while self.waiting.lock().unwrap_or_else(PoisonError::into_inner).len() < n {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}
