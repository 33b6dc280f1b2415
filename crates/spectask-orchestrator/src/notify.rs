//! Notifications: a person told when a task needs them, by webhooks.
//!
//! One loop per node, beside the engine and never in its way: on every wake-up of the outbox, once
//! the events of a burst have gathered ([`GATHER`]), it records the notifications of the new events
//! (`Store::record_notifications`: once for all nodes), then claims the deliveries that are due and
//! sends each in a task of its own, recording every attempt. A failed attempt is tried again after a backoff (`config::notify`), up to
//! `max_attempts`; then the delivery is marked failed. A node that stops mid-send leaves its
//! delivery's lease to lapse and another attempt follows, so a receiver may be told twice: the
//! `x-spectask-notification` header names the notification.

mod send;

use std::sync::Arc;
use std::time::Duration;

use spectask_store::{Attempt, AttemptNext, DueDelivery, Store};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use crate::config::{NotifyConfig, Webhook, WebhookFormat};

use crate::ctx::Ctx;

/// Deliveries sent at once by one node.
const SENDING: usize = 8;
/// How long a node holds a delivery it sends, beyond the attempt's own time limit.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// The shortest nap between two looks at the due deliveries.
const MIN_NAP: Duration = Duration::from_millis(50);
/// How long events gather after a wake-up before their notifications are recorded: one write for
/// a burst of commits rather than one per commit, each taking the database's writer from the
/// engine's steps (on SQLite), and a person told at most this much later.
const GATHER: Duration = Duration::from_millis(100);

/// Records notifications and delivers them until `shutdown`.
pub(crate) async fn run(ctx: Ctx, shutdown: CancellationToken) {
    let config = Arc::new(ctx.config.notifications.clone());
    let http = match send::client(config.timeout) {
        Ok(http) => http,
        Err(err) => {
            tracing::error!(%err, "cannot make the webhooks' HTTP client; notifications are not delivered");
            return;
        }
    };
    let mut wakeups = ctx.store.event_wakeups();
    let mut cursor = None;
    let mut sending = JoinSet::new();
    loop {
        cursor = follow(&ctx.store, &config, cursor).await;
        // Also without webhooks: the deliveries of a webhook taken out of the configuration fail.
        let nap = deliver_due(&ctx, &config, &http, &mut sending).await;
        tokio::select! {
            () = shutdown.cancelled() => return,
            woke = wakeups.next() => {
                if !woke {
                    return;
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(GATHER) => {}
                }
            }
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
}

/// Records the notifications of the events after the shared cursor; returns where it was left
/// (`None` after an error: looked at again on the next wake-up).
async fn follow(store: &Store, config: &NotifyConfig, mut known: Option<i64>) -> Option<i64> {
    loop {
        // Another node may have moved the cursor past every event already: no write then.
        match (known, store.last_event_seq().await) {
            (Some(known), Ok(newest)) if newest <= known => return Some(known),
            (_, Err(err)) => {
                tracing::warn!(%err, "reading the newest event for notifications failed");
                return known;
            }
            _ => {}
        }
        match store.record_notifications(|n| config.route(n)).await {
            Ok(read) if read.more => known = Some(read.cursor),
            Ok(read) => return Some(read.cursor),
            Err(err) => {
                tracing::warn!(%err, "recording notifications failed; trying again on the next wake-up");
                return None;
            }
        }
    }
}

/// Claims the due deliveries this node has room for and sends each in a task of its own (a write
/// only when one is due); returns how long to wait for the next, at most a sweep.
async fn deliver_due(
    ctx: &Ctx,
    config: &Arc<NotifyConfig>,
    http: &reqwest::Client,
    sending: &mut JoinSet<()>,
) -> Duration {
    let sweep = ctx.config.sweep_interval;
    let free = SENDING.saturating_sub(sending.len());
    if free == 0 {
        // A send that ends wakes the loop.
        return sweep;
    }
    let Some(due) = next_due(&ctx.store).await else { return sweep };
    if due <= chrono::Utc::now() {
        let lease = config.timeout + LEASE_MARGIN;
        match ctx.store.claim_deliveries(&ctx.config.node, lease, free).await {
            Ok(claimed) => {
                for delivery in claimed {
                    let (store, node) = (ctx.store.clone(), ctx.config.node.clone());
                    sending.spawn(deliver(store, node, config.clone(), http.clone(), delivery));
                }
            }
            Err(err) => tracing::warn!(%err, "claiming notification deliveries failed"),
        }
    }
    match next_due(&ctx.store).await {
        Some(due) => (due - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO).clamp(MIN_NAP, sweep),
        None => sweep,
    }
}

/// When the next pending delivery is due, if one is pending (`None` after an error, logged).
async fn next_due(store: &Store) -> Option<chrono::DateTime<chrono::Utc>> {
    store.next_delivery_due().await.unwrap_or_else(|err| {
        tracing::warn!(%err, "reading the next due delivery failed");
        None
    })
}

/// One attempt of `delivery`, recorded with what follows it.
async fn deliver(
    store: Store,
    node: String,
    config: Arc<NotifyConfig>,
    http: reqwest::Client,
    delivery: DueDelivery,
) {
    let id = delivery.notification.id;
    let attempts = delivery.attempts + 1;
    let attempt = match config.webhooks.iter().find(|w| w.name == delivery.webhook) {
        None => Attempt {
            http_status: None,
            error: Some("the webhook is no longer in the configuration".into()),
            next: AttemptNext::Failed,
        },
        Some(webhook) => {
            let body = send::body(webhook, &delivery.notification, config.dashboard_url.as_deref());
            match send::post(&http, webhook, id, &body).await {
                Ok(status) => {
                    Attempt { http_status: Some(status), error: None, next: AttemptNext::Delivered }
                }
                Err(err) => {
                    let next = if attempts >= config.max_attempts {
                        AttemptNext::Failed
                    } else {
                        let delay = chrono::Duration::from_std(config.backoff(attempts))
                            .unwrap_or(chrono::Duration::seconds(1));
                        AttemptNext::RetryAt(chrono::Utc::now() + delay)
                    };
                    tracing::info!(notification = id, webhook = %delivery.webhook, attempts, %err, "a webhook delivery failed");
                    Attempt { http_status: err.http_status(), error: Some(err.to_string()), next }
                }
            }
        }
    };
    match store.record_attempt(&node, id, &delivery.webhook, &attempt).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(notification = id, "a delivery's lease lapsed while it was sent"),
        Err(err) => {
            tracing::warn!(notification = id, %err, "recording a delivery attempt failed; its lease will lapse")
        }
    }
}
