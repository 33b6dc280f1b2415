//! Who may use a repository and change its settings: its owner (who registered it) and the
//! members the owner adds.

use spectask_core::{Repository, RepositoryId};

use crate::repositories::{keep_member_access, repository_from_row, select_repositories};
use crate::{Store, StoreError};

impl Store {
    /// The repositories `user` owns or is a member of, by path.
    pub async fn repositories_of(&self, user: &str) -> Result<Vec<Repository>, StoreError> {
        let sql = select_repositories(
            "JOIN repository_users u ON u.repository_id = r.id WHERE u.user_name = $1 ORDER BY r.path",
        );
        let rows = sqlx::query(sql).bind(user).fetch_all(&self.pool).await?;
        rows.iter().map(repository_from_row).collect()
    }

    /// Makes `user` a member of a repository (idempotent): it shows in their listings, they create
    /// tasks in it and change its settings. A write of its own, after or before any write that
    /// ends a membership or a role: none marks what may use a repository while a grant lands.
    pub async fn grant_repository(&self, id: RepositoryId, user: &str) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO repository_users (repository_id, user_name) VALUES ($1, $2) \
             ON CONFLICT (repository_id, user_name) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// Whether `user` is a member of the repository (its owner is one).
    pub async fn repository_granted(&self, id: RepositoryId, user: &str) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM repository_users WHERE repository_id = $1 AND user_name = $2")
                .bind(id.to_string())
                .bind(user)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// The repository's members, by name (its owner among them).
    pub async fn repository_members(&self, id: RepositoryId) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query_scalar::<_, String>(
            "SELECT user_name FROM repository_users WHERE repository_id = $1 ORDER BY user_name",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Ends `user`'s membership; whether they were a member. The owner's cannot end. A member's
    /// access, ended, still counts for the repository's trust (`keep_member_access`).
    pub async fn remove_repository_member(&self, id: RepositoryId, user: &str) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        keep_member_access(&mut w).await?;
        let removed = sqlx::query(
            "DELETE FROM repository_users WHERE repository_id = $1 AND user_name = $2 \
             AND user_name <> COALESCE((SELECT owner FROM repositories WHERE id = $1), '')",
        )
        .bind(id.to_string())
        .bind(user)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(removed == 1)
    }

    /// Makes `user` the owner (and a member) of a repository that has no owner, or whose owner is
    /// `open_owner` (the one user of a server that had no users); whether it did.
    pub async fn claim_repository(
        &self,
        id: RepositoryId,
        user: &str,
        open_owner: &str,
    ) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE repositories SET owner = $1 WHERE id = $2 AND (owner IS NULL OR owner = $3) AND $1 <> $3",
        )
        .bind(user)
        .bind(id.to_string())
        .bind(open_owner)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            sqlx::query(
                "INSERT INTO repository_users (repository_id, user_name) VALUES ($1, $2) \
                 ON CONFLICT (repository_id, user_name) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(user)
            .execute(&mut *w.tx)
            .await?;
            // The open server's membership ends with it: nobody may come to hold it by name.
            sqlx::query("DELETE FROM repository_users WHERE repository_id = $1 AND user_name = $2")
                .bind(id.to_string())
                .bind(open_owner)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(claimed == 1)
    }
}
