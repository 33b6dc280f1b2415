//! Attention: what each task and session waits for, one rule for every client. A permission answer,
//! a spec review (or the planner's questions), an implementation review, a budget that paused the
//! work, a silent agent, a failure, or a prerequisite that holds the task (followed down to the task
//! at the root of the hold), or a silent planning agent. The server serves it (`GET /api/v1/attention`, each task's
//! `attention`, the fleet's cards, the event stream's `attention` frames), and the dashboard and
//! `spectask task` show it as it is given.
//!
//! - `decide`: the pure rule, and the words for people.
//! - this file: the store's facts for it, read in a constant number of queries however many tasks.

mod decide;

use std::collections::HashMap;

use spectask_core::{
    BudgetHolder, BudgetScope, EventKind, SpecTask, SpecTaskId, SpecTaskStatus, WorkSessionId,
    WorkSessionStanding,
};
use spectask_store::{SessionStall, Store, StoreError};

pub use decide::{Attention, TaskRef, Waiting};
use decide::{BudgetHoldMark, Facts, PendingPermission, StallMark, VersionFacts};

/// Tasks judged at most by [`open_attention`]: the most recently changed open ones.
pub const OPEN_MAX: i64 = 500;

/// What the open tasks of `owner` (or everyone's, for `None`) and their sessions wait for: those that
/// need a person first, longest waiting first.
pub async fn open_attention(store: &Store, owner: Option<&str>) -> Result<Vec<Attention>, StoreError> {
    let tasks = store.open_spec_tasks(owner, OPEN_MAX).await?;
    let mut items = attention_of(store, &tasks).await?;
    sort(&mut items);
    Ok(items)
}

/// Whether an event of `kind` may change what some task waits for: a task made, moved, hidden,
/// given other prerequisites or held by one, a budget line crossed or a budget changed, a session moved, a
/// permission asked or answered, an agent silent or speaking again.
pub fn changed_by(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::SpecTaskCreated
            | EventKind::SpecTaskTransitioned
            | EventKind::SpecTaskHidden
            | EventKind::SpecTaskPrerequisitesChanged
            | EventKind::SpecTaskHeld
            | EventKind::SpecTaskBudget
            | EventKind::WorkSessionCreated
            | EventKind::WorkSessionTransitioned
            | EventKind::WorkSessionPermission
            | EventKind::WorkSessionStalled
    )
}

/// Those that need a person first, then the longest waiting.
pub fn sort(items: &mut [Attention]) {
    items.sort_by(|a, b| b.needs_you().cmp(&a.needs_you()).then(a.since.cmp(&b.since)));
}

/// What `tasks` and their sessions wait for, in task order. A constant number of queries.
pub async fn attention_of(store: &Store, tasks: &[SpecTask]) -> Result<Vec<Attention>, StoreError> {
    let open = open_tasks(tasks);
    let (read, stalls) =
        tokio::try_join!(store.work_session_standings_of_tasks(&open), store.session_stalls(&open))?;
    let mut sessions: HashMap<SpecTaskId, Vec<WorkSessionStanding>> = HashMap::new();
    for session in read {
        sessions.entry(session.spec_task_id).or_default().push(session);
    }
    let (items, _) = attention_with(store, tasks, sessions, &stalls).await?;
    Ok(items)
}

/// [`attention_of`], with where the sessions of every one of `tasks` stand (open or ended; by task,
/// in the order they were made) read once for a caller that shows them too: a board page, a task
/// page.
pub async fn attention_and_sessions(
    store: &Store,
    tasks: &[SpecTask],
) -> Result<(Vec<Attention>, HashMap<SpecTaskId, Vec<WorkSessionStanding>>), StoreError> {
    let ids: Vec<SpecTaskId> = tasks.iter().map(|t| t.id).collect();
    let open = open_tasks(tasks);
    let (read, stalls) =
        tokio::try_join!(store.work_session_standings_of_tasks(&ids), store.session_stalls(&open))?;
    let mut every: HashMap<SpecTaskId, Vec<WorkSessionStanding>> = HashMap::new();
    for session in read {
        every.entry(session.spec_task_id).or_default().push(session);
    }
    let of_open: HashMap<SpecTaskId, Vec<WorkSessionStanding>> =
        open.iter().filter_map(|id| every.remove_entry(id)).collect();
    let (items, of_open) = attention_with(store, tasks, of_open, &stalls).await?;
    every.extend(of_open);
    Ok((items, every))
}

