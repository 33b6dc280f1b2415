//! What wakes the engine's recorder, and what it does then: a pass over milestones (commits the
//! history of the tasks they touched and mirrors their state), a look at the progress markers, a
//! flush once the oldest pending entry is older than the window, and a person's request.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use spectask_core::{EventKind, SpecTaskId};
use spectask_store::Store;
use tokio_util::sync::CancellationToken;

use super::{flush_task, flush_within};
use crate::ctx::Ctx;
use crate::history::progress_watch::ProgressWatch;

/// Events read per page of a milestone pass.
const MILESTONE_PAGE: i64 = 500;
/// Pages read per milestone pass at most, so that a pass stays short however long the backlog.
const MILESTONE_PAGES: usize = 40;
/// How often, while nothing happens, the design-docs branches are checked for markers a person
/// changed (agents' changes come with events, which start a check at once), and how often at most
/// the design-docs worktrees are scanned for uncommitted edits of markers.
const IDLE_SCAN: Duration = Duration::from_secs(30);

/// Runs until `shutdown`, then flushes what is pending and returns.
///
/// Nothing polls: the recorder wakes when events are committed (milestones, then the progress
/// watch, at most once per `pace` so that a busy task's events are taken together), when this
/// process appends history (to commit it once the window closes), and every [`IDLE_SCAN`] for
/// markers a person changed while no session did anything.
pub(crate) async fn run(ctx: Ctx, shutdown: CancellationToken) {
    let window = ctx.config.history_window;
    let pace = (window / 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
    let mut events = ctx.store.event_wakeups();
    let mut events_open = true;
    let mut cursor = latest_event(&ctx.store).await;
    let mut watch = ProgressWatch::default();
    // What the recorder does next and when: a pass over milestones and markers, and a look at
    // pending history (both at once at start: a previous run may have left history pending).
    let mut pass_at = Some(Instant::now());
    let mut flush_at = Some(Instant::now());
    let mut last_pass = Instant::now();
    // When the design-docs worktrees are next scanned for markers a person edited without
    // committing: at most every IDLE_SCAN, however many passes the sessions cause.
    let mut worktrees_at = Instant::now();
    let requests = ctx.recorder.0.clone();
    loop {
        let idle_pass = last_pass + IDLE_SCAN;
        let next = pass_at.unwrap_or(idle_pass).min(flush_at.unwrap_or(idle_pass));
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = requests.wake.notified() => {
                let asked = requests.asked.load(Ordering::SeqCst);
                while milestones(&ctx, &mut cursor).await {}
                flush_all(&ctx).await;
                requests.done.send_replace(asked);
                continue;
            }
            open = events.next(), if events_open && pass_at.is_none() => {
                events_open = open;
                pass_at = Some(last_pass + pace);
            }
            () = ctx.store.history_appended(), if flush_at.is_none() => flush_at = Some(Instant::now() + window),
            () = tokio::time::sleep_until(next.into()) => {}
        }
        let now = Instant::now();
        if pass_at.is_some_and(|at| at <= now) || idle_pass <= now {
            pass_at = None;
            last_pass = now;
            let worktrees = worktrees_at <= now;
            if worktrees {
                worktrees_at = now + IDLE_SCAN;
            }
            let here = ctx.config.here();
            if let Err(err) = watch.scan(&ctx.store, (&here, Some(&ctx)), worktrees).await {
                tracing::warn!(%err, "looking for progress markers changed outside spectask failed");
            }
            if milestones(&ctx, &mut cursor).await {
                // A full page: the rest after the pace.
                pass_at = Some(now + pace);
            }
        }
        if flush_at.is_some_and(|at| at <= now) {
            flush_at = match ctx.store.oldest_pending_history().await {
                Ok(Some(oldest)) => {
                    let age = (chrono::Utc::now() - oldest).to_std().unwrap_or_default();
                    if age >= window {
                        flush_all(&ctx).await;
                        // What was appended meanwhile (or left by a repository needing attention).
                        Some(Instant::now() + window)
                    } else {
                        Some(now + (window - age))
                    }
                }
                Ok(None) => None,
                Err(err) => {
                    tracing::warn!(%err, "reading pending history failed");
                    Some(now + window)
                }
            };
        }
    }
    milestones(&ctx, &mut cursor).await;
    flush_all(&ctx).await;
}

/// The seq of the newest event (0 when there is none).
async fn latest_event(store: &Store) -> i64 {
    store.last_event_seq().await.unwrap_or_else(|err| {
        tracing::warn!(%err, "reading events failed");
        0
    })
}

/// For every task with events since `cursor` (created, transitioned, reviewed, a work session
/// created or ended, coordination): commits its pending history and mirrors its state to the
/// design-docs branch, once per task however many of its events wait. `cursor` moves past what
/// was read: up to [`MILESTONE_PAGES`] pages in one pass, so a backlog of a thousand sessions
/// costs one mirror of their task, not one per page. True when more events may wait.
async fn milestones(ctx: &Ctx, cursor: &mut i64) -> bool {
    let changes_rows = |kind: EventKind| {
        matches!(
            kind,
            EventKind::SpecTaskCreated
                | EventKind::SpecTaskTransitioned
                | EventKind::SpecReviewRecorded
                | EventKind::WorkSessionCreated
                | EventKind::WorkSessionTransitioned
                | EventKind::CoordinationRecorded
        )
    };
    let mut tasks: Vec<SpecTaskId> = Vec::new();
    let mut more = true;
    for _ in 0..MILESTONE_PAGES {
        let events = match ctx.store.events_after(*cursor, MILESTONE_PAGE).await {
            Ok(events) => events,
            Err(err) => {
                tracing::warn!(%err, "reading events failed");
                more = false;
                break;
            }
        };
        more = events.len() as i64 == MILESTONE_PAGE;
        *cursor = events.last().map_or(*cursor, |e| e.seq);
        for task in events.iter().filter(|e| changes_rows(e.kind)).filter_map(|e| e.spec_task_id) {
            if !tasks.contains(&task) {
                tasks.push(task);
            }
        }
        if !more {
            break;
        }
    }
    for task in tasks {
        if let Err(err) = flush_task(ctx, task).await {
            tracing::warn!(%task, %err, "committing session history at a milestone failed");
        }
        let here = ctx.config.here();
        if let Err(err) = crate::history::mirror::mirror_task(&ctx.store, (&here, Some(ctx)), task).await {
            tracing::warn!(%task, %err, "mirroring the task to the design-docs branch failed");
        }
    }
    more
}

/// Flushes every repository with pending history, except those that need attention.
async fn flush_all(ctx: &Ctx) {
    let repositories = match ctx.store.repositories_with_pending_history().await {
        Ok(repositories) => repositories,
        Err(err) => return tracing::warn!(%err, "listing pending history failed"),
    };
    for id in repositories {
        match ctx.store.repository(id).await {
            Ok(r) if r.attention.is_some() => continue,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(%id, %err, "reading a repository failed");
                continue;
            }
        }
        // A repository another recorder is committing is left to it.
        if let Err(err) = flush_within(&ctx.store, &ctx.config.here(), Some(ctx), id, Duration::ZERO).await {
            tracing::warn!(repository = %id, %err, "committing session history failed");
        }
    }
}
