//! The engine: admit waiting tasks, claim due jobs, run them under a renewed lease, record outcomes.
//!
//! Leases are per node, not per job: every third of the lease one write extends this node's lease,
//! under which all its jobs run (and one those of its tasks), so a node whose sessions wait on their
//! agents makes the same writes every few seconds whatever their number. The renewal runs on a timer
//! of its own, so a claim or an admission that takes long does not let the lease lapse.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use spectask_agent::{AgentRuntime, Profiles};
use spectask_core::Job;
use spectask_store::{JobOutcome, Store};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use crate::OrchestratorConfig;
use crate::ctx::{Ctx, EngineObserver, RecorderHandle};
use crate::dispatch;
use crate::job_error::JobError;

/// The orchestrator of one node. Several nodes may run against one PostgreSQL database.
#[derive(Debug)]
pub struct Orchestrator {
    ctx: Ctx,
}

impl Orchestrator {
    pub fn new(store: Store, profiles: Profiles, runtime: AgentRuntime, config: OrchestratorConfig) -> Self {
        let registered = Arc::default();
        Self {
            ctx: Ctx {
                store,
                profiles: Arc::new(profiles),
                runtime,
                config: Arc::new(config),
                plans: Arc::default(),
                registered,
                observer: None,
                handed: None,
                leases: Arc::default(),
                sessions: Arc::default(),
                standings: Arc::default(),
                start_gate: Arc::default(),
                staging: Arc::default(),
                recorder: RecorderHandle::default(),
                design_docs: Arc::default(),
            },
        }
    }

    /// Asks this orchestrator's history recorder, once it runs, to record everything now.
    pub fn recorder(&self) -> RecorderHandle {
        self.ctx.recorder.clone()
    }

    /// Reports to `observer` how the engine reacts.
    pub fn observed_by(mut self, observer: Arc<dyn EngineObserver>) -> Self {
        self.ctx.observer = Some(observer);
        self
    }

