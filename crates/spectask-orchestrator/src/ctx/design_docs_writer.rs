//! One design-docs writer per node and repository (the node's [`Writers`], in the engine's context):
//! what this node commits to a repository's design-docs branch is handed to it as parts, and every
//! part waiting while one commit is being made goes into the next one, so nobody on this node
//! retries on a tip another writer of the same node just moved. The progress ticks, the review
//! agent's reports, the task states (`history::mirror`) and the engine's recorder's history
//! batches go through it; the implementation's closing summary still commits on its own, and a
//! person's request (to commit a task's progress, or its history) writes through a writer of its
//! own.
//!
//! Each part is made at the tip its commit goes on (a tick edits the documents as they are there,
//! with the edits of the parts before it in the same commit), and the commit is made only directly
//! on that tip. When someone else moves the branch in between — another node (several servers on
//! PostgreSQL), an agent's or a person's own `git commit` — every part is made again on the new tip.
//!
//! The first part to get the writer takes every waiting part with it (its own included) and answers
//! each; a part answered meanwhile returns that answer. A part that cannot be made is answered
//! with its error, and the others are committed without it. A writer dropped half-way (its job
//! cancelled) leaves the parts it took unanswered, and their callers retry.
//!
//! The writer remembers the commit it made last and the documents it wrote there (without a
//! remote, where the commit is exactly what it made): the next commit goes on that tip, its parts
//! reading those documents without git. A tip someone else moved meanwhile is found by the commit,
//! which goes only on the tip it was made at; parts that change nothing are answered only once the
//! tip is read again and found unmoved.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use spectask_git::{CommitId, DesignDocsCommit, FileWrite, GitError, Repo, Trailer};
use tokio::sync::oneshot;

use crate::job_error::JobError;

/// How often the parts are made again on a branch someone else moved under them, before their
/// callers are told to retry.
const MAX_ATTEMPTS: usize = 20;

/// What one part adds to a commit.
#[derive(Debug)]
pub(crate) struct Contribution {
    /// Its subject, e.g. `progress(7f3a-login): 1.2 done`; a commit of several joins them with `; `.
    pub subject: String,
    pub trailers: Vec<Trailer>,
    pub writes: Vec<FileWrite>,
}

/// What a part makes of the tip the next commit goes on.
#[derive(Debug)]
pub(crate) enum AtTip {
    Write(Contribution),
    /// It has nothing to change there.
    Nothing,
}

/// The tip a commit goes on, with what the parts before this one write (`Put`s), so that two
/// parts editing the same file both count, and the files known at the tip (the writer's last
/// commit's).
pub(crate) struct CommitDraft<'a> {
    pub repo: &'a Repo,
    pub tip: CommitId,
    puts: &'a BTreeMap<String, Vec<u8>>,
    known: &'a BTreeMap<String, Vec<u8>>,
}

impl CommitDraft<'_> {
    /// The file as the commit being made holds it so far (`None` when absent).
    pub(crate) fn read(&self, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        match self.puts.get(path).or_else(|| self.known.get(path)) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.repo.read_file_at(self.tip, path),
        }
    }
}

/// The commit a writer made last, and the files it wrote whole there, as they are in it.
#[derive(Debug)]
pub(crate) struct Made {
    tip: CommitId,
    files: BTreeMap<String, Vec<u8>>,
}

