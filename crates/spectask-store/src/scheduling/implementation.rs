//! The scheduling of one task's implementation, decided and written inside one write transaction
//! (the writer lock on SQLite, the advisory lock on PostgreSQL): the decision is taken on the task's
//! sessions as that write reads them, so it is never taken on a snapshot another writer has moved on
//! from, and two decisions for one task are never made at once, on whichever node. The store owns the
//! write and the rules every decision must keep (the task submitted only when every session is
//! finished); what to decide (which sessions wait, which start, in what order) is the caller's pure
//! function of what the write read (the orchestrator's, from the approved plan).

use std::collections::HashSet;

use spectask_core::{
    HistoryFile, Job, JobKind, SpecTaskCommand, SpecTaskId, SpecTaskStatus, WorkSession, WorkSessionCommand,
    WorkSessionId, WorkSessionStatus,
};

use crate::database::codec::{get, millis, now, parse};
use crate::database::write::WriteTx;
use crate::{JobClaim, NewCoordination, NewHistoryEntry, Store, StoreError};

/// What a session's commit step records once its changes are on the task branch, in one write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommitRecord {
    /// The history entry of its commit; `None` when it found nothing left to commit.
    pub history: Option<NewHistoryEntry>,
    /// Its coordination entries, each written unless the session logged one of its kind already
    /// (a rerun after a crash).
    pub coordination: Vec<NewCoordination>,
}

/// A task in implementation as a scheduling decision sees it: read in the write that carries the
/// decision out.
#[derive(Debug)]
pub struct SchedulingView<'a> {
    /// The task's sessions, in creation order.
    pub sessions: &'a [WorkSession],
    /// The sessions whose changes are on the task branch (their commit step ran).
    pub committed: &'a HashSet<WorkSessionId>,
}

/// What a scheduling decision asks of its write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    /// Moves of sessions (block, unblock, start), applied in order, each with its coordination entry.
    pub moves: Vec<SessionMove>,
    /// A progress snapshot of the sessions as the moves leave them, appended to the task's progress
    /// updates unless the last one says the same.
    pub progress: Option<String>,
}

/// One move of a scheduling decision.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionMove {
    pub session: WorkSessionId,
    pub command: WorkSessionCommand,
    /// Its line in the coordination log.
    pub log: NewCoordination,
}

/// A scheduling decision: a pure function of what its write read.
pub type Decide<'a> = &'a (dyn Fn(&SchedulingView<'_>) -> Schedule + Send + Sync);

/// How a write schedules its task: the decision, and the claim it makes of the threads it starts
/// (see [`JobClaim`]; none: they are queued for any node's claim).
#[derive(Clone, Copy)]
pub struct Scheduling<'a> {
    pub decide: Decide<'a>,
    pub claim: Option<JobClaim<'a>>,
}

impl std::fmt::Debug for Scheduling<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduling").field("claim", &self.claim).finish_non_exhaustive()
    }
}

/// What a scheduling write did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchedulingOutcome {
    /// The task's sessions as the write left them (empty when the task is not in implementation).
    pub sessions: Vec<WorkSession>,
    /// The sessions the write started, as it left them.
    pub started: Vec<WorkSession>,
    /// The jobs of those sessions the write claimed for the caller's node (see [`JobClaim`]).
    pub claimed: Vec<Job>,
    /// The task was submitted for implementation review.
    pub submitted: bool,
}

