//! Making the work sessions of a task under implementation, each inside the write that reads the
//! task's status: a session is never made in a task that moved on (submitted for review, say) on a
//! snapshot the caller took, and the sessions the implementation calls for are made once each.

use std::collections::HashSet;

use serde_json::json;
use spectask_core::{
    CoordinationKind, PlanTaskRef, SpecTaskId, SpecTaskStatus, TransitionError, WorkSession,
};

use crate::database::codec::{get, parse};
use crate::database::write::WriteTx;
use crate::history::coordination::NewCoordination;
use crate::sessions::work_sessions::{NewWorkSession, write_work_session};
use crate::{Store, StoreError};

impl Store {
    /// Spawns a session (a person's, an agent's) in a task under implementation, with its
    /// `session_spawned` entry and a scheduling pass, in one write that reads the task's status:
    /// `Transition` when the task is not in implementation at that moment.
    pub async fn spawn_work_session(&self, new: NewWorkSession) -> Result<WorkSession, StoreError> {
        let mut w = self.begin_write().await?;
        w.require_implementation(new.spec_task_id).await?;
        let task = new.spec_task_id;
        let session = write_work_session(&mut w, new).await?;
        w.log_spawn(&session).await?;
        w.enqueue_advance(task).await?;
        w.commit().await?;
        Ok(session)
    }

    /// Makes those of `wanted` the task has no session for yet, in one write while the task is in
    /// implementation (`Transition` otherwise): a plan task's session once per plan task, a session
    /// without one once per name among the task's top-level sessions. `spawned`: each session made
    /// gets its `session_spawned` entry. Returns the sessions made.
    pub async fn make_missing_work_sessions(
        &self,
        task: SpecTaskId,
        wanted: Vec<NewWorkSession>,
        spawned: bool,
    ) -> Result<Vec<WorkSession>, StoreError> {
        let mut w = self.begin_write().await?;
        w.require_implementation(task).await?;
        let rows =
            sqlx::query("SELECT parent_id, name, plan_task FROM work_sessions WHERE spec_task_id = $1")
                .bind(task.to_string())
                .fetch_all(&mut *w.tx)
                .await?;
        let mut plan_tasks = HashSet::new();
        let mut names = HashSet::new();
        for row in &rows {
            if let Some(text) = get::<Option<String>>(row, "plan_task")? {
                let plan_task: PlanTaskRef = serde_json::from_str(&text)
                    .map_err(|e| StoreError::corrupt(format!("column plan_task: {e}")))?;
                plan_tasks.insert(plan_task.index);
            } else if get::<Option<String>>(row, "parent_id")?.is_none() {
                names.insert(get::<String>(row, "name")?);
            }
        }
        let mut made = Vec::new();
        for new in wanted {
            if new.spec_task_id != task {
                return Err(StoreError::InvalidInput(format!(
                    "session {:?} belongs to another task than {task}",
                    new.name
                )));
            }
            let fresh = match &new.plan_task {
                Some(p) => plan_tasks.insert(p.index),
                None => new.parent_id.is_some() || names.insert(new.name.clone()),
            };
            if !fresh {
                continue;
            }
            let session = write_work_session(&mut w, new).await?;
            if spawned {
                w.log_spawn(&session).await?;
            }
            made.push(session);
        }
        if !made.is_empty() {
            w.commit().await?;
        }
        Ok(made)
    }
}

impl WriteTx<'_> {
    /// Refuses unless the task is in implementation as this write sees it.
    async fn require_implementation(&mut self, task: SpecTaskId) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT status FROM spec_tasks WHERE id = $1")
            .bind(task.to_string())
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: task.to_string() })?;
        let status: SpecTaskStatus = parse(&row, "status")?;
        if status != SpecTaskStatus::Implementation {
            return Err(StoreError::Transition(TransitionError::Illegal {
                entity: "spec task",
                command: "spawn a work session in",
                status: status.as_str(),
                hint: Some("sessions are spawned during implementation"),
            }));
        }
        Ok(())
    }

    /// The coordination entry of a spawned session.
    async fn log_spawn(&mut self, session: &WorkSession) -> Result<(), StoreError> {
        self.record_coordination(NewCoordination {
            spec_task_id: session.spec_task_id,
            kind: CoordinationKind::SessionSpawned,
            from_session: session.parent_id,
            to_session: Some(session.id),
            message: format!("spawned: {}", session.name),
            data: json!({ "description": session.description }),
        })
        .await?;
        Ok(())
    }
}