    /// Runs until `shutdown` is cancelled. Jobs in flight are then interrupted and released, so
    /// another node (or this one after a restart) takes them up at once.
    pub async fn run(self, shutdown: CancellationToken) {
        let handed = Arc::new(crate::ctx::handed::HandedJobs::default());
        let ctx = Ctx { handed: Some(handed.clone()), ..self.ctx };
        let signal = ctx.store.jobs_signal();
        let mut running: JoinSet<RunEnd> = JoinSet::new();
        let held = RunningJobs::default();
        let renewing = CancellationToken::new();
        // Dropping this future (an abort) stops what it spawned, as a killed process would.
        let renewer =
            AbortOnDropHandle::new(tokio::spawn(renew_leases(ctx.clone(), held.clone(), renewing.clone())));
        tracing::info!(node = %ctx.config.node, "orchestrator started");
        match ctx.store.release_jobs_of(&ctx.config.node).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "took back the jobs of this node's previous run"),
            Err(err) => tracing::warn!(%err, "cannot release this node's old jobs"),
        }
        // Before this run's recorder starts: its first flush would find them held.
        match ctx.store.release_recorder_leases_of(&ctx.config.node).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(leases = n, "gave up the history leases of this node's previous run"),
            Err(err) => tracing::warn!(%err, "cannot release this node's old history leases"),
        }
        // Commits a run cut off by a crash made and never pushed: pushed, or said on their tasks.
        let _held = AbortOnDropHandle::new(tokio::spawn({
            let ctx = ctx.clone();
            async move { crate::implementation::push_held(&ctx).await }
        }));
        let recorder =
            AbortOnDropHandle::new(tokio::spawn(crate::history::run_recorder(ctx.clone(), shutdown.clone())));
        let _pull_requests = AbortOnDropHandle::new(tokio::spawn(crate::landing::pull_requests::watch(
            ctx.clone(),
            shutdown.clone(),
        )));
        let _notify = AbortOnDropHandle::new(tokio::spawn(crate::notify::run(ctx.clone(), shutdown.clone())));
        // The agents of this node's previous run, and what they asked, are gone.
        if let Err(err) = ctx.store.withdraw_approvals_of_node(&ctx.config.node).await {
            tracing::warn!(%err, "cannot withdraw the approvals of this node's previous run");
        }
        let mut renewed_at = std::time::Instant::now();
        // Wake at least as often as task leases are renewed, or a short lease lapses while this
        // node's agents still work (another node could then start a second agent for the task).
        let sweep = ctx.config.sweep_interval.min(ctx.config.lease / 3);
        let mut admitted_at = std::time::Instant::now();
        let mut budgets_weighed_at = std::time::Instant::now();
        // After a failed admission: how soon it is tried again (its due mark was given back).
        let mut admission_retry: Option<Duration> = None;
        let mut claims = Claims::default();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            while let Some(ended) = running.try_join_next() {
                forget(&held, ended);
            }
            if renewed_at.elapsed() >= ctx.config.lease / 3 {
                renewed_at = std::time::Instant::now();
                crate::implementation::agents::stop_finished(&ctx).await;
                crate::drive::thread_tools::forget_ended(&ctx.store, ctx.runtime.editor_turns()).await;
            }
            // Admission runs when a task was created or moved since it last ran, and on the sweep
            // (a safety net): a wake-up for a session's job leaves it alone.
            if ctx.store.take_admission_due() || admitted_at.elapsed() >= sweep {
                admitted_at = std::time::Instant::now();
                admission_retry = match admit(&ctx).await {
                    Ok(()) => None,
                    Err(err) => {
                        ctx.store.mark_admission_due();
                        let delay =
                            admission_retry.map_or(ADMISSION_RETRY_FIRST, |d| d * 2).min(ADMISSION_RETRY_MAX);
                        tracing::warn!(%err, ?delay, "admission failed; trying again shortly");
                        if let Some(observer) = &ctx.observer {
                            observer.admission_failed(&err);
                        }
                        Some(delay)
                    }
                };
            }
            if budgets_weighed_at.elapsed() >= sweep {
                budgets_weighed_at = std::time::Instant::now();
                crate::drive::budget::wake(&ctx).await;
            }
            crate::drive::approvals::deliver(&ctx).await;
            // What steps claimed for this node runs at once, whatever the free slots (a thread
            // that a scheduling write started); even while stopping, its run hands it back.
            for job in handed.take() {
                launch(&ctx, &held, &mut running, job, &shutdown);
            }
            // A node told to stop claims nothing more: a job it claimed now would only be
            // interrupted at once, and claimed again by this loop while its runner hands it back.
            if claims.due && !shutdown.is_cancelled() {
                let free = ctx.config.max_concurrent_jobs.saturating_sub(running.len());
                for job in claims.claim(&ctx, free).await {
                    launch(&ctx, &held, &mut running, job, &shutdown);
                }
            }
            let nap = claims.sleep_for(sweep).min(admission_retry.unwrap_or(Duration::MAX));
            // Claimable jobs come with a wake-up (a job queued or ended, here or, by NOTIFY, on
            // another node), with time (a retry's, a lapsed lease's), or, when every slot was
            // filled, with a slot freed.
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = signal.notified() => claims.due = true,
                () = handed.arrived() => {}
                Some(ended) = running.join_next(), if !running.is_empty() => {
                    forget(&held, ended);
                    claims.due |= claims.filled;
                }
                () = tokio::time::sleep(nap) => claims.due = true,
            }
        }
        // Jobs see the cancellation and record where they stopped; then agents stop and this node's
        // task leases are given up so another node can continue at once.
        let drain = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(10), drain).await.is_err() {
            running.abort_all();
        }
        // What steps claimed for this node while it stopped is handed back for any node at once.
        for job in handed.take() {
            let back = JobOutcome::Interrupted { reason: "interrupted by shutdown".into() };
            if let Err(err) = ctx.store.finish_job(&job, &ctx.config.node, &back).await {
                tracing::warn!(job = job.id, %err, "cannot hand back a job claimed while stopping; its lease will lapse");
            }
        }
        renewing.cancel();
        if let Err(err) = renewer.await {
            tracing::error!(%err, "the lease renewal ended abnormally");
        }
        ctx.runtime.stop_all().await;
        ctx.leases.forget_all();
        if let Err(err) = ctx.store.renew_task_leases(&ctx.config.node, Duration::ZERO).await {
            tracing::warn!(%err, "releasing task leases failed");
        }
        if let Err(err) = recorder.await {
            tracing::error!(%err, "the history recorder ended abnormally");
        }
        tracing::info!(node = %ctx.config.node, "orchestrator stopped");
    }
}

