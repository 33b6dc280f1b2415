//! Fuzzes the task-plan parser: no panic, parse → write is byte-identical, and setting any task's
//! marker changes exactly the marker byte (none when the state is unchanged) and nothing else.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spectask_spec::{Plan, PlanTaskState, lint_file, parse_to_json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let plan = Plan::parse(text);
    assert_eq!(plan.text(), text, "parse then write changed the text");
    for task in plan.tasks() {
        for state in [PlanTaskState::Pending, PlanTaskState::InProgress, PlanTaskState::Done] {
            let mut edited = plan.clone();
            let Some(marker) = task.marker else {
                // A heading task has no checkbox: the edit is refused and nothing changes.
                assert!(edited.set_marker_at(task.index, state).is_err());
                assert_eq!(edited.text(), text);
                continue;
            };
            assert!(edited.set_marker_at(task.index, state).is_ok());
            let (before, after) = (text.as_bytes(), edited.text().as_bytes());
            if !marker.is_ascii() {
                continue;
            }
            assert_eq!(before.len(), after.len());
            let changed: Vec<usize> = (0..before.len()).filter(|&i| before[i] != after[i]).collect();
            let unchanged = task.state == state && PlanTaskState::from_marker(marker).is_some();
            assert_eq!(changed.len(), usize::from(!unchanged), "task {}", task.label());
            let reparsed = Plan::parse(edited.text());
            assert_eq!(reparsed.tasks().len(), plan.tasks().len());
            assert_eq!(reparsed.tasks()[task.index].state, state);
        }
    }
    let _ = plan.dependency_graph().topological_order();
    let _ = lint_file("tasks.md", text);
    let _ = parse_to_json("tasks.md", text);
});
