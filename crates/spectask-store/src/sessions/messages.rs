//! Messages to a running work session (what a person says to an interactive session), queued
//! durably with the job that delivers them (read and marked delivered, with the sessions' own
//! messages, in `mail.rs`); and the files a session reported changing.

use std::collections::HashMap;

use spectask_core::{JobKind, SpecTaskId, WorkSession, WorkSessionEffect, WorkSessionId};

use crate::database::codec::{get, millis, now, parse};
use crate::database::connect::fixed_sql;
use crate::{Store, StoreError};

impl Store {
    /// Queues a message for the session and a job to deliver it.
    pub async fn queue_session_message(&self, session: &WorkSession, text: &str) -> Result<i64, StoreError> {
        let at = now();
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO session_messages (work_session_id, text, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(session.id.to_string())
        .bind(text)
        .bind(millis(at))
        .fetch_one(&mut *w.tx)
        .await?;
        w.enqueue_job(
            JobKind::WorkSession(WorkSessionEffect::ResumeThread),
            Some(session.spec_task_id),
            Some(session.id),
            at,
        )
        .await?;
        w.commit().await?;
        get(&row, "id")
    }

    /// Adds to the files a session reported changing (kept sorted, without duplicates).
    pub async fn add_touched_paths(
        &self,
        session: WorkSessionId,
        paths: &[String],
    ) -> Result<(), StoreError> {
        if paths.is_empty() {
            return Ok(());
        }
        let mut w = self.begin_write().await?;
        let row = sqlx::query("SELECT touched_paths FROM work_sessions WHERE id = $1")
            .bind(session.to_string())
            .fetch_one(&mut *w.tx)
            .await?;
        let mut all: Vec<String> = match get::<Option<String>>(&row, "touched_paths")? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("touched paths: {e}")))?
            }
            None => Vec::new(),
        };
        all.extend(paths.iter().cloned());
        all.sort();
        all.dedup();
        sqlx::query("UPDATE work_sessions SET touched_paths = $1 WHERE id = $2")
            .bind(serde_json::to_string(&all).unwrap_or_else(|_| "[]".to_owned()))
            .bind(session.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// The files a session reported changing (empty when it reported none).
    pub async fn touched_paths(&self, session: WorkSessionId) -> Result<Vec<String>, StoreError> {
        let row = sqlx::query("SELECT touched_paths FROM work_sessions WHERE id = $1")
            .bind(session.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row.map(|r| get::<Option<String>>(&r, "touched_paths")).transpose()?.flatten() {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("touched paths: {e}")))
            }
            None => Ok(Vec::new()),
        }
    }

    /// The files each session of `task` reported changing, in one query (sessions that reported
    /// none are left out).
    pub async fn touched_paths_of_task(
        &self,
        task: SpecTaskId,
    ) -> Result<HashMap<WorkSessionId, Vec<String>>, StoreError> {
        self.touched_paths_where(task, "").await
    }

    /// The files each session of `task` reported changing whose commit is still to come: not
    /// committed, nor cancelled (sessions that reported none are left out).
    pub async fn touched_paths_uncommitted(
        &self,
        task: SpecTaskId,
    ) -> Result<HashMap<WorkSessionId, Vec<String>>, StoreError> {
        self.touched_paths_where(task, " AND committed_at IS NULL AND status <> 'cancelled'").await
    }

    async fn touched_paths_where(
        &self,
        task: SpecTaskId,
        condition: &'static str,
    ) -> Result<HashMap<WorkSessionId, Vec<String>>, StoreError> {
        let query = format!(
            "SELECT id, touched_paths FROM work_sessions WHERE spec_task_id = $1 AND touched_paths IS NOT NULL{condition}"
        );
        let rows = sqlx::query(fixed_sql(query)).bind(task.to_string()).fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for row in &rows {
            let text: String = get(row, "touched_paths")?;
            let paths = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("touched paths: {e}")))?;
            out.insert(parse(row, "id")?, paths);
        }
        Ok(out)
    }
}
