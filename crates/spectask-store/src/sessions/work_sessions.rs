//! WorkSessions (with their 1:1 Session record) and their lifecycle transitions.

use spectask_core::events::payload::{WorkSessionCreated, WorkSessionTransitioned};
use spectask_core::{
    CoordinationKind, JobKind, PlanTaskRef, Priority, SpecTaskId, WorkSession, WorkSessionCommand,
    WorkSessionEffect, WorkSessionId, WorkSessionPhase, WorkSessionState, WorkSessionStatus,
};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, millis, now, parse, parse_text, to_json};
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::sessions::task_sessions::SessionColumns;
use crate::tasks::spec_tasks::AppliedChange;
use crate::{Store, StoreError};

macro_rules! columns {
    () => {
        "id, spec_task_id, parent_id, spawned_by_id, name, description, phase, status, \
         status_detail, plan_task, agent_profile, agent_config, priority, created_at, updated_at, \
         started_at, completed_at, version"
    };
}

/// What a caller supplies to create a WorkSession; it starts `pending`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewWorkSession {
    pub spec_task_id: SpecTaskId,
    pub parent_id: Option<WorkSessionId>,
    pub spawned_by_id: Option<WorkSessionId>,
    pub name: String,
    pub description: String,
    pub phase: WorkSessionPhase,
    pub plan_task: Option<PlanTaskRef>,
    pub agent_profile: Option<String>,
    pub agent_config: serde_json::Value,
    pub priority: Priority,
}

impl NewWorkSession {
    /// A top-level implementation session of the task: no parent, no plan task, the task's
    /// implementation agent with no extra configuration, normal priority. Callers set what differs.
    pub fn implementation(
        spec_task_id: SpecTaskId,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> NewWorkSession {
        NewWorkSession {
            spec_task_id,
            parent_id: None,
            spawned_by_id: None,
            name: name.into(),
            description: description.into(),
            phase: WorkSessionPhase::Implementation,
            plan_task: None,
            agent_profile: None,
            agent_config: serde_json::json!({}),
            priority: Priority::Normal,
        }
    }
}

impl Store {
    /// Creates a WorkSession and records `work_session.created`.
    pub async fn create_work_session(&self, new: NewWorkSession) -> Result<WorkSession, StoreError> {
        let mut w = self.begin_write().await?;
        let session = write_work_session(&mut w, new).await?;
        w.commit().await?;
        Ok(session)
    }

