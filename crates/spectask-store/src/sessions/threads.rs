//! Threads: the agent-side session of a WorkSession.

use spectask_core::{EditorThread, HistoryFile, SpecTaskId, Thread, ThreadId, ThreadStatus, WorkSessionId};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, millis, now, opt_time, parse, time};
use crate::database::write::WriteTx;
use crate::history::entries::NewHistoryEntry;
use crate::{Store, StoreError};

/// What the step driving a work session needs to know of its thread, read in one query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadFacts {
    /// The editor thread the session is, when an editor opened it.
    pub editor: Option<EditorThread>,
    /// spectask prompted the session's thread before (its conversation has an entry: each prompt is
    /// recorded as it is sent, before anything its turn records).
    pub prompted: bool,
    /// The agent's id of the session's recorded thread, if one was opened.
    pub acp_session_id: Option<String>,
    /// The last message of a turn that ended and was not judged yet (no prompt came after it).
    pub ended_turn: Option<String>,
}

impl Store {
    /// [`ThreadFacts`] of a work session: its editor thread, whether it was prompted and its recorded
    /// thread's id.
    pub async fn thread_facts(&self, work_session: WorkSessionId) -> Result<ThreadFacts, StoreError> {
        let row = sqlx::query(
            "SELECT e.client AS client, e.cwd AS cwd, e.created_at AS editor_created_at, \
             t.acp_session_id AS acp_session_id, ws.ended_turn AS ended_turn, (SELECT COUNT(*) FROM (SELECT 1 AS one FROM history_entries \
             WHERE work_session_id = $1 AND file = $2 LIMIT 1) p) AS prompted \
             FROM work_sessions ws LEFT JOIN editor_threads e ON e.work_session_id = ws.id \
             LEFT JOIN threads t ON t.work_session_id = ws.id WHERE ws.id = $1",
        )
        .bind(work_session.to_string())
        .bind(HistoryFile::Conversation.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| StoreError::NotFound {
            entity: "work session",
            reference: work_session.to_string(),
        })?;
        let editor = match get::<Option<String>>(&row, "client")? {
            Some(client) => Some(EditorThread {
                work_session_id: work_session,
                client,
                cwd: get(&row, "cwd")?,
                created_at: time(&row, "editor_created_at")?,
            }),
            None => None,
        };
        Ok(ThreadFacts {
            editor,
            prompted: get::<i64>(&row, "prompted")? > 0,
            acp_session_id: get(&row, "acp_session_id")?,
            ended_turn: get(&row, "ended_turn")?,
        })
    }

    /// The thread of a work session, if one was opened.
    pub async fn thread_of(&self, work_session: WorkSessionId) -> Result<Option<Thread>, StoreError> {
        let row = sqlx::query(
            "SELECT id, work_session_id, acp_session_id, status, last_activity_at, created_at \
             FROM threads WHERE work_session_id = $1",
        )
        .bind(work_session.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(thread_from_row).transpose()
    }

    /// The threads of a task's work sessions, by session, in one query.
    pub async fn threads_of_task(
        &self,
        task: SpecTaskId,
    ) -> Result<std::collections::HashMap<WorkSessionId, Thread>, StoreError> {
        let rows = sqlx::query(
            "SELECT th.id, th.work_session_id, th.acp_session_id, th.status, th.last_activity_at, th.created_at \
             FROM threads th JOIN work_sessions ws ON ws.id = th.work_session_id WHERE ws.spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| thread_from_row(row).map(|t| (t.work_session_id, t))).collect()
    }

    /// Records the agent's session id for a work session (its thread), creating the thread on first use.
    pub async fn record_thread(
        &self,
        work_session: WorkSessionId,
        acp_session_id: &str,
        status: ThreadStatus,
    ) -> Result<Thread, StoreError> {
        let mut w = self.begin_write().await?;
        w.upsert_thread(work_session, acp_session_id, status).await?;
        w.commit().await?;
        self.recorded_thread(work_session).await
    }

    /// Records a thread just opened together with what it is first told (its history entries), in
    /// one write: a recorded thread has always been given its first prompt, so a restart that
    /// finds one resumes it, and one cut off before its prompt is simply never recorded.
    pub async fn record_thread_prompted(
        &self,
        work_session: WorkSessionId,
        acp_session_id: &str,
        prompt: &[NewHistoryEntry],
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        w.upsert_thread(work_session, acp_session_id, ThreadStatus::Active).await?;
        w.insert_history_rows(prompt, now()).await?;
        w.clear_ended_turn(work_session).await?;
        w.commit().await
    }

    /// Appends what spectask (or a person) says to open a turn on a session's thread: the turn
    /// before it, if one ended unjudged, is judged no more.
    pub async fn record_prompt(
        &self,
        work_session: WorkSessionId,
        prompt: &[NewHistoryEntry],
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        w.insert_history_rows(prompt, now()).await?;
        w.clear_ended_turn(work_session).await?;
        w.commit().await
    }

    async fn recorded_thread(&self, work_session: WorkSessionId) -> Result<Thread, StoreError> {
        self.thread_of(work_session)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "thread", reference: work_session.to_string() })
    }
}

fn thread_from_row(row: &AnyRow) -> Result<Thread, StoreError> {
    Ok(Thread {
        id: parse(row, "id")?,
        work_session_id: parse(row, "work_session_id")?,
        acp_session_id: get(row, "acp_session_id")?,
        status: parse(row, "status")?,
        last_activity_at: opt_time(row, "last_activity_at")?,
        created_at: time(row, "created_at")?,
    })
}

impl WriteTx<'_> {
    async fn clear_ended_turn(&mut self, work_session: WorkSessionId) -> Result<(), StoreError> {
        sqlx::query("UPDATE work_sessions SET ended_turn = NULL WHERE id = $1 AND ended_turn IS NOT NULL")
            .bind(work_session.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Sets a work session's thread to `acp_session_id` and `status`, creating it on first use. A
    /// thread other than the recorded one counts its cost from nothing: the running total its
    /// agent reported for the old one is no baseline of the new one's.
    async fn upsert_thread(
        &mut self,
        work_session: WorkSessionId,
        acp_session_id: &str,
        status: ThreadStatus,
    ) -> Result<(), StoreError> {
        let at = millis(now());
        sqlx::query(
            "UPDATE session_usage SET cost_micros = NULL, currency = NULL WHERE work_session_id = $1 \
             AND cost_micros IS NOT NULL AND EXISTS (SELECT 1 FROM threads t \
             WHERE t.work_session_id = $1 AND t.acp_session_id <> $2)",
        )
        .bind(work_session.to_string())
        .bind(acp_session_id)
        .execute(&mut *self.tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE threads SET acp_session_id = $1, status = $2, last_activity_at = $3 WHERE work_session_id = $4",
        )
        .bind(acp_session_id)
        .bind(status.as_str())
        .bind(at)
        .bind(work_session.to_string())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO threads (id, work_session_id, acp_session_id, status, last_activity_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(ThreadId::from_uuid(Uuid::now_v7()).to_string())
            .bind(work_session.to_string())
            .bind(acp_session_id)
            .bind(status.as_str())
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}
