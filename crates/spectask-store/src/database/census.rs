//! How many of each thing the database holds right now, for `GET /metrics`: a fixed number of
//! aggregate queries, however many rows there are.

use spectask_core::{SpecTaskStatus, Timestamp, WorkSessionStatus};

use crate::database::codec::{from_millis, get, millis, now, parse};
use crate::{Store, StoreError};

/// Counts per state and the job queue's depth, read in three queries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Every SpecTask status with its count (0 where none), in `SpecTaskStatus::ALL` order.
    pub spec_tasks: Vec<(SpecTaskStatus, i64)>,
    /// Every work-session status with its count (0 where none).
    pub work_sessions: Vec<(WorkSessionStatus, i64)>,
    /// Jobs waiting to run, due or not.
    pub jobs_queued: i64,
    /// Jobs a node runs (under a lease).
    pub jobs_running: i64,
    /// When the longest-waiting due job became due (`None`: no job is due).
    pub oldest_due_job: Option<Timestamp>,
}

impl Store {
    /// The [`Census`] as of now.
    pub async fn census(&self) -> Result<Census, StoreError> {
        let mut census = Census {
            spec_tasks: self
                .count_by_status(
                    "SELECT status, COUNT(*) AS n FROM spec_tasks GROUP BY status",
                    SpecTaskStatus::ALL,
                )
                .await?,
            work_sessions: self
                .count_by_status(
                    "SELECT status, COUNT(*) AS n FROM work_sessions GROUP BY status",
                    WorkSessionStatus::ALL,
                )
                .await?,
            ..Census::default()
        };
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS queued, \
                    COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) AS running, \
                    MIN(CASE WHEN status = 'queued' AND next_run_at <= $1 THEN next_run_at END) AS due \
             FROM jobs WHERE status IN ('queued', 'running')",
        )
        .bind(millis(now()))
        .fetch_one(&self.pool)
        .await?;
        census.jobs_queued = get(&row, "queued")?;
        census.jobs_running = get(&row, "running")?;
        census.oldest_due_job = get::<Option<i64>>(&row, "due")?.map(from_millis).transpose()?;
        Ok(census)
    }

    /// Every status of `all` with the count `query` (`status`, `n` per row) gives it, 0 where none.
    async fn count_by_status<S>(&self, query: &'static str, all: &[S]) -> Result<Vec<(S, i64)>, StoreError>
    where
        S: Copy + PartialEq + std::str::FromStr,
        S::Err: std::fmt::Display,
    {
        let mut counts: Vec<(S, i64)> = all.iter().map(|s| (*s, 0)).collect();
        for row in sqlx::query(query).fetch_all(&self.pool).await? {
            let status: S = parse(&row, "status")?;
            if let Some(entry) = counts.iter_mut().find(|(s, _)| *s == status) {
                entry.1 = get(&row, "n")?;
            }
        }
        Ok(counts)
    }
}
