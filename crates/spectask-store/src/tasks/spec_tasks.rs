//! SpecTasks: creation, lookup by full or abbreviated id, and lifecycle transitions (listing:
//! `listing.rs`).

use spectask_core::events::payload::{SpecTaskCreated, SpecTaskHidden, SpecTaskTransitioned};
use spectask_core::{
    Failure, JobKind, NewSpecTask, Priority, SpecTask, SpecTaskCommand, SpecTaskEffect, SpecTaskId,
    SpecTaskState, SpecTaskStatus,
};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, millis, now, opt_parse, opt_time, parse, time};
use crate::database::connect::fixed_sql;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::spending::budgets::write_budget;
use crate::{NewCoordination, Store, StoreError};

macro_rules! columns {
    () => {
        "id, short_id, slug, title, prompt, kind, status, failed_from, error, repository_id, \
         planning_agent, implementation_agent, priority, spec_version, created_by, created_at, \
         updated_at, started_at, completed_at, version, queue_reason, complexity, workflow, review_target, workflow_base"
    };
}
pub(crate) use columns;

/// A change that was written, with what must happen because of it.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedChange<T, E> {
    pub value: T,
    pub effects: Vec<E>,
    /// The sequence number of the event that records the change.
    pub event_seq: i64,
}

impl Store {
    /// Creates a SpecTask in `backlog` and records `spec_task.created`.
    pub async fn create_spec_task(&self, new: NewSpecTask) -> Result<SpecTask, StoreError> {
        self.create_spec_task_linked(new, None, None, None).await
    }

    /// [`Store::create_spec_task`] waiting for `prerequisites`, written in the same transaction (so
    /// no admission sees the task without them).
    pub async fn create_spec_task_after(
        &self,
        new: NewSpecTask,
        prerequisites: &crate::Prerequisites,
        budget: Option<&spectask_core::Budget>,
    ) -> Result<SpecTask, StoreError> {
        self.create_spec_task_linked(new, None, Some(prerequisites), budget).await
    }

    /// [`Store::create_spec_task`], linked to the forge issue it comes from and waiting for its
    /// prerequisites, in the same write.
    pub(crate) async fn create_spec_task_linked(
        &self,
        new: NewSpecTask,
        issue: Option<&crate::forge::task_issues::NewTaskIssue>,
        prerequisites: Option<&crate::Prerequisites>,
        budget: Option<&spectask_core::Budget>,
    ) -> Result<SpecTask, StoreError> {
        // The short id is 32 random bits; on the rare collision, draw another id.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let task = new.clone().into_spec_task(SpecTaskId::from_uuid(Uuid::now_v7()), now());
            match self.insert_spec_task(&task, issue, prerequisites, budget).await {
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && attempts < 5 =>
                {
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(task),
            }
        }
    }

    async fn insert_spec_task(
        &self,
        task: &SpecTask,
        issue: Option<&crate::forge::task_issues::NewTaskIssue>,
        prerequisites: Option<&crate::Prerequisites>,
        budget: Option<&spectask_core::Budget>,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        write_spec_task(&mut w, task).await?;
        if let Some(budget) = budget {
            write_budget(&mut w, task.id, budget, &task.created_by, task.created_at).await?;
        }
        if let Some(issue) = issue {
            crate::forge::task_issues::write_issue(&mut w, (task.id, task.repository_id), issue).await?;
        }
        if let Some(prerequisites) = prerequisites.filter(|p| !p.tasks.is_empty()) {
            crate::tasks::prerequisites::write(&mut w, task.id, prerequisites).await?;
        }
        // A new task may be admitted.
        w.moves_admission().await?;
        w.commit().await
    }

