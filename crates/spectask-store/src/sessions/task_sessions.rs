//! The work sessions of tasks read whole in one row: the database hands them over as one JSON
//! array, as `standings` does for their slim form. sqlx's `Any` driver copies each row it hands
//! over into a row of its own, which costs more than the database spends building the array; a
//! task's sessions are read this way in every completion's write (its scheduling), so the cost of
//! a long task's completions grows the least with its sessions.

use serde::Deserialize;
use spectask_core::{Priority, SpecTaskId, WorkSession};
use sqlx::any::AnyRow;

use crate::database::codec::{from_millis, get, parse_text};
use crate::database::connect::{fetch_of_tasks, fixed_sql};
use crate::database::write::WriteTx;
use crate::sessions::work_sessions::state_from;
use crate::{Backend, Store, StoreError};

/// A session's columns, in the order the query writes them into each session's array (serde reads
/// a struct from an array by position), and whether its commit step ran (`committed_at`).
#[derive(Deserialize)]
pub(crate) struct SessionColumns {
    id: String,
    spec_task_id: String,
    parent_id: Option<String>,
    spawned_by_id: Option<String>,
    name: String,
    description: String,
    phase: String,
    status: String,
    status_detail: Option<String>,
    plan_task: Option<String>,
    agent_profile: Option<String>,
    agent_config: String,
    priority: i64,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    completed_at: Option<i64>,
    version: i64,
    #[serde(default)]
    committed_at: Option<i64>,
}

/// The query, by backend: one row holding the array of the sessions of the tasks at `{ids}`
/// (their placeholders), by task, each task's in creation order.
const SQLITE: &str = "SELECT json_group_array(json_array(id, spec_task_id, parent_id, spawned_by_id, \
                      name, description, phase, status, status_detail, plan_task, agent_profile, \
                      agent_config, priority, created_at, updated_at, started_at, completed_at, version, \
                      committed_at) ORDER BY spec_task_id, created_at, id) AS sessions \
                      FROM work_sessions WHERE spec_task_id IN ({ids})";
const POSTGRES: &str = "SELECT json_agg(json_build_array(id, spec_task_id, parent_id, spawned_by_id, \
                        name, description, phase, status, status_detail, plan_task, agent_profile, \
                        agent_config, priority, created_at, updated_at, started_at, completed_at, version, \
                        committed_at) ORDER BY spec_task_id, created_at, id)::text AS sessions \
                        FROM work_sessions WHERE spec_task_id IN ({ids})";

fn query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

impl Store {
    /// The work sessions of several SpecTasks in one query, by task, each task's in creation order.
    pub async fn work_sessions_of_tasks(&self, tasks: &[SpecTaskId]) -> Result<Vec<WorkSession>, StoreError> {
        let sql = query(self.backend);
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| sql.replace("{ids}", ids)).await?;
        let sessions = sessions_in(rows.first())?;
        Ok(sessions.into_iter().map(|(session, _)| session).collect())
    }
}

impl WriteTx<'_> {
    /// The sessions of a task in creation order, each with whether its changes are on the task
    /// branch (its commit step ran), as this write sees them.
    pub(crate) async fn task_sessions(
        &mut self,
        task: SpecTaskId,
    ) -> Result<Vec<(WorkSession, bool)>, StoreError> {
        let sql = query(self.backend).replace("{ids}", "$1");
        let row = sqlx::query(fixed_sql(sql)).bind(task.to_string()).fetch_optional(&mut *self.tx).await?;
        sessions_in(row.as_ref())
    }
}

/// The sessions in the array `row` holds (none: SQLite's array is empty, PostgreSQL's NULL).
fn sessions_in(row: Option<&AnyRow>) -> Result<Vec<(WorkSession, bool)>, StoreError> {
    let Some(array) = row.map(|row| get::<Option<String>>(row, "sessions")).transpose()?.flatten() else {
        return Ok(Vec::new());
    };
    let columns: Vec<SessionColumns> =
        serde_json::from_str(&array).map_err(|e| StoreError::corrupt(format!("work sessions: {e}")))?;
    columns
        .into_iter()
        .map(|c| {
            let committed = c.committed_at.is_some();
            Ok((c.into_session()?, committed))
        })
        .collect()
}

impl SessionColumns {
    /// The columns of a row read with the session's columns (and `committed_at` when it was read).
    pub(crate) fn from_row(row: &AnyRow) -> Result<SessionColumns, StoreError> {
        Ok(SessionColumns {
            id: get(row, "id")?,
            spec_task_id: get(row, "spec_task_id")?,
            parent_id: get(row, "parent_id")?,
            spawned_by_id: get(row, "spawned_by_id")?,
            name: get(row, "name")?,
            description: get(row, "description")?,
            phase: get(row, "phase")?,
            status: get(row, "status")?,
            status_detail: get(row, "status_detail")?,
            plan_task: get(row, "plan_task")?,
            agent_profile: get(row, "agent_profile")?,
            agent_config: get(row, "agent_config")?,
            priority: get(row, "priority")?,
            created_at: get(row, "created_at")?,
            updated_at: get(row, "updated_at")?,
            started_at: get(row, "started_at")?,
            completed_at: get(row, "completed_at")?,
            version: get(row, "version")?,
            committed_at: None,
        })
    }

    /// The session these columns hold; a column that does not parse is named in the error.
    pub(crate) fn into_session(self) -> Result<WorkSession, StoreError> {
        let optional = |column: &str, text: Option<String>| text.map(|t| parse_text(column, &t)).transpose();
        let json_error = |column: &'static str| {
            move |e: serde_json::Error| StoreError::corrupt(format!("column {column}: {e}"))
        };
        Ok(WorkSession {
            id: parse_text("id", &self.id)?,
            spec_task_id: parse_text("spec_task_id", &self.spec_task_id)?,
            parent_id: optional("parent_id", self.parent_id)?,
            spawned_by_id: optional("spawned_by_id", self.spawned_by_id)?,
            phase: parse_text("phase", &self.phase)?,
            state: state_from(&self.status, self.status_detail.as_deref())?,
            plan_task: self
                .plan_task
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(json_error("plan_task"))?,
            agent_config: serde_json::from_str(&self.agent_config).map_err(json_error("agent_config"))?,
            priority: Priority::from_rank(self.priority)
                .ok_or_else(|| StoreError::corrupt(format!("priority rank {}", self.priority)))?,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            started_at: self.started_at.map(from_millis).transpose()?,
            completed_at: self.completed_at.map(from_millis).transpose()?,
            name: self.name,
            description: self.description,
            agent_profile: self.agent_profile,
            version: self.version,
        })
    }
}
