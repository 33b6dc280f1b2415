//! Keyed leases: a task's agent instance (`task_leases`, by SpecTask) and the right to commit a
//! repository's history (`recorder_leases`, by repository). One row per key names its owner until a
//! deadline; the lease is taken when it is free, expired or already the taker's.

use std::time::Duration;

use crate::database::codec::{deadline, millis, now};
use crate::database::connect::fixed_sql;
use crate::database::write::WriteTx;
use crate::{Store, StoreError};

/// Which lease: its table and key column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lease {
    /// `task_leases`, by `spec_task_id`: the node holding a task's agent instance.
    Task,
    /// `recorder_leases`, by `repository_id`: the recorder committing a repository's history.
    Recorder,
}

impl Lease {
    fn table_and_key(self) -> (&'static str, &'static str) {
        match self {
            Self::Task => ("task_leases", "spec_task_id"),
            Self::Recorder => ("recorder_leases", "repository_id"),
        }
    }
}

impl WriteTx<'_> {
    /// Takes or renews `lease` on `key` for `owner` for `ttl`, unless another owner's is fresh (left
    /// as it is). Read the row back in the same transaction to learn who holds it.
    pub(crate) async fn take_lease(
        &mut self,
        lease: Lease,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let (table, key_column) = lease.table_and_key();
        let now = now();
        let sql = format!(
            "INSERT INTO {table} ({key_column}, owner, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT ({key_column}) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
             WHERE {table}.owner = excluded.owner OR {table}.expires_at < $4"
        );
        sqlx::query(fixed_sql(sql))
            .bind(key)
            .bind(owner)
            .bind(deadline(now, ttl))
            .bind(millis(now))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Gives up `lease` on `key` if `owner` holds it.
    pub(crate) async fn release_lease(&self, lease: Lease, key: &str, owner: &str) -> Result<(), StoreError> {
        let (table, key_column) = lease.table_and_key();
        let sql = format!("DELETE FROM {table} WHERE {key_column} = $1 AND owner = $2");
        let mut w = self.begin_write().await?;
        let released = sqlx::query(fixed_sql(sql)).bind(key).bind(owner).execute(&mut *w.tx).await?;
        // A task's session jobs wait for its lease (`claim_jobs`): other nodes look again at once.
        if lease == Lease::Task && released.rows_affected() > 0 {
            w.wake_orchestrator().await?;
        }
        w.commit().await
    }
}
