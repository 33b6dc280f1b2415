//! Stalled sessions (`session_stalls`): a running session whose agent has been silent for the
//! stall time is marked once, with its last activity; the mark goes when the agent speaks again or
//! the session stops running. Each mark and each end is a `work_session.stalled` event.
//!
//! A task's planning (or reviewing) agent has no work session: its silence is marked on the task
//! (`planning_stalls`), and told by the same event without a session.

use std::collections::HashMap;

use spectask_core::events::payload::WorkSessionStalled;
use spectask_core::{SpecTaskId, Timestamp, WorkSessionId};

use crate::database::codec::{get, millis, now, parse, time};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::{Store, StoreError};

/// A running session whose agent went silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionStall {
    pub work_session_id: WorkSessionId,
    pub spec_task_id: SpecTaskId,
    /// When spectask marked it stalled.
    pub since: Timestamp,
    /// When its agent last said or did something.
    pub last_activity_at: Timestamp,
    /// What spectask does about it: `notify`, `interrupt` or `fail` (the profile's `on_stall`).
    pub policy: String,
}

impl Store {
    /// Marks a session stalled, once: true when this call marked it.
    pub async fn mark_session_stalled(&self, stall: &SessionStall) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO session_stalls (work_session_id, spec_task_id, since, last_activity_at, policy) \
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS \
             (SELECT 1 FROM work_sessions WHERE id = $1 AND status = 'running') ON CONFLICT DO NOTHING",
        )
        .bind(stall.work_session_id.to_string())
        .bind(stall.spec_task_id.to_string())
        .bind(millis(stall.since))
        .bind(millis(stall.last_activity_at))
        .bind(&stall.policy)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let silent = (stall.since - stall.last_activity_at).num_seconds().max(0);
        w.append_event(NewEvent {
            spec_task_id: Some(stall.spec_task_id),
            work_session_id: Some(stall.work_session_id),
            payload: WorkSessionStalled {
                stalled: true,
                last_activity_at: Some(stall.last_activity_at),
                silent_seconds: Some(silent),
                policy: Some(stall.policy.clone()),
            },
            at: stall.since,
        })
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The session's agent spoke again: its stall mark goes. True when it was marked.
    pub async fn clear_session_stall(&self, session: WorkSessionId) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let ended = end_stall(&mut w, session).await?;
        w.commit().await?;
        Ok(ended)
    }

    /// The stalled sessions of `tasks`, by session.
    pub async fn session_stalls(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<WorkSessionId, SessionStall>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT work_session_id, spec_task_id, since, last_activity_at, policy FROM session_stalls \
                 WHERE spec_task_id IN ({ids})"
            )
        })
        .await?;
        let mut out = HashMap::new();
        for row in &rows {
            let stall = SessionStall {
                work_session_id: parse(row, "work_session_id")?,
                spec_task_id: parse(row, "spec_task_id")?,
                since: time(row, "since")?,
                last_activity_at: time(row, "last_activity_at")?,
                policy: get(row, "policy")?,
            };
            out.insert(stall.work_session_id, stall);
        }
        Ok(out)
    }
}

/// A task whose planning (or reviewing) agent went silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanningStall {
    pub spec_task_id: SpecTaskId,
    /// When spectask marked it stalled.
    pub since: Timestamp,
    /// When its agent last said or did something.
    pub last_activity_at: Timestamp,
    /// What spectask does about it: the planning profile's `on_stall`.
    pub policy: String,
}

impl Store {
    /// Marks a task's planning stalled, once: true when this call marked it.
    pub async fn mark_planning_stalled(&self, stall: &PlanningStall) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO planning_stalls (spec_task_id, since, last_activity_at, policy) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(stall.spec_task_id.to_string())
        .bind(millis(stall.since))
        .bind(millis(stall.last_activity_at))
        .bind(&stall.policy)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let silent = (stall.since - stall.last_activity_at).num_seconds().max(0);
        w.append_event(NewEvent {
            spec_task_id: Some(stall.spec_task_id),
            work_session_id: None,
            payload: WorkSessionStalled {
                stalled: true,
                last_activity_at: Some(stall.last_activity_at),
                silent_seconds: Some(silent),
                policy: Some(stall.policy.clone()),
            },
            at: stall.since,
        })
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The task's planning agent spoke again, or its turn ended: the mark goes. True when it was
    /// marked.
    pub async fn clear_planning_stall(&self, task: SpecTaskId) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM planning_stalls WHERE spec_task_id = $1")
            .bind(task.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if removed == 0 {
            return Ok(false);
        }
        w.append_event(NewEvent {
            spec_task_id: Some(task),
            work_session_id: None,
            payload: WorkSessionStalled {
                stalled: false,
                last_activity_at: None,
                silent_seconds: None,
                policy: None,
            },
            at: now(),
        })
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The tasks of `tasks` whose planning agent is marked stalled, by task.
    pub async fn planning_stalls(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<SpecTaskId, PlanningStall>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT spec_task_id, since, last_activity_at, policy FROM planning_stalls \
                 WHERE spec_task_id IN ({ids})"
            )
        })
        .await?;
        let mut out = HashMap::new();
        for row in &rows {
            let stall = PlanningStall {
                spec_task_id: parse(row, "spec_task_id")?,
                since: time(row, "since")?,
                last_activity_at: time(row, "last_activity_at")?,
                policy: get(row, "policy")?,
            };
            out.insert(stall.spec_task_id, stall);
        }
        Ok(out)
    }
}

/// Removes a session's stall mark in a larger write, with its event: true when there was one.
pub(crate) async fn end_stall(w: &mut WriteTx<'_>, session: WorkSessionId) -> Result<bool, StoreError> {
    let row = sqlx::query("DELETE FROM session_stalls WHERE work_session_id = $1 RETURNING spec_task_id")
        .bind(session.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let task: SpecTaskId = parse(&row, "spec_task_id")?;
    w.append_event(NewEvent {
        spec_task_id: Some(task),
        work_session_id: Some(session),
        payload: WorkSessionStalled {
            stalled: false,
            last_activity_at: None,
            silent_seconds: None,
            policy: None,
        },
        at: now(),
    })
    .await?;
    Ok(true)
}
