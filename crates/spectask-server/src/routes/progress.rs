//! The dashboard's read views: a task's progress, its multi-session overview (one request renders
//! the whole screen) and the fleet of live agent instances with where each is in its plan. The
//! live stream's `work_session.*` and `plan_progress.detected` events say when they change.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use spectask_core::{
    Event, EventKind, SpecTask, SpecTaskId, SpecTaskStatus, SpecVersion, TaskKind, WorkSession,
    WorkSessionStatus,
};
use spectask_orchestrator::plan_task_states;
use spectask_spec::{Plan, PlanTaskState};
use spectask_store::SpecTaskFilter;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    AgentInstanceViewDto, FleetAgentDto, FleetDto, MultiSessionOverviewDto, PlanTaskProgressDto,
    PlanTaskStateDto, ProgressCountsDto, ProgressDto, SessionProgressDto, StalledSessionDto,
};
use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::spec_tasks::{load, task_dto};
use crate::routes::work_sessions::sessions_dto;
use crate::{ApiError, AppState, Caller};

/// Coordination events the overview carries, newest last.
const RECENT_COORDINATION: usize = 50;
/// Plan tasks shown before and after the current one on a fleet card.
const WINDOW: usize = 3;
/// Live agent instances listed at most (WIP limits keep the real number far below).
const FLEET_MAX: i64 = 200;

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
    let sessions = state.store.work_sessions_of(task.id).await?;
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
    let progress = progress_of(&state, &task, &sessions).await?;
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

/// One entry per live agent instance (a task in implementation): the current plan task, up to 3
/// done before it and up to 3 after it (seed 003's fleet card).
#[utoipa::path(get, path = "/agents/fleet/live-progress", tag = "agents",
    responses((status = 200, description = "The live agent instances", body = FleetDto)))]
async fn get_fleet(State(state): State<AppState>, caller: Caller) -> Result<Json<FleetDto>, ApiError> {
    let filter = SpecTaskFilter {
        status: Some(SpecTaskStatus::Implementation),
        created_by: caller.owner_filter().map(str::to_owned),
        limit: FLEET_MAX,
        ..Default::default()
    };
    // A constant number of queries however many agents run: each read covers every listed task.
    let tasks = state.store.list_spec_tasks(&filter).await?.items;
    let ids: Vec<SpecTaskId> = tasks.iter().map(|t| t.id).collect();
    let mut sessions = by_task(state.store.work_sessions_of_tasks(&ids).await?, |s| Some(s.spec_task_id));
    let mut plans =
        by_task(state.store.latest_session_events_of_tasks(&ids, EventKind::WorkSessionPlan).await?, |e| {
            e.spec_task_id
        });
    let versions: HashMap<_, _> =
        state.store.current_spec_versions(&ids).await?.into_iter().map(|v| (v.spec_task_id, v)).collect();
    let repositories: HashMap<_, _> =
        state.store.list_repositories().await?.into_iter().map(|r| (r.id, r)).collect();
    let mut standings = state.store.budget_standings(&ids, &state.budgets.task).await?;
    let mut stalls = state.store.session_stalls(&ids).await?;
    let mut agents = Vec::with_capacity(tasks.len());
    for task in tasks {
        let sessions = sessions.remove(&task.id).unwrap_or_default();
        let plans = plans.remove(&task.id).unwrap_or_default();
        let progress = progress(&task, versions.get(&task.id), &sessions, &plans);
        let repository = repositories.get(&task.repository_id).ok_or_else(|| {
            ApiError::not_found(format!("repository {} of task {}", task.repository_id, task.id))
        })?;
        let (current, before, after) = window(&progress.tasks);
        let last_update = sessions
            .iter()
            .flat_map(|s| [Some(s.created_at), s.started_at, s.completed_at])
            .flatten()
            .chain([task.updated_at])
            .max()
            .unwrap_or(task.updated_at);
        let standing = standings
            .remove(&task.id)
            .ok_or_else(|| ApiError::not_found(format!("the budget of task {}", task.id)))?;
        let stalled = sessions
            .iter()
            .filter_map(|s| {
                let stall = stalls.remove(&s.id)?;
                Some(StalledSessionDto {
                    work_session_id: s.id,
                    name: s.name.clone(),
                    stall: (&stall).into(),
                })
            })
            .collect();
        agents.push(FleetAgentDto {
            agent_id: task.id.to_string(),
            profile: task.implementation_agent.clone(),
            task_id: task.id,
            task_name: task.title.clone(),
            repository: repository.path.display().to_string(),
            current_task: current,
            in_progress: progress.counts.in_progress,
            tasks_before: before,
            tasks_after: after,
            percent: progress.percent,
            last_update,
            usage: (&standing.spent).into(),
            stalled,
            budget: (&standing).into(),
        });
    }
    Ok(Json(FleetDto { agents }))
}

