//! The dependency graph: prerequisites, ready sets, topological order and named cycles.

use spectask_spec::{Plan, SpecError};

fn labels(plan: &Plan, indexes: &[usize]) -> Vec<String> {
    indexes.iter().map(|&i| plan.tasks()[i].label()).collect()
}

#[test]
fn ready_set_follows_markers_parents_and_optional_children() {
    let plan = Plan::parse(include_str!("../fixtures/kiro_tasks.md"));
    // 2 counts as done because its required children are; optional 2.2 only waits for 2.1; 3.1 is
    // in progress (not done), so 3, 3.2 and 4 wait for it; 5.1 waits for 5's predecessor 4.
    let done: Vec<String> =
        plan.completion().iter().zip(plan.tasks()).filter(|(d, _)| **d).map(|(_, t)| t.label()).collect();
    assert_eq!(done, ["1", "2", "2.1", "2.3", "5"]);
    assert_eq!(labels(&plan, &plan.ready_tasks()), ["2.2", "3.1"]);
    // By markers alone, 2 is not done: it is ready (to be closed), and everything after it waits.
    let graph = plan.dependency_graph();
    assert_eq!(
        labels(&plan, &graph.ready(|i| plan.tasks()[i].state == spectask_spec::PlanTaskState::Done)),
        ["2", "2.2"]
    );
    let three = plan.index_of("3").unwrap_or_default();
    assert_eq!(labels(&plan, graph.prerequisites(three)), ["2", "3.1"]);
    let sub = plan.index_of("3.1").unwrap_or_default();
    assert_eq!(labels(&plan, graph.prerequisites(sub)), ["2"]);
}

#[test]
fn ready_set_from_a_caller_supplied_done_set() {
    let plan = Plan::parse(include_str!("../fixtures/speckit_tasks.md"));
    let graph = plan.dependency_graph();
    assert_eq!(labels(&plan, &graph.ready(|_| false)), ["T001"]);
    let done = ["T001", "T002", "T003"].map(|id| plan.index_of(id).unwrap_or_default());
    assert_eq!(labels(&plan, &graph.ready(|i| done.contains(&i))), ["T010", "T011"]);
}

#[test]
fn topological_order_puts_children_before_parents_and_keeps_document_order() {
    let plan = Plan::parse(include_str!("../fixtures/cc_sdd_tasks.md"));
    let order = plan.dependency_graph().topological_order().unwrap_or_default();
    assert_eq!(labels(&plan, &order), ["1.1", "1.2", "1.3", "1", "2.1", "2.2", "2.3", "2"]);
}

#[test]
fn a_cycle_is_an_error_naming_it() {
    let plan = Plan::parse("- [ ] 1. A\n  - _Depends: 3_\n- [ ] 2. B\n- [ ] 3. C\n");
    let graph = plan.dependency_graph();
    assert_eq!(
        graph.topological_order(),
        Err(SpecError::DependencyCycle(vec!["1".into(), "3".into(), "2".into(), "1".into()]))
    );
    assert_eq!(
        graph.topological_order().map_err(|e| e.to_string()),
        Err("dependency cycle: 1 -> 3 -> 2 -> 1".to_owned())
    );
}

#[test]
fn depending_on_an_ancestor_is_a_cycle() {
    let plan = Plan::parse("- [ ] 1. Parent\n  - [ ] 1.1 Child\n    - _Depends: 1_\n");
    assert_eq!(plan.dependency_graph().cycles(), [vec!["1".to_owned(), "1.1".to_owned(), "1".to_owned()]]);
}
