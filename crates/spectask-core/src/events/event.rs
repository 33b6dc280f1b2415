//! The outbox: every change is recorded as an Event in the same transaction that makes it.

use serde::{Deserialize, Serialize};

use crate::ids::{SpecTaskId, WorkSessionId};
use crate::{Timestamp, named_enum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventKind {
    #[serde(rename = "spec_task.created")]
    SpecTaskCreated,
    #[serde(rename = "spec_task.transitioned")]
    SpecTaskTransitioned,
    #[serde(rename = "spec_review.recorded")]
    SpecReviewRecorded,
    #[serde(rename = "work_session.created")]
    WorkSessionCreated,
    #[serde(rename = "work_session.transitioned")]
    WorkSessionTransitioned,
    #[serde(rename = "coordination.recorded")]
    CoordinationRecorded,
    #[serde(rename = "repository.registered")]
    RepositoryRegistered,
    /// A running session's agent sent its plan (live progress).
    #[serde(rename = "work_session.plan")]
    WorkSessionPlan,
    /// Someone other than spectask (an agent, a person) changed a progress marker in `progress.md`
    /// or `tasks.md` on the design-docs branch or in its worktree: payload `plan_task`, `state`,
    /// `source` (`commit` with `commit`, or `worktree`).
    #[serde(rename = "plan_progress.detected")]
    PlanProgressDetected,
    /// The sandbox audit of an agent's tool calls (a session's, or the planning agent's): an edit
    /// outside the worktree, or an access the sandbox refused. Payload `finding`
    /// (`edit_outside_worktree` or `access_refused`), `tool_call_id`, `title`, `paths`, `detail`,
    /// `refused`.
    #[serde(rename = "agent.sandbox")]
    AgentSandbox,
    /// A session's agent asked a person for permission (payload `approval_id`, `tool_call_id`,
    /// `title`, `decided: false`), or the request was decided (`decision`, `by`, `decided: true`):
    /// what a dashboard needs to show pending approvals without polling.
    #[serde(rename = "work_session.permission")]
    WorkSessionPermission,
    /// A SpecTask was deleted through the generic task view: cancelled (if it had not ended) and
    /// hidden from listings. Payload `status`.
    #[serde(rename = "spec_task.hidden")]
    SpecTaskHidden,
    /// The repository's check ran after a session's turn: payload `command`, `passed`,
    /// `exit_code`, `signal`, `timed_out`, `output` (its end), `round`, `rounds` and `outcome`
    /// (`passed`, `sent_back` to the thread, or `failed` the session when no round was left).
    #[serde(rename = "work_session.check")]
    WorkSessionCheck,
    /// A repository's settings were changed: payload `repository_id`, `by` (the user) and
    /// `changes`, each changed setting's `from` and `to`.
    #[serde(rename = "repository.settings_changed")]
    RepositorySettingsChanged,
    /// A task's pull request was opened or read with news (its state, its head, a reading that
    /// failed): payload the `TaskPullRequest`.
    #[serde(rename = "pull_request.updated")]
    PullRequestUpdated,
    /// A person set a task's prerequisites: payload `prerequisites` (ids), `hold_before`, `by`.
    #[serde(rename = "spec_task.prerequisites_changed")]
    SpecTaskPrerequisitesChanged,
    /// A task's spending crossed a line of its budget, or a person changed the budget: payload
    /// `level` (`warning` at 80%, `reached` at 100%, `raised` by a person), `spent` and `budget`
    /// (each `tokens` and `cost_micros`), and `by` for a change.
    #[serde(rename = "spec_task.budget")]
    SpecTaskBudget,
    /// A running session's agent went silent (`stalled: true`, `last_activity_at`,
    /// `silent_seconds`, `policy`: `notify`, `interrupt` or `fail`) or spoke again (`stalled: false`).
    #[serde(rename = "work_session.stalled")]
    WorkSessionStalled,
    /// A session's history has new entries (payload `entries`: how many): a transcript on screen
    /// is read again. Sent at most about once a second per session while its agent works.
    #[serde(rename = "work_session.history")]
    WorkSessionHistory,
    /// A prerequisite that ended without being done (failed, rejected, cancelled) began to hold the
    /// task (`held: true`, with admission's `reason`), or stopped holding it (`held: false`).
    #[serde(rename = "spec_task.held")]
    SpecTaskHeld,
}
named_enum!(EventKind, "event kind", {
    SpecTaskCreated => "spec_task.created",
    SpecTaskTransitioned => "spec_task.transitioned",
    SpecReviewRecorded => "spec_review.recorded",
    WorkSessionCreated => "work_session.created",
    WorkSessionTransitioned => "work_session.transitioned",
    CoordinationRecorded => "coordination.recorded",
    RepositoryRegistered => "repository.registered",
    WorkSessionPlan => "work_session.plan",
    PlanProgressDetected => "plan_progress.detected",
    AgentSandbox => "agent.sandbox",
    WorkSessionPermission => "work_session.permission",
    SpecTaskHidden => "spec_task.hidden",
    WorkSessionCheck => "work_session.check",
    RepositorySettingsChanged => "repository.settings_changed",
    PullRequestUpdated => "pull_request.updated",
    SpecTaskPrerequisitesChanged => "spec_task.prerequisites_changed",
    SpecTaskBudget => "spec_task.budget",
    WorkSessionStalled => "work_session.stalled",
    WorkSessionHistory => "work_session.history",
    SpecTaskHeld => "spec_task.held",
});

/// One thing that happened. `seq` orders all events of a database, in commit order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    pub kind: EventKind,
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    /// The kind's payload (`events::payload`) as stored; read it with [`Event::payload_as`].
    pub payload: serde_json::Value,
    pub at: Timestamp,
}
