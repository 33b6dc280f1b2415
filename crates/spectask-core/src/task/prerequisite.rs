//! Prerequisites between SpecTasks: a task waits until every task it depends on is done (AND), and
//! a prerequisite that failed, was rejected or was cancelled holds it until a person acts (fail
//! closed). Pure: the store reads the tasks and applies what is decided here.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{SpecTaskId, SpecTaskStatus};

/// The phase a task's prerequisites hold it before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum HoldBefore {
    /// The task is planned meanwhile; implementation waits.
    #[default]
    Implementation,
    /// Nothing starts, not even planning.
    Planning,
}

crate::named_enum!(HoldBefore, "phase to hold before", {
    Implementation => "implementation",
    Planning => "planning",
});

/// A prerequisite as the dependent task sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prerequisite {
    pub id: SpecTaskId,
    pub title: String,
    pub status: SpecTaskStatus,
}

impl Prerequisite {
    fn named(&self) -> String {
        format!("{} {:?}", self.id.short(), self.title)
    }
}

/// Whether moving a task out of `from` starts the phase `hold` keeps it from: planning is started
/// from the backlog or a spec revision, implementation from the implementation queue.
pub fn holds(hold: HoldBefore, from: SpecTaskStatus) -> bool {
    match from {
        SpecTaskStatus::ImplementationQueued => true,
        SpecTaskStatus::Backlog | SpecTaskStatus::SpecRevision => hold == HoldBefore::Planning,
        _ => false,
    }
}

/// How the reason of a task held by a prerequisite that ended without being done begins.
pub const HELD: &str = "held: ";

/// Whether a task's waiting reason says a prerequisite that ended holds it.
pub fn is_held(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| r.starts_with(HELD))
}

/// Whether a prerequisite in `status` ended without being done: it holds its dependents.
fn ended(status: SpecTaskStatus) -> bool {
    matches!(status, SpecTaskStatus::Failed | SpecTaskStatus::Rejected | SpecTaskStatus::Cancelled)
}

/// What holds a task for good until a person acts: a prerequisite that ended without being done,
/// directly or further down the chain of prerequisites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrerequisiteHold {
    /// The task's own prerequisite that holds it.
    pub prerequisite: Prerequisite,
    /// The task at the root: `prerequisite` itself, or a prerequisite of it (or of one of those …)
    /// that failed, was rejected or was cancelled.
    pub root: Prerequisite,
}

impl PrerequisiteHold {
    /// What a person can do: retry the root when it failed (a failed task is retried; a rejected or
    /// cancelled one cannot be), or remove the task's prerequisite.
    fn advice(&self) -> String {
        let remove = format!("remove {} from this task's prerequisites", self.prerequisite.id.short());
        match self.root.status {
            SpecTaskStatus::Failed => format!("retry {}, or {remove}", self.root.id.short()),
            status => format!("a {} task cannot be retried: {remove}", status.as_str()),
        }
    }

    fn describe(&self) -> String {
        if self.root.id == self.prerequisite.id {
            format!("{} is {}", self.prerequisite.named(), self.root.status.as_str())
        } else {
            format!(
                "{} is held by {}, which is {}",
                self.prerequisite.named(),
                self.root.named(),
                self.root.status.as_str()
            )
        }
    }
}

/// What holds a task with `prerequisites` for good, if anything: its own prerequisite that ended,
/// else the first whose chain (`all`: each task's prerequisites) leads to one that ended. Cycles
/// are refused when prerequisites are set; one found here is not followed twice.
pub fn holds_of(
    prerequisites: &[Prerequisite],
    all: &HashMap<SpecTaskId, Vec<Prerequisite>>,
) -> Vec<PrerequisiteHold> {
    let direct: Vec<PrerequisiteHold> = prerequisites
        .iter()
        .filter(|p| ended(p.status))
        .map(|p| PrerequisiteHold { prerequisite: p.clone(), root: p.clone() })
        .collect();
    if !direct.is_empty() {
        return direct;
    }
    let mut seen = HashSet::new();
    prerequisites
        .iter()
        .filter(|p| p.status != SpecTaskStatus::Done)
        .find_map(|p| {
            root_below(p.id, all, &mut seen).map(|root| PrerequisiteHold { prerequisite: p.clone(), root })
        })
        .into_iter()
        .collect()
}