    pub async fn spec_task(&self, id: SpecTaskId) -> Result<SpecTask, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM spec_tasks WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(spec_task_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: id.to_string() })
    }

    /// Resolves what a person typed: a full id, an abbreviated id (at least 4 characters of the
    /// short id or of the full id), or the `<short id>-<slug>` handle. Ambiguity is an error that
    /// lists the candidates, like git's abbreviated hashes.
    pub async fn resolve_spec_task(&self, reference: &str) -> Result<SpecTaskId, StoreError> {
        self.resolve_spec_task_of(reference, None).await
    }

    /// [`Self::resolve_spec_task`] among the SpecTasks of `owner` only (all with `None`): another
    /// user's task is not found, and never makes a reference ambiguous.
    pub async fn resolve_spec_task_of(
        &self,
        reference: &str,
        owner: Option<&str>,
    ) -> Result<SpecTaskId, StoreError> {
        let reference = reference.trim().to_ascii_lowercase();
        let invalid = |reason| StoreError::InvalidReference {
            entity: "spec task",
            reference: reference.clone(),
            reason,
        };
        if let Ok(uuid) = Uuid::parse_str(&reference) {
            let id = SpecTaskId::from_uuid(uuid);
            let task = self.spec_task(id).await?;
            if owner.is_some_and(|owner| task.created_by != owner) {
                return Err(StoreError::NotFound { entity: "spec task", reference });
            }
            return Ok(task.id);
        }
        if reference.len() < 4 {
            return Err(invalid("use at least 4 characters"));
        }
        let head = reference.split('-').next().unwrap_or_default();
        let is_hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
        let looks_like_handle = head.len() == 8 && is_hex(head) && reference.len() > 9;
        let looks_like_id_prefix = reference.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if !looks_like_handle && !looks_like_id_prefix {
            return Err(invalid("expected a task id, an abbreviated id or a <short-id>-<slug> handle"));
        }
        let short_prefix = if looks_like_handle { head.to_owned() } else { reference.replace('-', "") };
        let id_prefix = if looks_like_id_prefix && reference.len() >= 8 {
            format!("{reference}%")
        } else {
            // Matches nothing: ids are never empty.
            String::new()
        };
        let by_owner = if owner.is_some() { " AND created_by = $3" } else { "" };
        let sql = format!(
            "SELECT id, short_id, title FROM spec_tasks \
             WHERE (short_id LIKE $1 OR id LIKE $2){by_owner} ORDER BY created_at LIMIT 6"
        );
        let mut query = sqlx::query(fixed_sql(sql)).bind(format!("{short_prefix}%")).bind(id_prefix);
        if let Some(owner) = owner {
            query = query.bind(owner.to_owned());
        }
        let rows = query.fetch_all(&self.pool).await?;
        match rows.as_slice() {
            [] => Err(StoreError::NotFound { entity: "spec task", reference }),
            [one] => parse(one, "id"),
            many => Err(StoreError::Ambiguous {
                entity: "spec task",
                reference,
                candidates: many
                    .iter()
                    .map(|r| {
                        let short: String = get(r, "short_id")?;
                        let title: String = get(r, "title")?;
                        Ok(format!("{short} ({title})"))
                    })
                    .collect::<Result<_, StoreError>>()?,
            }),
        }
    }

    /// Applies `command` to the task as the caller saw it. Fails with [`StoreError::Conflict`] when
    /// the stored task has moved on since, and with [`StoreError::Transition`] when the lifecycle
    /// refuses the command.
    pub async fn transition_spec_task(
        &self,
        task: &SpecTask,
        command: &SpecTaskCommand,
    ) -> Result<AppliedChange<SpecTask, SpecTaskEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let applied = w.transition_spec_task(task, command).await?;
        w.commit().await?;
        Ok(applied)
    }

    /// [`Store::transition_spec_task`] and the coordination entry saying why, in one write: the
    /// orchestrator sending a task back (merge conflicts for its agent) is logged exactly when it
    /// happens.
    pub async fn transition_spec_task_logged(
        &self,
        task: &SpecTask,
        command: &SpecTaskCommand,
        entry: NewCoordination,
    ) -> Result<AppliedChange<SpecTask, SpecTaskEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let applied = w.transition_spec_task(task, command).await?;
        w.record_coordination(entry).await?;
        w.commit().await?;
        Ok(applied)
    }

    /// Applies `command` to the task's current state, read inside the write: what a person asks
    /// for (cancel, retry) while the orchestrator may move the task, which then is no conflict; only
    /// a command the current state refuses fails ([`StoreError::Transition`]).
    pub async fn apply_to_spec_task(
        &self,
        id: SpecTaskId,
        command: &SpecTaskCommand,
    ) -> Result<AppliedChange<SpecTask, SpecTaskEffect>, StoreError> {
        let mut w = self.begin_write().await?;
        let task = w.spec_task(id).await?;
        let applied = w.transition_spec_task(&task, command).await?;
        w.commit().await?;
        Ok(applied)
    }
}

