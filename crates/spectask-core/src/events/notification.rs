//! Notifications: the events that tell a person a task needs them.
//!
//! [`kind_of`] is the one decision of which event is worth a notification; the store records one
//! notification per such event (its owner the task's) and the orchestrator delivers it to the
//! configured webhooks. The dashboard makes the same decision for browser notifications
//! (`web/src/notify/decide.ts`).

use serde::{Deserialize, Serialize};

use crate::events::payload::{
    BudgetNews, SpecTaskBudget, SpecTaskHeld, SpecTaskTransitioned, WorkSessionCheck, WorkSessionPermission,
    WorkSessionStalled, WorkSessionTransitioned,
};
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
    /// The task's spending crossed a budget's warning line (80%): it goes on.
    BudgetWarning,
    /// The task's spending reached a budget: its work pauses.
    Budget,
    /// A prerequisite that failed, was rejected or was cancelled holds the task.
    Held,
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
    BudgetWarning => "budget_warning",
    Budget => "budget",
    Held => "held",
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
    match event.kind {
        EventKind::SpecTaskTransitioned => match event.payload_as::<SpecTaskTransitioned>()?.to {
            SpecTaskStatus::SpecReview => Some(NotificationKind::SpecReady),
            SpecTaskStatus::ImplementationReview => Some(NotificationKind::ImplementationReady),
            SpecTaskStatus::Failed => Some(NotificationKind::Failed),
            _ => None,
        },
        EventKind::WorkSessionTransitioned => (event.payload_as::<WorkSessionTransitioned>()?.to
            == WorkSessionStatus::Failed)
            .then_some(NotificationKind::SessionFailed),
        EventKind::WorkSessionPermission => (!event.payload_as::<WorkSessionPermission>()?.decided())
            .then_some(NotificationKind::PermissionWaiting),
        EventKind::WorkSessionCheck => (event.payload_as::<WorkSessionCheck>()?.outcome == "failed")
            .then_some(NotificationKind::CheckFailed),
        EventKind::SpecTaskBudget => match event.payload_as::<SpecTaskBudget>()?.level {
            BudgetNews::Warning => Some(NotificationKind::BudgetWarning),
            BudgetNews::Reached => Some(NotificationKind::Budget),
            _ => None,
        },
        EventKind::SpecTaskHeld => event.payload_as::<SpecTaskHeld>()?.held.then_some(NotificationKind::Held),
        EventKind::WorkSessionStalled => {
            event.payload_as::<WorkSessionStalled>()?.stalled.then_some(NotificationKind::Stalled)
        }
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
        text: text(kind, task_title, event),
        path: format!("/tasks/{spec_task_id}"),
        at: event.at,
    })
}

/// The line a person reads.
fn text(kind: NotificationKind, title: &str, event: &Event) -> String {
    match kind {
        NotificationKind::SpecReady => format!("The spec of “{title}” is ready for review"),
        NotificationKind::ImplementationReady => {
            format!("The implementation of “{title}” is ready for review")
        }
        NotificationKind::PermissionWaiting => {
            let asked = match event.payload_as::<WorkSessionPermission>() {
                Some(WorkSessionPermission::Requested(request)) => request.title,
                _ => None,
            };
            format!("“{title}” waits for permission: {}", asked.as_deref().unwrap_or("a tool call"))
        }
        NotificationKind::BudgetWarning => format!("“{title}” spent 80% of a budget that holds it"),
        NotificationKind::Budget => format!("“{title}” reached a budget: its work is paused"),
        NotificationKind::Held => {
            let reason = event.payload_as::<SpecTaskHeld>().and_then(|h| h.reason);
            match reason {
                Some(reason) => format!("“{title}” is {reason}"),
                None => format!("“{title}” is held by a prerequisite"),
            }
        }
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

    fn task_to(to: &str) -> serde_json::Value {
        json!({"from": "spec_generation", "to": to, "command": {"command": "submit_spec"}, "effects": [], "failure": null})
    }

    fn session_to(to: &str) -> serde_json::Value {
        json!({"from": "running", "to": to, "command": {"command": "complete"}, "effects": []})
    }

    fn check(outcome: &str) -> serde_json::Value {
        json!({"command": "make test", "passed": false, "exit_code": 1, "signal": null, "timed_out": false,
            "output": "", "truncated": false, "round": 1, "rounds": 3, "outcome": outcome})
    }

    fn budget(level: &str) -> serde_json::Value {
        let amount = json!({"tokens": 10, "cost_micros": null, "currency": null});
        json!({"level": level, "budget": amount, "spent": amount, "message": "m"})
    }

    #[test]
    fn each_kind_comes_from_its_event() {
        use EventKind as E;
        use NotificationKind as N;
        let asked =
            json!({"approval_id": "a", "tool_call_id": "t", "title": "rm", "node": "n", "decided": false});
        let answered = json!({"outcome": "answered", "option_id": "allow", "by": "ana", "approval_id": "a",
            "tool_call_id": "t", "decided": true});
        let cases = [
            (E::SpecTaskTransitioned, task_to("spec_review"), Some(N::SpecReady)),
            (E::SpecTaskTransitioned, task_to("implementation_review"), Some(N::ImplementationReady)),
            (E::SpecTaskTransitioned, task_to("failed"), Some(N::Failed)),
            (E::SpecTaskTransitioned, task_to("implementation"), None),
            (E::WorkSessionTransitioned, session_to("failed"), Some(N::SessionFailed)),
            (E::WorkSessionTransitioned, session_to("completed"), None),
            (E::WorkSessionPermission, asked, Some(N::PermissionWaiting)),
            (E::WorkSessionPermission, answered, None),
            (E::WorkSessionCheck, check("failed"), Some(N::CheckFailed)),
            (E::WorkSessionCheck, check("sent_back"), None),
            (E::SpecTaskBudget, budget("warning"), Some(N::BudgetWarning)),
            (E::SpecTaskBudget, budget("reached"), Some(N::Budget)),
            (E::SpecTaskBudget, budget("raised"), None),
            (E::WorkSessionStalled, json!({"stalled": true, "silent_seconds": 60}), Some(N::Stalled)),
            (E::WorkSessionStalled, json!({"stalled": false}), None),
            (
                E::SpecTaskHeld,
                json!({"held": true, "reason": "held: prerequisite x is failed"}),
                Some(N::Held),
            ),
            (E::SpecTaskHeld, json!({"held": false}), None),
            (E::SpecTaskCreated, json!({}), None),
        ];
        for (kind, payload, expected) in cases {
            assert_eq!(kind_of(&event(kind, payload.clone())), expected, "{kind} {payload}");
        }
    }

    #[test]
    fn a_notification_names_its_task_and_page() {
        let e = event(EventKind::SpecTaskBudget, budget("reached"));
        let n = notification_of(&e, "Add login", "ana").unwrap();
        assert_eq!(n.id, 7);
        assert_eq!(n.owner, "ana");
        assert_eq!(n.text, "“Add login” reached a budget: its work is paused");
        assert_eq!(n.path, format!("/tasks/{}", n.spec_task_id));
        let mut no_task = e.clone();
        no_task.spec_task_id = None;
        assert_eq!(notification_of(&no_task, "x", "ana"), None);
    }
}