    pub async fn work_session(&self, id: WorkSessionId) -> Result<WorkSession, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM work_sessions WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(work_session_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "work session", reference: id.to_string() })
    }

    /// The interrupted work sessions whose detail matches the SQL `LIKE` pattern, in one query.
    pub(crate) async fn interrupted_work_sessions_like(
        &self,
        pattern: &str,
    ) -> Result<Vec<WorkSession>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM work_sessions WHERE status = 'interrupted' AND status_detail LIKE $1"
        ))
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(work_session_from_row).collect()
    }

    /// The work sessions of one SpecTask, in creation order.
    pub async fn work_sessions_of(&self, spec_task_id: SpecTaskId) -> Result<Vec<WorkSession>, StoreError> {
        self.work_sessions_of_tasks(&[spec_task_id]).await
    }

    /// The completed work sessions of one SpecTask in creation order, each with what it reported
    /// when it ended (its summary), in one query.
    pub async fn completed_work_sessions_with_summaries(
        &self,
        spec_task_id: SpecTaskId,
    ) -> Result<Vec<(WorkSession, Option<String>)>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            ", summary FROM work_sessions WHERE spec_task_id = $1 AND status = $2 ORDER BY created_at, id"
        ))
        .bind(spec_task_id.to_string())
        .bind(WorkSessionStatus::Completed.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((work_session_from_row(row)?, get(row, "summary")?))).collect()
    }

    /// Like [`Self::transition_work_session`] for a caller that carries out the effects itself
    /// (the step driving the session): the transition and its event are written, no job is queued.
    pub async fn record_work_session_transition(
        &self,
        session: &WorkSession,
        command: &WorkSessionCommand,
    ) -> Result<AppliedChange<WorkSession, WorkSessionEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let applied = w.transition_work_session(session, command, false).await?;
        w.commit().await?;
        Ok(applied)
    }

    /// Stores what a session reported when it ended (its final message).
    pub async fn set_work_session_summary(&self, id: WorkSessionId, summary: &str) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE work_sessions SET summary = $1 WHERE id = $2")
            .bind(summary)
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// What a session reported when it ended, if it did.
    pub async fn work_session_summary(&self, id: WorkSessionId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT summary FROM work_sessions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(|r| get::<Option<String>>(r, "summary")).transpose()?.flatten())
    }

    /// Whether the session's changes are on its task branch (its commit step recorded them).
    pub async fn work_session_committed(&self, id: WorkSessionId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT committed_at FROM work_sessions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let row =
            row.ok_or_else(|| StoreError::NotFound { entity: "work session", reference: id.to_string() })?;
        Ok(get::<Option<i64>>(&row, "committed_at")?.is_some())
    }

    /// The task's completed sessions whose commit is not on record yet: what a session's first
    /// prompt waits for, unless its node knows their changes are staged.
    pub async fn work_sessions_completed_uncommitted(
        &self,
        spec_task_id: SpecTaskId,
    ) -> Result<Vec<WorkSessionId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM work_sessions WHERE spec_task_id = $1 AND status = $2 AND committed_at IS NULL",
        )
        .bind(spec_task_id.to_string())
        .bind(WorkSessionStatus::Completed.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| parse(row, "id")).collect()
    }

    /// Whether the session's completion is in its task's coordination log. A session completed but
    /// not committed whose completion is logged was completed once git staged its changes, and
    /// its commit's record did not follow (`complete_work_session_unless_messages` with a log).
    pub async fn work_session_completion_logged(&self, id: WorkSessionId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS logged FROM coordination_events WHERE from_session = $1 AND kind = $2 LIMIT 1",
        )
        .bind(id.to_string())
        .bind(spectask_core::CoordinationKind::SessionCompleted.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The agent session id and summary of every work session of a task, in one query (for a
    /// listing): `(acp_session_id, summary)` by session.
    pub async fn work_session_details(
        &self,
        task: SpecTaskId,
    ) -> Result<std::collections::HashMap<WorkSessionId, (Option<String>, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT ws.id, ws.summary, th.acp_session_id FROM work_sessions ws \
             LEFT JOIN threads th ON th.work_session_id = ws.id WHERE ws.spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((parse(row, "id")?, (get(row, "acp_session_id")?, get(row, "summary")?))))
            .collect()
    }

    /// Applies `command` to the work session as the caller saw it (see `transition_spec_task`).
    pub async fn transition_work_session(
        &self,
        session: &WorkSession,
        command: &WorkSessionCommand,
    ) -> Result<AppliedChange<WorkSession, WorkSessionEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let applied = w.transition_work_session(session, command, true).await?;
        w.commit().await?;
        Ok(applied)
    }

    /// Interrupts session `id` if it runs, as it is when the write begins: read and changed in one
    /// write, so a step that moved it since the caller last read it (a retried drive resuming it)
    /// is no conflict. A session that does not run is answered as it is.
    pub async fn interrupt_if_running(
        &self,
        id: WorkSessionId,
        reason: &str,
    ) -> Result<WorkSession, StoreError> {
        let mut w = self.begin_write().await?;
        let session = w.work_session(id).await?;
        if session.status() != WorkSessionStatus::Running {
            return Ok(session);
        }
        let command = WorkSessionCommand::Interrupt { reason: reason.to_owned() };
        let applied = w.transition_work_session(&session, &command, true).await?;
        w.record_person_stop(&applied.value).await?;
        w.commit().await?;
        Ok(applied.value)
    }

    /// A change a person asked for (pause, resume, complete, cancel), applied to the session as it
    /// is when the write begins: the orchestrator moving it since the person's read is no conflict,
    /// and only a command the session's current state refuses fails. A session that ends this way
    /// queues its task's scheduling pass in the same write, so what it blocked or held up is decided.
    pub async fn change_work_session(
        &self,
        id: WorkSessionId,
        command: &WorkSessionCommand,
    ) -> Result<AppliedChange<WorkSession, WorkSessionEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let session = w.work_session(id).await?;
        let applied = w.transition_work_session(&session, command, true).await?;
        if applied.value.state.is_terminal() {
            w.enqueue_advance(session.spec_task_id).await?;
        }
        if matches!(command, WorkSessionCommand::Interrupt { .. }) {
            w.record_person_stop(&applied.value).await?;
        }
        w.commit().await?;
        Ok(applied)
    }
}

