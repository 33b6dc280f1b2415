//! The forge issues tasks were imported from.

use spectask_core::{NewSpecTask, RepositoryId, SpecTask, SpecTaskId, TaskIssue};
use sqlx::any::AnyRow;

use crate::database::codec::{get, parse};
use crate::{Store, StoreError};

/// The issue a new task comes from (its task id is the task's, once made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaskIssue {
    pub forge: String,
    pub repository: String,
    pub number: u64,
    pub url: String,
    pub title: String,
}

impl Store {
    /// Creates a task from a forge issue: the task and its link to the issue in one write.
    pub async fn create_spec_task_from_issue(
        &self,
        new: NewSpecTask,
        issue: &NewTaskIssue,
    ) -> Result<SpecTask, StoreError> {
        self.create_spec_task_linked(new, Some(issue), None, None).await
    }

    /// The issue the task was imported from, when it was.
    pub async fn issue_of(&self, task: SpecTaskId) -> Result<Option<TaskIssue>, StoreError> {
        let row = sqlx::query(
            "SELECT spec_task_id, forge, repository, number, url, title, closed FROM task_issues \
             WHERE spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(issue_from_row).transpose()
    }

    /// Whether issue `number` of `repository` on `forge` is a task's already in the registered
    /// repository `registered` (an issue is taken up once per registered repository).
    pub async fn issue_taken_up(
        &self,
        registered: RepositoryId,
        forge: &str,
        repository: &str,
        number: u64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM task_issues \
             WHERE repository_id = $4 AND forge = $1 AND repository = $2 AND number = $3",
        )
        .bind(forge)
        .bind(repository)
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(registered.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Records that spectask closed the task's issue.
    pub async fn mark_issue_closed(&self, task: SpecTaskId) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE task_issues SET closed = 1 WHERE spec_task_id = $1")
            .bind(task.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }
}

/// Links `task` (of registered repository `registered`) to `issue` in the write `w`: refused as
/// [`StoreError::Taken`] when the issue is a task of that repository already.
pub(crate) async fn write_issue(
    w: &mut crate::database::write::WriteTx<'_>,
    (task, registered): (SpecTaskId, RepositoryId),
    issue: &NewTaskIssue,
) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO task_issues (spec_task_id, forge, repository, number, url, title, repository_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (repository_id, forge, repository, number) DO NOTHING",
    )
    .bind(task.to_string())
    .bind(&issue.forge)
    .bind(&issue.repository)
    .bind(i64::try_from(issue.number).unwrap_or(i64::MAX))
    .bind(&issue.url)
    .bind(&issue.title)
    .bind(registered.to_string())
    .execute(&mut *w.tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::Taken(format!(
            "issue #{} of {} on {}",
            issue.number, issue.repository, issue.forge
        )));
    }
    Ok(())
}

fn issue_from_row(row: &AnyRow) -> Result<TaskIssue, StoreError> {
    Ok(TaskIssue {
        spec_task_id: parse(row, "spec_task_id")?,
        forge: get(row, "forge")?,
        repository: get(row, "repository")?,
        number: u64::try_from(get::<i64>(row, "number")?).unwrap_or_default(),
        url: get(row, "url")?,
        title: get(row, "title")?,
        closed: get::<i64>(row, "closed")? != 0,
    })
}
