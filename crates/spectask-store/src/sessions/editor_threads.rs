//! Work sessions opened from an editor (`spectask acp`): which editor opened them and in which
//! directory. A thread's work session and its mark are written together, so the orchestrator never
//! sees an editor thread as a session of its own (which it would prompt).

use spectask_core::{EditorThread, NewSpecTask, SpecTask, SpecTaskId, WorkSession, WorkSessionId};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, millis, now, parse, time};
use crate::database::write::WriteTx;
use crate::sessions::work_sessions::{NewWorkSession, write_work_session};
use crate::tasks::spec_tasks::write_spec_task;
use crate::{Store, StoreError};

/// Where a thread was opened: the editor's name (`zed`) and the thread's directory. (The MCP servers
/// the editor gives it are never written here: their environment may hold its credentials.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditorOpening {
    pub client: String,
    pub cwd: String,
}

impl Store {
    /// Creates the work session of a thread opened from an editor, marked as such, and wakes the
    /// orchestrator to schedule it.
    pub async fn create_editor_session(
        &self,
        new: NewWorkSession,
        opening: &EditorOpening,
    ) -> Result<WorkSession, StoreError> {
        let mut w = self.begin_write().await?;
        let session = write_work_session(&mut w, new).await?;
        mark(&mut w, session.id, opening).await?;
        w.wake_orchestrator().await?;
        w.commit().await?;
        Ok(session)
    }

    /// Creates a task for an editor's threads together with the first thread's work session (made
    /// by `session` from the task), so that the task's implementation finds its session there.
    pub async fn create_editor_task(
        &self,
        new: NewSpecTask,
        session: impl Fn(&SpecTask) -> NewWorkSession,
        opening: &EditorOpening,
    ) -> Result<(SpecTask, WorkSession), StoreError> {
        // The short id is 32 random bits; on the rare collision, draw another id.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let task = new.clone().into_spec_task(SpecTaskId::from_uuid(Uuid::now_v7()), now());
            let mut w = self.begin_write().await?;
            match write_spec_task(&mut w, &task).await {
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && attempts < 5 =>
                {
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            let created = write_work_session(&mut w, session(&task)).await?;
            mark(&mut w, created.id, opening).await?;
            w.wake_orchestrator().await?;
            w.commit().await?;
            return Ok((task, created));
        }
    }

    /// The editors that opened the task's work sessions, by session (those opened from one).
    pub async fn editor_clients_of(
        &self,
        task: SpecTaskId,
    ) -> Result<std::collections::HashMap<WorkSessionId, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT et.work_session_id, et.client FROM editor_threads et \
             JOIN work_sessions ws ON ws.id = et.work_session_id WHERE ws.spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((parse(row, "work_session_id")?, get(row, "client")?))).collect()
    }

    /// The editor that opened a work session, when one did.
    pub async fn editor_thread(
        &self,
        work_session: WorkSessionId,
    ) -> Result<Option<EditorThread>, StoreError> {
        let row = sqlx::query(
            "SELECT work_session_id, client, cwd, created_at FROM editor_threads WHERE work_session_id = $1",
        )
        .bind(work_session.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(editor_thread_from_row).transpose()
    }
}

async fn mark(
    w: &mut WriteTx<'_>,
    work_session: WorkSessionId,
    opening: &EditorOpening,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO editor_threads (work_session_id, client, cwd, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(work_session.to_string())
    .bind(&opening.client)
    .bind(&opening.cwd)
    .bind(millis(now()))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

fn editor_thread_from_row(row: &AnyRow) -> Result<EditorThread, StoreError> {
    Ok(EditorThread {
        work_session_id: parse(row, "work_session_id")?,
        client: get(row, "client")?,
        cwd: get(row, "cwd")?,
        created_at: time(row, "created_at")?,
    })
}