/// The first prerequisite that ended below `task`, depth first.
fn root_below(
    task: SpecTaskId,
    all: &HashMap<SpecTaskId, Vec<Prerequisite>>,
    seen: &mut HashSet<SpecTaskId>,
) -> Option<Prerequisite> {
    if !seen.insert(task) {
        return None;
    }
    let below = all.get(&task)?;
    if let Some(root) = below.iter().find(|p| ended(p.status)) {
        return Some(root.clone());
    }
    below.iter().filter(|p| p.status != SpecTaskStatus::Done).find_map(|p| root_below(p.id, all, seen))
}

/// Why a task with these prerequisites may not start yet, or `None` when every one is done: held
/// (naming the root of the hold, however far down, and what a person can do) or waiting. `all`
/// holds each task's prerequisites, for holds further down.
pub fn waiting_reason(
    prerequisites: &[Prerequisite],
    all: &HashMap<SpecTaskId, Vec<Prerequisite>>,
) -> Option<String> {
    let holds = holds_of(prerequisites, all);
    if !holds.is_empty() {
        let what: Vec<String> = holds.iter().map(PrerequisiteHold::describe).collect();
        let advice: Vec<String> = holds.iter().map(PrerequisiteHold::advice).collect();
        return Some(format!("{HELD}prerequisite {}; {}", what.join(", "), advice.join("; ")));
    }
    let open: Vec<String> = prerequisites
        .iter()
        .filter(|p| p.status != SpecTaskStatus::Done)
        .map(|p| format!("{} ({})", p.named(), p.status.as_str()))
        .collect();
    (!open.is_empty()).then(|| format!("waiting for prerequisite {}", open.join(", ")))
}

/// Whether a task in `status` may still have its prerequisites changed: not once its
/// implementation has started.
pub fn editable(status: SpecTaskStatus) -> bool {
    matches!(
        status,
        SpecTaskStatus::Backlog
            | SpecTaskStatus::SpecGeneration
            | SpecTaskStatus::SpecReview
            | SpecTaskStatus::SpecRevision
            | SpecTaskStatus::SpecApproved
            | SpecTaskStatus::ImplementationQueued
    )
}