/// Rows of several tasks, grouped by the task `of` names.
fn by_task<T>(rows: Vec<T>, of: impl Fn(&T) -> Option<SpecTaskId>) -> HashMap<SpecTaskId, Vec<T>> {
    let mut grouped: HashMap<SpecTaskId, Vec<T>> = HashMap::new();
    for row in rows {
        if let Some(task) = of(&row) {
            grouped.entry(task).or_default().push(row);
        }
    }
    grouped
}

/// The progress of one task, in two queries.
async fn progress_of(
    state: &AppState,
    task: &SpecTask,
    sessions: &[WorkSession],
) -> Result<ProgressDto, ApiError> {
    let version = match task.spec_version {
        0 => None,
        version => Some(state.store.spec_version(task.id, Some(version)).await?),
    };
    let plans = state.store.latest_session_events(task.id, EventKind::WorkSessionPlan).await?;
    Ok(progress(task, version.as_ref(), sessions, &plans))
}

/// The progress view from the spec version the task is at, the sessions and each session's latest
/// plan event. Only a spec task has a plan.
fn progress(
    task: &SpecTask,
    version: Option<&SpecVersion>,
    sessions: &[WorkSession],
    plans: &[Event],
) -> ProgressDto {
    let plan = match version {
        Some(version) if task.kind == TaskKind::Spec => {
            plan_task_states(task, &Plan::parse(&version.documents.tasks), sessions)
        }
        _ => Vec::new(),
    };
    let started: HashMap<_, _> = sessions.iter().map(|s| (s.id, s.started_at)).collect();
    let tasks: Vec<PlanTaskProgressDto> = plan
        .iter()
        .enumerate()
        .map(|(index, t)| PlanTaskProgressDto {
            index,
            id: t.id.clone(),
            title: t.title.clone(),
            state: match t.state {
                PlanTaskState::Pending => PlanTaskStateDto::Pending,
                PlanTaskState::InProgress => PlanTaskStateDto::InProgress,
                PlanTaskState::Done => PlanTaskStateDto::Done,
            },
            optional: t.optional,
            sessions: t.sessions.clone(),
            started_at: t.sessions.iter().filter_map(|s| started.get(s).copied().flatten()).min(),
        })
        .collect();
    let mut counts = ProgressCountsDto::default();
    for t in &tasks {
        match t.state {
            PlanTaskStateDto::Pending => counts.pending += 1,
            PlanTaskStateDto::InProgress => counts.in_progress += 1,
            PlanTaskStateDto::Done => counts.done += 1,
        }
        counts.optional += usize::from(t.optional);
    }
    let required: Vec<_> = tasks.iter().filter(|t| !t.optional).collect();
    let done = required.iter().filter(|t| t.state == PlanTaskStateDto::Done).count();
    let by_session: HashMap<_, _> =
        plans.iter().filter_map(|e| Some((e.work_session_id?, &e.payload))).collect();
    let sessions = sessions
        .iter()
        .map(|s| {
            let plan = by_session.get(&s.id);
            let total = plan.and_then(|p| p["entries"].as_array()).map_or(0, Vec::len);
            let plan_done = plan.and_then(|p| p["done"].as_u64()).map_or(0, |d| d as usize).min(total);
            let percent =
                if s.status() == WorkSessionStatus::Completed { 100 } else { percent(plan_done, total) };
            SessionProgressDto {
                work_session_id: s.id,
                name: s.name.clone(),
                status: s.status(),
                percent,
                plan_done,
                plan_total: total,
                current_entry: plan.and_then(|p| p["current"].as_str()).map(str::to_owned),
            }
        })
        .collect();
    ProgressDto {
        spec_task_id: task.id,
        percent: percent(done, required.len()),
        counts,
        current: tasks.iter().filter(|t| t.state == PlanTaskStateDto::InProgress).cloned().collect(),
        tasks,
        sessions,
    }
}