/// Runs a job claimed for this node, its lease renewed while it runs.
fn launch(
    ctx: &Ctx,
    held: &RunningJobs,
    running: &mut JoinSet<RunEnd>,
    job: Job,
    shutdown: &CancellationToken,
) {
    observe_claim(ctx, &job);
    let lost = CancellationToken::new();
    let run = (job.attempts, lost.clone());
    // This node's own earlier run of the job, if its lease lapsed, lost it now.
    if let Some((_, earlier)) = held.runs.lock().unwrap_or_else(PoisonError::into_inner).insert(job.id, run) {
        earlier.cancel();
    }
    running.spawn(run_job(ctx.clone(), job, shutdown.child_token(), lost));
}

/// Tells the observer how long `job` waited since it became due (its creation, or the retry's time).
fn observe_claim(ctx: &Ctx, job: &Job) {
    if let Some(observer) = &ctx.observer {
        let due = job.next_run_at.max(job.created_at);
        let waited = (chrono::Utc::now() - due).to_std().unwrap_or(Duration::ZERO);
        observer.job_claimed(job.kind, waited);
    }
}

/// How soon a failed admission (or claim) is tried again, doubling up to the most: a busy database
/// is over in moments, and the sweep may be seconds away.
const ADMISSION_RETRY_FIRST: Duration = Duration::from_millis(50);
const ADMISSION_RETRY_MAX: Duration = Duration::from_secs(2);

/// Starts as many waiting tasks as the limits allow; admitting may free or fill slots, so it goes
/// on until nothing more moves.
async fn admit(ctx: &Ctx) -> Result<(), spectask_store::StoreError> {
    while !ctx.store.admit(&ctx.config.admission()).await?.is_empty() {}
    Ok(())
}

/// The jobs running on this node, each with its attempt (which names the run: a job whose lease
/// lapsed may be claimed again by this very node) and the signal that its lease was lost; and the
/// runs whose outcomes could not be recorded, to be queued again (the node's lease alone would keep
/// them running).
#[derive(Clone, Debug, Default)]
struct RunningJobs {
    runs: Arc<Mutex<HashMap<i64, (u32, CancellationToken)>>>,
    unrecorded: Arc<Mutex<Vec<(i64, u32)>>>,
}

/// How a run ended: its job's id and attempt, and whether its outcome was recorded.
type RunEnd = (i64, u32, bool);

/// Drops a run that ended from those this node runs (not a later run of its job).
fn forget(held: &RunningJobs, ended: Result<RunEnd, JoinError>) {
    match ended {
        Ok((id, attempt, recorded)) => {
            let mut runs = held.runs.lock().unwrap_or_else(PoisonError::into_inner);
            if runs.get(&id).is_some_and(|(held_attempt, _)| *held_attempt == attempt) {
                runs.remove(&id);
            }
            if !recorded {
                held.unrecorded.lock().unwrap_or_else(PoisonError::into_inner).push((id, attempt));
            }
        }
        // `run_job` does not panic (its step runs as a task of its own); an aborted one at shutdown
        // needs no renewal any more.
        Err(err) => tracing::error!(%err, "a job's runner ended abnormally"),
    }
}

