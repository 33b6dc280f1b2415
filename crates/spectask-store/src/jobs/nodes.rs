//! The nodes sharing the database (each one's API address), each one's lease (under which it runs
//! its jobs) and the task leases they hold: which node holds a task's agent instance.

use std::time::Duration;

use spectask_core::SpecTaskId;

use crate::database::codec::{deadline, get, millis, now};
use crate::database::write::WriteTx;
use crate::jobs::leases::Lease;
use crate::{Store, StoreError};

/// The node holding a task's lease, and the address it serves its API on when it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLeaseHolder {
    pub node: String,
    pub address: Option<String>,
}

impl WriteTx<'_> {
    /// Takes or renews `node`'s lease for `ttl`; returns its epoch. A lease that had lapsed (or a
    /// node without one) starts a new epoch, and the jobs the node ran under the old one are queued
    /// again: they may have been claimed by others meanwhile, and the new lease must not revive them.
    pub(crate) async fn take_node_lease(&mut self, node: &str, ttl: Duration) -> Result<i64, StoreError> {
        let now = now();
        let until = deadline(now, ttl);
        let renewed = sqlx::query(
            "UPDATE node_leases SET expires_at = $1 WHERE node = $2 AND expires_at >= $3 RETURNING epoch",
        )
        .bind(until)
        .bind(node)
        .bind(millis(now))
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = renewed {
            return get(&row, "epoch");
        }
        self.release_running_jobs(node).await?;
        let row = sqlx::query(
            "INSERT INTO node_leases (node, expires_at, epoch) VALUES ($1, $2, 1) \
             ON CONFLICT (node) DO UPDATE SET expires_at = excluded.expires_at, epoch = node_leases.epoch + 1 \
             RETURNING epoch",
        )
        .bind(node)
        .bind(until)
        .fetch_one(&mut *self.tx)
        .await?;
        get(&row, "epoch")
    }

    /// Queues again for any node the jobs `owner` runs; returns how many.
    pub(crate) async fn release_running_jobs(&mut self, owner: &str) -> Result<u64, StoreError> {
        let released = sqlx::query(
            "UPDATE jobs SET status = 'queued', lease_owner = NULL, updated_at = $1 \
             WHERE lease_owner = $2 AND status = 'running'",
        )
        .bind(millis(now()))
        .bind(owner)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if released > 0 {
            self.wake_orchestrator().await?;
        }
        Ok(released)
    }
}

impl Store {
    /// Renews `node`'s lease for `ttl` (one write whatever its number of jobs); returns its epoch. A
    /// changed epoch means the lease lapsed meanwhile: the node's runs may have been lost (see
    /// [`Store::job_runs_held`]).
    pub async fn renew_node_lease(&self, node: &str, ttl: Duration) -> Result<i64, StoreError> {
        let mut w = self.begin_write().await?;
        let epoch = w.take_node_lease(node, ttl).await?;
        w.commit().await?;
        Ok(epoch)
    }

    /// Records the address node `name` serves its API on (at its start; replaces an earlier one).
    pub async fn register_node(&self, name: &str, address: &str) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO nodes (name, address, started_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET address = excluded.address, started_at = excluded.started_at",
        )
        .bind(name)
        .bind(address)
        .bind(millis(now()))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// Takes or renews the lease on a task's agent instance for `owner`; false while another node's
    /// lease is fresh.
    pub async fn acquire_task_lease(
        &self,
        task: SpecTaskId,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        Ok(self.take_task_lease(task, owner, ttl).await?.is_none())
    }

    /// [`Self::acquire_task_lease`], naming the node whose fresh lease kept `owner` from it (read in
    /// the same write); `None`: the lease is `owner`'s.
    pub async fn take_task_lease(
        &self,
        task: SpecTaskId,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<TaskLeaseHolder>, StoreError> {
        let mut w = self.begin_write().await?;
        w.take_lease(Lease::Task, &task.to_string(), owner, ttl).await?;
        let row = sqlx::query(
            "SELECT l.owner, n.address FROM task_leases l LEFT JOIN nodes n ON n.name = l.owner \
             WHERE l.spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        let node: String = get(&row, "owner")?;
        if node == owner {
            return Ok(None);
        }
        Ok(Some(TaskLeaseHolder { node, address: get(&row, "address")? }))
    }

    /// Renews every task lease `owner` holds (called while its agent instances live); a zero `ttl`
    /// gives them up (a node stopping), and wakes the other nodes for the tasks' session jobs, which
    /// waited for the leases (`claim_jobs`).
    pub async fn renew_task_leases(&self, owner: &str, ttl: Duration) -> Result<(), StoreError> {
        let until = deadline(now(), ttl);
        let mut w = self.begin_write().await?;
        let renewed = sqlx::query("UPDATE task_leases SET expires_at = $1 WHERE owner = $2")
            .bind(until)
            .bind(owner)
            .execute(&mut *w.tx)
            .await?;
        if ttl.is_zero() && renewed.rows_affected() > 0 {
            w.wake_orchestrator().await?;
        }
        w.commit().await
    }

    /// Gives up the lease on a task (its agent stopped).
    pub async fn release_task_lease(&self, task: SpecTaskId, owner: &str) -> Result<(), StoreError> {
        self.release_lease(Lease::Task, &task.to_string(), owner).await
    }
}
