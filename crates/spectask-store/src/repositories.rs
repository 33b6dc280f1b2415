//! Registered repositories, keyed by their canonical path.

use std::path::Path;

use spectask_core::events::payload::{RepositoryRegistered, RepositorySettingsChanged, SettingChange};
use spectask_core::{Repository, RepositoryId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, millis, now, parse, time};
use crate::database::connect::fixed_sql;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::{Store, StoreError, UserRole};

/// The statement that sets one column of a repository (`$1`) and moves its `updated_at` on to
/// `$2`, or past the last stamp when that is later (another node's clock): a row read later is
/// never stamped earlier, so a node can tell an older row of it from a newer one
/// (`spectask-orchestrator`'s `repos::open`).
macro_rules! set_column {
    ($column:literal) => {
        concat!(
            "UPDATE repositories SET ",
            $column,
            " = $1, updated_at = CASE WHEN updated_at >= $2 THEN updated_at + 1 ELSE $2 END WHERE id = $3"
        )
    };
}

impl Store {
    /// Records a repository owned by `owner` (who becomes its first member; `None`: the first user
    /// to register it claims it), or returns the existing record for the same canonical path
    /// unchanged.
    pub async fn register_repository(
        &self,
        path: &Path,
        default_branch: &str,
        design_docs_branch: &str,
        owner: Option<&str>,
    ) -> Result<Repository, StoreError> {
        self.register_cloned_repository(path, default_branch, design_docs_branch, owner, None).await
    }

    /// [`Store::register_repository`] of a clone of `remote_url` (every node works on a clone of
    /// its own of it), the URL recorded in the same write: no other node ever sees the record
    /// without it.
    pub async fn register_cloned_repository(
        &self,
        path: &Path,
        default_branch: &str,
        design_docs_branch: &str,
        owner: Option<&str>,
        remote_url: Option<&str>,
    ) -> Result<Repository, StoreError> {
        if let Some(existing) = self.repository_by_path(path).await? {
            return Ok(existing);
        }
        let now = now();
        let id = RepositoryId::from_uuid(Uuid::now_v7());
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO repositories (id, path, default_branch, design_docs_branch, owner, remote_url, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (path) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(path_text(path)?)
        .bind(default_branch)
        .bind(design_docs_branch)
        .bind(owner)
        .bind(remote_url)
        .bind(millis(now))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if let (1, Some(owner)) = (inserted, owner) {
            sqlx::query("INSERT INTO repository_users (repository_id, user_name) VALUES ($1, $2)")
                .bind(id.to_string())
                .bind(owner)
                .execute(&mut *w.tx)
                .await?;
        }
        if inserted == 1 {
            w.append_event(NewEvent {
                spec_task_id: None,
                work_session_id: None,
                payload: RepositoryRegistered {
                    repository_id: id,
                    path: path.to_path_buf(),
                    default_branch: default_branch.to_owned(),
                    owner: owner.map(str::to_owned),
                },
                at: now,
            })
            .await?;
        }
        w.commit().await?;
        self.repository_by_path(path).await?.ok_or_else(|| StoreError::NotFound {
            entity: "repository",
            reference: path.display().to_string(),
        })
    }

    pub async fn repository(&self, id: RepositoryId) -> Result<Repository, StoreError> {
        let sql = select_repositories("WHERE r.id = $1");
        let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref()
            .map(repository_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "repository", reference: id.to_string() })
    }

