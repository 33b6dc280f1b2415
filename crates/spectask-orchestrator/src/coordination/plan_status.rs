//! `plan_status`: what the other sessions of a task are doing, as an agent asks through its tools:
//! each plan task's state (the approved plan, brought up to date by the sessions working on it) and
//! each session's status, links and latest blocked report.

use std::collections::HashMap;

use spectask_core::{CoordinationKind, SpecTask, TaskKind, WorkSession, WorkSessionId, WorkSessionStatus};
use spectask_spec::{Plan, PlanTaskState};
use spectask_store::Store;

use crate::coordination::CoordinationError;

/// One plan task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanTaskStatus {
    pub id: Option<String>,
    pub title: String,
    pub state: PlanTaskState,
    pub optional: bool,
    /// The requirement and criterion ids it names.
    pub requirements: Vec<String>,
    /// The sessions working on it.
    pub sessions: Vec<WorkSessionId>,
}

/// One work session.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionStatus {
    pub session: WorkSession,
    /// Its latest blocked report (by itself or by the orchestrator), while it has not finished.
    pub blocked: Option<String>,
    pub summary: Option<String>,
}

/// The whole picture.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanStatus {
    pub task: SpecTask,
    pub you: WorkSessionId,
    /// Empty for tasks without a plan.
    pub plan: Vec<PlanTaskStatus>,
    pub sessions: Vec<SessionStatus>,
}

pub async fn plan_status(store: &Store, caller: &WorkSession) -> Result<PlanStatus, CoordinationError> {
    let task = store.spec_task(caller.spec_task_id).await?;
    let sessions = store.work_sessions_of(task.id).await?;
    let mut blocked: HashMap<WorkSessionId, String> = HashMap::new();
    for event in store.coordination_log(task.id).await? {
        let Some(from) = event.from_session else { continue };
        match event.kind {
            CoordinationKind::SessionBlocked => {
                blocked.insert(from, event.message);
            }
            CoordinationKind::SessionUnblocked | CoordinationKind::SessionStarted => {
                blocked.remove(&from);
            }
            _ => {}
        }
    }
    let plan = match task.kind {
        TaskKind::Spec if task.spec_version > 0 => {
            let version = store.spec_version(task.id, Some(task.spec_version)).await?;
            plan_task_states(&task, &Plan::parse(&version.documents.tasks), &sessions)
        }
        _ => Vec::new(),
    };
    let mut details = store.work_session_details(task.id).await?;
    let mut out = Vec::new();
    for session in sessions {
        let finished = matches!(
            session.status(),
            WorkSessionStatus::Completed | WorkSessionStatus::Cancelled | WorkSessionStatus::Failed
        );
        let summary = details.remove(&session.id).and_then(|(_, summary)| summary);
        let blocked = blocked.remove(&session.id).filter(|_| !finished);
        out.push(SessionStatus { session, blocked, summary });
    }
    Ok(PlanStatus { task, you: caller.id, plan, sessions: out })
}

/// The plan's tasks of `task` with the state the sessions give them: done when every session on it
/// completed, in progress while one runs, otherwise as the plan says. A simple task's whole-plan
/// session is on every task that is not optional. Also what the dashboard's progress views show.
pub fn plan_task_states(task: &SpecTask, plan: &Plan, sessions: &[WorkSession]) -> Vec<PlanTaskStatus> {
    let whole: Vec<&WorkSession> = sessions.iter().filter(|s| task.is_whole_plan_session(s)).collect();
    plan.tasks()
        .iter()
        .map(|t| {
            let mut on: Vec<&WorkSession> = sessions
                .iter()
                .filter(|s| s.plan_task.as_ref().is_some_and(|p| p.index as usize == t.index))
                .collect();
            if on.is_empty() && !t.optional {
                on.clone_from(&whole);
            }
            let state = if !on.is_empty() && on.iter().all(|s| s.status() == WorkSessionStatus::Completed) {
                PlanTaskState::Done
            } else if on
                .iter()
                .any(|s| matches!(s.status(), WorkSessionStatus::Running | WorkSessionStatus::Interrupted))
            {
                PlanTaskState::InProgress
            } else {
                t.state
            };
            PlanTaskStatus {
                id: t.id.clone(),
                title: t.title.clone(),
                state,
                optional: t.optional,
                requirements: t.requirements.clone(),
                sessions: on.iter().map(|s| s.id).collect(),
            }
        })
        .collect()
}
