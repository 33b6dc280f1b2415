//! A task's progress: each plan task's state as its sessions give it (`plan_tasks`' rule), the
//! share of required plan tasks done, and how far each session is through its agent's own plan (its
//! latest `work_session.plan` event).

use std::collections::HashMap;

use spectask_core::events::payload::WorkSessionPlan;
use spectask_core::{
    Event, EventKind, SpecTask, SpecTaskId, SpecVersion, TaskKind, Timestamp, WorkSessionId,
    WorkSessionStanding, WorkSessionStatus,
};
use spectask_spec::PlanTaskState;
use spectask_store::{Store, StoreError};

use crate::views::plan_tasks::plan_task_states;

/// A task's progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub spec_task_id: SpecTaskId,
    /// Required plan tasks done, in percent (0 without a plan).
    pub percent: u8,
    pub counts: ProgressCounts,
    /// Every plan task, in plan order.
    pub tasks: Vec<PlanTaskProgress>,
    pub sessions: Vec<SessionProgress>,
}

impl Progress {
    /// The plan tasks in progress.
    pub fn current(&self) -> impl Iterator<Item = &PlanTaskProgress> {
        self.tasks.iter().filter(|t| t.state == PlanTaskState::InProgress)
    }

    /// The plan task the work is on: the first in progress, else the first still to do.
    pub fn current_or_next(&self) -> Option<&PlanTaskProgress> {
        self.current().next().or_else(|| self.tasks.iter().find(|t| t.state == PlanTaskState::Pending))
    }
}

/// Plan tasks per state; `optional` counts the optional ones whatever their state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressCounts {
    pub pending: usize,
    pub in_progress: usize,
    pub done: usize,
    pub optional: usize,
}

/// One plan task with the state its sessions give it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanTaskProgress {
    /// Position in the plan, 0-based.
    pub index: usize,
    pub id: Option<String>,
    pub title: String,
    pub state: PlanTaskState,
    pub optional: bool,
    pub sessions: Vec<WorkSessionId>,
    /// When its first session started.
    pub started_at: Option<Timestamp>,
}

/// How far one session is through its agent's own plan.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionProgress {
    pub work_session_id: WorkSessionId,
    pub name: String,
    pub status: WorkSessionStatus,
    /// 100 once completed; before, the share of its agent's plan entries completed, at most 99.
    pub percent: u8,
    pub plan_done: usize,
    pub plan_total: usize,
    /// The plan entry the agent is on.
    pub current_entry: Option<String>,
}

/// The progress of `task`, whose sessions stand as `sessions`, in two reads made at once.
pub async fn task_progress(
    store: &Store,
    task: &SpecTask,
    sessions: &[WorkSessionStanding],
) -> Result<Progress, StoreError> {
    let version = async {
        match task.spec_version {
            0 => Ok(None),
            version => store.spec_version(task.id, Some(version)).await.map(Some),
        }
    };
    let (version, plans) =
        tokio::try_join!(version, store.latest_session_events(task.id, EventKind::WorkSessionPlan))?;
    Ok(progress(task, version.as_ref(), sessions, &plans))
}

/// The progress from the spec version the task is at, its sessions and each session's latest plan
/// event. Only a spec task has a plan.
pub fn progress(
    task: &SpecTask,
    version: Option<&SpecVersion>,
    sessions: &[WorkSessionStanding],
    plans: &[Event],
) -> Progress {
    let plan = match version {
        Some(version) if task.kind == TaskKind::Spec => plan_task_states(task, version, sessions),
        _ => Vec::new(),
    };
    let started: HashMap<_, _> = sessions.iter().map(|s| (s.id, s.started_at)).collect();
    let tasks: Vec<PlanTaskProgress> = plan
        .iter()
        .enumerate()
        .map(|(index, t)| PlanTaskProgress {
            index,
            id: t.id.clone(),
            title: t.title.clone(),
            state: t.state,
            optional: t.optional,
            sessions: t.sessions.clone(),
            started_at: t.sessions.iter().filter_map(|s| started.get(s).copied().flatten()).min(),
        })
        .collect();
    let mut counts = ProgressCounts::default();
    for t in &tasks {
        match t.state {
            PlanTaskState::Pending => counts.pending += 1,
            PlanTaskState::InProgress => counts.in_progress += 1,
            PlanTaskState::Done => counts.done += 1,
        }
        counts.optional += usize::from(t.optional);
    }
    let required: Vec<_> = tasks.iter().filter(|t| !t.optional).collect();
    let done = required.iter().filter(|t| t.state == PlanTaskState::Done).count();
    let by_session: HashMap<_, _> =
        plans.iter().filter_map(|e| Some((e.work_session_id?, e.payload_as::<WorkSessionPlan>()?))).collect();
    let sessions = sessions
        .iter()
        .map(|s| {
            let plan = by_session.get(&s.id);
            let total = plan.map_or(0, |p| p.entries.len());
            let plan_done = plan.map_or(0, |p| p.done).min(total);
            // A session is not done before it completed, whatever its agent's plan says.
            let percent = match s.status() {
                WorkSessionStatus::Completed => 100,
                _ => percent(plan_done, total).min(99),
            };
            SessionProgress {
                work_session_id: s.id,
                name: s.name.clone(),
                status: s.status(),
                percent,
                plan_done,
                plan_total: total,
                current_entry: plan.and_then(|p| p.current.clone()),
            }
        })
        .collect();
    Progress { spec_task_id: task.id, percent: percent(done, required.len()), counts, tasks, sessions }
}

