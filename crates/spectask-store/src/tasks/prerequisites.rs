//! A SpecTask's prerequisites: the tasks it waits for, and the phase they hold it before. Written
//! with the task or by a person before its implementation starts; read by admission, which starts
//! the task only once every prerequisite is done (`spectask_core::task::prerequisite`).

use std::collections::HashMap;

use spectask_core::events::payload::SpecTaskPrerequisitesChanged;
use spectask_core::task::prerequisite::{self, HoldBefore, Prerequisite, PrerequisiteHold};
use spectask_core::{SpecTaskId, SpecTaskStatus};

use crate::database::codec::{get, now, parse};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::{Store, StoreError};

/// What a task waits for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prerequisites {
    pub tasks: Vec<SpecTaskId>,
    pub hold_before: HoldBefore,
}

/// A task's prerequisites as they stand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrerequisitesView {
    pub tasks: Vec<Prerequisite>,
    pub hold_before: HoldBefore,
}

/// A task's prerequisites with their titles and statuses; `$1` is the task.
const VIEW: &str = "SELECT p.prerequisite_id, p.hold_before, t.title, t.status FROM spec_task_prerequisites p \
     JOIN spec_tasks t ON t.id = p.prerequisite_id WHERE p.spec_task_id = $1 ORDER BY t.created_at, t.id";

impl Store {
    /// The prerequisites of `task` with each one's title and status.
    pub async fn prerequisites(&self, task: SpecTaskId) -> Result<PrerequisitesView, StoreError> {
        let rows = sqlx::query(VIEW).bind(task.to_string()).fetch_all(&self.pool).await?;
        view(&rows)
    }

    /// The prerequisites of `tasks`, and theirs in turn, as far as they reach: every edge of the
    /// graph below `tasks`, in one query (a recursive one; prerequisites make no cycle).
    pub async fn prerequisite_graph(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<Vec<PrerequisiteEdge>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "WITH RECURSIVE below(id) AS (SELECT id FROM spec_tasks WHERE id IN ({ids}) \
                 UNION SELECT p.prerequisite_id FROM spec_task_prerequisites p JOIN below b ON b.id = p.spec_task_id) \
                 SELECT p.spec_task_id, p.prerequisite_id, p.hold_before, t.title, t.status \
                 FROM spec_task_prerequisites p JOIN below b ON b.id = p.spec_task_id \
                 JOIN spec_tasks t ON t.id = p.prerequisite_id ORDER BY t.created_at, t.id"
            )
        })
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PrerequisiteEdge {
                    spec_task_id: parse(row, "spec_task_id")?,
                    hold_before: parse(row, "hold_before")?,
                    prerequisite: Prerequisite {
                        id: parse(row, "prerequisite_id")?,
                        title: get(row, "title")?,
                        status: parse(row, "status")?,
                    },
                })
            })
            .collect()
    }

    /// Replaces the prerequisites of `task` (`by` is who changed them): refused once its
    /// implementation has started, for a task that is not there, and when they would close a cycle.
    pub async fn set_prerequisites(
        &self,
        task: SpecTaskId,
        wanted: &Prerequisites,
        by: &str,
    ) -> Result<PrerequisitesView, StoreError> {
        let mut w = self.begin_write().await?;
        let row = sqlx::query("SELECT status FROM spec_tasks WHERE id = $1")
            .bind(task.to_string())
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: task.to_string() })?;
        let status: SpecTaskStatus = parse(&row, "status")?;
        if !prerequisite::editable(status) {
            return Err(StoreError::Refused {
                code: "prerequisites_fixed",
                message: format!(
                    "task {} is {}: its prerequisites can change only before its implementation starts",
                    task.short(),
                    status.as_str()
                ),
            });
        }
        write(&mut w, task, wanted).await?;
        w.append_event(NewEvent {
            spec_task_id: Some(task),
            work_session_id: None,
            payload: SpecTaskPrerequisitesChanged {
                prerequisites: wanted.tasks.clone(),
                hold_before: wanted.hold_before,
                by: by.to_owned(),
            },
            at: now(),
        })
        .await?;
        // The task may start now, or must wait.
        w.moves_admission().await?;
        let rows = sqlx::query(VIEW).bind(task.to_string()).fetch_all(&mut *w.tx).await?;
        let view = view(&rows)?;
        w.commit().await?;
        Ok(view)
    }
}

/// One prerequisite in the graph [`Store::prerequisite_graph`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrerequisiteEdge {
    /// The task that waits.
    pub spec_task_id: SpecTaskId,
    /// The phase its prerequisites hold it before.
    pub hold_before: HoldBefore,
    /// What it waits for, with its title and status.
    pub prerequisite: Prerequisite,
}

