//! Typed event payloads: one type per [`EventKind`], serialised to the JSON the outbox stores.
//!
//! Writers build the type and the store serialises it. Readers take back one kind with
//! [`Event::payload_as`], or any kind as a [`Payload`] with [`Event::read_payload`]. Field order is
//! the stored order: keep it when adding a field.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::ids::{RepositoryId, SpecReviewId, SpecTaskId, WorkSessionId};
use crate::{
    BudgetLevel, BudgetScope, Complexity, CoordinationKind, Event, EventKind, Failure, HoldBefore,
    PlanTaskRef, Priority, ReviewDecision, SpecTaskCommand, SpecTaskEffect, SpecTaskStatus, TaskKind,
    TaskPullRequest, Timestamp, WorkSessionCommand, WorkSessionEffect, WorkSessionPhase, WorkSessionStatus,
};

/// The payload of one event kind.
pub trait EventPayload: Serialize {
    const KIND: EventKind;
}

impl<T: EventPayload> EventPayload for &T {
    const KIND: EventKind = T::KIND;
}

impl Event {
    /// The payload as `T`, when the event is of `T`'s kind and its payload reads as one.
    pub fn payload_as<T: EventPayload + DeserializeOwned>(&self) -> Option<T> {
        match self.kind == T::KIND {
            true => T::deserialize(&self.payload).ok(),
            false => None,
        }
    }

    /// The payload, typed by the event's kind.
    pub fn read_payload(&self) -> Result<Payload, serde_json::Error> {
        Payload::read(self.kind, &self.payload)
    }
}

/// Declares each kind's payload type, and [`Payload`] over all of them. The match in
/// [`Payload::read`] is over every [`EventKind`], so a kind without a payload does not compile.
macro_rules! payloads {
    ($($kind:ident($ty:ty) => $name:literal),* $(,)?) => {
        $(impl EventPayload for $ty {
            const KIND: EventKind = EventKind::$kind;
        })*

        /// An event's payload, typed by its kind. On the wire the kind and its payload are two
        /// fields: `{"kind": "spec_task.created", "payload": {…}}`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
        #[serde(tag = "kind", content = "payload")]
        pub enum Payload {
            $(#[serde(rename = $name)] #[schema(rename = $name)] $kind($ty),)*
        }

        impl Payload {
            /// The kind of event this payload belongs to.
            pub fn kind(&self) -> EventKind {
                match self {
                    $(Self::$kind(_) => EventKind::$kind,)*
                }
            }

            /// Reads `value` as the payload of `kind`.
            pub fn read(kind: EventKind, value: &serde_json::Value) -> Result<Self, serde_json::Error> {
                Ok(match kind {
                    $(EventKind::$kind => Self::$kind(<$ty>::deserialize(value)?),)*
                })
            }
        }
    };
}

payloads!(
    SpecTaskCreated(SpecTaskCreated) => "spec_task.created",
    SpecTaskTransitioned(SpecTaskTransitioned) => "spec_task.transitioned",
    SpecReviewRecorded(SpecReviewRecorded) => "spec_review.recorded",
    WorkSessionCreated(WorkSessionCreated) => "work_session.created",
    WorkSessionTransitioned(WorkSessionTransitioned) => "work_session.transitioned",
    CoordinationRecorded(CoordinationRecorded) => "coordination.recorded",
    RepositoryRegistered(RepositoryRegistered) => "repository.registered",
    WorkSessionPlan(WorkSessionPlan) => "work_session.plan",
    PlanProgressDetected(PlanProgressDetected) => "plan_progress.detected",
    AgentSandbox(AgentSandbox) => "agent.sandbox",
    WorkSessionPermission(WorkSessionPermission) => "work_session.permission",
    SpecTaskHidden(SpecTaskHidden) => "spec_task.hidden",
    WorkSessionCheck(WorkSessionCheck) => "work_session.check",
    RepositorySettingsChanged(RepositorySettingsChanged) => "repository.settings_changed",
    PullRequestUpdated(TaskPullRequest) => "pull_request.updated",
    SpecTaskPrerequisitesChanged(SpecTaskPrerequisitesChanged) => "spec_task.prerequisites_changed",
    SpecTaskBudget(SpecTaskBudget) => "spec_task.budget",
    WorkSessionStalled(WorkSessionStalled) => "work_session.stalled",
    WorkSessionHistory(WorkSessionHistory) => "work_session.history",
    SpecTaskHeld(SpecTaskHeld) => "spec_task.held",
);

/// `spec_task.created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskCreated {
    pub title: String,
    pub kind: TaskKind,
    pub complexity: Complexity,
    pub status: SpecTaskStatus,
    pub repository_id: RepositoryId,
    pub priority: Priority,
}

/// `spec_task.transitioned`: the command applied, and the effects it asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskTransitioned {
    pub from: SpecTaskStatus,
    pub to: SpecTaskStatus,
    /// The lifecycle command, tagged by `command`.
    #[schema(value_type = Object)]
    pub command: SpecTaskCommand,
    /// Each effect by its name.
    #[schema(value_type = Vec<String>)]
    pub effects: Vec<SpecTaskEffect>,
    #[schema(value_type = Option<Object>)]
    pub failure: Option<Failure>,
}

