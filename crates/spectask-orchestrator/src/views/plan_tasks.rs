//! The one rule of a plan task's state, from its work sessions. Every view of progress (a task's
//! progress, its fleet card, its exported report) and the agents' `plan_status` tool read it here.
//!
//! - **In progress** while one of its sessions runs.
//! - **Done** once every one of its sessions completed.
//! - Otherwise **to do** (pending): a session not started yet, blocked on its dependencies,
//!   interrupted (its agent stopped, or paused) or failed (it can be retried) has not done the work.
//!   So a plan task with a completed and a failed session is to do: part of its work failed.
//!
//! Cancelled sessions are left out. A plan task's sessions are its own; without any, those of the
//! nearest task above it (a session per top-level task covers its sub-tasks). A plan task with
//! required sub-tasks and no such sessions stands as they do: done when all are done, in progress
//! while one is. A simple task's whole-plan session is on every other required task, but in a
//! converge round's spec version: that version ticks what the session did, and its new plan tasks
//! get sessions of their own. A plan task no session is on keeps the state its plan gives it.

use std::collections::HashMap;

use spectask_core::{SpecTask, SpecVersion, WorkSessionId, WorkSessionStanding, WorkSessionStatus};
use spectask_spec::{Plan, PlanTaskState};

/// One plan task with the state its sessions give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanTaskStatus {
    pub id: Option<String>,
    pub title: String,
    pub state: PlanTaskState,
    pub optional: bool,
    /// The requirement and criterion ids it names.
    pub requirements: Vec<String>,
    /// The sessions working on it (for a task standing as its sub-tasks do, theirs).
    pub sessions: Vec<WorkSessionId>,
}

/// The plan tasks of `task`'s spec `version`, in plan order, with the state its `sessions` give
/// each.
pub fn plan_task_states(
    task: &SpecTask,
    version: &SpecVersion,
    sessions: &[WorkSessionStanding],
) -> Vec<PlanTaskStatus> {
    let plan = Plan::parse(&version.documents.tasks);
    states(task, &plan, sessions, !is_round_version(version))
}

/// [`plan_task_states`] of `plan`; `whole_plan` says whether a whole-plan session covers the
/// tasks without their own.
fn states(
    task: &SpecTask,
    plan: &Plan,
    sessions: &[WorkSessionStanding],
    whole_plan: bool,
) -> Vec<PlanTaskStatus> {
    let tasks = plan.tasks();
    let counted: Vec<&WorkSessionStanding> =
        sessions.iter().filter(|s| s.status() != WorkSessionStatus::Cancelled).collect();
    // Each plan task's own sessions, gathered in one pass over them (in their order).
    let mut by_index: HashMap<usize, Vec<&WorkSessionStanding>> = HashMap::new();
    for s in &counted {
        if let Some(index) = s.plan_task_index {
            by_index.entry(index as usize).or_default().push(s);
        }
    }
    let own =
        |index: usize| -> Vec<&WorkSessionStanding> { by_index.get(&index).cloned().unwrap_or_default() };
    let whole: Vec<&WorkSessionStanding> =
        counted.iter().copied().filter(|s| whole_plan && task.is_whole_plan_standing(s)).collect();
    let mut decided: Vec<Option<(PlanTaskState, Vec<WorkSessionId>)>> = vec![None; tasks.len()];
    // A sub-task comes after the task it belongs to: from the last one back, a task's sub-tasks are
    // decided before it.
    for t in tasks.iter().rev() {
        let mut on = own(t.index);
        let mut above = t.parent.filter(|&p| p < t.index);
        while on.is_empty()
            && let Some(p) = above
        {
            on = own(p);
            above = tasks.get(p).and_then(|p| p.parent).filter(|&q| q < p);
        }
        let required: Vec<&(PlanTaskState, Vec<WorkSessionId>)> = t
            .children
            .iter()
            .filter(|&&c| tasks.get(c).is_some_and(|c| !c.optional))
            .filter_map(|&c| decided.get(c).and_then(Option::as_ref))
            .collect();
        let state = if !on.is_empty() {
            (of_sessions(&on), on.iter().map(|s| s.id).collect())
        } else if !required.is_empty() {
            let mut ids: Vec<WorkSessionId> = Vec::new();
            for id in required.iter().flat_map(|(_, ids)| ids) {
                if !ids.contains(id) {
                    ids.push(*id);
                }
            }
            (of_sub_tasks(required.iter().map(|(state, _)| *state)), ids)
        } else if !t.optional && !whole.is_empty() {
            (of_sessions(&whole), whole.iter().map(|s| s.id).collect())
        } else {
            (t.state, Vec::new())
        };
        decided[t.index] = Some(state);
    }
    tasks
        .iter()
        .zip(decided)
        .map(|(t, decided)| {
            let (state, sessions) = decided.unwrap_or((t.state, Vec::new()));
            PlanTaskStatus {
                id: t.id.clone(),
                title: t.title.clone(),
                state,
                optional: t.optional,
                requirements: t.requirements.clone(),
                sessions,
            }
        })
        .collect()
}

/// The state the sessions on a plan task (at least one, none cancelled) give it.
fn of_sessions(on: &[&WorkSessionStanding]) -> PlanTaskState {
    if on.iter().any(|s| s.status() == WorkSessionStatus::Running) {
        PlanTaskState::InProgress
    } else if on.iter().all(|s| s.status() == WorkSessionStatus::Completed) {
        PlanTaskState::Done
    } else {
        PlanTaskState::Pending
    }
}

/// The state of a plan task that stands as its required sub-tasks do (at least one).
fn of_sub_tasks(mut states: impl Iterator<Item = PlanTaskState> + Clone) -> PlanTaskState {
    if states.clone().any(|s| s == PlanTaskState::InProgress) {
        PlanTaskState::InProgress
    } else if states.all(|s| s == PlanTaskState::Done) {
        PlanTaskState::Done
    } else {
        PlanTaskState::Pending
    }
}

/// The planner a converge round's spec version names, before the round's number.
pub(crate) const ROUND_PLANNER: &str = "converge round";

/// Whether `version` is a converge round's: the plan with the round's tasks appended, the rest
/// ticked as done.
pub fn is_round_version(version: &spectask_core::SpecVersion) -> bool {
    version.planner.strip_prefix(ROUND_PLANNER).is_some_and(|n| n.trim().parse::<u32>().is_ok())
}

#[cfg(test)]
mod tests;
