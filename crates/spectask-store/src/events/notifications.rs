//! Notifications and their deliveries to webhooks.
//!
//! [`Store::record_notifications`] follows the outbox from a cursor kept in the database: in one
//! write it reads the events after the cursor, records a notification for each event that needs its
//! task's owner with one pending delivery per webhook it goes to, and moves the cursor. Writes are
//! serialized (see `begin_write`), so every notification is recorded once, whatever the number of
//! nodes and however a node stops. A node sends a due delivery under a lease
//! ([`Store::claim_deliveries`]) and records each attempt ([`Store::record_attempt`]).

use std::time::Duration;

use spectask_core::events::notification::notification_of;
use spectask_core::{Notification, Timestamp};
use sqlx::any::AnyRow;

use crate::database::codec::{deadline, get, millis, now, opt_time, parse, time};
use crate::database::connect::{fixed_sql, placeholders};
use crate::events::outbox::event_from_row;
use crate::{Store, StoreError};

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not sent yet, or to be tried again at `next_attempt_at`.
    Pending,
    /// The webhook answered with a success.
    Delivered,
    /// Every attempt failed (or the webhook left the configuration).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown delivery status {other:?}")),
        }
    }
}

/// A notification's delivery to one webhook, as it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The webhook's name in the configuration.
    pub webhook: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (a pending delivery).
    pub next_attempt_at: Option<Timestamp>,
    /// The HTTP status of the last attempt, when the webhook answered.
    pub last_http_status: Option<u16>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
}

/// A notification with its deliveries.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationRecord {
    pub notification: Notification,
    pub deliveries: Vec<Delivery>,
}

/// A delivery this node claimed: what to send, and to which webhook.
#[derive(Clone, Debug, PartialEq)]
pub struct DueDelivery {
    pub notification: Notification,
    pub webhook: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The HTTP status, when the webhook answered.
    pub http_status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// What follows: delivered, another attempt at a time, or failed for good.
    pub next: AttemptNext,
}

/// What follows an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptNext {
    Delivered,
    RetryAt(Timestamp),
    Failed,
}

/// Where [`Store::record_notifications`] left the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationsRead {
    /// The last event read (every node's followers share it).
    pub cursor: i64,
    /// A full page was read: more events may follow at once.
    pub more: bool,
}

/// Events read per write by [`Store::record_notifications`].
const PAGE: i64 = 200;

impl Store {
    /// Records the notifications of the events after the cursor, up to a page of events, each
    /// with a pending delivery to every webhook `route` names for it, and moves the cursor past
    /// them in the same write.
    pub async fn record_notifications(
        &self,
        route: impl Fn(&Notification) -> Vec<String>,
    ) -> Result<NotificationsRead, StoreError> {
        let mut w = self.begin_write().await?;
        let row =
            sqlx::query("SELECT seq FROM notification_cursor WHERE id = 1").fetch_one(&mut *w.tx).await?;
        let cursor: i64 = get(&row, "seq")?;
        let rows = sqlx::query(
            "SELECT e.seq, e.kind, e.spec_task_id, e.work_session_id, e.payload, e.at, \
             t.title AS task_title, t.created_by AS owner FROM events e \
             LEFT JOIN spec_tasks t ON t.id = e.spec_task_id WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
        )
        .bind(cursor)
        .bind(PAGE)
        .fetch_all(&mut *w.tx)
        .await?;
        let read = rows.len();
        let mut last = cursor;
        for row in &rows {
            let event = event_from_row(row)?;
            last = event.seq;
            let (Some(title), Some(owner)) =
                (get::<Option<String>>(row, "task_title")?, get::<Option<String>>(row, "owner")?)
            else {
                continue;
            };
            let Some(notification) = notification_of(&event, &title, &owner) else { continue };
            sqlx::query(
                "INSERT INTO notifications (id, kind, spec_task_id, owner, task_title, text, path, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(notification.id)
            .bind(notification.kind.as_str())
            .bind(notification.spec_task_id.to_string())
            .bind(&notification.owner)
            .bind(&notification.task_title)
            .bind(&notification.text)
            .bind(&notification.path)
            .bind(millis(notification.at))
            .execute(&mut *w.tx)
            .await?;
            for webhook in route(&notification) {
                sqlx::query(
                    "INSERT INTO notification_deliveries (notification_id, webhook, status, attempts, \
                     next_attempt_at) VALUES ($1, $2, 'pending', 0, $3)",
                )
                .bind(notification.id)
                .bind(webhook)
                .bind(millis(notification.at))
                .execute(&mut *w.tx)
                .await?;
            }
        }
        if last != cursor {
            sqlx::query("UPDATE notification_cursor SET seq = $1 WHERE id = 1")
                .bind(last)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(NotificationsRead { cursor: last, more: read as i64 == PAGE })
    }

    /// Claims up to `limit` due deliveries for `node` for `lease`: pending, due, and not held by a
    /// node whose lease is fresh.
    pub async fn claim_deliveries(
        &self,
        node: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = now();
        let mut w = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT d.notification_id, d.webhook, d.attempts, n.kind, n.spec_task_id, n.owner, \
             n.task_title, n.text, n.path, n.at FROM notification_deliveries d \
             JOIN notifications n ON n.id = d.notification_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             AND (d.lease_expires_at IS NULL OR d.lease_expires_at < $1) \
             ORDER BY d.next_attempt_at, d.notification_id LIMIT $2",
        )
        .bind(millis(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *w.tx)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let due = DueDelivery {
                notification: notification_from_row(row, "notification_id")?,
                webhook: get(row, "webhook")?,
                attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
            };
            sqlx::query(
                "UPDATE notification_deliveries SET lease_owner = $1, lease_expires_at = $2 \
                 WHERE notification_id = $3 AND webhook = $4",
            )
            .bind(node)
            .bind(deadline(now, lease))
            .bind(due.notification.id)
            .bind(&due.webhook)
            .execute(&mut *w.tx)
            .await?;
            claimed.push(due);
        }
        w.commit().await?;
        Ok(claimed)
    }

    /// Records an attempt of a delivery `node` claimed, and what follows it; the lease is given
    /// up. Returns false (recording nothing) when the node no longer held the delivery.
    pub async fn record_attempt(
        &self,
        node: &str,
        notification_id: i64,
        webhook: &str,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        let now = now();
        let (status, next_at) = match attempt.next {
            AttemptNext::Delivered => (DeliveryStatus::Delivered, None),
            AttemptNext::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
            AttemptNext::Failed => (DeliveryStatus::Failed, None),
        };
        let http_status = attempt.http_status.map(i64::from);
        let mut w = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE notification_deliveries SET status = $1, attempts = attempts + 1, \
             next_attempt_at = COALESCE($2, next_attempt_at), last_http_status = $3, last_error = $4, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE notification_id = $5 AND webhook = $6 AND lease_owner = $7 AND status = 'pending' \
             RETURNING attempts",
        )
        .bind(status.as_str())
        .bind(next_at.map(millis))
        .bind(http_status)
        .bind(attempt.error.as_deref())
        .bind(notification_id)
        .bind(webhook)
        .bind(node)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = updated else { return Ok(false) };
        let number: i64 = get(&row, "attempts")?;
        sqlx::query(
            "INSERT INTO notification_attempts (notification_id, webhook, attempt, at, http_status, \
             error, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(notification_id)
        .bind(webhook)
        .bind(number)
        .bind(millis(now))
        .bind(http_status)
        .bind(attempt.error.as_deref())
        .bind(next_at.map(millis))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// When the next pending delivery becomes due (or its holder's lease lapses), if any is pending.
    pub async fn next_delivery_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN lease_expires_at IS NOT NULL AND lease_expires_at > next_attempt_at \
             THEN lease_expires_at ELSE next_attempt_at END) AS due \
             FROM notification_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        opt_time(&row, "due")
    }

