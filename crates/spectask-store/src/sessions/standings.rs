//! Where each work session stands, read slim: what the views of a task's work (attention, progress,
//! the fleet) need of every session, without what only its agent reads (its description, agent
//! settings, its plan task's text). The dashboard reads a task's thousand sessions this way many
//! times a second, so only short columns are read and decoded.

use serde::Deserialize;
use spectask_core::{SpecTaskId, WorkSessionStanding};
use sqlx::any::AnyRow;

use crate::database::codec::{get, opt_parse, opt_time, parse, time};
use crate::sessions::work_sessions::state_from_row;
use crate::{Store, StoreError};

/// The columns a standing is read from.
const COLUMNS: &str = "id, spec_task_id, parent_id, name, status, status_detail, plan_task, created_at, \
                       updated_at, started_at, completed_at";

/// Of a session's plan task, the position only; its text is skipped unread.
#[derive(Deserialize)]
struct PlanTaskIndex {
    index: u32,
}

impl Store {
    /// Where each session of one SpecTask stands, in creation order.
    pub async fn work_session_standings_of(
        &self,
        spec_task_id: SpecTaskId,
    ) -> Result<Vec<WorkSessionStanding>, StoreError> {
        self.work_session_standings_of_tasks(&[spec_task_id]).await
    }

    /// Where each session of several SpecTasks stands, in one query: by task, each task's in
    /// creation order (as [`Self::work_sessions_of_tasks`]).
    pub async fn work_session_standings_of_tasks(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<Vec<WorkSessionStanding>, StoreError> {
        let rows = self.work_session_rows_of_tasks(tasks, COLUMNS).await?;
        rows.iter().map(standing_from_row).collect()
    }
}

fn standing_from_row(row: &AnyRow) -> Result<WorkSessionStanding, StoreError> {
    let plan_task: Option<String> = get(row, "plan_task")?;
    let plan_task = plan_task
        .map(|t| serde_json::from_str::<PlanTaskIndex>(&t))
        .transpose()
        .map_err(|e| StoreError::corrupt(format!("column plan_task: {e}")))?;
    Ok(WorkSessionStanding {
        id: parse(row, "id")?,
        spec_task_id: parse(row, "spec_task_id")?,
        parent_id: opt_parse(row, "parent_id")?,
        name: get(row, "name")?,
        state: state_from_row(row)?,
        plan_task_index: plan_task.map(|p| p.index),
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        started_at: opt_time(row, "started_at")?,
        completed_at: opt_time(row, "completed_at")?,
    })
}
