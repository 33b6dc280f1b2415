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

/// One session's standing as the database writes it into the array: its columns, in this order
/// (serde reads a struct from an array by position), with its plan task's position and id read out
/// of the plan task.
#[derive(Deserialize)]
struct Standing {
    id: String,
    spec_task_id: String,
    parent_id: Option<String>,
    name: String,
    status: String,
    status_detail: Option<String>,
    plan_task_index: Option<u32>,
    plan_task_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    completed_at: Option<i64>,
}

/// The query, by backend: one row holding the array of the standings of the sessions of the tasks
/// at `{ids}` (their placeholders), by task, each task's in creation order.
const SQLITE: &str = "SELECT json_group_array(json_array(id, spec_task_id, parent_id, name, status, \
                      status_detail, json_extract(plan_task, '$.index'), json_extract(plan_task, '$.id'), \
                      created_at, updated_at, started_at, completed_at) \
                      ORDER BY spec_task_id, created_at, id) AS standings \
                      FROM work_sessions WHERE spec_task_id IN ({ids})";
const POSTGRES: &str = "SELECT json_agg(json_build_array(id, spec_task_id, parent_id, name, status, \
                        status_detail, (plan_task::json ->> 'index')::bigint, plan_task::json ->> 'id', \
                        created_at, updated_at, started_at, completed_at) \
                        ORDER BY spec_task_id, created_at, id)::text AS standings \
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

fn standing_from(s: Standing) -> Result<WorkSessionStanding, StoreError> {
    Ok(WorkSessionStanding {
        id: parse_text("id", &s.id)?,
        spec_task_id: parse_text("spec_task_id", &s.spec_task_id)?,
        parent_id: s.parent_id.map(|p| parse_text("parent_id", &p)).transpose()?,
        name: s.name,
        state: state_from(&s.status, s.status_detail.as_deref())?,
        plan_task_index: s.plan_task_index,
        plan_task_id: s.plan_task_id,
        created_at: from_millis(s.created_at)?,
        updated_at: from_millis(s.updated_at)?,
        started_at: s.started_at.map(from_millis).transpose()?,
        completed_at: s.completed_at.map(from_millis).transpose()?,
    })
}
