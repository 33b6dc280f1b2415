//! A simple spec task (`Complexity::Simple`) is implemented by one work session for its whole
//! approved plan rather than one per plan task (the plan tasks a converge round adds get one each,
//! `implementation::sessions`): the session is told every open plan task, its
//! commit names every requirement the plan references, and its completion ticks every marker of
//! the plan in one design-docs commit. Which tasks and sessions these are: `SpecTask::implements_whole_plan`
//! and `SpecTask::is_whole_plan_session`.

use spectask_core::{Complexity, SpecTask};
use spectask_spec::{Plan, PlanTaskState};
use spectask_store::NewWorkSession;

/// The name of the one session implementing a simple task's plan.
pub(crate) const NAME: &str = Complexity::WHOLE_PLAN_SESSION;

/// The open plan tasks (not done, not optional), in plan order, as the session's description;
/// `None` when none is open.
pub(crate) fn description(plan: &Plan) -> Option<String> {
    let tasks = plan.tasks();
    let mut lines =
        vec!["Implement every open task of the approved plan, in its order:".to_owned(), String::new()];
    let mut open = 0;
    for task in tasks.iter().filter(|t| t.state != PlanTaskState::Done && !t.optional) {
        let depth = std::iter::successors(task.parent, |&p| tasks.get(p).and_then(|t| t.parent)).count();
        let id = task.id.as_deref().map(|i| format!("{i} ")).unwrap_or_default();
        lines.push(format!("{}- {id}{}", "  ".repeat(depth), task.title));
        for detail in &task.details {
            lines.push(format!("{}  {}", "  ".repeat(depth), detail.trim()));
        }
        if task.children.is_empty() {
            open += 1;
        }
    }
    (open > 0).then(|| lines.join("\n"))
}

/// The whole-plan session of `task`, when its plan has an open task.
pub(crate) fn session(task: &SpecTask, plan: &Plan) -> Option<NewWorkSession> {
    let description = description(plan)?;
    Some(crate::implementation::sessions::new_session(task, NAME.to_owned(), description, None))
}

/// Every requirement the plan's tasks reference, once each, in plan order (the whole-plan
/// commit's `Implements:` trailer).
pub(crate) fn requirement_ids(plan: &Plan) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in plan.tasks().iter().flat_map(|t| t.requirements.iter()) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_lists_open_tasks_with_their_details_and_leaves_out_done_and_optional_ones() {
        let plan = Plan::parse(
            "# Tasks\n\n- [ ] 1. Users\n  - [x] 1.1 Store\n  - [ ] 1.2 Hashing\n    - use scrypt\n  - [ ]* 1.3 Fuzz\n- [ ] 2. Tokens\n",
        );
        let text = description(&plan).unwrap();
        assert!(text.contains("- 1 Users\n  - 1.2 Hashing\n    use scrypt\n- 2 Tokens"), "{text}");
        assert!(!text.contains("1.1") && !text.contains("1.3"), "{text}");
    }

    #[test]
    fn a_plan_with_nothing_open_gives_no_session() {
        assert_eq!(description(&Plan::parse("- [x] 1. Done\n- [ ]* 2. Maybe\n")), None);
    }

    #[test]
    fn requirements_are_named_once_in_plan_order() {
        let plan = Plan::parse(
            "- [ ] 1. A\n  - _Requirements: 2.1, 1.1_\n- [ ] 2. B\n  - _Requirements: 1.1, 3.2_\n",
        );
        assert_eq!(requirement_ids(&plan), ["2.1", "1.1", "3.2"]);
    }
}