fn percent(done: usize, total: usize) -> u8 {
    (done * 100).checked_div(total).map_or(0, |p| u8::try_from(p).unwrap_or(100))
}

/// The current plan task (the first in progress, else the first pending), up to `WINDOW` done
/// tasks before it (most recent last) and up to `WINDOW` tasks after it. Without a current task,
/// the last done ones.
fn window(
    tasks: &[PlanTaskProgressDto],
) -> (Option<PlanTaskProgressDto>, Vec<PlanTaskProgressDto>, Vec<PlanTaskProgressDto>) {
    let at = tasks
        .iter()
        .position(|t| t.state == PlanTaskStateDto::InProgress)
        .or_else(|| tasks.iter().position(|t| t.state == PlanTaskStateDto::Pending));
    let (current, head, tail) = match at {
        Some(i) => (Some(tasks[i].clone()), &tasks[..i], &tasks[i + 1..]),
        None => (None, tasks, &tasks[tasks.len()..]),
    };
    let done: Vec<_> = head.iter().filter(|t| t.state == PlanTaskStateDto::Done).cloned().collect();
    let before = done[done.len().saturating_sub(WINDOW)..].to_vec();
    let after = tail.iter().take(WINDOW).cloned().collect();
    (current, before, after)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(states: &str) -> Vec<PlanTaskProgressDto> {
        states
            .chars()
            .enumerate()
            .map(|(index, c)| PlanTaskProgressDto {
                index,
                id: Some(format!("{}", index + 1)),
                title: format!("task {}", index + 1),
                state: match c {
                    'x' => PlanTaskStateDto::Done,
                    '~' => PlanTaskStateDto::InProgress,
                    _ => PlanTaskStateDto::Pending,
                },
                optional: false,
                sessions: Vec::new(),
                started_at: None,
            })
            .collect()
    }

    fn indexes(tasks: &[PlanTaskProgressDto]) -> Vec<usize> {
        tasks.iter().map(|t| t.index).collect()
    }

    #[test]
    fn the_window_is_three_done_before_the_current_task_and_three_after() {
        let (current, before, after) = window(&plan("xxxxx~    "));
        assert_eq!(current.map(|t| t.index), Some(5));
        assert_eq!(indexes(&before), [2, 3, 4]);
        assert_eq!(indexes(&after), [6, 7, 8]);
    }

    #[test]
    fn without_a_task_in_progress_the_next_pending_one_is_current() {
        let (current, before, after) = window(&plan("x  "));
        assert_eq!(current.map(|t| t.index), Some(1));
        assert_eq!((indexes(&before), indexes(&after)), (vec![0], vec![2]));
        let (current, before, _) = window(&plan("xxxx"));
        assert!(current.is_none());
        assert_eq!(indexes(&before), [1, 2, 3]);
        assert_eq!(window(&[]).0.map(|t| t.index), None);
    }

    #[test]
    fn percent_counts_whole_tasks_and_is_zero_without_a_plan() {
        assert_eq!((percent(0, 0), percent(1, 3), percent(3, 3)), (0, 33, 100));
    }
}
