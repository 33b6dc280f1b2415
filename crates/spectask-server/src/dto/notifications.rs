//! Notifications on the wire: what a person was told, and how each webhook delivery stands.

use serde::Serialize;
use spectask_core::{NotificationKind, SpecTaskId, Timestamp};
use spectask_store::{Delivery, DeliveryStatus, NotificationRecord};
use utoipa::ToSchema;

/// One notification of a task of the caller's, with its webhook deliveries.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct NotificationDto {
    /// The event's sequence number: one notification per event.
    pub id: i64,
    pub kind: NotificationKind,
    pub spec_task_id: SpecTaskId,
    pub task_title: String,
    /// The task's owner: the one told.
    pub owner: String,
    /// One line for a person.
    pub text: String,
    /// The task's page on the dashboard.
    pub path: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// One per configured webhook it goes to (none without webhooks).
    pub deliveries: Vec<DeliveryDto>,
}

/// A notification's delivery to one webhook.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// The webhook's name in the configuration.
    pub webhook: String,
    pub status: DeliveryStatusDto,
    pub attempts: u32,
    /// When a pending delivery is tried next.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    /// The last attempt's HTTP status, when the webhook answered.
    pub last_http_status: Option<u16>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
}

/// `pending` (to be tried), `delivered`, or `failed` (no attempt left).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatusDto {
    Pending,
    Delivered,
    Failed,
}

impl From<NotificationRecord> for NotificationDto {
    fn from(r: NotificationRecord) -> Self {
        let n = r.notification;
        NotificationDto {
            id: n.id,
            kind: n.kind,
            spec_task_id: n.spec_task_id,
            task_title: n.task_title,
            owner: n.owner,
            text: n.text,
            path: n.path,
            at: n.at,
            deliveries: r.deliveries.into_iter().map(DeliveryDto::from).collect(),
        }
    }
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        DeliveryDto {
            webhook: d.webhook,
            status: match d.status {
                DeliveryStatus::Pending => DeliveryStatusDto::Pending,
                DeliveryStatus::Delivered => DeliveryStatusDto::Delivered,
                DeliveryStatus::Failed => DeliveryStatusDto::Failed,
            },
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_http_status: d.last_http_status,
            last_error: d.last_error,
        }
    }
}
