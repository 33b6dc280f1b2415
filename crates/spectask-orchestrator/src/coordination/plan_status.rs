//! `plan_status`: what the other sessions of a task are doing, as an agent asks through its tools:
//! each plan task's state (by the rule every progress view shares, `views::plan_tasks`) and each
//! session's status, links and latest blocked report.

use std::collections::HashMap;

use spectask_core::{
    CoordinationKind, SpecTask, TaskKind, WorkSession, WorkSessionId, WorkSessionStanding, WorkSessionStatus,
};
use spectask_store::Store;

use crate::coordination::CoordinationError;
use crate::views::{PlanTaskStatus, plan_task_states};

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
            let standings: Vec<WorkSessionStanding> = sessions.iter().map(Into::into).collect();
            plan_task_states(&task, &version, &standings)
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
