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
//!
//! It also remembers, for its newest commits, the commit each went on and its trailers
//! ([`Lineage`]): a run of its own commits from the tip back to an older commit says what lies
//! between them without `git log` (the history recorder's reconcile asks it on every flush).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use spectask_git::{CommitId, DesignDocsCommit, FileWrite, GitError, Repo, Trailer};
use tokio::sync::oneshot;

use crate::job_error::JobError;

/// How many of its newest commits a writer remembers the lineage of.
const LINEAGE_LIMIT: usize = 512;

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
    lineage: Arc<Mutex<Lineage>>,
}

/// The commits a writer made, each with the commit it went on and its trailers. A commit's id
/// names both, so these facts never change, whoever moves the branch: a run of them from a tip back
/// to an older commit is exactly what lies between the two. Only the newest are kept.
#[derive(Debug, Default)]
struct Lineage {
    made: HashMap<CommitId, (CommitId, Vec<Trailer>)>,
    order: VecDeque<CommitId>,
}

impl Lineage {
    fn add(&mut self, id: CommitId, parent: CommitId, trailers: Vec<Trailer>) {
        if self.made.insert(id, (parent, trailers)).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > LINEAGE_LIMIT {
            if let Some(oldest) = self.order.pop_front() {
                self.made.remove(&oldest);
            }
        }
    }

    /// The commits after `from` up to `tip`, oldest first, with their trailers; `None` unless this
    /// writer made every one of them (someone else's commit in between, or `from` not reached).
    fn between(&self, from: CommitId, tip: CommitId) -> Option<Vec<(CommitId, Vec<Trailer>)>> {
        let mut commits = Vec::new();
        let mut at = tip;
        while at != from {
            if commits.len() > self.order.len() {
                return None;
            }
            let (parent, trailers) = self.made.get(&at)?;
            commits.push((at, trailers.clone()));
            at = *parent;
        }
        commits.reverse();
        Some(commits)
    }
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
    /// The commits after `from` up to `tip`, oldest first, with their trailers, when this writer
    /// made every one of them; `None` when it cannot tell (`git log` can).
    pub(crate) fn made_between(
        &self,
        from: CommitId,
        tip: CommitId,
    ) -> Option<Vec<(CommitId, Vec<Trailer>)>> {
        self.lineage.lock().unwrap_or_else(PoisonError::into_inner).between(from, tip)
    }

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
        let (repo, last, lineage) = (repo.clone(), writer.take(), self.lineage.clone());
        let results = match crate::repos::blocking(move || Ok(commit(&repo, &parts, last, &lineage))).await {
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
/// and the commit made (`last`: the one made before), added to the writer's `lineage`.
fn commit(
    repo: &Repo,
    parts: &[Part],
    mut last: Option<Made>,
    lineage: &Mutex<Lineage>,
) -> (Vec<Answer>, Option<Made>) {
    let every = |result: Answer| parts.iter().map(|_| result.clone()).collect();
    for _ in 0..MAX_ATTEMPTS {
        match commit_on_tip(repo, parts, last.take(), lineage) {
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
fn commit_on_tip(
    repo: &Repo,
    parts: &[Part],
    last: Option<Made>,
    lineage: &Mutex<Lineage>,
) -> Result<Attempt, GitError> {
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
            Ok(id) => {
                // With a remote, the tip written may be a commit made on the remote's tip instead;
                // writes that change nothing leave the tip where it was.
                if repo.remote().is_none() && id != tip {
                    let mut lineage = lineage.lock().unwrap_or_else(PoisonError::into_inner);
                    lineage.add(id, tip, commit.trailers);
                }
                Made { tip: id, files }
            }
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

    fn id(n: u32) -> CommitId {
        format!("{n:040x}").parse().unwrap()
    }

    fn seqs(value: &str) -> Vec<Trailer> {
        vec![Trailer::new("History-Seqs", value).unwrap()]
    }

    /// A run of the writer's own commits is told with their trailers, oldest first; a commit it
    /// did not make, or an end it never reaches, tells nothing.
    #[test]
    fn a_lineage_tells_only_runs_of_its_own_commits() {
        let mut lineage = Lineage::default();
        lineage.add(id(2), id(1), seqs("1-2"));
        lineage.add(id(3), id(2), vec![]);
        lineage.add(id(4), id(3), seqs("3"));
        assert_eq!(
            lineage.between(id(1), id(4)),
            Some(vec![(id(2), seqs("1-2")), (id(3), vec![]), (id(4), seqs("3"))])
        );
        assert_eq!(lineage.between(id(3), id(4)), Some(vec![(id(4), seqs("3"))]));
        assert_eq!(lineage.between(id(4), id(4)), Some(vec![]));
        // Someone else's commit (5, on 4) at the tip, or an end before the first it made.
        assert_eq!(lineage.between(id(1), id(5)), None);
        assert_eq!(lineage.between(id(0), id(4)), None);
        // A branch rewritten under it: 4 never reaches 9.
        assert_eq!(lineage.between(id(9), id(4)), None);
    }

    /// Only the newest commits are kept: a run reaching back past them tells nothing.
    #[test]
    fn a_lineage_forgets_its_oldest_commits() {
        let mut lineage = Lineage::default();
        let last = LINEAGE_LIMIT as u32 + 10;
        for n in 1..=last {
            lineage.add(id(n), id(n - 1), vec![]);
        }
        assert_eq!(lineage.made.len(), LINEAGE_LIMIT);
        assert_eq!(lineage.between(id(0), id(last)), None);
        let kept = lineage.between(id(last - LINEAGE_LIMIT as u32), id(last)).map(|c| c.len());
        assert_eq!(kept, Some(LINEAGE_LIMIT));
    }

    /// The writer learns the lineage of each commit it makes: the commit's parent and trailers, as
    /// git has them.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_writer_knows_the_commits_it_made() {
        let f = Fixture::new(Backend::Sqlite).await;
        let repo = f.repo().await;
        let before = repo.branch_tip(repo.design_docs_branch()).unwrap().unwrap();
        let note = |n: u32| -> Part {
            Box::new(move |_| {
                Ok(AtTip::Write(Contribution {
                    subject: format!("docs: note {n}"),
                    trailers: vec![Trailer::new("History-Seqs", n.to_string()).unwrap()],
                    writes: vec![FileWrite::put("notes.md", format!("{n}\n"))],
                }))
            })
        };
        let writer = f.ctx.design_docs.of(&repo);
        let first = writer.write(&repo, note(1)).await.unwrap();
        let second = writer.write(&repo, note(2)).await.unwrap();

        let made = writer.made_between(before, second).unwrap();
        let from_git: Vec<(CommitId, Vec<Trailer>)> = repo
            .commit_infos_between(Some(before), second)
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.trailers.into_iter().map(|(k, v)| Trailer::new(k, v).unwrap()).collect()))
            .collect();
        assert_eq!(made, from_git);
        assert_eq!(made.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [first, second]);
        // A commit made around the writer ends what it can tell.
        let edit = DesignDocsCommit {
            message: "docs: by hand".into(),
            trailers: vec![],
            writes: vec![FileWrite::put("x.md", "x\n")],
        };
        let theirs = repo.commit_design_docs(&edit).unwrap();
        assert_eq!(writer.made_between(before, theirs), None);
        let third = writer.write(&repo, note(3)).await.unwrap();
        assert_eq!(writer.made_between(before, third), None);
        assert_eq!(writer.made_between(theirs, third).map(|c| c.len()), Some(1));
    }

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
