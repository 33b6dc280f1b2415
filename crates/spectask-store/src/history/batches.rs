//! What the history recorder needs besides appending: pending entries per repository, the last
//! design-docs commit it marked, and the lease that lets one recorder at a time commit a repository.

use std::time::Duration;

use spectask_core::{HistoryEntry, RepositoryId};

use crate::database::codec::{get, parse};
use crate::jobs::leases::Lease;
use crate::{Store, StoreError};

impl Store {
    /// The repositories with uncommitted history entries.
    pub async fn repositories_with_pending_history(&self) -> Result<Vec<RepositoryId>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT t.repository_id AS repository_id FROM history_entries h \
             JOIN spec_tasks t ON t.id = h.spec_task_id WHERE h.committed_at IS NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| parse(row, "repository_id")).collect()
    }

    /// A repository's uncommitted entries, oldest first, at most `limit`.
    pub async fn pending_history_of_repository(
        &self,
        repository: RepositoryId,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.seq AS seq, h.spec_task_id AS spec_task_id, h.work_session_id AS work_session_id, \
             h.file AS file, h.content AS content, h.created_at AS created_at, \
             h.committed_at AS committed_at, h.commit_id AS commit_id \
             FROM history_entries h JOIN spec_tasks t ON t.id = h.spec_task_id \
             WHERE h.committed_at IS NULL AND t.repository_id = $1 ORDER BY h.seq LIMIT $2",
        )
        .bind(repository.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::history::entries::entry_from_row).collect()
    }

    /// The design-docs commit holding the entries of a repository marked committed most recently:
    /// every batch committed after it descends from it.
    pub async fn last_history_commit(&self, repository: RepositoryId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT h.commit_id AS commit_id FROM history_entries h \
             JOIN spec_tasks t ON t.id = h.spec_task_id \
             WHERE h.committed_at IS NOT NULL AND t.repository_id = $1 \
             ORDER BY h.committed_at DESC, h.seq DESC LIMIT 1",
        )
        .bind(repository.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| get::<Option<String>>(&r, "commit_id")).transpose().map(Option::flatten)
    }

    /// Takes or renews the right to commit a repository's history for `owner`; false while another
    /// recorder's lease is fresh.
    pub async fn acquire_recorder_lease(
        &self,
        repository: RepositoryId,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        w.take_lease(Lease::Recorder, &repository.to_string(), owner, ttl).await?;
        let row = sqlx::query("SELECT owner FROM recorder_leases WHERE repository_id = $1")
            .bind(repository.to_string())
            .fetch_one(&mut *w.tx)
            .await?;
        let holder: String = get(&row, "owner")?;
        w.commit().await?;
        Ok(holder == owner)
    }

    /// Gives up a recorder lease `owner` holds.
    pub async fn release_recorder_lease(
        &self,
        repository: RepositoryId,
        owner: &str,
    ) -> Result<(), StoreError> {
        self.release_lease(Lease::Recorder, &repository.to_string(), owner).await
    }

    /// Gives up the recorder leases of `node`'s previous run (owners `<node>/…`): a node that just
    /// started cannot be committing history yet, so they belong to a run that was killed mid-commit,
    /// and would keep every recorder off those repositories until they expire. Returns how many.
    pub async fn release_recorder_leases_of(&self, node: &str) -> Result<u64, StoreError> {
        let prefix = format!("{node}/");
        let mut w = self.begin_write().await?;
        let released = sqlx::query(
            "DELETE FROM recorder_leases WHERE substr(owner, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT)",
        )
        .bind(prefix)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(released)
    }
}
