//! Messages between the work sessions of a task (`send_message` and `handoff`): each is logged as a
//! coordination event, noted in the sender's conversation and queued for the recipient in one
//! transaction. Writes are serialised (one writer on SQLite, the event lock on PostgreSQL), so a
//! message and the recipient's completion cannot cross: either the message is queued first and the
//! completion waits for it to be delivered, or the recipient finished first and the message is
//! refused.

use spectask_core::{
    CoordinationEvent, CoordinationKind, HistoryFile, JobKind, TaskKind, WorkSession, WorkSessionCommand,
    WorkSessionEffect, WorkSessionId, WorkSessionStatus,
};

use crate::database::codec::{get, millis, now, opt_parse, parse};
use crate::{NewCoordination, NewHistoryEntry, Scheduling, SchedulingOutcome, Store, StoreError};

/// A message to send.
#[derive(Clone, Debug)]
pub struct NewSessionMessage {
    pub from: WorkSessionId,
    /// `None`: only logged, for everyone to read.
    pub to: Option<WorkSessionId>,
    /// `Message` or `Handoff`.
    pub kind: CoordinationKind,
    pub text: String,
    /// The log entry (its `from_session`, `to_session` and `kind` are this message's).
    pub coordination: NewCoordination,
    /// What the sender's conversation records.
    pub sender_note: String,
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageOutcome {
    /// Logged, and queued for the recipient's next turn (`message_id`) when there is one.
    Sent { event: CoordinationEvent, message_id: Option<i64> },
    /// The recipient has finished: nothing was written.
    RecipientFinished(WorkSessionStatus),
}

/// A message waiting for its session's next turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMessage {
    pub id: i64,
    /// The sending session (`None`: a person).
    pub from_session: Option<WorkSessionId>,
    /// `Message` or `Handoff`.
    pub kind: CoordinationKind,
    pub text: String,
}