/// One part of a commit: made (again) at whatever tip the commit goes on.
pub(crate) type Part = Box<dyn Fn(&CommitDraft<'_>) -> Result<AtTip, GitError> + Send + Sync>;

/// How a part ended: the commit holding it (the tip it was made at, when it changed nothing).
type Answer = Result<CommitId, JobError>;

struct Waiting {
    part: Part,
    answer: oneshot::Sender<Answer>,
}

/// This node's parts waiting for their commit to one repository, and the one writer committing.
#[derive(Default)]
pub(crate) struct Writer {
    waiting: Mutex<Vec<Waiting>>,
    /// Held while committing, with the commit made last.
    writer: tokio::sync::Mutex<Option<Made>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

/// A node's writers, one per repository (by its root): the engine's context holds them.
#[derive(Debug, Default)]
pub(crate) struct Writers(Mutex<HashMap<PathBuf, Arc<Writer>>>);

impl Writers {
    /// The writer to `repo`'s design-docs branch.
    pub(crate) fn of(&self, repo: &Repo) -> Arc<Writer> {
        let mut writers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        writers.entry(repo.root().to_path_buf()).or_default().clone()
    }

    /// Commits `part` with whatever else waits for the writer to `repo`.
    pub(crate) async fn write(&self, repo: &Repo, part: Part) -> Answer {
        self.of(repo).write(repo, part).await
    }
}

impl Writer {
    /// Commits `part`, together with whatever else waits, once it is this writer's turn.
    pub(crate) async fn write(&self, repo: &Repo, part: Part) -> Answer {
        let (answer, mut answered) = oneshot::channel();
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner).push(Waiting { part, answer });
        let mut writer = self.writer.lock().await;
        match answered.try_recv() {
            Ok(result) => return result,
            Err(oneshot::error::TryRecvError::Closed) => return Err(unanswered()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let batch = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(PoisonError::into_inner));
        let (parts, answers): (Vec<Part>, Vec<_>) = batch.into_iter().map(|w| (w.part, w.answer)).unzip();
        let (repo, last) = (repo.clone(), writer.take());
        let results = match crate::repos::blocking(move || Ok(commit(&repo, &parts, last))).await {
            Ok((results, made)) => {
                *writer = made;
                results
            }
            Err(err) => answers.iter().map(|_| Err(err.clone())).collect(),
        };
        for (answer, result) in answers.into_iter().zip(results) {
            // A part whose caller was dropped meanwhile no longer listens.
            let _ = answer.send(result);
        }
        drop(writer);
        answered.await.unwrap_or_else(|_| Err(unanswered()))
    }
}

fn unanswered() -> JobError {
    JobError::retry("the writer committing this design-docs write stopped before it was committed")
}

/// Commits `parts` in one design-docs commit on the current tip (none when they change nothing),
/// made again on the new tip when someone else moves the branch meanwhile; one answer per part,
/// and the commit made (`last`: the one made before).
fn commit(repo: &Repo, parts: &[Part], mut last: Option<Made>) -> (Vec<Answer>, Option<Made>) {
    let every = |result: Answer| parts.iter().map(|_| result.clone()).collect();
    for _ in 0..MAX_ATTEMPTS {
        match commit_on_tip(repo, parts, last.take()) {
            Ok(Ok((answers, made))) => return (answers, made),
            Ok(Err(moved)) => {
                tracing::debug!(%moved, "the design-docs branch moved under a write; writing again")
            }
            Err(err) => return (every(Err(crate::repos::git_error(err))), None),
        }
    }
    let moving =
        format!("the design-docs branch kept moving while this node wrote to it ({MAX_ATTEMPTS} attempts)");
    (every(Err(JobError::retry(moving))), None)
}

/// The commit made and its answers, or the branch that moved.
type Attempt = Result<(Vec<Answer>, Option<Made>), GitError>;

/// One try, on the tip of `last` when given (else the branch's, read now): `Ok(Err(_))` when the
/// branch moved between the read and the commit.
fn commit_on_tip(repo: &Repo, parts: &[Part], last: Option<Made>) -> Result<Attempt, GitError> {
    // With a remote, the tip written is the one pushed, which may hold more than the commit made.
    let remembered = last.is_some() && repo.remote().is_none();
    let (tip, known) = match last.filter(|_| remembered) {
        Some(Made { tip, files }) => (tip, files),
        None => (branch_tip(repo)?, BTreeMap::new()),
    };
    let mut puts: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let (mut subjects, mut trailers, mut writes) = (Vec::new(), Vec::<Trailer>::new(), Vec::new());
    let mut answers = Vec::with_capacity(parts.len());
    for part in parts {
        // A part that cannot be made fails alone: the others are committed without it.
        let contribution = match part(&CommitDraft { repo, tip, puts: &puts, known: &known }) {
            Ok(AtTip::Write(contribution)) if !contribution.writes.is_empty() => contribution,
            Ok(AtTip::Write(_) | AtTip::Nothing) => {
                answers.push(Some(Ok(tip)));
                continue;
            }
            Err(err) => {
                answers.push(Some(Err(crate::repos::git_error(err))));
                continue;
            }
        };
        for write in &contribution.writes {
            if let FileWrite::Put { path, contents } = write {
                puts.insert(path.clone(), contents.clone());
            }
        }
        subjects.push(contribution.subject);
        for trailer in contribution.trailers {
            if !trailers.contains(&trailer) {
                trailers.push(trailer);
            }
        }
        writes.extend(contribution.writes);
        // Answered with the commit once it is made.
        answers.push(None);
    }
    let made = if writes.is_empty() {
        // Nothing to change, as of a remembered tip: so only while it is the branch's.
        if remembered && branch_tip(repo)? != tip {
            return Ok(Err(moved(repo, tip)));
        }
        Made { tip, files: known }
    } else {
        let mut files = BTreeMap::new();
        for write in &writes {
            match write {
                FileWrite::Put { path, contents } => files.insert(path.clone(), contents.clone()),
                FileWrite::Append { path, .. } => files.remove(path),
            };
        }
        let commit = DesignDocsCommit { message: subjects.join("; "), trailers, writes };
        // Made at `tip`, written only on `tip`: nothing the parts read can have changed in between.
        match repo.commit_design_docs_on(&commit, tip) {
            Ok(id) => Made { tip: id, files },
            Err(err @ GitError::ConcurrentUpdate { .. }) => return Ok(Err(err)),
            Err(err) => return Err(err),
        }
    };
    let at = made.tip;
    let made = repo.remote().is_none().then_some(made);
    Ok(Ok((answers.into_iter().map(|a| a.unwrap_or(Ok(at))).collect(), made)))
}

/// The design-docs branch's tip now.
fn branch_tip(repo: &Repo) -> Result<CommitId, GitError> {
    repo.branch_tip(repo.design_docs_branch())?.ok_or_else(|| GitError::BranchNotFound {
        repo: repo.root().to_path_buf(),
        branch: repo.design_docs_branch().to_owned(),
    })
}

/// The branch moved from `tip`, the one the parts were made at.
fn moved(repo: &Repo, tip: CommitId) -> GitError {
    GitError::ConcurrentUpdate { branch: repo.design_docs_branch().to_owned(), expected: tip.to_string() }
}

#[cfg(test)]
impl Writer {
    /// Holds the writer, as a commit being made does.
    pub(crate) async fn hold(&self) -> tokio::sync::MutexGuard<'_, Option<Made>> {
        self.writer.lock().await
    }

    /// Returns once `n` parts wait for the writer.
    pub(crate) async fn until_waiting(&self, n: usize) {
        while self.waiting.lock().unwrap_or_else(PoisonError::into_inner).len() < n {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Backend, Fixture};

    /// A part that cannot be made is answered with its error alone: the part waiting beside it
    /// is committed.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_part_that_fails_fails_alone() {
        let f = Fixture::new(Backend::Sqlite).await;
        let repo = f.repo().await;
        let writer = f.ctx.design_docs.of(&repo);
        let held = writer.hold().await;
        let failing: Part =
            Box::new(|_| Err(GitError::InvalidFilePath { path: "../x".into(), reason: "leaves the branch" }));
        let writing: Part = Box::new(|_| {
            Ok(AtTip::Write(Contribution {
                subject: "docs: a note".into(),
                trailers: vec![],
                writes: vec![FileWrite::put("notes.md", "n\n")],
            }))
        });
        let (one, two) = (writer.clone(), writer.clone());
        let (first, second) = (repo.clone(), repo.clone());
        let failed = tokio::spawn(async move { one.write(&first, failing).await });
        writer.until_waiting(1).await;
        let written = tokio::spawn(async move { two.write(&second, writing).await });
        writer.until_waiting(2).await;
        drop(held);

        let failed = failed.await.unwrap();
        assert!(matches!(&failed, Err(JobError::Fatal { .. })), "{failed:?}");
        let commit = written.await.unwrap().unwrap();
        assert_eq!(repo.branch_tip(repo.design_docs_branch()).unwrap(), Some(commit));
        assert_eq!(repo.read_design_doc("notes.md").unwrap().as_deref(), Some(&b"n\n"[..]));
    }
}
