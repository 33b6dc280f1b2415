//! Lossless editing: parse → write is byte-identical for every fixture and for generated documents,
//! and setting a marker changes exactly the marker byte. The same invariants as the fuzz target.

use proptest::prelude::*;
use spectask_spec::{Plan, PlanTaskState, lint_file, parse_requirements, parse_to_json};

const FIXTURES: &[(&str, &str)] = &[
    ("bad_requirements.md", include_str!("../fixtures/bad_requirements.md")),
    ("bad_tasks.md", include_str!("../fixtures/bad_tasks.md")),
    ("blocks_tasks.md", include_str!("../fixtures/blocks_tasks.md")),
    ("bugfix.md", include_str!("../fixtures/bugfix.md")),
    ("cc_sdd_requirements.md", include_str!("../fixtures/cc_sdd_requirements.md")),
    ("cc_sdd_tasks.md", include_str!("../fixtures/cc_sdd_tasks.md")),
    ("crlf_bom_tasks.md", include_str!("../fixtures/crlf_bom_tasks.md")),
    ("design.md", include_str!("../fixtures/design.md")),
    ("japanese_tasks.md", include_str!("../fixtures/japanese_tasks.md")),
    ("kiro_gen1_requirements.md", include_str!("../fixtures/kiro_gen1_requirements.md")),
    ("kiro_gen2_requirements.md", include_str!("../fixtures/kiro_gen2_requirements.md")),
    ("kiro_tasks.md", include_str!("../fixtures/kiro_tasks.md")),
    ("lone_cr_tasks.md", include_str!("../fixtures/lone_cr_tasks.md")),
    ("markers_tasks.md", include_str!("../fixtures/markers_tasks.md")),
    ("speckit_tasks.md", include_str!("../fixtures/speckit_tasks.md")),
    ("heading_tasks.md", include_str!("../fixtures/heading_tasks.md")),
    ("speckit_suffix_tasks.md", include_str!("../fixtures/speckit_suffix_tasks.md")),
];

/// Checks every invariant on one document; returns a description of the first violation.
fn invariants(text: &str) -> Result<(), String> {
    let plan = Plan::parse(text);
    if plan.text() != text {
        return Err("parse then write changed the text".into());
    }
    for task in plan.tasks() {
        for state in [PlanTaskState::Pending, PlanTaskState::InProgress, PlanTaskState::Done] {
            let mut edited = plan.clone();
            let Some(marker) = task.marker else {
                // A heading task has no checkbox: the edit is refused and nothing changes.
                if edited.set_marker_at(task.index, state).is_ok() || edited.text() != text {
                    return Err(format!("heading task {} was edited", task.label()));
                }
                continue;
            };
            edited.set_marker_at(task.index, state).map_err(|e| e.to_string())?;
            let (before, after) = (text.as_bytes(), edited.text().as_bytes());
            let known = PlanTaskState::from_marker(marker).is_some();
            let changed = before.iter().zip(after).filter(|(a, b)| a != b).count();
            let expected = match (known, task.state == state) {
                (true, true) => 0,
                _ => 1,
            };
            if marker.is_ascii() && (before.len() != after.len() || changed != expected) {
                return Err(format!(
                    "task {} to {state}: {changed} bytes changed, expected {expected}",
                    task.label()
                ));
            }
            let reparsed = Plan::parse(edited.text());
            let same_shape = reparsed.tasks().len() == plan.tasks().len()
                && reparsed.tasks()[task.index].state == state
                && reparsed
                    .tasks()
                    .iter()
                    .zip(plan.tasks())
                    .all(|(a, b)| a.id == b.id && a.parent == b.parent);
            if !same_shape {
                return Err(format!("task {} to {state}: the edited plan parses differently", task.label()));
            }
        }
    }
    parse_requirements(text);
    lint_file("tasks.md", text);
    lint_file("requirements.md", text);
    parse_to_json("design.md", text);
    Ok(())
}

#[test]
fn every_fixture_round_trips_and_edits_one_byte() {
    for (name, text) in FIXTURES {
        assert_eq!(invariants(text), Ok(()), "{name}");
    }
}

#[test]
fn ticking_a_crlf_bom_file_keeps_every_other_byte() {
    let text = include_str!("../fixtures/crlf_bom_tasks.md");
    let ticked = spectask_spec::set_marker(text, "2", PlanTaskState::Done).unwrap_or_default();
    assert_eq!(ticked, text.replace("- [ ] 2. Last", "- [x] 2. Last"));
    assert!(ticked.starts_with('\u{feff}') && ticked.contains("\r\n"));
    let started = spectask_spec::set_marker(text, "1", PlanTaskState::InProgress).unwrap_or_default();
    assert_eq!(started, text.replacen("- [ ] 1.", "- [~] 1.", 1));
}

/// Lines that exercise the parser's states: tasks in every dialect, fences, comments, front matter.
const FRAGMENTS: &[&str] = &[
    "- [ ] 1. Top",
    "  - [x] 1.1 Sub",
    "- [-] 1.2 Flat sub (P)",
    "    - [~] 1.2.1 Deep",
    "- [ ]* 2.2 Optional",
    "1. [/] 3. Ordered",
    "* [X] T001 [P] [US1] Spec-kit",
    "- [ ] T002 depends on T001",
    "  - _Requirements: 1.1-1.3, 2.1_",
    "  - _Depends: 1.1_",
    "  - **Validates: Requirements 1.2**",
    "  continuation of a title",
    "- [?] odd",
    "- []",
    "- [  ] two",
    "```",
    "~~~~",
    "<!--",
    "-->",
    "---",
    "## Validation Checklist",
    "## Phase 2",
    "### Requirement 1: X",
    "1. WHEN a, THE Sys SHALL b",
    "\t- [ ] tab",
    "- [ ] 日本語 ✅",
    "",
];

fn document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        8 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => "[ -~\t\u{e9}\u{65e5}\u{feff}\\[\\]]{0,20}",
    ];
    let ending = proptest::sample::select(&["\n", "\r\n", "\r"][..]);
    (any::<bool>(), proptest::collection::vec((line, ending), 0..40)).prop_map(|(bom, lines)| {
        let mut text = if bom { String::from("\u{feff}") } else { String::new() };
        for (line, ending) in lines {
            text.push_str(&line);
            text.push_str(ending);
        }
        text
    })
}

proptest! {
    #[test]
    fn generated_plans_round_trip_and_edit_one_byte(text in document()) {
        prop_assert_eq!(invariants(&text), Ok(()));
    }

    #[test]
    fn arbitrary_text_never_panics_and_round_trips(text in any::<String>()) {
        prop_assert_eq!(invariants(&text), Ok(()));
    }
}
