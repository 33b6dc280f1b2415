//! The job queue: enqueued with transitions, claimed under a lease, renewed, completed or retried.
//!
//! Jobs of one SpecTask run one at a time and in order, and so do the jobs of one WorkSession; jobs
//! of different work sessions of the same task run in parallel. A running job whose node's lease
//! lapsed (`node_leases`) is claimable again by any node.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use spectask_core::{Job, JobKind, JobStatus, SpecTaskId, Timestamp, WorkSessionId};
use sqlx::any::AnyRow;
use tokio::sync::Notify;

use crate::database::codec::{from_millis, get, millis, now, opt_parse, parse, time};
use crate::database::connect::fixed_sql;
use crate::database::write::WriteTx;
use crate::{Backend, DatabaseUrl, Store, StoreError};

macro_rules! columns {
    () => {
        "id, kind, spec_task_id, work_session_id, status, attempts, next_run_at, lease_owner, last_error, \
         created_at"
    };
}

/// What a claim took, and when to look again.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimRun {
    /// The jobs claimed, oldest due first.
    pub jobs: Vec<Job>,
    /// The earliest moment after the claim at which a job may become claimable without anyone waking
    /// the engine: a queued job's time to come, a running job's node lease to lapse (the node died), or
    /// another node's task lease to lapse (the task's session jobs wait for it). `None`: only a
    /// wake-up brings work. Due jobs left unclaimed are not in it: each waits for an earlier job of its
    /// key, whose end wakes the engine (or whose own time or lease is in it).
    pub next_due: Option<Timestamp>,
}

/// `$1`: now, `$2`: the claiming node. See [`ClaimRun::next_due`].
const NEXT_DUE: &str = "SELECT MIN(due) AS due FROM ( \
        SELECT next_run_at AS due FROM jobs WHERE status = 'queued' AND next_run_at > $1 \
        UNION ALL SELECT n.expires_at + 1 AS due FROM node_leases n WHERE n.expires_at >= $1 \
            AND EXISTS (SELECT 1 FROM jobs j WHERE j.lease_owner = n.node AND j.status = 'running') \
        UNION ALL SELECT expires_at + 1 AS due FROM task_leases WHERE owner <> $2 AND expires_at >= $1) d";

/// A claim made in the write that queues a job: for `owner` (a node), under a lease of `lease`.
#[derive(Clone, Copy, Debug)]
pub struct JobClaim<'a> {
    pub owner: &'a str,
    pub lease: Duration,
}

/// How a job attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Try again at the given time.
    Retry {
        error: String,
        at: Timestamp,
    },
    /// Give up: the job is failed with this error, and so are its work session and its SpecTask
    /// (in the same write).
    Failed {
        error: String,
    },
    /// The node stopped before the step ended (a graceful shutdown): the job is queued again at
    /// once for any node, and the attempt is not counted — the step did not fail.
    Interrupted {
        reason: String,
    },
    /// The step cannot go on before `at`, a time someone else named (a forge's rate limit): the
    /// job is queued again for then, and the attempt is not counted — the step did not fail.
    Postponed {
        reason: String,
        at: Timestamp,
    },
}

/// Wakes the orchestrator when jobs are enqueued, on this node or (PostgreSQL) any other. The
/// PostgreSQL listener lives as long as the signal (and its clones): an engine that stops gives its
/// connection back.
#[derive(Clone, Debug)]
pub struct JobsSignal {
    notify: Arc<Notify>,
    /// Held only to be dropped with the last clone.
    _listener: Option<Arc<Listener>>,
}

/// The task listening for other nodes' jobs, stopped when dropped.
#[derive(Debug)]
struct Listener(tokio::task::AbortHandle);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl JobsSignal {
    /// Waits for the next wake-up (a wake-up that came while nobody waited is kept).
    pub async fn notified(&self) {
        self.notify.notified().await;
    }
}

