//! Messages to a running work session (what a person says to an interactive session), queued
//! durably and delivered in order by the step that drives the session.

use spectask_core::{JobKind, WorkSession, WorkSessionEffect, WorkSessionId};

use crate::codec::{get, millis, now};
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

    /// The oldest undelivered message of a session.
    pub async fn next_session_message(
        &self,
        session: WorkSessionId,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, text FROM session_messages WHERE work_session_id = $1 AND delivered_at IS NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(session.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((get(&r, "id")?, get(&r, "text")?))).transpose()
    }

    /// Marks a message delivered (its turn ended).
    pub async fn mark_message_delivered(&self, id: i64) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE session_messages SET delivered_at = $1 WHERE id = $2")
            .bind(millis(now()))
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }
}
