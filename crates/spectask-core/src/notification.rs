//! Notifications: the events that tell a person a task needs them.
//!
//! [`kind_of`] is the one decision of which event is worth a notification; the store records one
//! notification per such event (its owner the task's) and the orchestrator delivers it to the
//! configured webhooks. The dashboard makes the same decision for browser notifications
//! (`web/src/notify/decide.ts`).

use serde::{Deserialize, Serialize};

use crate::ids::SpecTaskId;
use crate::{Event, EventKind, SpecTaskStatus, Timestamp, WorkSessionStatus, named_enum};

/// Why a person is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The task's spec waits for review.
    SpecReady,
    /// The task's implementation waits for review.
    ImplementationReady,
    /// A session's agent asks for permission.
    PermissionWaiting,
    /// The task's spending crossed its budget's warning line or reached it.
    Budget,
    /// A running session's agent went silent.
    Stalled,
    /// A session's check failed with no round left.
    CheckFailed,
    /// A work session failed.
    SessionFailed,
    /// The task failed.
    Failed,
}
named_enum!(NotificationKind, "notification kind", {
    SpecReady => "spec_ready",
    ImplementationReady => "implementation_ready",
    PermissionWaiting => "permission_waiting",
    Budget => "budget",
    Stalled => "stalled",
    CheckFailed => "check_failed",
    SessionFailed => "session_failed",
    Failed => "failed",
});

/// One notification: an event of a task that needs its owner.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// The event's sequence number: one notification per event.
    pub id: i64,
    pub kind: NotificationKind,
    pub spec_task_id: SpecTaskId,
    pub task_title: String,
    /// The user who created the task: the one told.
    pub owner: String,
    /// One line for a person.
    pub text: String,
    /// The task's page on the dashboard.
    pub path: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// The notification kind `event` makes, if any.
pub fn kind_of(event: &Event) -> Option<NotificationKind> {
    let payload = &event.payload;
    let str_of = |key: &str| payload.get(key).and_then(|v| v.as_str());
    match event.kind {
        EventKind::SpecTaskTransitioned => match str_of("to")?.parse().ok()? {
            SpecTaskStatus::SpecReview => Some(NotificationKind::SpecReady),
            SpecTaskStatus::ImplementationReview => Some(NotificationKind::ImplementationReady),
            SpecTaskStatus::Failed => Some(NotificationKind::Failed),
            _ => None,
        },
        EventKind::WorkSessionTransitioned => (str_of("to")?.parse::<WorkSessionStatus>().ok()?
            == WorkSessionStatus::Failed)
            .then_some(NotificationKind::SessionFailed),
        EventKind::WorkSessionPermission => (payload.get("decided").and_then(|v| v.as_bool()) == Some(false))
            .then_some(NotificationKind::PermissionWaiting),
        EventKind::WorkSessionCheck => {
            (str_of("outcome")? == "failed").then_some(NotificationKind::CheckFailed)
        }
        EventKind::SpecTaskBudget => {
            matches!(str_of("level")?, "warning" | "reached").then_some(NotificationKind::Budget)
        }
        EventKind::WorkSessionStalled => (payload.get("stalled").and_then(|v| v.as_bool()) == Some(true))
            .then_some(NotificationKind::Stalled),
        _ => None,
    }
}

/// The notification `event` makes for the task titled `task_title` owned by `owner`, if any.
pub fn notification_of(event: &Event, task_title: &str, owner: &str) -> Option<Notification> {
    let kind = kind_of(event)?;
    let spec_task_id = event.spec_task_id?;
    Some(Notification {
        id: event.seq,
        kind,
        spec_task_id,
        task_title: task_title.to_owned(),
        owner: owner.to_owned(),
        text: text(kind, task_title, &event.payload),
        path: format!("/tasks/{spec_task_id}"),
        at: event.at,
    })
}

/// The line a person reads.
fn text(kind: NotificationKind, title: &str, payload: &serde_json::Value) -> String {
    match kind {
        NotificationKind::SpecReady => format!("The spec of “{title}” is ready for review"),
        NotificationKind::ImplementationReady => {
            format!("The implementation of “{title}” is ready for review")
        }
        NotificationKind::PermissionWaiting => {
            let asked = payload.get("title").and_then(|v| v.as_str()).unwrap_or("a tool call");
            format!("“{title}” waits for permission: {asked}")
        }
        NotificationKind::Budget => match payload.get("level").and_then(|v| v.as_str()) {
            Some("reached") => format!("“{title}” reached its budget"),
            _ => format!("“{title}” spent 80% of its budget"),
        },
        NotificationKind::Stalled => format!("An agent of “{title}” went silent"),
        NotificationKind::CheckFailed => format!("The check of a session of “{title}” failed for good"),
        NotificationKind::SessionFailed => format!("A work session of “{title}” failed"),
        NotificationKind::Failed => format!("“{title}” failed"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: EventKind, payload: serde_json::Value) -> Event {
        Event {
            seq: 7,
            kind,
            spec_task_id: Some(SpecTaskId::from_uuid(uuid::Uuid::nil())),
            work_session_id: None,
            payload,
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn each_kind_comes_from_its_event() {
        use EventKind as E;
        use NotificationKind as N;
        let cases = [
            (
                E::SpecTaskTransitioned,
                json!({"from": "spec_generation", "to": "spec_review"}),
                Some(N::SpecReady),
            ),
            (E::SpecTaskTransitioned, json!({"to": "implementation_review"}), Some(N::ImplementationReady)),
            (E::SpecTaskTransitioned, json!({"to": "failed"}), Some(N::Failed)),
            (E::SpecTaskTransitioned, json!({"to": "implementation"}), None),
            (E::WorkSessionTransitioned, json!({"to": "failed"}), Some(N::SessionFailed)),
            (E::WorkSessionTransitioned, json!({"to": "completed"}), None),
            (E::WorkSessionPermission, json!({"decided": false, "title": "rm"}), Some(N::PermissionWaiting)),
            (E::WorkSessionPermission, json!({"decided": true}), None),
            (E::WorkSessionCheck, json!({"outcome": "failed"}), Some(N::CheckFailed)),
            (E::WorkSessionCheck, json!({"outcome": "sent_back"}), None),
            (E::SpecTaskBudget, json!({"level": "warning"}), Some(N::Budget)),
            (E::SpecTaskBudget, json!({"level": "reached"}), Some(N::Budget)),
            (E::SpecTaskBudget, json!({"level": "raised"}), None),
            (E::WorkSessionStalled, json!({"stalled": true}), Some(N::Stalled)),
            (E::WorkSessionStalled, json!({"stalled": false}), None),
            (E::SpecTaskCreated, json!({}), None),
        ];
        for (kind, payload, expected) in cases {
            assert_eq!(kind_of(&event(kind, payload.clone())), expected, "{kind} {payload}");
        }
    }

    #[test]
    fn a_notification_names_its_task_and_page() {
        let e = event(EventKind::SpecTaskBudget, json!({"level": "reached"}));
        let n = notification_of(&e, "Add login", "ana").unwrap();
        assert_eq!(n.id, 7);
        assert_eq!(n.owner, "ana");
        assert_eq!(n.text, "“Add login” reached its budget");
        assert_eq!(n.path, format!("/tasks/{}", n.spec_task_id));
        let mut no_task = e.clone();
        no_task.spec_task_id = None;
        assert_eq!(notification_of(&no_task, "x", "ana"), None);
    }
}
