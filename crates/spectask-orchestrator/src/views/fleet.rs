//! The fleet: one card per live agent instance (a task in implementation), with where it is in its
//! plan, what it spent and which of its sessions went silent.

use std::collections::HashMap;
use std::path::PathBuf;

use spectask_core::{Budget, EventKind, SpecTask, SpecTaskId, SpecTaskStatus, Timestamp, WorkSessionId};
use spectask_store::{BudgetStanding, SessionStall, SpecTaskFilter, Store, StoreError};

use crate::views::attention::{Attention, attention_with};
use crate::views::progress::{PlanTaskProgress, Progress, progress, window};

/// Done plan tasks shown before those in progress on a card, and plan tasks to do after them.
const WINDOW: usize = 3;
/// Live agent instances listed at most (WIP limits keep the real number far below).
const FLEET_MAX: i64 = 200;

/// One live agent instance.
#[derive(Clone, Debug)]
pub struct FleetCard {
    pub task: SpecTask,
    /// Where the task's repository is.
    pub repository: PathBuf,
    pub progress: Progress,
    /// Every plan task in progress, up to 3 done before them and up to 3 to do after them.
    pub window: Vec<PlanTaskProgress>,
    /// The task's newest change: its own, or a session's creation, start or end.
    pub last_update: Timestamp,
    pub standing: BudgetStanding,
    pub stalled: Vec<StalledSession>,
    /// What the task and its sessions wait for (a permission answer, a budget, a silent agent …).
    pub attention: Vec<Attention>,
}

/// A session of the card's task whose agent went silent.
#[derive(Clone, Debug)]
pub struct StalledSession {
    pub work_session_id: WorkSessionId,
    pub name: String,
    pub stall: SessionStall,
}

/// The cards of the tasks in implementation (of `owner`, else of everyone), each task's budget
/// `default_budget` unless it has its own. A constant number of reads however many agents run:
/// each read covers every listed task.
pub async fn fleet(
    store: &Store,
    owner: Option<&str>,
    default_budget: &Budget,
) -> Result<Vec<FleetCard>, StoreError> {
    let filter = SpecTaskFilter {
        status: Some(SpecTaskStatus::Implementation),
        created_by: owner.map(str::to_owned),
        limit: FLEET_MAX,
        ..Default::default()
    };
    let tasks = store.list_spec_tasks(&filter).await?.items;
    let ids: Vec<SpecTaskId> = tasks.iter().map(|t| t.id).collect();
    // Every listed task is in implementation, so open: the attention needs the same sessions and
    // stalls. The reads do not depend on each other: made at once, the view waits for the slowest.
    let (sessions, plans, versions, repositories, mut standings, mut stalls) = tokio::try_join!(
        store.work_session_standings_of_tasks(&ids),
        store.latest_session_events_of_tasks(&ids, EventKind::WorkSessionPlan),
        store.current_spec_versions(&ids),
        store.list_repositories(),
        store.budget_standings(&ids, default_budget),
        store.session_stalls(&ids),
    )?;
    let sessions = by_task(sessions, |s| Some(s.spec_task_id));
    let mut plans = by_task(plans, |e| e.spec_task_id);
    let versions: HashMap<_, _> = versions.into_iter().map(|v| (v.spec_task_id, v)).collect();
    let repositories: HashMap<_, _> = repositories.into_iter().map(|r| (r.id, r)).collect();
    let (items, mut sessions) = attention_with(store, &tasks, sessions, &stalls).await?;
    let mut attention: HashMap<SpecTaskId, Vec<Attention>> = HashMap::new();
    for item in items {
        attention.entry(item.spec_task_id).or_default().push(item);
    }
    let mut cards = Vec::with_capacity(tasks.len());
    for task in tasks {
        let sessions = sessions.remove(&task.id).unwrap_or_default();
        let plans = plans.remove(&task.id).unwrap_or_default();
        let progress = progress(&task, versions.get(&task.id), &sessions, &plans);
        let repository = repositories.get(&task.repository_id).ok_or_else(|| StoreError::NotFound {
            entity: "repository",
            reference: format!("{} of task {}", task.repository_id, task.id),
        })?;
        let window = window(&progress.tasks, WINDOW);
        let last_update = sessions
            .iter()
            .flat_map(|s| [Some(s.created_at), s.started_at, s.completed_at])
            .flatten()
            .chain([task.updated_at])
            .max()
            .unwrap_or(task.updated_at);
        let standing = standings.remove(&task.id).ok_or_else(|| StoreError::NotFound {
            entity: "budget",
            reference: format!("of task {}", task.id),
        })?;
        let stalled = sessions
            .iter()
            .filter_map(|s| {
                let stall = stalls.remove(&s.id)?;
                Some(StalledSession { work_session_id: s.id, name: s.name.clone(), stall })
            })
            .collect();
        cards.push(FleetCard {
            attention: attention.remove(&task.id).unwrap_or_default(),
            repository: repository.path.clone(),
            task,
            progress,
            window,
            last_update,
            standing,
            stalled,
        });
    }
    Ok(cards)
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