impl Store {
    /// Cancels the task (unless it has ended) and hides it from every listing, in one write with
    /// its event: what `DELETE /tasks/{id}` does. Its rows and its git history stay. Hiding a hidden
    /// task changes nothing. The task is read inside the write, so the orchestrator moving it
    /// meanwhile is no conflict.
    pub async fn hide_spec_task(&self, id: SpecTaskId) -> Result<SpecTask, StoreError> {
        let mut w = self.begin_write().await?;
        let task = w.spec_task(id).await?;
        let task = match task.state.is_terminal() {
            true => task,
            false => w.transition_spec_task(&task, &SpecTaskCommand::Cancel).await?.value,
        };
        let now = now();
        let hidden = sqlx::query("UPDATE spec_tasks SET hidden_at = $1 WHERE id = $2 AND hidden_at IS NULL")
            .bind(millis(now))
            .bind(task.id.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if hidden == 1 {
            w.append_event(NewEvent {
                spec_task_id: Some(task.id),
                work_session_id: None,
                payload: SpecTaskHidden { status: task.status() },
                at: now,
            })
            .await?;
        }
        w.commit().await?;
        Ok(task)
    }

    /// Whether the task was deleted (hidden) through the generic task view.
    pub async fn spec_task_hidden(&self, id: SpecTaskId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT hidden_at FROM spec_tasks WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: id.to_string() })?;
        Ok(get::<Option<i64>>(&row, "hidden_at")?.is_some())
    }
}

impl WriteTx<'_> {
    /// The task as this write sees it: no other write comes between this read and the writes after it.
    pub(crate) async fn spec_task(&mut self, id: SpecTaskId) -> Result<SpecTask, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM spec_tasks WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref()
            .map(spec_task_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "spec task", reference: id.to_string() })
    }

    /// The transition inside a larger transaction: the conditional update, its event and one job per
    /// effect.
    pub(crate) async fn transition_spec_task(
        &mut self,
        task: &SpecTask,
        command: &SpecTaskCommand,
    ) -> Result<AppliedChange<SpecTask, SpecTaskEffect>, StoreError> {
        let transition = task.state.apply(task.kind, command)?;
        let now = now();
        let mut next = task.clone();
        next.state = transition.to;
        next.updated_at = now;
        next.version = task.version + 1;
        let status = next.status();
        if next.started_at.is_none()
            && task.status() == SpecTaskStatus::Backlog
            && !status.is_terminal()
            && status != SpecTaskStatus::Failed
        {
            next.started_at = Some(now);
        }
        if status.is_terminal() {
            next.completed_at = Some(now);
        } else if task.status().is_terminal() && status != SpecTaskStatus::Failed {
            // A done task whose merge conflicted went back to work.
            next.completed_at = None;
        }
        let updated = sqlx::query(
            "UPDATE spec_tasks SET status = $1, failed_from = $2, error = $3, updated_at = $4, \
             started_at = $5, completed_at = $6, version = $7 WHERE id = $8 AND version = $9",
        )
        .bind(status.as_str())
        .bind(next.state.failure().map(|f| f.from.as_str()))
        .bind(next.state.failure().map(|f| f.reason.clone()))
        .bind(millis(now))
        .bind(next.started_at.map(millis))
        .bind(next.completed_at.map(millis))
        .bind(next.version)
        .bind(task.id.to_string())
        .bind(task.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Conflict {
                entity: "spec task",
                id: task.id.to_string(),
                expected: task.version,
            });
        }
        let event_seq = self
            .append_event(NewEvent {
                spec_task_id: Some(task.id),
                work_session_id: None,
                payload: SpecTaskTransitioned {
                    from: task.status(),
                    to: status,
                    command: command.clone(),
                    effects: transition.effects.clone(),
                    failure: next.state.failure().cloned(),
                },
                at: now,
            })
            .await?;
        for effect in &transition.effects {
            self.enqueue_job(JobKind::SpecTask(*effect), Some(task.id), None, now).await?;
        }
        // A task starting to wait, or leaving a WIP slot, changes what admission would do.
        self.moves_admission().await?;
        Ok(AppliedChange { value: next, effects: transition.effects, event_seq })
    }
}

