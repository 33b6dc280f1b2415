//! The engine: admit waiting tasks, claim due jobs, run them under a renewed lease, record outcomes.

use std::sync::Arc;
use std::time::Duration;

use spectask_agent::Profiles;
use spectask_core::{Job, SpecTaskCommand};
use spectask_store::{JobOutcome, Store, StoreError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::OrchestratorConfig;
use crate::dispatch::{self, JobError};

/// What every step may use.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub store: Store,
    pub profiles: Arc<Profiles>,
    pub config: Arc<OrchestratorConfig>,
}

/// The orchestrator of one node. Several nodes may run against one PostgreSQL database.
#[derive(Debug)]
pub struct Orchestrator {
    ctx: Ctx,
}

impl Orchestrator {
    pub fn new(store: Store, profiles: Profiles, config: OrchestratorConfig) -> Self {
        Self { ctx: Ctx { store, profiles: Arc::new(profiles), config: Arc::new(config) } }
    }

    /// Runs until `shutdown` is cancelled. Jobs in flight are then interrupted and released, so
    /// another node (or this one after a restart) takes them up at once.
    pub async fn run(self, shutdown: CancellationToken) {
        let ctx = self.ctx;
        let signal = ctx.store.jobs_signal();
        let mut running: JoinSet<()> = JoinSet::new();
        let recorder = tokio::spawn(crate::recorder::run(ctx.clone(), shutdown.clone()));
        tracing::info!(node = %ctx.config.node, "orchestrator started");
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if let Err(err) = ctx.store.admit(&ctx.config.wip, false).await {
                tracing::warn!(%err, "admission failed");
            }
            while running.len() < ctx.config.max_concurrent_jobs {
                match ctx.store.claim_job(&ctx.config.node, ctx.config.lease).await {
                    Ok(Some(job)) => {
                        running.spawn(run_job(ctx.clone(), job, shutdown.child_token()));
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(%err, "claiming a job failed");
                        break;
                    }
                }
            }
            let nap = next_nap(&ctx).await;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = signal.notified() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
        while running.join_next().await.is_some() {}
        if let Err(err) = recorder.await {
            tracing::error!(%err, "the history recorder ended abnormally");
        }
        tracing::info!(node = %ctx.config.node, "orchestrator stopped");
    }
}

/// How long to sleep when nothing wakes us: until the next job is due, at most one sweep interval.
async fn next_nap(ctx: &Ctx) -> Duration {
    let sweep = ctx.config.sweep_interval;
    match ctx.store.next_job_due().await {
        Ok(Some(due)) => (due - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO).min(sweep),
        Ok(None) => sweep,
        Err(err) => {
            tracing::warn!(%err, "reading the next due job failed");
            sweep
        }
    }
}

/// Runs one claimed job to an outcome, renewing its lease; gives up silently if the lease is lost.
async fn run_job(ctx: Ctx, job: Job, cancel: CancellationToken) {
    let node = ctx.config.node.clone();
    let lease = ctx.config.lease;
    let renew = async {
        loop {
            tokio::time::sleep(lease / 3).await;
            match ctx.store.renew_job_lease(&job, &node, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(job = job.id, %err, "renewing a lease failed"),
            }
        }
    };
    tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let result = tokio::select! {
        result = dispatch::run(&ctx, &job) => result,
        () = renew => {
            tracing::warn!(job = job.id, kind = %job.kind, "lease lost; another node has the job");
            return;
        }
        () = cancel.cancelled() => Err(JobError::Interrupted),
    };
    let outcome = outcome(&ctx.config, &job, result);
    match ctx.store.finish_job(&job, &node, &outcome).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(job = job.id, "lease lost before the job finished"),
        Err(err) => tracing::error!(job = job.id, %err, "recording the job's outcome failed"),
    }
    if let JobOutcome::Failed { error } = &outcome {
        fail_task(&ctx, &job, error).await;
    }
}

fn outcome(config: &OrchestratorConfig, job: &Job, result: Result<(), JobError>) -> JobOutcome {
    let now = chrono::Utc::now();
    match result {
        Ok(()) => JobOutcome::Done,
        Err(JobError::Interrupted) => JobOutcome::Retry { error: "interrupted by shutdown".into(), at: now },
        Err(JobError::Retry(error)) if job.attempts < config.max_attempts => {
            let delay = config.backoff(job.attempts);
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, ?delay, %error, "job failed; retrying");
            let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
            JobOutcome::Retry { error, at }
        }
        Err(JobError::Retry(error) | JobError::Fatal(error)) => {
            tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed for good");
            JobOutcome::Failed { error }
        }
    }
}

/// A step that cannot succeed fails its SpecTask, with the reason and a retry action.
async fn fail_task(ctx: &Ctx, job: &Job, error: &str) {
    let Some(id) = job.spec_task_id else { return };
    let reason = format!("{} failed: {error}", job.kind);
    match ctx.store.apply_to_spec_task(id, &SpecTaskCommand::Fail { reason }).await {
        Ok(_) | Err(StoreError::Transition(_)) => {}
        Err(err) => tracing::error!(%id, %err, "marking the task failed did not work"),
    }
}
