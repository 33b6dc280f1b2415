//! The scheduling decisions of one task's implementation, each made inside one write transaction
//! (the writer lock on SQLite, the advisory lock on PostgreSQL), so a decision is never taken on a
//! snapshot another writer has moved on from: a session starts only under the per-task limit, and the
//! task is submitted only when every session is finished. The orchestrator runs these from its
//! task-keyed scheduling jobs, which the job queue runs one at a time per task across nodes.

use std::collections::HashSet;

use spectask_core::{
    CoordinationKind, JobKind, SpecTask, SpecTaskCommand, SpecTaskId, SpecTaskStatus, WorkSession,
    WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};

use crate::codec::{get, millis, now, parse};
use crate::write::WriteTx;
use crate::{NewCoordination, NewHistoryEntry, Store, StoreError};

/// What a session's commit step records once its changes are on the task branch, in one write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommitRecord {
    /// The history entry of its commit; `None` when it found nothing left to commit.
    pub history: Option<NewHistoryEntry>,
    /// Its coordination entries, each written unless the session logged one of its kind already
    /// (a rerun after a crash).
    pub coordination: Vec<NewCoordination>,
}

impl WriteTx<'_> {
    /// Marks `session`'s changes as on its task branch (once: a rerun keeps the first time) and
    /// queues its task's scheduling pass.
    async fn mark_committed(&mut self, session: &WorkSession) -> Result<(), StoreError> {
        sqlx::query("UPDATE work_sessions SET committed_at = $1 WHERE id = $2 AND committed_at IS NULL")
            .bind(millis(now()))
            .bind(session.id.to_string())
            .execute(&mut *self.tx)
            .await?;
        self.enqueue_advance(session.spec_task_id).await
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
}

impl Store {
    /// Records that a completed session's changes are on its task branch (its commit step ran) and
    /// queues a scheduling pass for its task. Running it again changes nothing but the pass.
    pub async fn mark_work_session_committed(&self, session: &WorkSession) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        w.mark_committed(session).await?;
        w.commit().await
    }

    /// The commit step's record in one write: the history of its commit, its coordination entries
    /// (those of a kind the session logged already left out, checked in the write), the session's
    /// committed mark and its task's scheduling pass (see [`Store::mark_work_session_committed`]).
    pub async fn record_work_session_committed(
        &self,
        session: &WorkSession,
        record: CommitRecord,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        if let Some(entry) = &record.history {
            w.insert_history(entry, now()).await?;
        }
        if !record.coordination.is_empty() {
            let rows = sqlx::query(
                "SELECT kind FROM coordination_events WHERE spec_task_id = $1 AND from_session = $2",
            )
            .bind(session.spec_task_id.to_string())
            .bind(session.id.to_string())
            .fetch_all(&mut *w.tx)
            .await?;
            let logged =
                rows.iter().map(|row| parse(row, "kind")).collect::<Result<Vec<CoordinationKind>, _>>()?;
            for entry in record.coordination.into_iter().filter(|e| !logged.contains(&e.kind)) {
                w.record_coordination(entry).await?;
            }
        }
        w.mark_committed(session).await?;
        w.commit().await
    }

    /// The sessions of a task whose changes are committed.
    pub async fn committed_work_sessions(
        &self,
        task: SpecTaskId,
    ) -> Result<HashSet<WorkSessionId>, StoreError> {
        let rows =
            sqlx::query("SELECT id FROM work_sessions WHERE spec_task_id = $1 AND committed_at IS NOT NULL")
                .bind(task.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| parse(r, "id")).collect()
    }

    /// Applies a scheduling command (block, unblock) to the session as the pass saw it and appends
    /// `log` to the task's coordination log, in one write.
    pub async fn schedule_work_session(
        &self,
        session: &WorkSession,
        command: &WorkSessionCommand,
        log: NewCoordination,
    ) -> Result<WorkSession, StoreError> {
        let mut w = self.begin_write().await?;
        let applied = w.transition_work_session(session, command, true).await?;
        w.record_coordination(log).await?;
        w.commit().await?;
        Ok(applied.value)
    }

    /// Starts a pending session (queueing its thread) when fewer than `limit` sessions of its task
    /// are running or interrupted, appending `log` to the task's coordination log in the same write;
    /// `None` when the task is at its limit.
    pub async fn start_work_session_within(
        &self,
        session: &WorkSession,
        limit: usize,
        log: NewCoordination,
    ) -> Result<Option<WorkSession>, StoreError> {
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS busy FROM work_sessions WHERE spec_task_id = $1 \
             AND status IN ('running', 'interrupted')",
        )
        .bind(session.spec_task_id.to_string())
        .fetch_one(&mut *w.tx)
        .await?;
        let busy = usize::try_from(get::<i64>(&row, "busy")?).unwrap_or(usize::MAX);
        if busy >= limit {
            return Ok(None);
        }
        let started = w.transition_work_session(session, &WorkSessionCommand::Start, true).await?.value;
        w.record_coordination(log).await?;
        w.commit().await?;
        Ok(Some(started))
    }

    /// Submits the task for implementation review when it is in implementation, every session is
    /// finished (committed, or cancelled) and at least one completed; `None` otherwise.
    pub async fn submit_implementation_when_finished(
        &self,
        task: SpecTaskId,
    ) -> Result<Option<SpecTask>, StoreError> {
        let mut w = self.begin_write().await?;
        let current = w.spec_task(task).await?;
        if current.status() != SpecTaskStatus::Implementation {
            return Ok(None);
        }
        let rows = sqlx::query("SELECT status, committed_at FROM work_sessions WHERE spec_task_id = $1")
            .bind(task.to_string())
            .fetch_all(&mut *w.tx)
            .await?;
        let mut committed = 0;
        for row in &rows {
            let status: WorkSessionStatus = parse(row, "status")?;
            match status {
                WorkSessionStatus::Completed if get::<Option<i64>>(row, "committed_at")?.is_some() => {
                    committed += 1;
                }
                WorkSessionStatus::Cancelled => {}
                _ => return Ok(None),
            }
        }
        if committed == 0 {
            return Ok(None);
        }
        let submitted = w.transition_spec_task(&current, &SpecTaskCommand::SubmitImplementation).await?.value;
        w.commit().await?;
        Ok(Some(submitted))
    }
}
