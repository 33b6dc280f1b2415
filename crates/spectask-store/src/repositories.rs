//! Registered repositories, keyed by their canonical path.

use std::path::Path;

use serde_json::json;
use spectask_core::{EventKind, Repository, RepositoryId};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::codec::{get, millis, now, parse, time};
use crate::events::NewEvent;
use crate::{Store, StoreError};

impl Store {
    /// Records a repository, or returns the existing record for the same canonical path.
    pub async fn register_repository(
        &self,
        path: &Path,
        default_branch: &str,
        design_docs_branch: &str,
    ) -> Result<Repository, StoreError> {
        if let Some(existing) = self.repository_by_path(path).await? {
            return Ok(existing);
        }
        let now = now();
        let id = RepositoryId::from_uuid(Uuid::now_v7());
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO repositories (id, path, default_branch, design_docs_branch, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (path) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(path_text(path)?)
        .bind(default_branch)
        .bind(design_docs_branch)
        .bind(millis(now))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            w.append_event(NewEvent {
                kind: EventKind::RepositoryRegistered,
                spec_task_id: None,
                work_session_id: None,
                payload: json!({ "repository_id": id, "path": path, "default_branch": default_branch }),
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
        let sql = "SELECT id, path, default_branch, design_docs_branch, attention, merge_policy, check_command, remote_url, created_at, updated_at \
                   FROM repositories WHERE id = $1";
        let row = sqlx::query(sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref()
            .map(repository_from_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "repository", reference: id.to_string() })
    }

    pub async fn repository_by_path(&self, path: &Path) -> Result<Option<Repository>, StoreError> {
        let sql = "SELECT id, path, default_branch, design_docs_branch, attention, merge_policy, check_command, remote_url, created_at, updated_at \
                   FROM repositories WHERE path = $1";
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
        sqlx::query("UPDATE repositories SET attention = $1, updated_at = $2 WHERE id = $3")
            .bind(attention)
            .bind(millis(now()))
            .bind(id.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Sets what approving an implementation does with task branches of this repository.
    pub async fn set_merge_policy(
        &self,
        id: RepositoryId,
        policy: spectask_core::MergePolicy,
    ) -> Result<Repository, StoreError> {
        self.update_repository(id, SettingColumn::MergePolicy, Some(policy.as_str())).await
    }

    /// Sets (or, with `None`, clears) the command that checks a session's work in this repository.
    pub async fn set_check_command(
        &self,
        id: RepositoryId,
        command: Option<&str>,
    ) -> Result<Repository, StoreError> {
        self.update_repository(id, SettingColumn::CheckCommand, command).await
    }

    /// Records the URL the repository was registered by (cloned from): every node works on a
    /// clone of its own of it.
    pub async fn set_remote_url(&self, id: RepositoryId, url: &str) -> Result<Repository, StoreError> {
        self.update_repository(id, SettingColumn::RemoteUrl, Some(url)).await
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

    /// The repositories `user` registered or created tasks in, by path.
    pub async fn repositories_of(&self, user: &str) -> Result<Vec<Repository>, StoreError> {
        let sql = "SELECT r.id, r.path, r.default_branch, r.design_docs_branch, r.attention, r.merge_policy, r.check_command, r.remote_url, \
                   r.created_at, r.updated_at FROM repositories r \
                   JOIN repository_users u ON u.repository_id = r.id WHERE u.user_name = $1 ORDER BY r.path";
        let rows = sqlx::query(sql).bind(user).fetch_all(&self.pool).await?;
        rows.iter().map(repository_from_row).collect()
    }

    /// Records that `user` uses a repository (idempotent): it shows in their listings.
    pub async fn grant_repository(&self, id: RepositoryId, user: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repository_users (repository_id, user_name) VALUES ($1, $2) \
             ON CONFLICT (repository_id, user_name) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `user` uses the repository.
    pub async fn repository_granted(&self, id: RepositoryId, user: &str) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM repository_users WHERE repository_id = $1 AND user_name = $2")
                .bind(id.to_string())
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    pub async fn list_repositories(&self) -> Result<Vec<Repository>, StoreError> {
        let sql = "SELECT id, path, default_branch, design_docs_branch, attention, merge_policy, check_command, remote_url, created_at, updated_at \
                   FROM repositories ORDER BY path";
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

fn repository_from_row(row: &AnyRow) -> Result<Repository, StoreError> {
    Ok(Repository {
        id: parse(row, "id")?,
        path: get::<String>(row, "path")?.into(),
        default_branch: get(row, "default_branch")?,
        design_docs_branch: get(row, "design_docs_branch")?,
        attention: get(row, "attention")?,
        merge_policy: parse(row, "merge_policy")?,
        check_command: get(row, "check_command")?,
        remote_url: get(row, "remote_url")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// The repository settings a person may change after registering it; each has its own constant
/// statement (no column name is ever taken from input).
#[derive(Clone, Copy)]
enum SettingColumn {
    MergePolicy,
    CheckCommand,
    DefaultBranch,
    RemoteUrl,
}

impl SettingColumn {
    fn update_sql(self) -> &'static str {
        match self {
            Self::MergePolicy => "UPDATE repositories SET merge_policy = $1, updated_at = $2 WHERE id = $3",
            Self::CheckCommand => "UPDATE repositories SET check_command = $1, updated_at = $2 WHERE id = $3",
            Self::DefaultBranch => {
                "UPDATE repositories SET default_branch = $1, updated_at = $2 WHERE id = $3"
            }
            Self::RemoteUrl => "UPDATE repositories SET remote_url = $1, updated_at = $2 WHERE id = $3",
        }
    }
}