impl WriteTx<'_> {
    pub(crate) async fn enqueue_job(
        &mut self,
        kind: JobKind,
        spec_task_id: Option<SpecTaskId>,
        work_session_id: Option<WorkSessionId>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (kind, spec_task_id, work_session_id, status, attempts, next_run_at, \
             created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $4, $4)",
        )
        .bind(kind.as_str())
        .bind(spec_task_id.map(|id| id.to_string()))
        .bind(work_session_id.map(|id| id.to_string()))
        .bind(millis(at))
        .execute(&mut *self.tx)
        .await?;
        self.wake_orchestrator().await
    }

    /// Queues a job of `kind` already claimed by `claim.owner` (its first attempt, under a lease of
    /// `claim.lease`) when a claim could take it now: nothing of its key comes before it and no other
    /// node holds its task's lease. Otherwise it is queued for any claim. Returns the job when claimed:
    /// its claimer runs it without waiting for a claim of its own, and no engine is woken for it.
    pub(crate) async fn enqueue_claimed_job(
        &mut self,
        kind: JobKind,
        spec_task_id: SpecTaskId,
        work_session_id: Option<WorkSessionId>,
        claim: &JobClaim<'_>,
    ) -> Result<Option<Job>, StoreError> {
        // The job runs under its claimer's node lease.
        self.take_node_lease(claim.owner, claim.lease).await?;
        let now = now();
        let (task, session) = (spec_task_id.to_string(), work_session_id.map(|id| id.to_string()));
        let held_elsewhere = sqlx::query(
            "SELECT 1 AS held FROM jobs WHERE status IN ('queued', 'running') AND spec_task_id = $1 \
             AND work_session_id IS NOT DISTINCT FROM $2 \
             UNION ALL SELECT 1 AS held FROM task_leases WHERE spec_task_id = $1 AND owner <> $3 AND expires_at >= $4",
        )
        .bind(&task)
        .bind(&session)
        .bind(claim.owner)
        .bind(millis(now))
        .fetch_optional(&mut *self.tx)
        .await?;
        if held_elsewhere.is_some() {
            self.enqueue_job(kind, Some(spec_task_id), work_session_id, now).await?;
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "INSERT INTO jobs (kind, spec_task_id, work_session_id, status, attempts, next_run_at, lease_owner, \
             created_at, updated_at) VALUES ($1, $2, $3, 'running', 1, $4, $5, $4, $4) RETURNING ",
            columns!()
        ))
        .bind(kind.as_str())
        .bind(&task)
        .bind(&session)
        .bind(millis(now))
        .bind(claim.owner)
        .fetch_one(&mut *self.tx)
        .await?;
        job_from_row(&row).map(Some)
    }

    /// Whether a queued job of `job`'s key comes after it (its end makes that one claimable).
    async fn job_waits_behind(&mut self, job: &Job) -> Result<bool, StoreError> {
        let behind = sqlx::query(
            "SELECT 1 AS waiting FROM jobs WHERE id > $1 AND status = 'queued' \
             AND spec_task_id IS NOT DISTINCT FROM $2 AND work_session_id IS NOT DISTINCT FROM $3 LIMIT 1",
        )
        .bind(job.id)
        .bind(job.spec_task_id.map(|id| id.to_string()))
        .bind(job.work_session_id.map(|id| id.to_string()))
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(behind.is_some())
    }
}

/// Runs checked per statement: each run's test is one more level of an `OR` (SQLite refuses an
/// expression nested deeper than 1,000).
const RUNS_PER_CHECK: usize = 200;

impl Store {
    /// Whether admission may have something to do since the last call: a SpecTask was created or
    /// moved (on this node or, on PostgreSQL, another). Clears the mark; the caller admits next.
    pub fn take_admission_due(&self) -> bool {
        self.admission_due.swap(false, Ordering::AcqRel)
    }

    /// Marks admission due again: an admission that failed (a busy database, say) gives its mark back,
    /// so the next wake-up tries again instead of the sweep.
    pub fn mark_admission_due(&self) {
        self.admission_due.store(true, Ordering::Release);
    }