impl WriteTx<'_> {
    /// A session a person paused (its agent stopped, its thread closed) leaves a line in its task's
    /// coordination log, and so in the timeline and the export; a budget's pause is told there as
    /// the budget's own line, and an interruption no person asked for as nothing.
    pub(crate) async fn record_person_stop(&mut self, session: &WorkSession) -> Result<(), StoreError> {
        let WorkSessionState::Interrupted { reason } = &session.state else { return Ok(()) };
        if !session.state.is_paused() || session.state.is_paused_by_budget() {
            return Ok(());
        }
        let new = crate::NewCoordination {
            spec_task_id: session.spec_task_id,
            kind: CoordinationKind::SessionStopped,
            from_session: Some(session.id),
            to_session: None,
            message: format!("stopped: {reason}"),
            data: serde_json::json!({ "reason": reason }),
        };
        self.record_coordination(new).await.map(drop)
    }

    /// The session as this write sees it: no other write comes between this read and the writes
    /// after it.
    pub(crate) async fn work_session(&mut self, id: WorkSessionId) -> Result<WorkSession, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM work_sessions WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref()
            .map(work_session_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "work session", reference: id.to_string() })
    }

    /// The transition inside a larger transaction, with its event and one job per effect.
    pub(crate) async fn transition_work_session(
        &mut self,
        session: &WorkSession,
        command: &WorkSessionCommand,
        enqueue_effects: bool,
    ) -> Result<AppliedChange<WorkSession, WorkSessionEffect>, StoreError> {
        let transition = session.state.apply(command)?;
        let now = now();
        let mut next = session.clone();
        next.state = transition.to;
        next.updated_at = now;
        next.version = session.version + 1;
        if next.status() == WorkSessionStatus::Running && next.started_at.is_none() {
            next.started_at = Some(now);
        }
        if next.state.is_terminal() {
            next.completed_at = Some(now);
        }
        let updated = sqlx::query(
            "UPDATE work_sessions SET status = $1, status_detail = $2, updated_at = $3, \
             started_at = $4, completed_at = $5, version = $6 WHERE id = $7 AND version = $8",
        )
        .bind(next.status().as_str())
        .bind(status_detail(&next.state)?)
        .bind(millis(now))
        .bind(next.started_at.map(millis))
        .bind(next.completed_at.map(millis))
        .bind(next.version)
        .bind(session.id.to_string())
        .bind(session.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Conflict {
                entity: "work session",
                id: session.id.to_string(),
                expected: session.version,
            });
        }
        if next.status() != WorkSessionStatus::Running {
            // A stall is of a running session's agent: it ends with the running.
            crate::sessions::stalls::end_stall(self, session.id).await?;
        }
        let event_seq = self
            .append_event(NewEvent {
                spec_task_id: Some(session.spec_task_id),
                work_session_id: Some(session.id),
                payload: WorkSessionTransitioned {
                    from: session.status(),
                    to: next.status(),
                    command: command.clone(),
                    effects: transition.effects.clone(),
                },
                at: now,
            })
            .await?;
        for effect in transition.effects.iter().filter(|_| enqueue_effects) {
            self.enqueue_job(
                JobKind::WorkSession(*effect),
                Some(session.spec_task_id),
                Some(session.id),
                now,
            )
            .await?;
        }
        Ok(AppliedChange { value: next, effects: transition.effects, event_seq })
    }
}