/// `spec_review.recorded`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecReviewRecorded {
    pub review_id: SpecReviewId,
    pub version: u32,
    pub decision: ReviewDecision,
    pub reviewer: String,
}

/// `work_session.created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionCreated {
    pub name: String,
    pub phase: WorkSessionPhase,
    pub parent_id: Option<WorkSessionId>,
    pub spawned_by_id: Option<WorkSessionId>,
    pub plan_task: Option<PlanTaskRef>,
}

/// `work_session.transitioned`: the command applied, and the effects it asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionTransitioned {
    pub from: WorkSessionStatus,
    pub to: WorkSessionStatus,
    /// The lifecycle command, tagged by `command`.
    #[schema(value_type = Object)]
    pub command: WorkSessionCommand,
    /// Each effect by its name.
    #[schema(value_type = Vec<String>)]
    pub effects: Vec<WorkSessionEffect>,
}

/// `coordination.recorded`: `seq` is the coordination log's own number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoordinationRecorded {
    pub seq: i64,
    pub kind: CoordinationKind,
    pub message: String,
    pub to_session: Option<WorkSessionId>,
}

/// `repository.registered`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RepositoryRegistered {
    pub repository_id: RepositoryId,
    #[schema(value_type = String)]
    pub path: PathBuf,
    pub default_branch: String,
    pub owner: Option<String>,
}

/// `work_session.plan`: the agent's plan as it sent it, how many entries are done, and the one in
/// progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionPlan {
    pub entries: Vec<AgentPlanEntry>,
    pub done: usize,
    pub current: Option<String>,
}

/// One entry of an agent's plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentPlanEntry {
    pub content: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
    /// `pending`, `in_progress` or `completed`.
    pub status: String,
}

/// `plan_progress.detected`: `source` is `commit` (with `commit`) or `worktree`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanProgressDetected {
    pub plan_task: String,
    /// `pending`, `in_progress` or `done`.
    pub state: String,
    pub source: String,
    pub commit: Option<String>,
}

/// `agent.sandbox`: `finding` is `edit_outside_worktree` or `access_refused`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentSandbox {
    pub finding: String,
    pub tool_call_id: String,
    pub title: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub paths: Vec<PathBuf>,
    pub detail: String,
    pub refused: bool,
}

/// `work_session.permission`: a request waiting for a person, or its decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum WorkSessionPermission {
    Requested(PermissionRequested),
    Decided(PermissionDecided),
}

/// A permission request waiting for a person (`decided: false`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PermissionRequested {
    pub approval_id: String,
    pub tool_call_id: String,
    pub title: Option<String>,
    pub node: String,
    pub decided: bool,
}

/// A permission request decided: `outcome` is `answered` (with `option_id` and `by`) or
/// `withdrawn`; `decided` is true.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PermissionDecided {
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub approval_id: String,
    pub tool_call_id: String,
    pub decided: bool,
}

impl WorkSessionPermission {
    /// Whether the request was decided.
    pub fn decided(&self) -> bool {
        match self {
            Self::Requested(r) => r.decided,
            Self::Decided(d) => d.decided,
        }
    }
}

/// `spec_task.hidden`: the status the task was hidden in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskHidden {
    pub status: SpecTaskStatus,
}

/// `work_session.check`: `outcome` is `passed`, `reproduced`, `sent_back` or `failed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionCheck {
    /// A bugfix's reproduction check, run on the session writing the test that shows the bug:
    /// it must fail (`reproduced`), and passing sends the work back.
    #[serde(default)]
    pub expects_failure: bool,
    pub command: String,
    pub passed: bool,
    pub exit_code: Option<u32>,
    pub signal: Option<String>,
    pub timed_out: bool,
    /// The end of its output.
    pub output: String,
    pub truncated: bool,
    pub round: u32,
    pub rounds: u32,
    pub outcome: String,
}

/// `repository.settings_changed`: each changed setting, in the order changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RepositorySettingsChanged {
    pub repository_id: RepositoryId,
    pub by: String,
    /// Setting → `{from, to}`.
    #[serde(serialize_with = "write_setting_changes", deserialize_with = "read_setting_changes")]
    #[schema(value_type = Object)]
    pub changes: Vec<SettingChange>,
}

/// One changed setting of a repository.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingChange {
    pub setting: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One setting's change in the changes object.
#[derive(Serialize, Deserialize)]
struct FromTo {
    from: Option<String>,
    to: Option<String>,
}

/// The changes as one object: setting → `{from, to}`.
fn write_setting_changes<S: Serializer>(changes: &[SettingChange], serializer: S) -> Result<S::Ok, S::Error> {
    let from_to = |c: &SettingChange| FromTo { from: c.from.clone(), to: c.to.clone() };
    serializer.collect_map(changes.iter().map(|c| (&c.setting, from_to(c))))
}

