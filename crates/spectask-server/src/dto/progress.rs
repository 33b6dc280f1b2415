//! The dashboard's read views on the wire: a task's progress, its multi-session overview and the
//! fleet of live agent instances.

use serde::Serialize;
use spectask_core::{CoordinationEvent, SpecTaskId, Timestamp, WorkSessionId, WorkSessionStatus};
use spectask_orchestrator::views::progress::{PlanTaskProgress, Progress, ProgressCounts, SessionProgress};
use spectask_spec::PlanTaskState;
use utoipa::ToSchema;

use super::{SpecTaskDto, WorkSessionDto};

/// A plan task's state as progress counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanTaskStateDto {
    Pending,
    InProgress,
    Done,
}

/// One plan task of tasks.md with the state the sessions give it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanTaskProgressDto {
    /// Position in the plan, 0-based.
    pub index: usize,
    /// Its id in tasks.md (`2.1`, `T012`), when it has one.
    pub id: Option<String>,
    pub title: String,
    pub state: PlanTaskStateDto,
    /// May be skipped: not counted in the percentage.
    pub optional: bool,
    /// The sessions working on it.
    pub sessions: Vec<WorkSessionId>,
    /// When its first session started (for the current task: since when the agent is on it).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
}

/// Plan tasks per state; `optional` counts the optional ones whatever their state.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ProgressCountsDto {
    pub pending: usize,
    pub in_progress: usize,
    pub done: usize,
    pub optional: usize,
}

/// How far one session is through its agent's own plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionProgressDto {
    pub work_session_id: WorkSessionId,
    pub name: String,
    pub status: WorkSessionStatus,
    /// 0–100: 100 once completed; before, the share of its agent's plan entries completed, at most 99.
    pub percent: u8,
    /// The agent's plan entries completed and in all (0 and 0 before it sent a plan).
    pub plan_done: usize,
    pub plan_total: usize,
    /// The plan entry the agent is on.
    pub current_entry: Option<String>,
}

/// `GET /spec-tasks/{id}/progress`
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressDto {
    pub spec_task_id: SpecTaskId,
    /// Required plan tasks done, in percent (0 without a plan).
    pub percent: u8,
    pub counts: ProgressCountsDto,
    /// The plan tasks in progress.
    pub current: Vec<PlanTaskProgressDto>,
    pub tasks: Vec<PlanTaskProgressDto>,
    pub sessions: Vec<SessionProgressDto>,
}

/// The agent instance of a task as its sessions show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentInstanceViewDto {
    /// An agent process works for the task now (a session of it runs).
    pub live: bool,
    /// The implementation profile.
    pub profile: Option<String>,
    /// Threads opened in it (sessions with an agent session id).
    pub threads: usize,
    /// Since when it works: the start of its earliest unfinished session.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
}

/// `GET /spec-tasks/{id}/multi-session-overview`: the whole dashboard of one task in one response.
#[derive(Debug, Serialize, ToSchema)]
pub struct MultiSessionOverviewDto {
    pub task: SpecTaskDto,
    pub agent_instance: AgentInstanceViewDto,
    /// Every session (the tree: `parent_id`, `spawned_by_id`), in creation order.
    pub sessions: Vec<WorkSessionDto>,
    pub progress: ProgressDto,
    /// The newest coordination events, newest last (at most 50).
    pub coordination: Vec<CoordinationEvent>,
}

/// One live agent instance and where it is in its plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetAgentDto {
    /// The agent instance: one per SpecTask, so the task's id.
    pub agent_id: String,
    pub profile: Option<String>,
    pub task_id: SpecTaskId,
    pub task_name: String,
    pub repository: String,
    /// Plan tasks in progress now (a session of each runs).
    pub in_progress: usize,
    /// The plan tasks the card shows, in plan order: every one in progress, up to 3 done before
    /// the first of them and up to 3 to do after it (without one in progress, around the next one
    /// to do).
    pub plan_window: Vec<PlanTaskProgressDto>,
    /// Required plan tasks done, in percent (as the task's progress says).
    pub percent: u8,
    /// The task's newest event.
    #[schema(value_type = String, format = DateTime)]
    pub last_update: Timestamp,
    /// What the task has used so far: tokens and cost of its sessions and planner calls.
    pub usage: super::UsageDto,
    /// Its sessions whose agents went silent (stalled), by session name.
    pub stalled: Vec<StalledSessionDto>,
    /// Where the task stands against its budget (paused when reached).
    pub budget: super::BudgetDto,
    /// What the task and its sessions wait for: a card whose agent waits for a person says so
    /// instead of showing its work in progress.
    pub attention: Vec<super::AttentionDto>,
}

/// A session of a fleet card whose agent went silent.
#[derive(Debug, Serialize, ToSchema)]
pub struct StalledSessionDto {
    pub work_session_id: spectask_core::WorkSessionId,
    pub name: String,
    pub stall: super::StallDto,
}

/// `GET /agents/fleet/live-progress`
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetDto {
    pub agents: Vec<FleetAgentDto>,
}

impl From<PlanTaskState> for PlanTaskStateDto {
    fn from(state: PlanTaskState) -> Self {
        match state {
            PlanTaskState::Pending => Self::Pending,
            PlanTaskState::InProgress => Self::InProgress,
            PlanTaskState::Done => Self::Done,
        }
    }
}

impl From<PlanTaskProgress> for PlanTaskProgressDto {
    fn from(t: PlanTaskProgress) -> Self {
        Self {
            index: t.index,
            id: t.id,
            title: t.title,
            state: t.state.into(),
            optional: t.optional,
            sessions: t.sessions,
            started_at: t.started_at,
        }
    }
}

impl From<ProgressCounts> for ProgressCountsDto {
    fn from(c: ProgressCounts) -> Self {
        Self { pending: c.pending, in_progress: c.in_progress, done: c.done, optional: c.optional }
    }
}

impl From<SessionProgress> for SessionProgressDto {
    fn from(s: SessionProgress) -> Self {
        Self {
            work_session_id: s.work_session_id,
            name: s.name,
            status: s.status,
            percent: s.percent,
            plan_done: s.plan_done,
            plan_total: s.plan_total,
            current_entry: s.current_entry,
        }
    }
}

impl From<Progress> for ProgressDto {
    fn from(p: Progress) -> Self {
        Self {
            spec_task_id: p.spec_task_id,
            percent: p.percent,
            counts: p.counts.into(),
            current: p.current().cloned().map(Into::into).collect(),
            tasks: p.tasks.into_iter().map(Into::into).collect(),
            sessions: p.sessions.into_iter().map(Into::into).collect(),
        }
    }
}
