//! The dashboard's read views: a task's progress, its multi-session overview (one request renders
//! the whole screen) and the fleet of live agent instances with where each is in its plan. The
//! orchestrator's `views` compute them; these handlers map them to the DTOs. The live stream's
//! `work_session.*` and `plan_progress.detected` events say when they change.

use axum::Json;
use axum::extract::State;
use spectask_core::{SpecTask, SpecTaskStatus, WorkSession, WorkSessionStanding, WorkSessionStatus};
use spectask_orchestrator::views;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    AgentInstanceViewDto, FleetAgentDto, FleetDto, MultiSessionOverviewDto, ProgressDto, StalledSessionDto,
};
use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::spec_tasks::{load, task_dto};
use crate::routes::work_sessions::sessions_dto;
use crate::{ApiError, AppState, Caller};

/// Coordination events the overview carries, newest last.
const RECENT_COORDINATION: usize = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_progress))
        .routes(routes!(get_overview))
        .routes(routes!(get_fleet))
}

/// Per plan task its state, the percentage of required tasks done, the current task(s), counts per
/// state and each session's progress through its agent's plan.
#[utoipa::path(get, path = "/spec-tasks/{id}/progress", tag = "work-sessions", params(TaskPath),
    responses((status = 200, description = "The progress", body = ProgressDto)))]
async fn get_progress(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ProgressDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let sessions = state.store.work_session_standings_of(task.id).await?;
    Ok(Json(progress_of(&state, &task, &sessions).await?))
}

/// What the multi-session dashboard shows, in one response: the task, its agent instance, the
/// session tree, progress and the recent coordination events.
#[utoipa::path(get, path = "/spec-tasks/{id}/multi-session-overview", tag = "work-sessions",
    params(TaskPath),
    responses((status = 200, description = "The overview", body = MultiSessionOverviewDto)))]
async fn get_overview(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<MultiSessionOverviewDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let sessions = state.store.work_sessions_of(task.id).await?;
    let standings: Vec<WorkSessionStanding> = sessions.iter().map(Into::into).collect();
    let progress = progress_of(&state, &task, &standings).await?;
    let mut coordination = state.store.coordination_log(task.id).await?;
    let skip = coordination.len().saturating_sub(RECENT_COORDINATION);
    coordination.drain(..skip);
    Ok(Json(MultiSessionOverviewDto {
        task: task_dto(&state, &task).await?,
        sessions: sessions_dto(&state, &task, &sessions).await?,
        agent_instance: agent_instance(&task, &sessions),
        progress,
        coordination,
    }))
}

/// One entry per live agent instance (a task in implementation): every plan task in progress, up
/// to 3 done before them and up to 3 to do after them.
#[utoipa::path(get, path = "/agents/fleet/live-progress", tag = "agents",
    responses((status = 200, description = "The live agent instances", body = FleetDto)))]
async fn get_fleet(State(state): State<AppState>, caller: Caller) -> Result<Json<FleetDto>, ApiError> {
    let cards = views::fleet::fleet(&state.store, caller.owner_filter(), &state.budgets.task).await?;
    Ok(Json(FleetDto { agents: cards.into_iter().map(fleet_agent_dto).collect() }))
}

fn fleet_agent_dto(card: views::fleet::FleetCard) -> FleetAgentDto {
    let (task, window) = (card.task, card.window);
    FleetAgentDto {
        agent_id: task.id.to_string(),
        profile: task.implementation_agent,
        task_id: task.id,
        task_name: task.title,
        repository: card.repository.display().to_string(),
        in_progress: card.progress.counts.in_progress,
        plan_window: window.into_iter().map(Into::into).collect(),
        percent: card.progress.percent,
        last_update: card.last_update,
        usage: (&card.standing.spent).into(),
        stalled: card
            .stalled
            .into_iter()
            .map(|s| StalledSessionDto {
                work_session_id: s.work_session_id,
                name: s.name,
                stall: (&s.stall).into(),
            })
            .collect(),
        budget: (&card.standing).into(),
        attention: card.attention.iter().map(Into::into).collect(),
    }
}

/// The progress of one task, whose sessions stand as `sessions`, in two queries.
async fn progress_of(
    state: &AppState,
    task: &SpecTask,
    sessions: &[WorkSessionStanding],
) -> Result<ProgressDto, ApiError> {
    Ok(views::progress::task_progress(&state.store, task, sessions).await?.into())
}

/// The task's agent instance as its sessions show it.
pub(crate) fn agent_instance(task: &SpecTask, sessions: &[WorkSession]) -> AgentInstanceViewDto {
    let unfinished =
        |s: &&WorkSession| matches!(s.status(), WorkSessionStatus::Running | WorkSessionStatus::Blocked);
    AgentInstanceViewDto {
        live: task.status() == SpecTaskStatus::Implementation
            && sessions.iter().any(|s| s.status() == WorkSessionStatus::Running),
        profile: task.implementation_agent.clone(),
        threads: sessions.iter().filter(|s| s.started_at.is_some()).count(),
        started_at: sessions.iter().filter(unfinished).filter_map(|s| s.started_at).min(),
    }
}