/// The detail a status carries (what it waits on, why it failed), as JSON text.
fn status_detail(state: &WorkSessionState) -> Result<Option<String>, StoreError> {
    match state {
        WorkSessionState::Blocked { .. }
        | WorkSessionState::Failed { .. }
        | WorkSessionState::Interrupted { .. } => to_json(state).map(Some),
        _ => Ok(None),
    }
}

/// A session's state from its `status` and `status_detail` columns.
pub(crate) fn state_from(status: &str, detail: Option<&str>) -> Result<WorkSessionState, StoreError> {
    let status: WorkSessionStatus = parse_text("status", status)?;
    let detail: Option<serde_json::Value> = detail
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::corrupt(format!("column status_detail: {e}")))?;
    let field = |name: &str| detail.as_ref().and_then(|d| d.get(name)).cloned();
    let text = |name: &str| field(name).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    Ok(match status {
        WorkSessionStatus::Pending => WorkSessionState::Pending,
        WorkSessionStatus::Running => WorkSessionState::Running,
        WorkSessionStatus::Completed => WorkSessionState::Completed,
        WorkSessionStatus::Cancelled => WorkSessionState::Cancelled,
        WorkSessionStatus::Failed => WorkSessionState::Failed { reason: text("reason") },
        WorkSessionStatus::Interrupted => WorkSessionState::Interrupted { reason: text("reason") },
        WorkSessionStatus::Blocked => WorkSessionState::Blocked {
            waiting_on: serde_json::from_value(field("waiting_on").unwrap_or_default())
                .map_err(|e| StoreError::corrupt(format!("blocked work session: {e}")))?,
        },
    })
}

fn work_session_from_row(row: &AnyRow) -> Result<WorkSession, StoreError> {
    SessionColumns::from_row(row)?.into_session()
}

/// Inserts a new WorkSession (`pending`) and `work_session.created` in `w`.
pub(crate) async fn write_work_session(
    w: &mut WriteTx<'_>,
    new: NewWorkSession,
) -> Result<WorkSession, StoreError> {
    let now = now();
    let session = WorkSession {
        id: WorkSessionId::from_uuid(Uuid::now_v7()),
        spec_task_id: new.spec_task_id,
        parent_id: new.parent_id,
        spawned_by_id: new.spawned_by_id,
        name: new.name,
        description: new.description,
        phase: new.phase,
        state: WorkSessionState::Pending,
        plan_task: new.plan_task,
        agent_profile: new.agent_profile,
        agent_config: new.agent_config,
        priority: new.priority,
        created_at: now,
        updated_at: now,
        started_at: None,
        completed_at: None,
        version: 1,
    };
    sqlx::query(concat!(
        "INSERT INTO work_sessions (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(session.id.to_string())
    .bind(session.spec_task_id.to_string())
    .bind(session.parent_id.map(|id| id.to_string()))
    .bind(session.spawned_by_id.map(|id| id.to_string()))
    .bind(&session.name)
    .bind(&session.description)
    .bind(session.phase.as_str())
    .bind(session.status().as_str())
    .bind(status_detail(&session.state)?)
    .bind(session.plan_task.as_ref().map(to_json).transpose()?)
    .bind(session.agent_profile.clone())
    .bind(session.agent_config.to_string())
    .bind(session.priority.rank())
    .bind(millis(now))
    .bind(millis(now))
    .bind(None::<i64>)
    .bind(None::<i64>)
    .bind(session.version)
    .execute(&mut *w.tx)
    .await?;
    w.append_event(NewEvent {
        spec_task_id: Some(session.spec_task_id),
        work_session_id: Some(session.id),
        payload: WorkSessionCreated {
            name: session.name.clone(),
            phase: session.phase,
            parent_id: session.parent_id,
            spawned_by_id: session.spawned_by_id,
            plan_task: session.plan_task.clone(),
        },
        at: now,
    })
    .await?;
    Ok(session)
}
