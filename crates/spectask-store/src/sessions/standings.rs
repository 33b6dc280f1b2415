//! Where each work session stands, read slim: what the views of a task's work (attention, progress,
//! the fleet) need of every session, without what only its agent reads (its description, agent
//! settings, its plan task's text). The dashboard reads a task's thousand sessions this way many
//! times a second, so the database hands them over as one JSON array in one row: sqlx's `Any`
//! driver copies each row it hands over into a row of its own, which costs about three times
//! what the database spends building that array (9 ms against 3 ms for a thousand sessions on
//! SQLite).

use serde::Deserialize;
use spectask_core::{SpecTaskId, WorkSessionStanding};

use crate::database::codec::{from_millis, get, parse_text};
use crate::database::connect::fetch_of_tasks;
use crate::sessions::work_sessions::state_from;
use crate::{Backend, Store, StoreError};

/// One session's standing as the database writes it into the array: its columns in this order,
/// with its plan task's position read out of the plan task.
#[derive(Deserialize)]
struct Standing(
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<u32>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

/// The array's elements, by backend: `(columns)` is the element, `{ids}` the tasks' placeholders.
const SQLITE: &str = "SELECT json_group_array(json_array(id, spec_task_id, parent_id, name, status, \
                      status_detail, json_extract(plan_task, '$.index'), created_at, updated_at, \
                      started_at, completed_at) ORDER BY spec_task_id, created_at, id) AS standings \
                      FROM work_sessions WHERE spec_task_id IN ({ids})";
const POSTGRES: &str = "SELECT json_agg(json_build_array(id, spec_task_id, parent_id, name, status, \
                        status_detail, (plan_task::json ->> 'index')::bigint, created_at, updated_at, \
                        started_at, completed_at) ORDER BY spec_task_id, created_at, id)::text AS standings \
                        FROM work_sessions WHERE spec_task_id IN ({ids})";

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
        let sql = match self.backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        };
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| sql.replace("{ids}", ids)).await?;
        // No session: SQLite's array is empty, PostgreSQL's is NULL.
        let Some(array) =
            rows.first().map(|row| get::<Option<String>>(row, "standings")).transpose()?.flatten()
        else {
            return Ok(Vec::new());
        };
        let standings: Vec<Standing> = serde_json::from_str(&array)
            .map_err(|e| StoreError::corrupt(format!("work session standings: {e}")))?;
        standings.into_iter().map(standing_from).collect()
    }
}

fn standing_from(standing: Standing) -> Result<WorkSessionStanding, StoreError> {
    let Standing(
        id,
        task,
        parent,
        name,
        status,
        detail,
        plan_task_index,
        created,
        updated,
        started,
        completed,
    ) = standing;
    Ok(WorkSessionStanding {
        id: parse_text("id", &id)?,
        spec_task_id: parse_text("spec_task_id", &task)?,
        parent_id: parent.map(|p| parse_text("parent_id", &p)).transpose()?,
        name,
        state: state_from(&status, detail.as_deref())?,
        plan_task_index,
        created_at: from_millis(created)?,
        updated_at: from_millis(updated)?,
        started_at: started.map(from_millis).transpose()?,
        completed_at: completed.map(from_millis).transpose()?,
    })
}