/// Every third of the lease until `stop`: queues again the runs whose outcomes could not be recorded,
/// extends this node's lease in one write (when its epoch changed, the lease lapsed meanwhile: the
/// runs another node took over are told, and stop), then the leases of the tasks whose agents live here.
async fn renew_leases(ctx: Ctx, held: RunningJobs, stop: CancellationToken) {
    let mut every = tokio::time::interval(ctx.config.lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let node = &ctx.config.node;
    let mut epoch = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let unrecorded = std::mem::take(&mut *held.unrecorded.lock().unwrap_or_else(PoisonError::into_inner));
        if !unrecorded.is_empty()
            && let Err(err) = ctx.store.release_job_runs(node, &unrecorded).await
        {
            tracing::warn!(%err, "queueing again the jobs whose outcomes were not recorded failed");
            held.unrecorded.lock().unwrap_or_else(PoisonError::into_inner).extend(unrecorded);
        }
        // Only jobs claimed before the renewal's write can have been lost under an earlier epoch.
        let before: Vec<(i64, u32, CancellationToken)> = held
            .runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, (attempt, lost))| (*id, *attempt, lost.clone()))
            .collect();
        match ctx.store.renew_node_lease(node, ctx.config.lease).await {
            Ok(renewed) => {
                if epoch.is_some_and(|e| e != renewed) {
                    tracing::warn!(%node, "this node's lease lapsed; checking its jobs");
                    lose_lost_runs(&ctx, before).await;
                }
                epoch = Some(renewed);
            }
            Err(err) => tracing::warn!(%err, "renewing the node's lease failed"),
        }
        if let Err(err) = ctx.store.renew_task_leases(node, ctx.config.task_lease()).await {
            tracing::warn!(%err, "renewing task leases failed");
        }
    }
}

/// Tells the runs among `before` that this node no longer runs (its lease lapsed) that they lost.
async fn lose_lost_runs(ctx: &Ctx, before: Vec<(i64, u32, CancellationToken)>) {
    let runs: Vec<(i64, u32)> = before.iter().map(|(id, attempt, _)| (*id, *attempt)).collect();
    match ctx.store.job_runs_held(&ctx.config.node, &runs).await {
        Ok(ours) => {
            for (id, _, lost) in before {
                if !ours.contains(&id) {
                    lost.cancel();
                }
            }
        }
        Err(err) => tracing::warn!(%err, "checking the jobs this node runs failed"),
    }
}

/// The engine's claiming: whether jobs may be claimable, and when the queue next comes due.
struct Claims {
    /// Claim at the next turn of the loop: woken, a nap ran out, or a slot freed after a claim
    /// that filled them all.
    due: bool,
    /// The last claim took as many jobs as there were free slots: more may be waiting.
    filled: bool,
    /// When a job may next become claimable without a wake-up (`ClaimRun::next_due`).
    next_due: Option<chrono::DateTime<chrono::Utc>>,
    /// After a failed claim: how soon it is tried again.
    retry: Option<Duration>,
}

impl Default for Claims {
    fn default() -> Self {
        Claims { due: true, filled: false, next_due: None, retry: None }
    }
}

impl Claims {
    /// Claims up to `free` jobs in one write, which also says when to look again.
    async fn claim(&mut self, ctx: &Ctx, free: usize) -> Vec<Job> {
        if free == 0 {
            // A slot freed is the next chance.
            self.filled = true;
            return Vec::new();
        }
        match ctx.store.claim_jobs(&ctx.config.node, ctx.config.lease, free).await {
            Ok(claimed) => {
                self.due = false;
                self.filled = claimed.jobs.len() == free;
                self.next_due = claimed.next_due;
                self.retry = None;
                claimed.jobs
            }
            Err(err) => {
                // Still due: tried again shortly (a busy database is over in moments).
                let delay = self.retry.map_or(ADMISSION_RETRY_FIRST, |d| d * 2).min(ADMISSION_RETRY_MAX);
                tracing::warn!(%err, ?delay, "claiming jobs failed; trying again shortly");
                self.retry = Some(delay);
                Vec::new()
            }
        }
    }

    /// How long to sleep when nothing wakes us: until the queue next comes due, or a failed claim is
    /// tried again, at most `sweep`.
    fn sleep_for(&self, sweep: Duration) -> Duration {
        let due =
            self.next_due.map_or(sweep, |due| (due - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO));
        due.min(sweep).min(self.retry.unwrap_or(Duration::MAX))
    }
}

