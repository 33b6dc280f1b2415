//! Admission: which queued SpecTasks may start work now, under WIP limits.
//!
//! Runs in one write transaction (the writer lock on SQLite, the event advisory lock on PostgreSQL),
//! so nodes sharing a database cannot admit past a limit together. A task that must wait gets its
//! `queue_reason` set, so people see why; admitted tasks have it cleared. A task whose
//! prerequisites are not all done waits too, read in the same transaction, so no node starts it
//! early.

use std::collections::HashMap;

use spectask_core::events::payload::SpecTaskHeld;
use spectask_core::task::prerequisite;
use spectask_core::{SpecTask, SpecTaskCommand, SpecTaskStatus};

use crate::tasks::spec_tasks::spec_task_from_row;
use crate::{Store, StoreError};

/// Limits on tasks with agents at work (statuses `spec_generation` and `implementation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WipLimits {
    pub global: usize,
    pub per_repository: usize,
    pub per_user: usize,
}

impl Default for WipLimits {
    fn default() -> Self {
        Self { global: 8, per_repository: 4, per_user: 4 }
    }
}

/// What admission decides by: the limits, and whether tasks naming no agent have a default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    pub wip: WipLimits,
    /// A planning agent is configured for tasks that name none.
    pub default_planner: bool,
    /// An implementation agent is configured for tasks that name none.
    pub default_implementer: bool,
}

/// Statuses that hold a WIP slot.
const ACTIVE: [SpecTaskStatus; 2] = [SpecTaskStatus::SpecGeneration, SpecTaskStatus::Implementation];