    /// The wake-up for the orchestrator. On PostgreSQL this also listens for other nodes' jobs
    /// (`LISTEN spectask_jobs`), reconnecting after errors.
    pub fn jobs_signal(&self) -> JobsSignal {
        let listener = match &self.url {
            DatabaseUrl::Postgres { url } => {
                let url = url.clone();
                let notify = self.jobs_signal.clone();
                let admission_due = self.admission_due.clone();
                let task = tokio::spawn(async move { listen(url, notify, admission_due).await });
                Some(Arc::new(Listener(task.abort_handle())))
            }
            DatabaseUrl::Sqlite { .. } => None,
        };
        JobsSignal { notify: self.jobs_signal.clone(), _listener: listener }
    }

    /// Claims the oldest due job whose task (or work session) has no earlier unfinished job, leasing
    /// it to `owner` for `lease` ([`Store::claim_jobs`] with a limit of one).
    pub async fn claim_job(&self, owner: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        Ok(self.claim_jobs(owner, lease, 1).await?.jobs.into_iter().next())
    }

    /// Claims up to `limit` due jobs, oldest first, each one whose task (or work session) has no
    /// earlier unfinished job, running them under `owner`'s node lease (taken for `lease`); in the same write, reads when
    /// the next job may become claimable without a wake-up (see [`ClaimRun::next_due`]). A work
    /// session's job is left to the node holding its task's lease (where the task's agent instance
    /// lives) while that lease is fresh.
    ///
    /// Jobs of one key are never claimed together: the statement sees the queue as it stood before
    /// it, where every job but a key's first has an earlier unfinished one.
    pub async fn claim_jobs(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<ClaimRun, StoreError> {
        let now = now();
        // A job is due when queued and its time has come, or running on a node whose lease lapsed.
        // It may start only when no earlier job of the same task-or-session key is still unfinished.
        let due = format!(
            "SELECT j.id FROM jobs j \
                WHERE ((j.status = 'queued' AND j.next_run_at <= $2) \
                    OR (j.status = 'running' AND NOT EXISTS (SELECT 1 FROM node_leases n \
                      WHERE n.node = j.lease_owner AND n.expires_at >= $2))) \
                  AND NOT EXISTS (SELECT 1 FROM jobs e \
                    WHERE e.id < j.id AND e.status IN ('queued', 'running') \
                      AND e.spec_task_id IS NOT DISTINCT FROM j.spec_task_id \
                      AND e.work_session_id IS NOT DISTINCT FROM j.work_session_id) \
                  AND (j.work_session_id IS NULL OR NOT EXISTS (SELECT 1 FROM task_leases l \
                    WHERE l.spec_task_id = j.spec_task_id AND l.owner <> $1 AND l.expires_at >= $2)) \
                ORDER BY j.next_run_at, j.id LIMIT {}",
            limit.max(1)
        );
        // PostgreSQL: the picked rows locked and skipped by concurrent claims, and the pick made once
        // (an `ARRAY` sub-select is an init plan; an `IN` one may run again per row).
        let picked = match self.backend {
            Backend::Postgres => format!("id = ANY(ARRAY({due} FOR UPDATE SKIP LOCKED))"),
            Backend::Sqlite => format!("id IN ({due})"),
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', lease_owner = $1, attempts = attempts + 1, updated_at = $2 \
             WHERE {picked} RETURNING {}",
            columns!()
        );
        let mut w = self.begin_write().await?;
        w.take_node_lease(owner, lease).await?;
        let rows = sqlx::query(fixed_sql(sql)).bind(owner).bind(millis(now)).fetch_all(&mut *w.tx).await?;
        let next = sqlx::query(NEXT_DUE).bind(millis(now)).bind(owner).fetch_one(&mut *w.tx).await?;
        w.commit().await?;
        let mut jobs = rows.iter().map(job_from_row).collect::<Result<Vec<Job>, StoreError>>()?;
        jobs.sort_by_key(|j| (j.next_run_at, j.id));
        let next_due = get::<Option<i64>>(&next, "due")?.map(from_millis).transpose()?;
        Ok(ClaimRun { jobs, next_due })
    }

    /// Which of `jobs` (id and attempt: a run is its claim) `owner` still runs; returns their ids (one
    /// missing was lost to another node or to a new claim of this node's own after its lease lapsed,
    /// or has ended). A node asks after its lease's epoch changed ([`Store::renew_node_lease`]).
    pub async fn job_runs_held(&self, owner: &str, jobs: &[(i64, u32)]) -> Result<Vec<i64>, StoreError> {
        let mut held = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(RUNS_PER_CHECK) {
            let runs: Vec<String> = (0..chunk.len())
                .map(|i| format!("(id = ${} AND attempts = ${})", 2 * i + 2, 2 * i + 3))
                .collect();
            let sql = format!(
                "SELECT id FROM jobs WHERE lease_owner = $1 AND status = 'running' AND ({})",
                runs.join(" OR ")
            );
            let mut query = sqlx::query(fixed_sql(sql)).bind(owner);
            for (id, attempts) in chunk {
                query = query.bind(*id).bind(i64::from(*attempts));
            }
            for row in query.fetch_all(&self.pool).await? {
                held.push(get::<i64>(&row, "id")?);
            }
        }
        Ok(held)
    }

    /// Queues again for any node the runs of `jobs` that `owner` still runs (their outcomes could
    /// not be recorded: the node's lease alone would keep them running). Returns how many.
    pub async fn release_job_runs(&self, owner: &str, jobs: &[(i64, u32)]) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let mut released = 0;
        for (id, attempts) in jobs {
            released += sqlx::query(
                "UPDATE jobs SET status = 'queued', lease_owner = NULL, updated_at = $1 \
                 WHERE id = $2 AND attempts = $3 AND lease_owner = $4 AND status = 'running'",
            )
            .bind(millis(now()))
            .bind(*id)
            .bind(i64::from(*attempts))
            .bind(owner)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        }
        if released > 0 {
            w.wake_orchestrator().await?;
        }
        w.commit().await?;
        Ok(released)
    }