/// Writes `wanted` as the prerequisites of `task` in `w`, after checking each one exists and that
/// no cycle is closed.
pub(crate) async fn write(
    w: &mut WriteTx<'_>,
    task: SpecTaskId,
    wanted: &Prerequisites,
) -> Result<(), StoreError> {
    for id in &wanted.tasks {
        let found = sqlx::query("SELECT id FROM spec_tasks WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *w.tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound { entity: "prerequisite spec task", reference: id.to_string() });
        }
    }
    let rows = sqlx::query("SELECT spec_task_id, prerequisite_id FROM spec_task_prerequisites")
        .fetch_all(&mut *w.tx)
        .await?;
    let mut edges: HashMap<SpecTaskId, Vec<SpecTaskId>> = HashMap::new();
    for row in &rows {
        let from: SpecTaskId = parse(row, "spec_task_id")?;
        if from != task {
            edges.entry(from).or_default().push(parse(row, "prerequisite_id")?);
        }
    }
    if let Some(chain) = prerequisite::cycle(&edges, task, &wanted.tasks) {
        let chain: Vec<String> = chain.iter().map(|id| id.short().to_string()).collect();
        return Err(StoreError::Refused {
            code: "prerequisite_cycle",
            message: format!("these prerequisites would make a cycle: {}", chain.join(" → ")),
        });
    }
    sqlx::query("DELETE FROM spec_task_prerequisites WHERE spec_task_id = $1")
        .bind(task.to_string())
        .execute(&mut *w.tx)
        .await?;
    for id in &wanted.tasks {
        sqlx::query(
            "INSERT INTO spec_task_prerequisites (spec_task_id, prerequisite_id, hold_before) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(task.to_string())
        .bind(id.to_string())
        .bind(wanted.hold_before.as_str())
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(())
}

/// The prerequisites of every task still under way (admission starts those waiting; the others'
/// tell a hold further down a chain), read in `w` in one query: by task, the phase held and each
/// prerequisite.
pub(crate) async fn of_waiting(
    w: &mut WriteTx<'_>,
) -> Result<HashMap<SpecTaskId, PrerequisitesView>, StoreError> {
    let rows = sqlx::query(UNDER_WAY).fetch_all(&mut *w.tx).await?;
    by_task(rows)
}

/// The prerequisites of every task still under way.
const UNDER_WAY: &str = "SELECT p.spec_task_id, p.prerequisite_id, p.hold_before, t.title, t.status \
     FROM spec_task_prerequisites p JOIN spec_tasks d ON d.id = p.spec_task_id \
     JOIN spec_tasks t ON t.id = p.prerequisite_id \
     WHERE d.status NOT IN ('done', 'failed', 'rejected', 'cancelled') ORDER BY t.created_at, t.id";

impl Store {
    /// What holds `task` for good through its prerequisites (one that failed, was rejected or was
    /// cancelled, directly or further down a chain, with the root named), in one query.
    pub async fn prerequisite_holds(&self, task: SpecTaskId) -> Result<Vec<PrerequisiteHold>, StoreError> {
        let rows = sqlx::query(UNDER_WAY).fetch_all(&self.pool).await?;
        let all = by_task(rows)?;
        let chains: HashMap<_, _> = all.iter().map(|(id, p)| (*id, p.tasks.clone())).collect();
        let mine = all.get(&task).map(|p| p.tasks.as_slice()).unwrap_or_default();
        Ok(prerequisite::holds_of(mine, &chains))
    }
}

fn by_task(rows: Vec<sqlx::any::AnyRow>) -> Result<HashMap<SpecTaskId, PrerequisitesView>, StoreError> {
    let mut by_task: HashMap<SpecTaskId, Vec<sqlx::any::AnyRow>> = HashMap::new();
    for row in rows {
        by_task.entry(parse(&row, "spec_task_id")?).or_default().push(row);
    }
    by_task.into_iter().map(|(task, rows)| Ok((task, view(&rows)?))).collect()
}

fn view(rows: &[sqlx::any::AnyRow]) -> Result<PrerequisitesView, StoreError> {
    let mut out = PrerequisitesView::default();
    for row in rows {
        out.hold_before = parse(row, "hold_before")?;
        out.tasks.push(Prerequisite {
            id: parse(row, "prerequisite_id")?,
            title: get(row, "title")?,
            status: parse(row, "status")?,
        });
    }
    Ok(out)
}