/// Where one task of a list stands in its plan: what a board's card shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanStanding {
    /// Required plan tasks done, in percent (0 without a plan).
    pub percent: u8,
    /// Plan tasks in its spec (0 without a plan).
    pub plan_tasks: usize,
    /// Its sessions running now.
    pub sessions_running: usize,
}

/// How far each of `tasks` is in its plan, given their sessions (by task, in the order they were
/// made; see [`crate::views::attention::attention_and_sessions`]), in one read whatever their number
/// (their current spec versions): a list's cards need no request of their own.
pub async fn plan_standings(
    store: &Store,
    tasks: &[SpecTask],
    mut sessions: HashMap<SpecTaskId, Vec<WorkSessionStanding>>,
) -> Result<HashMap<SpecTaskId, PlanStanding>, StoreError> {
    if tasks.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<SpecTaskId> = tasks.iter().map(|t| t.id).collect();
    let versions: HashMap<_, _> =
        store.current_spec_versions(&ids).await?.into_iter().map(|v| (v.spec_task_id, v)).collect();
    Ok(tasks
        .iter()
        .map(|task| {
            let sessions = sessions.remove(&task.id).unwrap_or_default();
            let progress = progress(task, versions.get(&task.id), &sessions, &[]);
            let standing = PlanStanding {
                percent: progress.percent,
                plan_tasks: progress.tasks.len(),
                sessions_running: sessions
                    .iter()
                    .filter(|s| s.status() == WorkSessionStatus::Running)
                    .count(),
            };
            (task.id, standing)
        })
        .collect())
}

fn percent(done: usize, total: usize) -> u8 {
    (done * 100).checked_div(total).map_or(0, |p| u8::try_from(p).unwrap_or(100))
}

/// The plan tasks a fleet card shows, in plan order: every one in progress, up to `width` done ones
/// before the first of them and up to `width` to do after it. Without one in progress, the same
/// around the first to do (the next one); without one to do, the last `width` done.
pub fn window(tasks: &[PlanTaskProgress], width: usize) -> Vec<PlanTaskProgress> {
    let at = tasks
        .iter()
        .position(|t| t.state == PlanTaskState::InProgress)
        .or_else(|| tasks.iter().position(|t| t.state == PlanTaskState::Pending))
        .unwrap_or(tasks.len());
    let done: Vec<usize> =
        tasks[..at].iter().filter(|t| t.state == PlanTaskState::Done).map(|t| t.index).collect();
    let before = &done[done.len().saturating_sub(width)..];
    let next: Vec<usize> = tasks[at..]
        .iter()
        .filter(|t| t.state == PlanTaskState::Pending)
        .take(width)
        .map(|t| t.index)
        .collect();
    tasks
        .iter()
        .filter(|t| {
            t.state == PlanTaskState::InProgress || before.contains(&t.index) || next.contains(&t.index)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(states: &str) -> Vec<PlanTaskProgress> {
        states
            .chars()
            .enumerate()
            .map(|(index, c)| PlanTaskProgress {
                index,
                id: Some(format!("{}", index + 1)),
                title: format!("task {}", index + 1),
                state: match c {
                    'x' => PlanTaskState::Done,
                    '~' => PlanTaskState::InProgress,
                    _ => PlanTaskState::Pending,
                },
                optional: false,
                sessions: Vec::new(),
                started_at: None,
            })
            .collect()
    }

    fn indexes(tasks: &[PlanTaskProgress]) -> Vec<usize> {
        tasks.iter().map(|t| t.index).collect()
    }

    #[test]
    fn the_window_is_every_task_in_progress_three_done_before_and_three_to_do_after() {
        assert_eq!(indexes(&window(&plan("xxxxx~    "), 3)), [2, 3, 4, 5, 6, 7, 8]);
        // Parallel sessions: every plan task in progress is on the card, not only the first.
        assert_eq!(indexes(&window(&plan("xx~ ~x~    "), 3)), [0, 1, 2, 3, 4, 6, 7, 8]);
    }

    #[test]
    fn without_a_task_in_progress_the_window_starts_at_the_next_one_to_do() {
        assert_eq!(indexes(&window(&plan("x  "), 3)), [0, 1, 2]);
        assert_eq!(indexes(&window(&plan("xxxx"), 3)), [1, 2, 3]);
        assert!(window(&[], 3).is_empty());
    }

    #[test]
    fn the_current_task_is_the_first_in_progress_else_the_first_to_do() {
        let of = |states: &str| {
            let tasks = plan(states);
            let progress = Progress {
                spec_task_id: spectask_core::SpecTaskId::from_uuid(uuid::Uuid::nil()),
                percent: 0,
                counts: ProgressCounts::default(),
                tasks,
                sessions: Vec::new(),
            };
            progress.current_or_next().map(|t| t.index)
        };
        assert_eq!((of("x ~"), of("x  "), of("xx")), (Some(2), Some(1), None));
    }

    #[test]
    fn percent_counts_whole_tasks_and_is_zero_without_a_plan() {
        assert_eq!((percent(0, 0), percent(1, 3), percent(3, 3)), (0, 33, 100));
    }
}
