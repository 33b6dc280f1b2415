//! The nodes sharing the database (each one's API address) and the task leases they hold: which node
//! holds a task's agent instance.

use std::time::Duration;

use spectask_core::SpecTaskId;

use crate::database::codec::{deadline, get, millis, now};
use crate::jobs::leases::Lease;
use crate::{Store, StoreError};

/// The node holding a task's lease, and the address it serves its API on when it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLeaseHolder {
    pub node: String,
    pub address: Option<String>,
}

impl Store {
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
