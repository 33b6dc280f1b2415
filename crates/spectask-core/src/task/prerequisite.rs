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

/// Why a task with these prerequisites may not start yet, or `None` when every one is done.
pub fn waiting_reason(prerequisites: &[Prerequisite]) -> Option<String> {
    let ended: Vec<String> = prerequisites
        .iter()
        .filter(|p| {
            matches!(p.status, SpecTaskStatus::Failed | SpecTaskStatus::Rejected | SpecTaskStatus::Cancelled)
        })
        .map(|p| format!("{} is {}", p.named(), p.status.as_str()))
        .collect();
    if !ended.is_empty() {
        return Some(format!(
            "held: prerequisite {}; retry it, or remove it from this task's prerequisites",
            ended.join(", ")
        ));
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
        assert_eq!(waiting_reason(&[]), None);
        let done = prerequisite(1, SpecTaskStatus::Done);
        assert_eq!(waiting_reason(std::slice::from_ref(&done)), None);
        let open = prerequisite(2, SpecTaskStatus::Implementation);
        let reason = waiting_reason(&[done.clone(), open]).unwrap();
        assert!(
            reason.starts_with("waiting for prerequisite") && reason.contains("(implementation)"),
            "{reason}"
        );
        let failed = prerequisite(3, SpecTaskStatus::Failed);
        let reason = waiting_reason(&[done, prerequisite(2, SpecTaskStatus::Backlog), failed]).unwrap();
        assert!(reason.starts_with("held: prerequisite") && reason.contains("is failed"), "{reason}");
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