/// The changes object read back, in its order.
fn read_setting_changes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SettingChange>, D::Error> {
    struct Changes;
    impl<'de> serde::de::Visitor<'de> for Changes {
        type Value = Vec<SettingChange>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of setting → {from, to}")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut changes = Vec::new();
            while let Some((setting, FromTo { from, to })) = map.next_entry::<String, FromTo>()? {
                changes.push(SettingChange { setting, from, to });
            }
            Ok(changes)
        }
    }
    deserializer.deserialize_map(Changes)
}

/// `spec_task.prerequisites_changed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskPrerequisitesChanged {
    pub prerequisites: Vec<SpecTaskId>,
    pub hold_before: HoldBefore,
    pub by: String,
}

/// `spec_task.budget`: a line crossed (`warning`, `reached`, with `spent`) or a person's change
/// (`raised`, with `by`). A daily budget's line names its `scope`, `subject` and `day`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskBudget {
    pub level: BudgetNews,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<BudgetScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    pub budget: BudgetAmount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent: Option<BudgetAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub message: String,
}

/// What a `spec_task.budget` event tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetNews {
    Within,
    Warning,
    Reached,
    Raised,
}

impl From<BudgetLevel> for BudgetNews {
    fn from(level: BudgetLevel) -> Self {
        match level {
            BudgetLevel::Within => Self::Within,
            BudgetLevel::Warning => Self::Warning,
            BudgetLevel::Reached => Self::Reached,
        }
    }
}

/// Tokens and money, as a budget or as spending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BudgetAmount {
    pub tokens: Option<u64>,
    pub cost_micros: Option<i64>,
    pub currency: Option<String>,
}

/// `work_session.stalled`: the agent went silent (`stalled: true`, with when it last spoke, for how
/// long and the policy) or spoke again (`stalled: false` alone).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionStalled {
    pub stalled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silent_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// `spec_task.held`: a prerequisite that ended without being done holds the task (`held: true`,
/// `reason` as admission says it), or no longer does (`held: false` alone).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecTaskHeld {
    pub held: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `work_session.history`: the session's history has `entries` new entries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkSessionHistory {
    pub entries: usize,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: EventKind, payload: serde_json::Value) -> Event {
        Event {
            seq: 1,
            kind,
            spec_task_id: None,
            work_session_id: None,
            payload,
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_payload_reads_only_from_its_own_kind() {
        let stalled = event(EventKind::WorkSessionStalled, json!({ "stalled": false }));
        let read = stalled.payload_as::<WorkSessionStalled>();
        assert_eq!(read.map(|p| p.stalled), Some(false));
        assert_eq!(stalled.payload_as::<SpecTaskHidden>(), None);
    }

    #[test]
    fn payloads_keep_the_stored_shape() {
        let spoke =
            WorkSessionStalled { stalled: false, last_activity_at: None, silent_seconds: None, policy: None };
        assert_eq!(serde_json::to_value(&spoke).ok(), Some(json!({ "stalled": false })));
        let withdrawn = WorkSessionPermission::Decided(PermissionDecided {
            outcome: "withdrawn".into(),
            option_id: None,
            by: None,
            approval_id: "a".into(),
            tool_call_id: "t".into(),
            decided: true,
        });
        let text = serde_json::to_string(&withdrawn).unwrap_or_default();
        assert_eq!(text, r#"{"outcome":"withdrawn","approval_id":"a","tool_call_id":"t","decided":true}"#);
        let changed = RepositorySettingsChanged {
            repository_id: RepositoryId::from_uuid(uuid::Uuid::nil()),
            by: "ana".into(),
            changes: vec![SettingChange { setting: "merge".into(), from: None, to: Some("squash".into()) }],
        };
        let value = serde_json::to_value(&changed).unwrap_or_default();
        assert_eq!(value["changes"], json!({ "merge": { "from": null, "to": "squash" } }));
        let read = Payload::read(EventKind::RepositorySettingsChanged, &value).ok();
        assert_eq!(read, Some(Payload::RepositorySettingsChanged(changed)));
    }

    #[test]
    fn every_kind_has_its_payload_under_its_own_name() {
        let schema = serde_json::to_value(<Payload as utoipa::PartialSchema>::schema()).unwrap_or_default();
        let named: Vec<&str> = schema["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|variant| variant["properties"]["kind"]["enum"][0].as_str())
            .collect();
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(named, kinds, "{schema:#}");
    }

    #[test]
    fn a_payload_reads_back_as_its_kind_and_writes_as_stored() {
        let stored = json!({ "status": "cancelled" });
        let payload = event(EventKind::SpecTaskHidden, stored.clone()).read_payload().ok();
        assert_eq!(payload.as_ref().map(Payload::kind), Some(EventKind::SpecTaskHidden));
        let wire = serde_json::to_value(&payload).unwrap_or_default();
        assert_eq!(wire, json!({ "kind": "spec_task.hidden", "payload": stored }));
        assert!(event(EventKind::SpecTaskHidden, json!({ "status": 3 })).read_payload().is_err());
    }
}