    /// Records how an attempt ended; false when the lease had been lost (the outcome is dropped), to
    /// another node or to a later claim of the same node (the attempt names the run).
    pub async fn finish_job(&self, job: &Job, owner: &str, outcome: &JobOutcome) -> Result<bool, StoreError> {
        let now = now();
        let (status, next_run_at, error, uncounted) = match outcome {
            JobOutcome::Done => (JobStatus::Done, now, None, 0_i64),
            JobOutcome::Retry { error, at } => (JobStatus::Queued, *at, Some(error.clone()), 0),
            JobOutcome::Failed { error } => (JobStatus::Failed, now, Some(error.clone()), 0),
            JobOutcome::Interrupted { reason } => (JobStatus::Queued, now, Some(reason.clone()), 1),
            JobOutcome::Postponed { reason, at } => (JobStatus::Queued, *at, Some(reason.clone()), 1),
        };
        let mut w = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET status = $1, next_run_at = $2, last_error = $3, lease_owner = NULL, \
             updated_at = $4, attempts = attempts - $7 \
             WHERE id = $5 AND lease_owner = $6 AND status = 'running' AND attempts = $8",
        )
        .bind(status.as_str())
        .bind(millis(next_run_at))
        .bind(error)
        .bind(millis(now))
        .bind(job.id)
        .bind(owner)
        .bind(uncounted)
        .bind(i64::from(job.attempts))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if updated == 1 {
            if let JobOutcome::Failed { error } = outcome {
                w.fail_what_the_job_served(job, error).await?;
            }
            // Engines look again when the job itself is claimable again (an interruption, a retry's
            // new time), or when a job of its key waited for it; a job that ended with nothing behind
            // it changes no claim (what it queued woke them already; the slot it frees, its own
            // engine sees).
            let again = !matches!(outcome, JobOutcome::Done | JobOutcome::Failed { .. });
            if again || w.job_waits_behind(job).await? {
                w.wake_orchestrator().await?;
            }
        }
        w.commit().await?;
        Ok(updated == 1)
    }

    /// Requeues the running jobs leased to `owner` (a node that just started cannot be running any:
    /// they belonged to its previous life, which crashed). Returns how many.
    pub async fn release_jobs_of(&self, owner: &str) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let released = w.release_running_jobs(owner).await?;
        w.commit().await?;
        Ok(released)
    }

    /// Queues the commit step of a completed work session (whose commit failed its task, on the
    /// task's retry), on the session's own key: after whatever of the session is queued or running,
    /// never beside it. Nothing is queued when such a step waits already.
    pub async fn request_commit(&self, session: &spectask_core::WorkSession) -> Result<(), StoreError> {
        let kind = JobKind::WorkSession(spectask_core::WorkSessionEffect::CommitChanges);
        let mut w = self.begin_write().await?;
        let waiting = sqlx::query(
            "SELECT 1 AS queued FROM jobs WHERE work_session_id = $1 AND kind = $2 AND status = 'queued' LIMIT 1",
        )
        .bind(session.id.to_string())
        .bind(kind.as_str())
        .fetch_optional(&mut *w.tx)
        .await?;
        if waiting.is_none() {
            w.enqueue_job(kind, Some(session.spec_task_id), Some(session.id), now()).await?;
        }
        w.commit().await
    }

    /// Queues a scheduling pass over a task's work sessions (after a spawn, say).
    pub async fn request_advance(&self, task: SpecTaskId) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        w.enqueue_advance(task).await?;
        w.commit().await
    }

    /// When the next job may become claimable for `owner` without a wake-up (see
    /// [`ClaimRun::next_due`]).
    pub async fn next_job_due(&self, owner: &str) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(NEXT_DUE).bind(millis(now())).bind(owner).fetch_one(&self.pool).await?;
        get::<Option<i64>>(&row, "due")?.map(from_millis).transpose()
    }

    /// The jobs of one SpecTask (its work sessions' included), oldest first.
    pub async fn jobs_of(&self, spec_task_id: SpecTaskId) -> Result<Vec<Job>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", columns!(), " FROM jobs WHERE spec_task_id = $1 ORDER BY id"))
                .bind(spec_task_id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(job_from_row).collect()
    }
}