impl Store {
    /// Starts as many waiting tasks as the limits allow, highest priority then oldest first:
    /// backlog (spec kind) and spec_revision → spec_generation; backlog of the other kinds →
    /// implementation_queued; implementation_queued → implementation. A task with no agent for its
    /// next phase waits, saying so. Returns the tasks moved.
    pub async fn admit(&self, admission: &Admission) -> Result<Vec<SpecTask>, StoreError> {
        let limits = &admission.wip;
        let mut w = self.begin_write().await?;
        let active_rows =
            sqlx::query("SELECT repository_id, created_by FROM spec_tasks WHERE status IN ($1, $2)")
                .bind(ACTIVE[0].as_str())
                .bind(ACTIVE[1].as_str())
                .fetch_all(&mut *w.tx)
                .await?;
        let mut global = active_rows.len();
        let mut per_repo: HashMap<String, usize> = HashMap::new();
        let mut per_user: HashMap<String, usize> = HashMap::new();
        for row in &active_rows {
            *per_repo.entry(crate::database::codec::get(row, "repository_id")?).or_default() += 1;
            *per_user.entry(crate::database::codec::get(row, "created_by")?).or_default() += 1;
        }
        let waiting = sqlx::query(concat!(
            "SELECT ",
            crate::tasks::spec_tasks::columns!(),
            " FROM spec_tasks WHERE status IN ('backlog', 'spec_revision', 'implementation_queued') \
             ORDER BY priority DESC, created_at, id LIMIT 200"
        ))
        .fetch_all(&mut *w.tx)
        .await?;
        let prerequisites = crate::tasks::prerequisites::of_waiting(&mut w).await?;
        // Each task's prerequisites, for holds further down a chain.
        let chains: HashMap<_, _> = prerequisites.iter().map(|(id, p)| (*id, p.tasks.clone())).collect();
        let mut admitted = Vec::new();
        for row in &waiting {
            let task = spec_task_from_row(row)?;
            // Prerequisites first: a task they hold takes no slot and needs no agent yet.
            let held = prerequisites
                .get(&task.id)
                .filter(|p| prerequisite::holds(p.hold_before, task.status()))
                .and_then(|p| prerequisite::waiting_reason(&p.tasks, &chains));
            if let Some(reason) = held {
                set_queue_reason(&mut w, &task, row, Some(&reason)).await?;
                continue;
            }
            let no_agent = match task.status() {
                // A review task's coding agent reviews: it has no planner.
                SpecTaskStatus::Backlog if task.workflow == spectask_core::REVIEW_WORKFLOW => {
                    (task.implementation_agent.is_none() && !admission.default_implementer).then_some(
                        "waiting: no agent to review with (name one with --implementation-agent, or set \
                         [orchestrator] default_implementation_agent)",
                    )
                }
                SpecTaskStatus::Backlog | SpecTaskStatus::SpecRevision if task.kind.has_planning() => {
                    (task.planning_agent.is_none() && !admission.default_planner).then_some(
                        "waiting: no planning agent (name one with --planning-agent, or set [orchestrator] \
                         default_planning_agent)",
                    )
                }
                SpecTaskStatus::ImplementationQueued => {
                    (task.implementation_agent.is_none() && !admission.default_implementer).then_some(
                        "waiting: no implementation agent (name one with --implementation-agent, or set \
                         [orchestrator] default_implementation_agent)",
                    )
                }
                _ => None,
            };
            if let Some(reason) = no_agent {
                set_queue_reason(&mut w, &task, row, Some(reason)).await?;
                continue;
            }
            let command = match task.status() {
                SpecTaskStatus::Backlog if !task.kind.has_planning() => {
                    // Queuing for implementation takes no slot yet.
                    admitted.push(
                        w.transition_spec_task(&task, &SpecTaskCommand::QueueImplementation).await?.value,
                    );
                    continue;
                }
                SpecTaskStatus::Backlog | SpecTaskStatus::SpecRevision => {
                    SpecTaskCommand::StartSpecGeneration
                }
                SpecTaskStatus::ImplementationQueued => SpecTaskCommand::StartImplementation,
                _ => continue,
            };
            let repo = task.repository_id.to_string();
            let reason = if global >= limits.global {
                // The server's count is every user's: only the limit is said.
                Some(format!("waiting for a free slot: the server's {} task slots are taken", limits.global))
            } else if per_repo.get(&repo).copied().unwrap_or(0) >= limits.per_repository {
                Some(format!(
                    "waiting for a free slot in this repository ({} tasks at work)",
                    limits.per_repository
                ))
            } else if per_user.get(&task.created_by).copied().unwrap_or(0) >= limits.per_user {
                Some(format!("waiting: {} already has {} tasks at work", task.created_by, limits.per_user))
            } else {
                None
            };
            if let Some(reason) = reason {
                set_queue_reason(&mut w, &task, row, Some(&reason)).await?;
                continue;
            }
            let applied = w.transition_spec_task(&task, &command).await?;
            set_queue_reason(&mut w, &task, row, None).await?;
            global += 1;
            *per_repo.entry(repo).or_default() += 1;
            *per_user.entry(task.created_by.clone()).or_default() += 1;
            admitted.push(applied.value);
        }
        w.commit().await?;
        Ok(admitted)
    }

    /// Why a task waits, if it does.
    pub async fn queue_reason(&self, id: spectask_core::SpecTaskId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT queue_reason FROM spec_tasks WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(task_queue_reason).transpose()?.flatten())
    }
}

fn task_queue_reason(row: &sqlx::any::AnyRow) -> Result<Option<String>, StoreError> {
    crate::database::codec::get(row, "queue_reason")
}

/// Sets why `task` (read as `row`) waits, when that changed. A task that begins or stops being held
/// by a prerequisite that ended gets a `spec_task.held` event: the person is told (a `held`
/// notification), and every view of it changes.
async fn set_queue_reason(
    w: &mut crate::database::write::WriteTx<'_>,
    task: &SpecTask,
    row: &sqlx::any::AnyRow,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let old = task_queue_reason(row)?;
    if old.as_deref() == reason {
        return Ok(());
    }
    sqlx::query("UPDATE spec_tasks SET queue_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(task.id.to_string())
        .execute(&mut *w.tx)
        .await?;
    let held = prerequisite::is_held(reason);
    if held != prerequisite::is_held(old.as_deref()) {
        w.append_event(crate::events::outbox::NewEvent {
            spec_task_id: Some(task.id),
            work_session_id: None,
            payload: SpecTaskHeld { held, reason: reason.filter(|_| held).map(str::to_owned) },
            at: crate::database::codec::now(),
        })
        .await?;
    }
    Ok(())
}