/// The cycle that giving `task` the prerequisites `wanted` would close, as the chain of tasks from
/// `task` back to itself; `edges` maps each task to its current prerequisites.
pub fn cycle(
    edges: &HashMap<SpecTaskId, Vec<SpecTaskId>>,
    task: SpecTaskId,
    wanted: &[SpecTaskId],
) -> Option<Vec<SpecTaskId>> {
    for start in wanted {
        // Depth-first from the new prerequisite, along prerequisites, looking for `task`.
        let mut stack = vec![vec![task, *start]];
        let mut seen = HashSet::new();
        while let Some(path) = stack.pop() {
            let Some(&last) = path.last() else { continue };
            if last == task {
                return Some(path);
            }
            if !seen.insert(last) {
                continue;
            }
            for next in edges.get(&last).into_iter().flatten() {
                let mut longer = path.clone();
                longer.push(*next);
                stack.push(longer);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> SpecTaskId {
        SpecTaskId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn prerequisite(n: u128, status: SpecTaskStatus) -> Prerequisite {
        Prerequisite { id: id(n), title: format!("task {n}"), status }
    }

    #[test]
    fn every_prerequisite_must_be_done_and_an_ended_one_holds_the_task() {
        let none = HashMap::new();
        assert_eq!(waiting_reason(&[], &none), None);
        let done = prerequisite(1, SpecTaskStatus::Done);
        assert_eq!(waiting_reason(std::slice::from_ref(&done), &none), None);
        let open = prerequisite(2, SpecTaskStatus::Implementation);
        let reason = waiting_reason(&[done.clone(), open], &none).unwrap();
        assert!(
            reason.starts_with("waiting for prerequisite") && reason.contains("(implementation)"),
            "{reason}"
        );
        let failed = prerequisite(3, SpecTaskStatus::Failed);
        let reason =
            waiting_reason(&[done, prerequisite(2, SpecTaskStatus::Backlog), failed], &none).unwrap();
        assert!(reason.starts_with("held: prerequisite") && reason.contains("is failed"), "{reason}");
        assert!(reason.contains(&format!("retry {}", id(3).short())), "{reason}");
    }

    #[test]
    fn retry_is_advised_only_where_it_works() {
        let none = HashMap::new();
        for status in [SpecTaskStatus::Rejected, SpecTaskStatus::Cancelled] {
            let reason = waiting_reason(&[prerequisite(1, status)], &none).unwrap();
            assert!(!reason.contains("retry 0"), "{reason}");
            assert!(reason.contains("cannot be retried") && reason.contains("remove"), "{reason}");
        }
    }

    #[test]
    fn a_hold_further_down_names_its_root() {
        // This task needs 2 (waiting), 2 needs 3 (waiting), 3 needs 4, which was cancelled.
        let all = HashMap::from([
            (id(2), vec![prerequisite(3, SpecTaskStatus::Backlog)]),
            (id(3), vec![prerequisite(5, SpecTaskStatus::Done), prerequisite(4, SpecTaskStatus::Cancelled)]),
        ]);
        let mine = [prerequisite(2, SpecTaskStatus::Backlog)];
        let holds = holds_of(&mine, &all);
        assert_eq!(holds.len(), 1);
        assert_eq!((holds[0].prerequisite.id, holds[0].root.id), (id(2), id(4)));
        let reason = waiting_reason(&mine, &all).unwrap();
        assert!(reason.starts_with("held: prerequisite"), "{reason}");
        assert!(reason.contains("is held by") && reason.contains("which is cancelled"), "{reason}");
        assert!(reason.contains(&format!("remove {}", id(2).short())), "{reason}");
        // A cycle on record is not followed forever.
        let looped = HashMap::from([
            (id(2), vec![prerequisite(3, SpecTaskStatus::Backlog)]),
            (id(3), vec![prerequisite(2, SpecTaskStatus::Backlog)]),
        ]);
        assert!(waiting_reason(&mine, &looped).unwrap().starts_with("waiting for"));
    }

    #[test]
    fn the_phase_held_is_the_one_chosen() {
        assert!(holds(HoldBefore::Implementation, SpecTaskStatus::ImplementationQueued));
        assert!(!holds(HoldBefore::Implementation, SpecTaskStatus::Backlog));
        assert!(holds(HoldBefore::Planning, SpecTaskStatus::Backlog));
        assert!(holds(HoldBefore::Planning, SpecTaskStatus::SpecRevision));
        assert!(holds(HoldBefore::Planning, SpecTaskStatus::ImplementationQueued));
        assert!(!holds(HoldBefore::Planning, SpecTaskStatus::SpecReview));
    }

    #[test]
    fn a_cycle_is_found_with_its_chain() {
        // 1 needs 2, 2 needs 3.
        let edges = HashMap::from([(id(1), vec![id(2)]), (id(2), vec![id(3)])]);
        assert_eq!(cycle(&edges, id(3), &[id(1)]), Some(vec![id(3), id(1), id(2), id(3)]));
        assert_eq!(cycle(&edges, id(3), &[id(3)]), Some(vec![id(3), id(3)]));
        assert_eq!(cycle(&edges, id(4), &[id(1)]), None);
        assert_eq!(cycle(&edges, id(1), &[id(3)]), None);
    }
}