impl Store {
    /// Logs the message, notes it in the sender's conversation and queues it for the recipient, in
    /// one transaction, unless the recipient has finished. The main session of an interactive task
    /// also gets a job, so that it answers at once when it is idle.
    pub async fn send_session_message(&self, new: NewSessionMessage) -> Result<MessageOutcome, StoreError> {
        let at = now();
        let mut w = self.begin_write().await?;
        let mut recipient = None;
        if let Some(to) = new.to {
            let row = sqlx::query(
                "SELECT s.status, s.parent_id, s.spec_task_id, t.kind FROM work_sessions s \
                 JOIN spec_tasks t ON t.id = s.spec_task_id WHERE s.id = $1",
            )
            .bind(to.to_string())
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "work session", reference: to.to_string() })?;
            let status: WorkSessionStatus = parse(&row, "status")?;
            if matches!(
                status,
                WorkSessionStatus::Completed | WorkSessionStatus::Cancelled | WorkSessionStatus::Failed
            ) {
                return Ok(MessageOutcome::RecipientFinished(status));
            }
            let parent: Option<WorkSessionId> = opt_parse(&row, "parent_id")?;
            let kind: TaskKind = parse(&row, "kind")?;
            let wakes =
                kind == TaskKind::Interactive && parent.is_none() && status == WorkSessionStatus::Running;
            recipient = Some((to, parse::<spectask_core::SpecTaskId>(&row, "spec_task_id")?, wakes));
        }
        let mut coordination = new.coordination;
        coordination.from_session = Some(new.from);
        coordination.to_session = new.to;
        coordination.kind = new.kind;
        let spec_task_id = coordination.spec_task_id;
        let event = w.record_coordination(coordination).await?;
        let note = NewHistoryEntry {
            spec_task_id,
            work_session_id: Some(new.from),
            file: HistoryFile::Conversation,
            content: new.sender_note,
        };
        w.insert_history(&note, at).await?;
        let mut message_id = None;
        if let Some((to, task, wakes)) = recipient {
            let row = sqlx::query(
                "INSERT INTO session_messages (work_session_id, text, created_at, from_session, kind) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(to.to_string())
            .bind(&new.text)
            .bind(millis(at))
            .bind(new.from.to_string())
            .bind(new.kind.as_str())
            .fetch_one(&mut *w.tx)
            .await?;
            message_id = Some(get(&row, "id")?);
            if wakes {
                let resume = JobKind::WorkSession(WorkSessionEffect::ResumeThread);
                w.enqueue_job(resume, Some(task), Some(to), at).await?;
            }
        }
        w.commit().await?;
        Ok(MessageOutcome::Sent { event, message_id })
    }

    /// The undelivered messages of a session, oldest first.
    pub async fn pending_session_messages(
        &self,
        session: WorkSessionId,
    ) -> Result<Vec<PendingMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, from_session, kind, text FROM session_messages \
             WHERE work_session_id = $1 AND delivered_at IS NULL ORDER BY id",
        )
        .bind(session.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PendingMessage {
                    id: get(row, "id")?,
                    from_session: opt_parse(row, "from_session")?,
                    kind: parse(row, "kind")?,
                    text: get(row, "text")?,
                })
            })
            .collect()
    }

    /// Marks messages delivered (the turn that carried them ended).
    pub async fn mark_messages_delivered(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let at = millis(now());
        for id in ids {
            sqlx::query(
                "UPDATE session_messages SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL",
            )
            .bind(at)
            .bind(*id)
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// Completes a running session unless messages wait for it (`None`: deliver them first), with
    /// `summary` (what it reported last) stored in the same write. The check and the transition are
    /// one write, so a message cannot arrive in between unseen. For the step driving the session,
    /// which commits its changes itself next (no CommitChanges job is queued; a drive cut off before
    /// its commit finds the session completed when it runs again, and commits then).
    ///
    /// The slot the session leaves is taken in the same write: when a session of its task waits to
    /// start (pending, or blocked on its dependencies), the task is scheduled with `scheduling`.
    /// What waits for this session still waits for its commit, unless `scheduling` counts it
    /// committed (its changes staged for a commit no other comes before). `log` goes in the
    /// write's coordination log before the decision, but its kinds the session logged already.
    pub async fn complete_work_session_unless_messages(
        &self,
        session: &WorkSession,
        summary: Option<&str>,
        log: Vec<NewCoordination>,
        scheduling: Option<Scheduling<'_>>,
    ) -> Result<Option<Completion>, StoreError> {
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
        w.log_once(&completed, log).await?;
        let scheduled = match scheduling {
            Some(scheduling) if w.waiting_sessions(session.spec_task_id).await? => {
                w.schedule(session.spec_task_id, scheduling).await?
            }
            _ => SchedulingOutcome::default(),
        };
        w.commit().await?;
        Ok(Some(Completion { session: completed, scheduled }))
    }
}

impl crate::database::write::WriteTx<'_> {
    /// Whether messages wait for the session (not delivered yet), as this write reads them.
    pub(crate) async fn messages_waiting(&mut self, session: WorkSessionId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS waiting FROM session_messages WHERE work_session_id = $1 AND delivered_at IS NULL",
        )
        .bind(session.to_string())
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(get::<i64>(&row, "waiting")? > 0)
    }
}

/// A session completed by its drive, and what the write scheduled in the slot it left.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub session: WorkSession,
    pub scheduled: SchedulingOutcome,
}

impl Store {
    /// Records a coordination entry unless the task's log already has one of the same kind with the
    /// same message (checked in the same write, so two sessions noticing the same fact log it once).
    /// `None` when it was there already.
    pub async fn record_coordination_unless_logged(
        &self,
        new: NewCoordination,
    ) -> Result<Option<CoordinationEvent>, StoreError> {
        let mut w = self.begin_write().await?;
        let seen = sqlx::query(
            "SELECT seq FROM coordination_events WHERE spec_task_id = $1 AND kind = $2 AND message = $3",
        )
        .bind(new.spec_task_id.to_string())
        .bind(new.kind.as_str())
        .bind(&new.message)
        .fetch_optional(&mut *w.tx)
        .await?;
        if seen.is_some() {
            return Ok(None);
        }
        let event = w.record_coordination(new).await?;
        w.commit().await?;
        Ok(Some(event))
    }
}
