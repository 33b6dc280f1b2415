//! Attention on the wire: what a task or session waits for, in the words every client shows.

use serde::{Deserialize, Serialize};
use spectask_core::{AttentionKind, BudgetHolder, SpecTaskId, SpecTaskStatus, Timestamp, WorkSessionId};
use spectask_orchestrator::views::attention::{Attention, Waiting};
use utoipa::{IntoParams, ToSchema};

/// One thing a task or one of its sessions waits for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttentionDto {
    pub kind: AttentionKind,
    /// The few words a badge shows: `Waiting for you`, `Paused by budget`, `Stalled`, `Failed`,
    /// `Held`.
    pub label: String,
    /// Only a person moves it on (false for a task held by a prerequisite still at work).
    pub needs_you: bool,
    pub spec_task_id: SpecTaskId,
    pub task_short_id: String,
    pub task_title: String,
    /// The session it concerns, when it is one session's (a permission request, a stall, a
    /// session's failure).
    pub work_session_id: Option<WorkSessionId>,
    pub session_name: Option<String>,
    /// What happened, in one sentence.
    pub text: String,
    /// What a person can do about it.
    pub action: String,
    /// Since when it waits.
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// Its page on the dashboard (the session's, else the task's).
    pub path: String,
    /// For `budget`: which budget paused the task.
    pub budget: Option<BudgetHolder>,
    /// For `held`: the task at the root of the hold, and the prerequisites between (the first is
    /// the one this task names).
    pub held_by: Vec<HeldByDto>,
    /// For `permission`: the request to answer (`POST /approvals/{approval_id}`).
    pub approval_id: Option<String>,
}

/// A task in the chain of a hold.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HeldByDto {
    pub id: SpecTaskId,
    pub short_id: String,
    pub title: String,
    pub status: SpecTaskStatus,
}

impl From<&Attention> for AttentionDto {
    fn from(a: &Attention) -> Self {
        let (budget, held_by, approval_id) = match &a.waiting {
            Waiting::Budget { holder, .. } => (Some(*holder), Vec::new(), None),
            Waiting::Held { chain } => {
                let chain = chain
                    .iter()
                    .map(|t| HeldByDto {
                        id: t.id,
                        short_id: t.id.short().to_string(),
                        title: t.title.clone(),
                        status: t.status,
                    })
                    .collect();
                (None, chain, None)
            }
            Waiting::Permission { approval_id, .. } => (None, Vec::new(), Some(approval_id.clone())),
            _ => (None, Vec::new(), None),
        };
        Self {
            kind: a.kind(),
            label: a.kind().label().to_owned(),
            needs_you: a.needs_you(),
            spec_task_id: a.spec_task_id,
            task_short_id: a.spec_task_id.short().to_string(),
            task_title: a.task_title.clone(),
            work_session_id: a.session.as_ref().map(|(id, _)| *id),
            session_name: a.session.as_ref().map(|(_, name)| name.clone()),
            text: a.text(),
            action: a.action(),
            since: a.since,
            path: a.path(),
            budget,
            held_by,
            approval_id,
        }
    }
}

/// `GET /attention`: what the caller's open tasks wait for.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionListDto {
    /// How many items need a person: the dashboard's "Needs you (N)".
    pub needs_you: usize,
    /// Those that need a person first, longest waiting first; then the holds that go on by
    /// themselves.
    pub items: Vec<AttentionDto>,
}

impl AttentionListDto {
    pub fn of(items: &[Attention]) -> Self {
        Self {
            needs_you: items.iter().filter(|a| a.needs_you()).count(),
            items: items.iter().map(Into::into).collect(),
        }
    }
}

/// `GET /attention` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttentionQuery {
    /// Only this task (an id, abbreviated id or handle of one of your tasks).
    #[param(pattern = r"^([0-9A-Fa-f-]{4,}|[0-9A-Fa-f]{8}-[0-9A-Za-z-]+)$")]
    pub spec_task: Option<String>,
}
