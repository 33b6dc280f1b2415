//! Spec versions: every set of documents a planner produced, kept; submitting one moves the task to
//! review in the same transaction.

use serde_json::Value;
use spectask_core::{
    NewSpecTask, SpecDocuments, SpecTask, SpecTaskCommand, SpecTaskEffect, SpecTaskId, SpecVersion,
};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, json, millis, now, parse, time, to_json};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::tasks::spec_tasks::AppliedChange;
use crate::{Store, StoreError};

/// What a planner hands in.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSpecVersion {
    pub documents: SpecDocuments,
    pub planner: String,
    pub usage: Value,
    pub lint: Vec<String>,
    /// What the planner asks the person (none: it asks nothing).
    pub questions: Vec<String>,
    /// The planner's own consistency check: what it left inconsistent across the documents.
    pub consistency: Vec<String>,
}

macro_rules! columns {
    () => {
        "spec_task_id, version, requirements, design, tasks, planner, usage, lint, created_at, questions, \
         consistency"
    };
}

impl Store {
    /// Stores the task's next spec version and submits it for review (spec_generation → spec_review).
    pub async fn submit_spec_version(
        &self,
        task: &SpecTask,
        new: NewSpecVersion,
    ) -> Result<(AppliedChange<SpecTask, SpecTaskEffect>, SpecVersion), StoreError> {
        self.submit_spec_version_with_usage(task, new, &[]).await
    }

    /// [`Self::submit_spec_version`] with the planner calls' ledger entries, in the same write: a
    /// version is on record with its tokens or not at all.
    pub async fn submit_spec_version_with_usage(
        &self,
        task: &SpecTask,
        new: NewSpecVersion,
        usage: &[crate::NewUsage],
    ) -> Result<(AppliedChange<SpecTask, SpecTaskEffect>, SpecVersion), StoreError> {
        let mut w = self.begin_write().await?;
        for entry in usage {
            w.insert_usage(entry).await?;
        }
        let submitted = w.submit_spec_version(task, new).await?;
        w.commit().await?;
        Ok(submitted)
    }

    /// A SpecTask made from a spec that already exists (a Kiro, spec-kit or cc-sdd folder): created,
    /// its documents stored as version 1 by `new.planner`, and at spec review, in one write. No
    /// planner runs for it.
    pub async fn adopt_spec(&self, task: NewSpecTask, new: NewSpecVersion) -> Result<SpecTask, StoreError> {
        let task = task.into_spec_task(SpecTaskId::from_uuid(Uuid::now_v7()), now());
        let mut w = self.begin_write().await?;
        crate::tasks::spec_tasks::write_spec_task(&mut w, &task).await?;
        let planning = w.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await?;
        let (submitted, _) = w.submit_spec_version(&planning.value, new).await?;
        w.commit().await?;
        Ok(submitted.value)
    }

    /// A converge round the person approved: `new` (the spec with the round's plan tasks) becomes
    /// the task's next version, the task goes to spec_approved for its hand-off, and `round` is
    /// logged, in one write.
    pub async fn converge_spec(
        &self,
        task: &SpecTask,
        new: NewSpecVersion,
        round: crate::NewCoordination,
    ) -> Result<SpecTask, StoreError> {
        let mut w = self.begin_write().await?;
        let (applied, _) = w.add_spec_version(task, new, &SpecTaskCommand::Converge).await?;
        w.record_coordination(round).await?;
        w.commit().await?;
        Ok(applied.value)
    }
}

impl WriteTx<'_> {
    /// Stores `task`'s next spec version and moves it to review (spec_generation → spec_review).
    pub(crate) async fn submit_spec_version(
        &mut self,
        task: &SpecTask,
        new: NewSpecVersion,
    ) -> Result<(AppliedChange<SpecTask, SpecTaskEffect>, SpecVersion), StoreError> {
        self.add_spec_version(task, new, &SpecTaskCommand::SubmitSpec).await
    }

    /// Stores `task`'s next spec version with the transition `command`.
    async fn add_spec_version(
        &mut self,
        task: &SpecTask,
        new: NewSpecVersion,
        command: &SpecTaskCommand,
    ) -> Result<(AppliedChange<SpecTask, SpecTaskEffect>, SpecVersion), StoreError> {
        let w = self;
        let mut applied = w.transition_spec_task(task, command).await?;
        let version = SpecVersion {
            spec_task_id: task.id,
            version: task.spec_version + 1,
            documents: new.documents,
            planner: new.planner,
            usage: new.usage,
            lint: new.lint,
            questions: new.questions,
            consistency: new.consistency,
            created_at: now(),
        };
        sqlx::query(concat!(
            "INSERT INTO spec_versions (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(task.id.to_string())
        .bind(i64::from(version.version))
        .bind(&version.documents.requirements)
        .bind(&version.documents.design)
        .bind(&version.documents.tasks)
        .bind(&version.planner)
        .bind(version.usage.to_string())
        .bind(to_json(&version.lint)?)
        .bind(millis(version.created_at))
        .bind(to_json(&version.questions)?)
        .bind(to_json(&version.consistency)?)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE spec_tasks SET spec_version = $1 WHERE id = $2")
            .bind(i64::from(version.version))
            .bind(task.id.to_string())
            .execute(&mut *w.tx)
            .await?;
        applied.value.spec_version = version.version;
        Ok((applied, version))
    }
}

impl Store {
    /// One version of a task's spec, or the newest when `version` is `None`.
    pub async fn spec_version(
        &self,
        id: SpecTaskId,
        version: Option<u32>,
    ) -> Result<SpecVersion, StoreError> {
        let row = match version {
            Some(v) => {
                sqlx::query(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM spec_versions WHERE spec_task_id = $1 AND version = $2"
                ))
                .bind(id.to_string())
                .bind(i64::from(v))
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM spec_versions WHERE spec_task_id = $1 ORDER BY version DESC LIMIT 1"
                ))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row.as_ref().map(version_from_row).transpose()?.ok_or_else(|| StoreError::NotFound {
            entity: "spec version",
            reference: match version {
                Some(v) => format!("{id} v{v}"),
                None => format!("{id} (no spec generated yet)"),
            },
        })
    }

    /// The version of its spec each of `tasks` is at (those with one), in one query.
    pub async fn current_spec_versions(&self, tasks: &[SpecTaskId]) -> Result<Vec<SpecVersion>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT {} FROM spec_versions WHERE spec_task_id IN ({ids}) AND version = \
                 (SELECT t.spec_version FROM spec_tasks t WHERE t.id = spec_versions.spec_task_id)",
                columns!()
            )
        })
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Every version of a task's spec, oldest first.
    pub async fn spec_versions(&self, id: SpecTaskId) -> Result<Vec<SpecVersion>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM spec_versions WHERE spec_task_id = $1 ORDER BY version"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }
}

fn version_from_row(row: &AnyRow) -> Result<SpecVersion, StoreError> {
    let version: i64 = get(row, "version")?;
    Ok(SpecVersion {
        spec_task_id: parse(row, "spec_task_id")?,
        version: u32::try_from(version)
            .map_err(|_| StoreError::corrupt(format!("spec version {version}")))?,
        documents: SpecDocuments {
            requirements: get(row, "requirements")?,
            design: get(row, "design")?,
            tasks: get(row, "tasks")?,
        },
        planner: get(row, "planner")?,
        usage: json(row, "usage")?,
        lint: json(row, "lint")?,
        questions: json(row, "questions")?,
        consistency: json(row, "consistency")?,
        created_at: time(row, "created_at")?,
    })
}
