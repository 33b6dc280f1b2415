//! A SpecTask's rows as plain JSON, for the design-docs branch (`specs/<task>/state.json`) and for
//! `spectask recover`, which writes them back verbatim into an empty database: the database is a
//! cache of git. Runtime rows (jobs, leases, threads, events) are not part of it.

use serde_json::{Map, Value};
use spectask_core::{HistoryFile, SpecTaskId, Timestamp, WorkSessionId};
use sqlx::any::AnyRow;

use crate::database::codec::{get, millis, now};
use crate::database::connect::fixed_sql;
use crate::{Backend, Store, StoreError};

/// The format of [`Store::export_task`]'s answer.
pub const SNAPSHOT_FORMAT: i64 = 1;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
}
use Kind::{Int, Text};

struct Table {
    name: &'static str,
    /// Selects the task's rows; `$1` is the task id.
    filter: &'static str,
    order: &'static str,
    columns: &'static [(&'static str, Kind)],
}

/// In insertion order (references first).
const TABLES: &[Table] = &[
    Table {
        name: "repositories",
        filter: "id = (SELECT repository_id FROM spec_tasks WHERE id = $1)",
        order: "id",
        columns: &[
            ("id", Text),
            ("path", Text),
            ("default_branch", Text),
            ("design_docs_branch", Text),
            ("attention", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("merge_policy", Text),
            ("check_command", Text),
            ("remote_url", Text),
            ("owner", Text),
            ("task_branches", Text),
            ("hooks", Text),
            ("pull_request_merge", Text),
            ("issue_label", Text),
            ("required_approvals", Int),
        ],
    },
    Table {
        name: "spec_tasks",
        filter: "id = $1",
        order: "id",
        columns: &[
            ("id", Text),
            ("short_id", Text),
            ("slug", Text),
            ("title", Text),
            ("prompt", Text),
            ("kind", Text),
            ("status", Text),
            ("failed_from", Text),
            ("error", Text),
            ("repository_id", Text),
            ("planning_agent", Text),
            ("implementation_agent", Text),
            ("priority", Int),
            ("spec_version", Int),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("started_at", Int),
            ("completed_at", Int),
            ("version", Int),
            ("queue_reason", Text),
            ("complexity", Text),
            ("workflow", Text),
            ("review_target", Text),
            ("workflow_base", Text),
        ],
    },
    Table {
        name: "spec_task_prerequisites",
        filter: "spec_task_id = $1",
        order: "prerequisite_id",
        columns: &[("spec_task_id", Text), ("prerequisite_id", Text), ("hold_before", Text)],
    },
    Table {
        name: "spec_versions",
        filter: "spec_task_id = $1",
        order: "version",
        columns: &[
            ("spec_task_id", Text),
            ("version", Int),
            ("requirements", Text),
            ("design", Text),
            ("tasks", Text),
            ("planner", Text),
            ("usage", Text),
            ("lint", Text),
            ("created_at", Int),
            ("questions", Text),
            ("consistency", Text),
        ],
    },
    Table {
        name: "spec_reviews",
        filter: "spec_task_id = $1",
        order: "created_at, id",
        columns: &[
            ("id", Text),
            ("spec_task_id", Text),
            ("version", Int),
            ("decision", Text),
            ("comments", Text),
            ("line_comments", Text),
            ("reviewer", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "work_sessions",
        filter: "spec_task_id = $1",
        order: "created_at, id",
        columns: &[
            ("id", Text),
            ("spec_task_id", Text),
            ("parent_id", Text),
            ("spawned_by_id", Text),
            ("name", Text),
            ("description", Text),
            ("phase", Text),
            ("status", Text),
            ("status_detail", Text),
            ("plan_task", Text),
            ("agent_profile", Text),
            ("agent_config", Text),
            ("priority", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("started_at", Int),
            ("completed_at", Int),
            ("version", Int),
            ("summary", Text),
            ("committed_at", Int),
        ],
    },
    Table {
        name: "coordination_events",
        filter: "spec_task_id = $1",
        order: "seq",
        columns: &[
            ("spec_task_id", Text),
            ("seq", Int),
            ("kind", Text),
            ("from_session", Text),
            ("to_session", Text),
            ("message", Text),
            ("data", Text),
            ("at", Int),
        ],
    },
    Table {
        name: "usage_entries",
        filter: "spec_task_id = $1",
        order: "at, id",
        columns: &[
            ("id", Text),
            ("spec_task_id", Text),
            ("work_session_id", Text),
            ("model", Text),
            ("input_tokens", Int),
            ("output_tokens", Int),
            ("cached_tokens", Int),
            ("cost_micros", Int),
            ("currency", Text),
            ("at", Int),
        ],
    },
    Table {
        name: "session_usage",
        filter: "spec_task_id = $1",
        order: "work_session_id",
        columns: &[
            ("work_session_id", Text),
            ("spec_task_id", Text),
            ("context_used", Int),
            ("context_size", Int),
            ("cost_micros", Int),
            ("currency", Text),
        ],
    },
    Table {
        name: "task_budgets",
        filter: "spec_task_id = $1",
        order: "spec_task_id",
        columns: &[
            ("spec_task_id", Text),
            ("tokens", Int),
            ("cost_micros", Int),
            ("currency", Text),
            ("set_by", Text),
            ("set_at", Int),
        ],
    },
    Table {
        name: "budget_alerts",
        filter: "spec_task_id = $1",
        order: "level",
        columns: &[("spec_task_id", Text), ("level", Text), ("at", Int)],
    },
];

/// A history entry read back from the design-docs branch, with its original seq.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredHistoryEntry {
    pub seq: i64,
    pub spec_task_id: SpecTaskId,
    pub work_session_id: Option<WorkSessionId>,
    pub file: HistoryFile,
    pub content: String,
    pub created_at: Timestamp,
    pub commit_id: Option<String>,
}

impl Store {
    /// Every row the database holds about one SpecTask, as `{"format", "<table>": [rows]}`.
    pub async fn export_task(&self, id: SpecTaskId) -> Result<Value, StoreError> {
        let mut out = Map::new();
        out.insert("format".into(), Value::from(SNAPSHOT_FORMAT));
        for table in TABLES {
            let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            let sql = format!(
                "SELECT {} FROM {} WHERE {} ORDER BY {}",
                columns.join(", "),
                table.name,
                table.filter,
                table.order
            );
            let rows = sqlx::query(fixed_sql(sql)).bind(id.to_string()).fetch_all(&self.pool).await?;
            let rows = rows.iter().map(|row| row_json(row, table)).collect::<Result<Vec<_>, _>>()?;
            out.insert(table.name.into(), Value::Array(rows));
        }
        Ok(Value::Object(out))
    }

    /// Writes an [`Store::export_task`] snapshot back, verbatim, in one transaction; the repository
    /// row is kept when one with its id exists, and takes `repository_path` (where it is now).
    pub async fn import_task(
        &self,
        snapshot: &Value,
        repository_path: &str,
    ) -> Result<SpecTaskId, StoreError> {
        let corrupt = |what: &str| StoreError::corrupt(format!("task snapshot: {what}"));
        if snapshot["format"].as_i64() != Some(SNAPSHOT_FORMAT) {
            return Err(corrupt("unknown format"));
        }
        let id: SpecTaskId = snapshot["spec_tasks"][0]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt("no spec task"))?;
        let mut w = self.begin_write().await?;
        for table in TABLES {
            // A snapshot written before a table existed has none of its rows.
            let rows = match snapshot.get(table.name) {
                None if !matches!(table.name, "repositories" | "spec_tasks") => continue,
                rows => rows.and_then(Value::as_array).ok_or_else(|| corrupt(table.name))?,
            };
            for row in rows {
                // A snapshot written before a column existed leaves it to the schema's default.
                let present: Vec<&(&str, Kind)> =
                    table.columns.iter().filter(|(c, _)| row.get(*c).is_some()).collect();
                let columns: Vec<&str> = present.iter().map(|(c, _)| *c).collect();
                let values: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
                    table.name,
                    columns.join(", "),
                    values.join(", ")
                );
                let mut query = sqlx::query(fixed_sql(sql));
                for (column, kind) in present {
                    let value = if table.name == "repositories" && *column == "path" {
                        &Value::from(repository_path)
                    } else {
                        &row[*column]
                    };
                    query = match kind {
                        Text => query.bind(value.as_str().map(str::to_owned)),
                        Int => query.bind(value.as_i64()),
                    };
                }
                query.execute(&mut *w.tx).await?;
            }
        }
        // A snapshot written before `workflow_base` existed: a built-in workflow is its own base,
        // as migration 0124 set it on the rows it found.
        sqlx::query(
            "UPDATE spec_tasks SET workflow_base = workflow \
             WHERE id = $1 AND workflow IN ('design-first', 'bugfix', 'review') AND workflow_base = 'feature'",
        )
        .bind(id.to_string())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Makes an imported task go on by itself: nothing of its work in flight survived (its jobs,
    /// agents and leases were not in git), so its running sessions become interrupted, its completed
    /// sessions count as committed (a snapshot taken before that was recorded), and what a retry from
    /// its status would redo is queued. Returns the effects queued.
    pub async fn resume_imported_task(
        &self,
        id: SpecTaskId,
    ) -> Result<Vec<spectask_core::SpecTaskEffect>, StoreError> {
        let task = self.spec_task(id).await?;
        let sessions = self.work_sessions_of(id).await?;
        let mut w = self.begin_write().await?;
        for session in sessions.iter().filter(|s| s.status() == spectask_core::WorkSessionStatus::Running) {
            let interrupt = spectask_core::WorkSessionCommand::Interrupt {
                reason: "recovered from the design-docs branch while it ran".into(),
            };
            w.transition_work_session(session, &interrupt, false).await?;
        }
        sqlx::query(
            "UPDATE work_sessions SET committed_at = COALESCE(completed_at, updated_at) \
             WHERE spec_task_id = $1 AND status = 'completed' AND committed_at IS NULL",
        )
        .bind(id.to_string())
        .execute(&mut *w.tx)
        .await?;
        let effects = spectask_core::lifecycle::resume_effects(task.status());
        for effect in &effects {
            w.enqueue_job(spectask_core::JobKind::SpecTask(*effect), Some(id), None, now()).await?;
        }
        w.commit().await?;
        Ok(effects)
    }

    /// Writes history entries back with their original seqs, marked committed.
    pub async fn restore_history(&self, entries: &[RestoredHistoryEntry]) -> Result<(), StoreError> {
        let overriding = if self.backend == Backend::Postgres { "OVERRIDING SYSTEM VALUE " } else { "" };
        let sql = format!(
            "INSERT INTO history_entries (seq, spec_task_id, work_session_id, file, content, created_at, \
             committed_at, commit_id) {overriding}VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        let mut w = self.begin_write().await?;
        for e in entries {
            sqlx::query(fixed_sql(sql.clone()))
                .bind(e.seq)
                .bind(e.spec_task_id.to_string())
                .bind(e.work_session_id.map(|id| id.to_string()))
                .bind(e.file.as_str())
                .bind(&e.content)
                .bind(millis(e.created_at))
                .bind(millis(e.created_at))
                .bind(e.commit_id.clone())
                .execute(&mut *w.tx)
                .await?;
        }
        if self.backend == Backend::Postgres && !entries.is_empty() {
            sqlx::query(
                "SELECT setval(pg_get_serial_sequence('history_entries', 'seq'), \
                 (SELECT MAX(seq) FROM history_entries)) AS seq",
            )
            .fetch_one(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    /// Whether the database holds no repository and no SpecTask (what `spectask recover` needs).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM repositories) + (SELECT COUNT(*) FROM spec_tasks) AS n",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(get::<i64>(&row, "n")? == 0)
    }
}

fn row_json(row: &AnyRow, table: &Table) -> Result<Value, StoreError> {
    let mut out = Map::new();
    for (column, kind) in table.columns {
        let value = match kind {
            Text => get::<Option<String>>(row, column)?.map(Value::from),
            Int => get::<Option<i64>>(row, column)?.map(Value::from),
        };
        out.insert((*column).to_owned(), value.unwrap_or(Value::Null));
    }
    Ok(Value::Object(out))
}