pub(crate) fn spec_task_from_row(row: &AnyRow) -> Result<SpecTask, StoreError> {
    let status: SpecTaskStatus = parse(row, "status")?;
    let failure = match opt_parse::<SpecTaskStatus>(row, "failed_from")? {
        Some(from) => {
            Some(Failure { from, reason: get::<Option<String>>(row, "error")?.unwrap_or_default() })
        }
        None => None,
    };
    let priority: i64 = get(row, "priority")?;
    let spec_version: i64 = get(row, "spec_version")?;
    let id = parse(row, "id")?;
    Ok(SpecTask {
        id,
        short_id: spectask_core::ShortId::of(id),
        slug: get(row, "slug")?,
        title: get(row, "title")?,
        prompt: get(row, "prompt")?,
        kind: parse(row, "kind")?,
        complexity: parse(row, "complexity")?,
        state: SpecTaskState::from_parts(status, failure).map_err(StoreError::corrupt)?,
        repository_id: parse(row, "repository_id")?,
        planning_agent: get(row, "planning_agent")?,
        implementation_agent: get(row, "implementation_agent")?,
        workflow: get(row, "workflow")?,
        review_target: get(row, "review_target")?,
        workflow_base: get(row, "workflow_base")?,
        priority: Priority::from_rank(priority)
            .ok_or_else(|| StoreError::corrupt(format!("priority rank {priority}")))?,
        spec_version: u32::try_from(spec_version)
            .map_err(|_| StoreError::corrupt(format!("spec version {spec_version}")))?,
        created_by: get(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        started_at: opt_time(row, "started_at")?,
        completed_at: opt_time(row, "completed_at")?,
        version: get(row, "version")?,
    })
}

/// Inserts a new task and its `spec_task.created` event in `w`.
pub(crate) async fn write_spec_task(w: &mut WriteTx<'_>, task: &SpecTask) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO spec_tasks (id, short_id, slug, title, prompt, kind, status, failed_from, error, \
         repository_id, planning_agent, implementation_agent, priority, spec_version, created_by, \
         created_at, updated_at, started_at, completed_at, version, complexity, workflow, review_target, workflow_base",
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18, $19, $20, $21, $22, $23, $24)"
    ))
    .bind(task.id.to_string())
    .bind(task.short_id.to_string())
    .bind(&task.slug)
    .bind(&task.title)
    .bind(&task.prompt)
    .bind(task.kind.as_str())
    .bind(task.status().as_str())
    .bind(task.state.failure().map(|f| f.from.as_str()))
    .bind(task.state.failure().map(|f| f.reason.clone()))
    .bind(task.repository_id.to_string())
    .bind(task.planning_agent.clone())
    .bind(task.implementation_agent.clone())
    .bind(task.priority.rank())
    .bind(i64::from(task.spec_version))
    .bind(&task.created_by)
    .bind(millis(task.created_at))
    .bind(millis(task.updated_at))
    .bind(task.started_at.map(millis))
    .bind(task.completed_at.map(millis))
    .bind(task.version)
    .bind(task.complexity.as_str())
    .bind(&task.workflow)
    .bind(task.review_target.clone())
    .bind(&task.workflow_base)
    .execute(&mut *w.tx)
    .await?;
    w.append_event(NewEvent {
        spec_task_id: Some(task.id),
        work_session_id: None,
        payload: SpecTaskCreated {
            title: task.title.clone(),
            kind: task.kind,
            complexity: task.complexity,
            status: task.status(),
            repository_id: task.repository_id,
            priority: task.priority,
        },
        at: task.created_at,
    })
    .await?;
    Ok(())
}