/// Wakes this node's orchestrator for other nodes' jobs; a notification saying `admission` (a task
/// created or moved) also marks admission due.
async fn listen(url: String, notify: Arc<Notify>, admission_due: Arc<AtomicBool>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen("spectask_jobs").await {
                    tracing::warn!(%err, "cannot LISTEN spectask_jobs");
                } else {
                    // Jobs may have been enqueued, and tasks moved, while we were not listening.
                    admission_due.store(true, Ordering::Release);
                    notify.notify_one();
                    loop {
                        match listener.recv().await {
                            Ok(notification) => {
                                if notification.payload() == "admission" {
                                    admission_due.store(true, Ordering::Release);
                                }
                                notify.notify_one();
                            }
                            Err(err) => {
                                tracing::warn!(%err, "job notifications interrupted");
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(%err, "cannot connect to listen for jobs"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn job_from_row(row: &AnyRow) -> Result<Job, StoreError> {
    let attempts: i64 = get(row, "attempts")?;
    Ok(Job {
        id: get(row, "id")?,
        kind: parse(row, "kind")?,
        spec_task_id: opt_parse(row, "spec_task_id")?,
        work_session_id: opt_parse(row, "work_session_id")?,
        status: parse(row, "status")?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_run_at: time(row, "next_run_at")?,
        lease_owner: get(row, "lease_owner")?,
        last_error: get(row, "last_error")?,
        created_at: time(row, "created_at")?,
    })
}
