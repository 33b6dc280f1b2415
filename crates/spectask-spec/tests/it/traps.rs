//! The Markdown hazards of the spec-formats notes (§5), one small document each.

use spectask_spec::{Plan, PlanTaskState, parse_requirements};

fn ids(text: &str) -> Vec<String> {
    Plan::parse(text).tasks().iter().map(|t| t.label()).collect()
}

#[test]
fn a_fence_inside_a_list_item_hides_its_checkboxes() {
    let text =
        "- [ ] 1. Write the parser\n    ```md\n    - [ ] 2. sample\n    ```\n  - [ ] 1.1 Real sub-task\n";
    assert_eq!(ids(text), ["1", "1.1"]);
}

#[test]
fn an_unclosed_fence_runs_to_the_end() {
    assert_eq!(ids("- [ ] 1. Before\n```\n- [ ] 2. inside\n"), ["1"]);
}

#[test]
fn a_shorter_or_other_fence_does_not_close() {
    assert_eq!(ids("````\n```\n- [ ] 1. inside\n~~~\n````\n- [ ] 2. after\n"), ["2"]);
}

#[test]
fn a_later_horizontal_rule_is_not_front_matter() {
    assert_eq!(ids("# Tasks\n\n---\n- [ ] 1. Between rules\n---\n"), ["1"]);
    assert_eq!(ids("---\ntitle: x\n---\n- [ ] 1. After front matter\n"), ["1"]);
    assert_eq!(ids("---\n- [ ] 1. Never closed, so a rule\n"), ["1"]);
}

#[test]
fn multi_line_comments_hide_checkboxes_and_headings() {
    let text = "## Validation Checklist\n<!--\n## Phase 1\n- [ ] 1. hidden\n-->\n- [ ] checklist item\n";
    let plan = Plan::parse(text);
    assert!(plan.tasks().is_empty());
    assert_eq!(plan.checklists()[0].items.len(), 1);
    assert_eq!(ids("- [ ] 1. A <!-- inline -->\n- [ ] 2. B\n"), ["1", "2"]);
}

#[test]
fn labels_links_and_code_are_not_checkboxes() {
    let text = "- [P] tasks = different files\n- [US1] story\n- [x](link)\n- `- [ ] code`\n- [ ] 1. Real `[x]` with brackets\n";
    assert_eq!(ids(text), ["1"]);
    assert_eq!(Plan::parse(text).tasks()[0].title, "Real `[x]` with brackets");
}

#[test]
fn four_space_nesting_and_title_continuations() {
    let text = "- [ ] 1. Parent\n    - [x] 1.1 Child whose title\n      goes on here\n        - _Requirements: 2.1_\n    - [ ] 1.2 Second\n";
    let plan = Plan::parse(text);
    let child = plan.task("1.1");
    assert_eq!(child.map(|t| t.title.as_str()), Some("Child whose title goes on here"));
    assert_eq!(child.map(|t| t.requirements.clone()), Some(vec!["2.1".to_owned()]));
    assert_eq!(plan.task("1.2").and_then(|t| t.parent), Some(0));
}

#[test]
fn dash_ids_bold_ids_and_trailing_dots() {
    let plan = Plan::parse("- [ ] T-001 Fork style\n- [ ] **2.** Bold\n- [ ] 2.1. Dotted\n- [X] 3: Colon\n");
    let found: Vec<_> = plan.tasks().iter().map(|t| (t.label(), t.title.as_str(), t.state)).collect();
    assert_eq!(
        found,
        [
            ("T-001".to_owned(), "Fork style", PlanTaskState::Pending),
            ("2".to_owned(), "Bold", PlanTaskState::Pending),
            ("2.1".to_owned(), "Dotted", PlanTaskState::Pending),
            ("3".to_owned(), "Colon", PlanTaskState::Done)
        ]
    );
}

#[test]
fn criteria_headings_at_level_three_and_trailing_sections() {
    let text = "## Requirements\n### Requirement 1\n### Acceptance Criteria\n1. THE Api SHALL work\n\n## Open Questions\n1. Should the Api SHALL twice?\n";
    let doc = parse_requirements(text);
    let criteria: Vec<_> = doc.criteria().map(|c| c.id.as_str()).collect();
    assert_eq!(criteria, ["1.1"]);
}

#[test]
fn user_story_with_bold_outside_the_colon() {
    let doc = parse_requirements("### Requirement 1: A\n**User Story**: As a user, I want A.\n");
    assert_eq!(doc.requirements[0].user_story.as_deref(), Some("As a user, I want A."));
}

#[test]
fn a_user_story_stops_at_the_first_criterion() {
    let doc = parse_requirements(
        "### Requirement 1\n**User Story:** As a user,\nI want A.\n1. THE Api SHALL do A\n",
    );
    assert_eq!(doc.requirements[0].user_story.as_deref(), Some("As a user, I want A."));
    assert_eq!(doc.criteria().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["1.1"]);
}

#[test]
fn pathological_nesting_is_flattened_so_nothing_recurses_deeply() {
    let mut text: String = (0..1_000).map(|i| format!("{}- [ ] step {i}\n", " ".repeat(i))).collect();
    text.push_str(&format!("- [ ] {}\n", vec!["1"; 5_000].join(".")));
    let plan = Plan::parse(&text);
    let depth = |mut i: usize| {
        let mut depth = 0;
        while let Some(p) = plan.tasks()[i].parent {
            depth += 1;
            i = p;
        }
        depth
    };
    assert_eq!((0..plan.tasks().len()).map(depth).max(), Some(16));
    assert!(spectask_spec::parse_to_json("tasks.md", &text)["summary"]["sub_tasks"].as_u64() == Some(999));
    let unknown = format!("{text}- [ ] 2. Last\n  - _Depends: 99_\n");
    assert!(spectask_spec::lint_file("tasks.md", &unknown).has_errors());
    let progress = spectask_spec::render_progress(&plan, &Default::default());
    assert_eq!(Plan::parse(&progress).tasks().len(), plan.tasks().len());
    let chain: String = (1..=40).map(|n| format!("- [ ] {}\n", vec!["1"; n].join("."))).collect();
    let chained = Plan::parse(&chain);
    let deepest = chained.tasks().iter().filter(|t| t.parent == Some(15)).count();
    assert_eq!(deepest, 24);
}