/// Runs one claimed job to an outcome (the engine renews its lease); gives up if the lease is
/// `lost`. Returns the job's id and attempt.
async fn run_job(ctx: Ctx, job: Job, cancel: CancellationToken, lost: CancellationToken) -> RunEnd {
    let node = ctx.config.node.clone();
    tracing::debug!(job = job.id, kind = %job.kind, attempt = job.attempts, "job started");
    // A session's drive step handles cancellation itself (it records the interruption); other
    // steps are simply dropped.
    let stoppable = job.work_session_id.is_none();
    // The step runs as a task of its own, so a panic in it is caught, logged and retried like a
    // failure rather than lost with the job left running; dropping the handle stops the step.
    let step = {
        let (ctx, job, cancel) = (ctx.clone(), job.clone(), cancel.clone());
        AbortOnDropHandle::new(tokio::spawn(async move { dispatch::run(&ctx, &job, &cancel).await }))
    };
    let result = tokio::select! {
        joined = step => step_result(&job, joined),
        () = lost.cancelled() => {
            tracing::warn!(job = job.id, kind = %job.kind, "lease lost; another node has the job");
            return (job.id, job.attempts, true);
        }
        () = cancel.cancelled(), if stoppable => Err(JobError::Interrupted),
    };
    let outcome = outcome(&ctx.config, &job, result);
    // A busy database is tried again a few times; if the outcome still cannot be recorded, the job is
    // given up here: the engine queues it again for any node.
    let record = || ctx.store.finish_job(&job, &node, &outcome);
    let retry =
        backon::ExponentialBuilder::new().with_min_delay(Duration::from_millis(100)).with_max_times(3);
    let recorded = match backon::Retryable::retry(record, retry).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!(job = job.id, "lease lost before the job finished");
            true
        }
        Err(err) => {
            tracing::error!(job = job.id, %err, "recording the job's outcome failed; it will be queued again");
            false
        }
    };
    (job.id, job.attempts, recorded)
}

/// What a step's task ended with: its result, or a panic turned into a failure worth another attempt
/// (logged as the bug it is, with the job).
fn step_result(job: &Job, joined: Result<Result<(), JobError>, JoinError>) -> Result<(), JobError> {
    match joined {
        Ok(result) => result,
        Err(err) if err.is_panic() => {
            let payload = err.into_panic();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            tracing::error!(job = job.id, kind = %job.kind, panic = %message, "a job's step panicked");
            Err(JobError::retry(format!("the step panicked: {message}")))
        }
        Err(_) => Err(JobError::Interrupted),
    }
}

fn outcome(config: &OrchestratorConfig, job: &Job, result: Result<(), JobError>) -> JobOutcome {
    let now = chrono::Utc::now();
    match result {
        Ok(()) => JobOutcome::Done,
        Err(JobError::Interrupted) => JobOutcome::Interrupted { reason: "interrupted by shutdown".into() },
        Err(JobError::Wait { reason, until }) => {
            tracing::info!(job = job.id, kind = %job.kind, %until, %reason, "job waits");
            JobOutcome::Postponed { reason, at: until.max(now) }
        }
        Err(JobError::Retry { reason: error, .. }) if job.attempts < config.max_attempts => {
            let delay = config.backoff(job.attempts);
            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, ?delay, %error, "job failed; retrying");
            let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
            JobOutcome::Retry { error, at }
        }
        Err(JobError::Retry { reason: error, .. } | JobError::Fatal { reason: error, .. }) => {
            tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed for good");
            JobOutcome::Failed { error }
        }
    }
}

#[cfg(test)]
mod tests {
    use spectask_core::{JobKind, JobStatus};

    use super::*;

    fn job() -> Job {
        Job {
            id: 7,
            kind: JobKind::AdvanceImplementation,
            spec_task_id: None,
            work_session_id: None,
            status: JobStatus::Running,
            attempts: 1,
            next_run_at: chrono::Utc::now(),
            lease_owner: None,
            last_error: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_step_that_panics_fails_its_attempt_with_the_panic_message() {
        let joined = tokio::spawn(async { panic!("boom in a step") }).await;
        let result = step_result(&job(), joined);
        assert_eq!(result, Err(JobError::retry("the step panicked: boom in a step")));
        let formatted = tokio::spawn(async { panic!("{} formatted", "also") }).await;
        assert_eq!(step_result(&job(), formatted), Err(JobError::retry("the step panicked: also formatted")));
    }

    #[tokio::test]
    async fn a_step_that_ends_passes_its_result_through() {
        let joined = tokio::spawn(async { Err(JobError::fatal("no")) }).await;
        assert_eq!(step_result(&job(), joined), Err(JobError::fatal("no")));
    }
}