/// What `tasks` and their sessions wait for, as [`attention_of`], given the sessions of the open ones
/// among them (by task, in the order they were made) and those sessions' stall marks, read once by
/// a caller that needs them too. Gives the sessions back.
pub async fn attention_with(
    store: &Store,
    tasks: &[SpecTask],
    sessions: HashMap<SpecTaskId, Vec<WorkSessionStanding>>,
    stalls: &HashMap<WorkSessionId, SessionStall>,
) -> Result<(Vec<Attention>, HashMap<SpecTaskId, Vec<WorkSessionStanding>>), StoreError> {
    let open = open_tasks(tasks);
    let of_status = |statuses: &[SpecTaskStatus]| -> Vec<SpecTaskId> {
        tasks.iter().filter(|t| statuses.contains(&t.status())).map(|t| t.id).collect()
    };
    let planning = of_status(&[SpecTaskStatus::SpecGeneration]);
    let in_review = of_status(&[SpecTaskStatus::SpecReview]);
    let waiting = of_status(&[
        SpecTaskStatus::Backlog,
        SpecTaskStatus::SpecRevision,
        SpecTaskStatus::ImplementationQueued,
    ]);
    // The facts do not depend on each other: read at once, the view waits for the slowest.
    let (permissions, planning_stalls, budget_holds, versions, prerequisites) = tokio::try_join!(
        store.pending_approvals_of_tasks(&open),
        store.planning_stalls(&planning),
        store.budget_holds(&open),
        store.current_spec_versions(&in_review),
        store.prerequisite_graph(&waiting),
    )?;
    let mut facts = Facts { sessions, ..Facts::default() };
    facts.permissions = permissions
        .into_iter()
        .map(|a| PendingPermission {
            approval_id: a.request.id,
            work_session_id: a.request.work_session_id,
            title: a.request.title,
            requested_at: a.requested_at,
        })
        .collect();
    facts.stalls = stalls
        .iter()
        .map(|(id, s)| {
            let mark =
                StallMark { since: s.since, last_activity_at: s.last_activity_at, policy: s.policy.clone() };
            (*id, mark)
        })
        .collect();
    facts.planning_stalls = planning_stalls
        .into_iter()
        .map(|(id, s)| {
            (id, StallMark { since: s.since, last_activity_at: s.last_activity_at, policy: s.policy })
        })
        .collect();
    facts.budget_holds = budget_holds
        .into_iter()
        .map(|(id, record)| {
            let holder = match record.hold.scope {
                None => BudgetHolder::Task,
                Some(BudgetScope::Repository) => BudgetHolder::Repository,
                Some(BudgetScope::User) => BudgetHolder::User,
            };
            (id, BudgetHoldMark { holder, why: record.hold.why, since: record.since })
        })
        .collect();
    facts.versions = versions
        .into_iter()
        .map(|v| {
            let facts = VersionFacts {
                version: v.version,
                questions: v.questions.len(),
                questions_only: v.is_questions_only(),
            };
            (v.spec_task_id, facts)
        })
        .collect();
    for edge in prerequisites {
        let entry =
            facts.prerequisites.entry(edge.spec_task_id).or_insert_with(|| (edge.hold_before, Vec::new()));
        entry.1.push(edge.prerequisite);
    }
    let items = decide::attention(tasks, &facts);
    Ok((items, facts.sessions))
}

/// The tasks among `tasks` that are not closed.
fn open_tasks(tasks: &[SpecTask]) -> Vec<SpecTaskId> {
    tasks.iter().filter(|t| !t.status().is_terminal()).map(|t| t.id).collect()
}