    pub async fn repository_by_path(&self, path: &Path) -> Result<Option<Repository>, StoreError> {
        let sql = select_repositories("WHERE r.path = $1");
        let row = sqlx::query(sql).bind(path_text(path)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(repository_from_row).transpose()
    }

    /// Marks (or, with `None`, clears) why spectask stopped writing to a repository.
    pub async fn set_repository_attention(
        &self,
        id: RepositoryId,
        attention: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(set_column!("attention"))
            .bind(attention)
            .bind(millis(now()))
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Changes the repository's settings as `change` says, in one write with one
    /// [`EventKind::RepositorySettingsChanged`] event naming `by` and each setting's old and new
    /// value (none when nothing changed). Returns the repository as it now is.
    pub async fn change_repository_settings(
        &self,
        id: RepositoryId,
        by: &str,
        change: &SettingsChange,
    ) -> Result<Repository, StoreError> {
        let mut w = self.begin_write().await?;
        // Read in the write: a change is weighed against the settings as they are when it commits.
        let row = sqlx::query(select_repositories("WHERE r.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *w.tx)
            .await?;
        let before = row
            .as_ref()
            .map(repository_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "repository", reference: id.to_string() })?;
        let mut updates: Vec<(SettingColumn, Option<String>, Option<String>)> = Vec::new();
        if let Some(command) = change.check_command.clone().filter(|c| *c != before.check_command) {
            updates.push((SettingColumn::CheckCommand, before.check_command.clone(), command));
        }
        if let Some(policy) = change.merge_policy.filter(|p| *p != before.merge_policy) {
            let (from, to) = (before.merge_policy.as_str().to_owned(), policy.as_str().to_owned());
            updates.push((SettingColumn::MergePolicy, Some(from), Some(to)));
        }
        if let Some(policy) = change.task_branches.filter(|p| *p != before.task_branches) {
            let (from, to) = (before.task_branches.as_str().to_owned(), policy.as_str().to_owned());
            updates.push((SettingColumn::TaskBranches, Some(from), Some(to)));
        }
        if let Some(policy) = change.hooks.filter(|p| *p != before.hooks) {
            let (from, to) = (before.hooks.as_str().to_owned(), policy.as_str().to_owned());
            updates.push((SettingColumn::Hooks, Some(from), Some(to)));
        }
        if let Some(merge) = change.pull_request_merge.filter(|m| *m != before.pull_request_merge) {
            let (from, to) = (before.pull_request_merge.as_str().to_owned(), merge.as_str().to_owned());
            updates.push((SettingColumn::PullRequestMerge, Some(from), Some(to)));
        }
        if let Some(n) = change.required_approvals.filter(|n| *n != before.required_approvals) {
            let (from, to) = (before.required_approvals.to_string(), n.to_string());
            updates.push((SettingColumn::RequiredApprovals, Some(from), Some(to)));
        }
        if let Some(label) = change.issue_label.clone().filter(|l| *l != before.issue_label) {
            updates.push((SettingColumn::IssueLabel, before.issue_label.clone(), label));
        }
        if let Some(branch) = change.default_branch.clone().filter(|b| *b != before.default_branch) {
            updates.push((SettingColumn::DefaultBranch, Some(before.default_branch.clone()), Some(branch)));
        }
        if updates.is_empty() {
            return Ok(before);
        }
        // Taken in the write: the writes of a repository are stamped in the order they commit.
        let at = now();
        let mut changes = Vec::new();
        for (column, from, to) in updates {
            let query = sqlx::query(column.update_sql());
            // The one number among the settings is bound as one.
            let query = match column {
                SettingColumn::RequiredApprovals => {
                    query.bind(to.as_deref().and_then(|n| n.parse::<i64>().ok()).unwrap_or_default())
                }
                _ => query.bind(to.as_deref()),
            };
            query.bind(millis(at)).bind(id.to_string()).execute(&mut *w.tx).await?;
            changes.push(SettingChange { setting: column.name().to_owned(), from, to });
        }
        w.append_event(NewEvent {
            spec_task_id: None,
            work_session_id: None,
            payload: RepositorySettingsChanged { repository_id: id, by: by.to_owned(), changes },
            at,
        })
        .await?;
        w.commit().await?;
        self.repository(id).await
    }

    /// Records the branch the repository's tasks start from and merge into (chosen at
    /// registration, or changed since).
    pub async fn set_default_branch(&self, id: RepositoryId, branch: &str) -> Result<Repository, StoreError> {
        self.update_repository(id, SettingColumn::DefaultBranch, Some(branch)).await
    }

    /// Writes one of a repository's settings and returns the repository as it now is.
    async fn update_repository(
        &self,
        id: RepositoryId,
        column: SettingColumn,
        value: Option<&str>,
    ) -> Result<Repository, StoreError> {
        let mut w = self.begin_write().await?;
        let updated = sqlx::query(column.update_sql())
            .bind(value)
            .bind(millis(now()))
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        if updated == 0 {
            return Err(StoreError::NotFound { entity: "repository", reference: id.to_string() });
        }
        self.repository(id).await
    }

    pub async fn list_repositories(&self) -> Result<Vec<Repository>, StoreError> {
        let sql = select_repositories("ORDER BY r.path");
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(repository_from_row).collect()
    }
}

fn path_text(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| StoreError::InvalidReference {
        entity: "repository",
        reference: path.display().to_string(),
        reason: "the path is not valid UTF-8",
    })
}

pub(crate) fn repository_from_row(row: &AnyRow) -> Result<Repository, StoreError> {
    Ok(Repository {
        id: parse(row, "id")?,
        path: get::<String>(row, "path")?.into(),
        default_branch: get(row, "default_branch")?,
        design_docs_branch: get(row, "design_docs_branch")?,
        attention: get(row, "attention")?,
        merge_policy: parse(row, "merge_policy")?,
        task_branches: parse(row, "task_branches")?,
        hooks: parse(row, "hooks")?,
        pull_request_merge: parse(row, "pull_request_merge")?,
        required_approvals: u32::try_from(get::<i64>(row, "required_approvals")?).unwrap_or_default(),
        issue_label: get(row, "issue_label")?,
        check_command: get(row, "check_command")?,
        remote_url: get(row, "remote_url")?,
        member_access: member_access(row)?,
        owner: get(row, "owner")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Repositories' rows with `member_access` (see [`member_access_sql`]). `rest`, a fixed fragment,
/// follows `FROM repositories r`.
pub(crate) fn select_repositories(rest: &'static str) -> AssertSqlSafe<String> {
    fixed_sql(format!(
        "SELECT r.id, r.path, r.default_branch, r.design_docs_branch, r.attention, r.merge_policy, r.task_branches, \
         r.hooks, r.pull_request_merge, r.required_approvals, r.issue_label, r.check_command, r.remote_url, r.owner, \
         CASE WHEN {} THEN 1 ELSE 0 END AS member_access, r.created_at, r.updated_at FROM repositories r {rest}",
        member_access_sql(),
    ))
}

/// Whether a member owns the repository `r` or may use it, or ever did: its owner or one of its
/// users is neither an administrator nor the open server's pseudo-user (one no longer on the
/// server counts), or `member_used` kept that from before.
fn member_access_sql() -> String {
    let (local, admin) = (crate::LOCAL_USER, UserRole::Admin.as_str());
    format!(
        "(r.member_used = 1 \
          OR (r.owner IS NOT NULL AND r.owner <> '{local}' \
              AND NOT EXISTS (SELECT 1 FROM users o WHERE o.name = r.owner AND o.role = '{admin}')) \
          OR EXISTS (SELECT 1 FROM repository_users m WHERE m.repository_id = r.id AND m.user_name <> '{local}' \
              AND NOT EXISTS (SELECT 1 FROM users a WHERE a.name = m.user_name AND a.role = '{admin}')))"
    )
}

/// Keeps every repository's member access for good (`member_used`), in the write that is about to
/// end a member's access or role: a member's agents may have committed content (a `.lfsconfig`, a
/// `.gitmodules`) that stays in the branches, and their tasks under way keep running.
pub(crate) async fn keep_member_access(w: &mut WriteTx<'_>) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE repositories AS r SET member_used = 1 WHERE r.member_used = 0 AND {}",
        member_access_sql()
    );
    sqlx::query(fixed_sql(sql)).execute(&mut *w.tx).await?;
    Ok(())
}

fn member_access(row: &AnyRow) -> Result<bool, StoreError> {
    Ok(get::<i64>(row, "member_access")? == 1)
}

/// A change of a repository's settings; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// `Some(None)` removes the check command.
    pub check_command: Option<Option<String>>,
    pub merge_policy: Option<spectask_core::MergePolicy>,
    pub task_branches: Option<spectask_core::TaskBranchPolicy>,
    pub default_branch: Option<String>,
    pub hooks: Option<spectask_core::HookPolicy>,
    pub pull_request_merge: Option<spectask_core::PullRequestMerge>,
    pub required_approvals: Option<u32>,
    /// `Some(None)` stops taking up labelled issues.
    pub issue_label: Option<Option<String>>,
}

impl SettingsChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The repository settings a person may change after registering it; each has its own constant
/// statement (no column name is ever taken from input).
#[derive(Clone, Copy)]
enum SettingColumn {
    MergePolicy,
    TaskBranches,
    Hooks,
    PullRequestMerge,
    RequiredApprovals,
    IssueLabel,
    CheckCommand,
    DefaultBranch,
}

impl SettingColumn {
    /// The setting's name in the API and in events.
    fn name(self) -> &'static str {
        match self {
            Self::MergePolicy => "merge_policy",
            Self::TaskBranches => "task_branches",
            Self::Hooks => "hooks",
            Self::PullRequestMerge => "pull_request_merge",
            Self::RequiredApprovals => "required_approvals",
            Self::IssueLabel => "issue_label",
            Self::CheckCommand => "check_command",
            Self::DefaultBranch => "default_branch",
        }
    }

    fn update_sql(self) -> &'static str {
        match self {
            Self::MergePolicy => set_column!("merge_policy"),
            Self::TaskBranches => set_column!("task_branches"),
            Self::Hooks => set_column!("hooks"),
            Self::PullRequestMerge => set_column!("pull_request_merge"),
            Self::RequiredApprovals => set_column!("required_approvals"),
            Self::IssueLabel => set_column!("issue_label"),
            Self::CheckCommand => set_column!("check_command"),
            Self::DefaultBranch => set_column!("default_branch"),
        }
    }
}
