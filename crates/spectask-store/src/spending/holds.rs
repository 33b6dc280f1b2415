//! Budget holds (`budget_holds`): the budget that stops a task, on record while it stops it. A
//! hold is written with what it stops (a session's pause, or its planning put off) and removed when
//! nothing holds the task any more, so "is this task paused by a budget, which, why" is one read,
//! whichever budget it is (the task's own, its repository's or its user's daily budget).

use std::collections::HashMap;

use spectask_core::{
    BudgetHold, BudgetScope, JobKind, SpecTaskEffect, SpecTaskId, Timestamp, WorkSession, WorkSessionCommand,
    WorkSessionEffect, WorkSessionId,
};

use crate::database::codec::{get, millis, now, parse, time};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::tasks::spec_tasks::AppliedChange;
use crate::{Store, StoreError};

/// A budget hold on record: the hold and since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetHoldRecord {
    pub spec_task_id: SpecTaskId,
    pub hold: BudgetHold,
    pub since: Timestamp,
}

impl Store {
    /// The budget holds of `tasks` (tasks nothing holds are absent), in one query.
    pub async fn budget_holds(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<SpecTaskId, BudgetHoldRecord>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT spec_task_id, scope, subject, why, lift, since FROM budget_holds \
                 WHERE spec_task_id IN ({ids})"
            )
        })
        .await?;
        rows.iter().map(|row| hold_from_row(row).map(|h| (h.spec_task_id, h))).collect()
    }

    /// Every task a budget holds, for the sweep that lets them go on once it no longer does.
    pub async fn budget_held_tasks(&self) -> Result<Vec<BudgetHoldRecord>, StoreError> {
        let rows = sqlx::query("SELECT spec_task_id, scope, subject, why, lift, since FROM budget_holds")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(hold_from_row).collect()
    }

    /// Records that `hold` stops `task` (its planning, or a session not running); a hold already on
    /// record is replaced, keeping since when the task is held.
    pub async fn hold_for_budget(&self, task: SpecTaskId, hold: &BudgetHold) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        w.write_budget_hold(task, hold).await?;
        w.commit().await
    }

    /// Pauses a session because `hold` stops its task, with the hold recorded in the same write.
    pub async fn pause_for_budget(
        &self,
        session: WorkSessionId,
        hold: &BudgetHold,
    ) -> Result<AppliedChange<WorkSession, WorkSessionEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let current = w.work_session(session).await?;
        let command = WorkSessionCommand::Interrupt { reason: hold.pause_reason() };
        let applied = w.transition_work_session(&current, &command, true).await?;
        w.write_budget_hold(current.spec_task_id, hold).await?;
        w.commit().await?;
        Ok(applied)
    }

    /// Nothing holds `task` any more: its hold goes, and with `plan_again` its planning (put off
    /// by the hold) is queued again in the same write, unless a planning job is queued or running.
    /// True when a hold was on record.
    pub async fn release_budget_hold(&self, task: SpecTaskId, plan_again: bool) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM budget_holds WHERE spec_task_id = $1")
            .bind(task.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        let planner = JobKind::SpecTask(SpecTaskEffect::RunPlanner);
        if removed > 0 && plan_again {
            let queued = sqlx::query(
                "SELECT 1 AS queued FROM jobs WHERE spec_task_id = $1 AND kind = $2 \
                 AND status IN ('queued', 'running')",
            )
            .bind(task.to_string())
            .bind(planner.as_str())
            .fetch_optional(&mut *w.tx)
            .await?;
            if queued.is_none() {
                w.enqueue_job(planner, Some(task), None, now()).await?;
            }
        }
        w.commit().await?;
        Ok(removed > 0)
    }
}

impl WriteTx<'_> {
    async fn write_budget_hold(&mut self, task: SpecTaskId, hold: &BudgetHold) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO budget_holds (spec_task_id, scope, subject, why, lift, since) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (spec_task_id) DO UPDATE SET \
             scope = excluded.scope, subject = excluded.subject, why = excluded.why, lift = excluded.lift",
        )
        .bind(task.to_string())
        .bind(hold.scope.map(|s| s.as_str()))
        .bind(&hold.subject)
        .bind(&hold.why)
        .bind(&hold.raise)
        .bind(millis(now()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

fn hold_from_row(row: &sqlx::any::AnyRow) -> Result<BudgetHoldRecord, StoreError> {
    let scope: Option<String> = get(row, "scope")?;
    let scope = scope
        .map(|s| s.parse::<BudgetScope>().map_err(|_| StoreError::corrupt(format!("budget scope {s:?}"))))
        .transpose()?;
    Ok(BudgetHoldRecord {
        spec_task_id: parse(row, "spec_task_id")?,
        hold: BudgetHold {
            scope,
            subject: get(row, "subject")?,
            why: get(row, "why")?,
            raise: get(row, "lift")?,
        },
        since: time(row, "since")?,
    })
}