    /// The newest `limit` notifications, of `owner`'s tasks or (None) of everyone's, newest first,
    /// each with its deliveries.
    pub async fn notifications(
        &self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let columns = "id, kind, spec_task_id, owner, task_title, text, path, at";
        let rows = match owner {
            Some(owner) => {
                sqlx::query(fixed_sql(format!(
                    "SELECT {columns} FROM notifications WHERE owner = $1 ORDER BY id DESC LIMIT $2"
                )))
                .bind(owner.to_owned())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(fixed_sql(format!(
                    "SELECT {columns} FROM notifications ORDER BY id DESC LIMIT $1"
                )))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut records = rows
            .iter()
            .map(|row| {
                Ok(NotificationRecord {
                    notification: notification_from_row(row, "id")?,
                    deliveries: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if records.is_empty() {
            return Ok(records);
        }
        let sql = format!(
            "SELECT notification_id, webhook, status, attempts, next_attempt_at, last_http_status, \
             last_error FROM notification_deliveries WHERE notification_id IN ({}) \
             ORDER BY notification_id, webhook",
            placeholders(1, records.len())
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(fixed_sql(sql));
        for record in &records {
            query = query.bind(record.notification.id);
        }
        for row in query.fetch_all(&self.pool).await? {
            let id: i64 = get(&row, "notification_id")?;
            let delivery = delivery_from_row(&row)?;
            if let Some(record) = records.iter_mut().find(|r| r.notification.id == id) {
                record.deliveries.push(delivery);
            }
        }
        Ok(records)
    }
}

fn notification_from_row(row: &AnyRow, id_column: &str) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: get(row, id_column)?,
        kind: parse(row, "kind")?,
        spec_task_id: parse(row, "spec_task_id")?,
        task_title: get(row, "task_title")?,
        owner: get(row, "owner")?,
        text: get(row, "text")?,
        path: get(row, "path")?,
        at: time(row, "at")?,
    })
}

fn delivery_from_row(row: &AnyRow) -> Result<Delivery, StoreError> {
    let status: DeliveryStatus = parse(row, "status")?;
    Ok(Delivery {
        webhook: get(row, "webhook")?,
        status,
        attempts: u32::try_from(get::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: if status == DeliveryStatus::Pending {
            opt_time(row, "next_attempt_at")?
        } else {
            None
        },
        last_http_status: get::<Option<i64>>(row, "last_http_status")?.and_then(|s| u16::try_from(s).ok()),
        last_error: get(row, "last_error")?,
    })
}