impl WriteTx<'_> {
    /// A session's commit record: its history, its coordination entries (those of a kind the
    /// session logged already left out) and its committed mark.
    async fn record_commit(&mut self, session: &WorkSession, record: CommitRecord) -> Result<(), StoreError> {
        if let Some(entry) = &record.history {
            self.insert_history(entry, now()).await?;
        }
        self.log_once(session, record.coordination).await?;
        self.mark_committed(session).await
    }

    /// Logs `entries` of `session`, but those of a kind the session logged already.
    pub(crate) async fn log_once(
        &mut self,
        session: &WorkSession,
        entries: Vec<NewCoordination>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows =
            sqlx::query("SELECT kind FROM coordination_events WHERE spec_task_id = $1 AND from_session = $2")
                .bind(session.spec_task_id.to_string())
                .bind(session.id.to_string())
                .fetch_all(&mut *self.tx)
                .await?;
        let logged = rows
            .iter()
            .map(|row| parse(row, "kind"))
            .collect::<Result<Vec<spectask_core::CoordinationKind>, _>>()?;
        for entry in entries.into_iter().filter(|e| !logged.contains(&e.kind)) {
            self.record_coordination(entry).await?;
        }
        Ok(())
    }

    /// Marks `session`'s changes as on its task branch (once: a rerun keeps the first time).
    async fn mark_committed(&mut self, session: &WorkSession) -> Result<(), StoreError> {
        sqlx::query("UPDATE work_sessions SET committed_at = $1 WHERE id = $2 AND committed_at IS NULL")
            .bind(millis(now()))
            .bind(session.id.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Whether a session of the task waits to start: pending (ready, or about to be blocked) or
    /// blocked on its dependencies.
    pub(crate) async fn waiting_sessions(&mut self, task: SpecTaskId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS pending FROM work_sessions WHERE spec_task_id = $1 \
             AND status IN ('pending', 'blocked') LIMIT 1",
        )
        .bind(task.to_string())
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.is_some())
    }

    /// Queues a scheduling pass over the task's sessions, unless one is queued and not started yet
    /// (that one will see everything written before it runs).
    pub(crate) async fn enqueue_advance(&mut self, task: SpecTaskId) -> Result<(), StoreError> {
        let waiting = sqlx::query(
            "SELECT 1 AS queued FROM jobs WHERE spec_task_id = $1 AND kind = $2 AND status = 'queued' \
             AND attempts = 0 LIMIT 1",
        )
        .bind(task.to_string())
        .bind(JobKind::AdvanceImplementation.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        if waiting.is_some() {
            return Ok(());
        }
        self.enqueue_job(JobKind::AdvanceImplementation, Some(task), None, now()).await
    }

    /// Decides the task's scheduling with `decide` on its sessions as this write reads them and
    /// carries the decision out: the moves with their coordination entries, the task submitted for
    /// review when every session is finished (committed, or cancelled) and at least one completed,
    /// and the progress snapshot. A task not in implementation is left alone.
    pub(crate) async fn schedule(
        &mut self,
        task: SpecTaskId,
        scheduling: Scheduling<'_>,
    ) -> Result<SchedulingOutcome, StoreError> {
        let Scheduling { decide, claim } = scheduling;
        let task = self.spec_task(task).await?;
        if task.status() != SpecTaskStatus::Implementation {
            return Ok(SchedulingOutcome::default());
        }
        let read = self.task_sessions(task.id).await?;
        let committed: HashSet<WorkSessionId> = read.iter().filter(|(_, c)| *c).map(|(s, _)| s.id).collect();
        let mut sessions: Vec<WorkSession> = read.into_iter().map(|(s, _)| s).collect();
        let schedule = decide(&SchedulingView { sessions: &sessions, committed: &committed });
        let (mut started, mut claimed) = (Vec::new(), Vec::new());
        for step in schedule.moves {
            let Some(at) = sessions.iter().position(|s| s.id == step.session) else {
                return Err(StoreError::NotFound {
                    entity: "work session",
                    reference: step.session.to_string(),
                });
            };
            let applied = self.transition_work_session(&sessions[at], &step.command, claim.is_none()).await?;
            if let Some(claim) = &claim {
                for effect in &applied.effects {
                    let kind = JobKind::WorkSession(*effect);
                    let job = self.enqueue_claimed_job(kind, task.id, Some(step.session), claim).await?;
                    claimed.extend(job);
                }
            }
            sessions[at] = applied.value;
            self.record_coordination(step.log).await?;
            if step.command == WorkSessionCommand::Start {
                started.push(sessions[at].clone());
            }
        }
        let finished = |s: &WorkSession| match s.status() {
            WorkSessionStatus::Completed => committed.contains(&s.id),
            WorkSessionStatus::Cancelled => true,
            _ => false,
        };
        let submitted = !committed.is_empty() && sessions.iter().all(finished);
        if submitted {
            self.transition_spec_task(&task, &SpecTaskCommand::SubmitImplementation).await?;
        }
        if let Some(progress) = schedule.progress {
            self.append_progress_update(task.id, progress).await?;
        }
        Ok(SchedulingOutcome { sessions, started, claimed, submitted })
    }

    /// Appends a progress snapshot of the task unless its last one says the same.
    async fn append_progress_update(&mut self, task: SpecTaskId, content: String) -> Result<(), StoreError> {
        let last = sqlx::query(
            "SELECT content FROM history_entries WHERE spec_task_id = $1 AND file = $2 \
             AND work_session_id IS NULL ORDER BY seq DESC LIMIT 1",
        )
        .bind(task.to_string())
        .bind(HistoryFile::ProgressUpdate.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = last
            && get::<String>(&row, "content")? == content
        {
            return Ok(());
        }
        let entry = NewHistoryEntry {
            spec_task_id: task,
            work_session_id: None,
            file: HistoryFile::ProgressUpdate,
            content,
        };
        self.insert_history(&entry, now()).await.map(drop)
    }
}

impl Store {
    /// The commit step's record in one write: the history of its commit, its coordination entries
    /// (those of a kind the session logged already left out, checked in the write), the session's
    /// committed mark, and its task's scheduling decided on what the write reads (the sessions the
    /// commit unblocks start in it). Running it again changes nothing but the decision.
    pub async fn record_work_session_committed(
        &self,
        session: &WorkSession,
        record: CommitRecord,
        scheduling: Scheduling<'_>,
    ) -> Result<SchedulingOutcome, StoreError> {
        let mut w = self.begin_write().await?;
        w.record_commit(session, record).await?;
        let scheduled = w.schedule(session.spec_task_id, scheduling).await?;
        w.commit().await?;
        Ok(scheduled)
    }

    /// The end of a running session whose changes are on its task branch (and on the remote, for
    /// a repository with one), in one write: completed with `summary` (what it reported last), its
    /// commit's record as [`Store::record_work_session_committed`] writes it, and its task's
    /// scheduling (the slot it leaves, the sessions its commit unblocks). A session is never
    /// completed without its commit, so a node that dies loses no completed session's work.
    /// `None` when messages wait for the session: nothing is written, and they are delivered first.
    pub async fn complete_committed_work_session(
        &self,
        session: &WorkSession,
        summary: Option<&str>,
        record: CommitRecord,
        scheduling: Scheduling<'_>,
    ) -> Result<Option<crate::Completion>, StoreError> {
        let mut w = self.begin_write().await?;
        if w.messages_waiting(session.id).await? {
            return Ok(None);
        }
        if let Some(summary) = summary {
            sqlx::query("UPDATE work_sessions SET summary = $1 WHERE id = $2")
                .bind(summary)
                .bind(session.id.to_string())
                .execute(&mut *w.tx)
                .await?;
        }
        let completed = w.transition_work_session(session, &WorkSessionCommand::Complete, false).await?.value;
        w.record_commit(&completed, record).await?;
        let scheduled = w.schedule(session.spec_task_id, scheduling).await?;
        w.commit().await?;
        Ok(Some(crate::Completion { session: completed, scheduled }))
    }

    /// A scheduling pass over the task's sessions, decided on what the write reads and carried out
    /// in the same write (see the module's documentation).
    pub async fn schedule_implementation(
        &self,
        task: SpecTaskId,
        scheduling: Scheduling<'_>,
    ) -> Result<SchedulingOutcome, StoreError> {
        let mut w = self.begin_write().await?;
        let scheduled = w.schedule(task, scheduling).await?;
        w.commit().await?;
        Ok(scheduled)
    }
}
