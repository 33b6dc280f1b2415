//! Constructs from real-world Kiro, cc-sdd and spec-kit specs that the parser or the linter got wrong,
//! each with a fixture of its own.

use spectask_spec::{
    Code, DocumentKind, EarsPattern, Level, LintReport, Plan, PlanTaskState, SpecError, lint_file, lint_spec,
    parse_requirements, parse_to_json, set_marker,
};

fn occurrences(report: &LintReport) -> Vec<String> {
    report.diagnostics.iter().map(ToString::to_string).collect()
}

fn grouped(report: &LintReport) -> Vec<String> {
    report.grouped().iter().map(ToString::to_string).collect()
}

#[test]
fn prose_naming_a_requirement_is_not_a_dependency() {
    let text = include_str!("../fixtures/prose_depends_tasks.md");
    let plan = Plan::parse(text);
    assert_eq!(plan.task("2").map(|t| t.depends.clone()), Some(vec![]));
    assert_eq!(plan.task("3").map(|t| t.depends.clone()), Some(vec!["1".to_owned(), "2".to_owned()]));
    let report = lint_file("tasks.md", text);
    assert!(!report.has_errors(), "{:?}", occurrences(&report));
}

#[test]
fn spec_kit_ids_with_a_letter_suffix_are_tasks() {
    let plan = Plan::parse(include_str!("../fixtures/speckit_suffix_tasks.md"));
    let ids: Vec<&str> = plan.tasks().iter().filter_map(|t| t.id.as_deref()).collect();
    assert_eq!(ids, ["T071", "T072", "T072a", "T072b", "T073"]);
    assert_eq!(plan.checklists().iter().map(|c| c.items.len()).sum::<usize>(), 1);
    let graph = plan.dependency_graph();
    let depends = |id: &str| -> Vec<String> {
        let index = plan.task(id).map_or(usize::MAX, |t| t.index);
        graph.depends_on(index).iter().map(|&d| plan.tasks()[d].label()).collect()
    };
    assert_eq!(depends("T072b"), ["T072a"]);
    assert_eq!(depends("T073"), ["T072b"]);
    assert_eq!(
        occurrences(&lint_file("tasks.md", include_str!("../fixtures/speckit_suffix_tasks.md"))),
        [""; 0]
    );
}

#[test]
fn numbered_headings_over_sub_task_checkboxes_are_parents() {
    let text = include_str!("../fixtures/heading_tasks.md");
    let plan = Plan::parse(text);
    type Node<'a> = (Option<&'a str>, Vec<&'a str>, PlanTaskState, Option<char>);
    let tree: Vec<Node<'_>> = plan
        .top_tasks()
        .map(|t| {
            let children = t.children.iter().filter_map(|&c| plan.tasks()[c].id.as_deref()).collect();
            (t.id.as_deref(), children, t.state, t.marker)
        })
        .collect();
    assert_eq!(
        tree,
        [
            (Some("1"), vec!["1.1", "1.2"], PlanTaskState::Done, None),
            (Some("2"), vec!["2.1", "2.2", "2.3"], PlanTaskState::InProgress, None),
        ]
    );
    assert_eq!(plan.task("1").map(|t| (t.line, t.title.as_str())), Some((3, "Project setup")));
    assert_eq!(plan.summary().top_tasks, 2);
    assert_eq!(set_marker(text, "2", PlanTaskState::Done), Err(SpecError::NoCheckbox("2".to_owned())));
    assert!(set_marker(text, "2.2", PlanTaskState::Done).is_ok());
    // The heading parent waits for its sub-tasks like any parent; 2.2 is the one task ready now.
    let ready: Vec<String> = plan.ready_tasks().iter().map(|&i| plan.tasks()[i].label()).collect();
    assert_eq!(ready, ["2.2"]);
    assert_eq!(occurrences(&lint_file("tasks.md", text)), [""; 0]);
    let json = parse_to_json("tasks.md", text);
    assert_eq!(
        (json["tasks"][0]["marker"].is_null(), json["tasks"][0]["children"][1]["id"].as_str()),
        (true, Some("1.2"))
    );
}

#[test]
fn spec_kit_plan_and_spec_are_their_own_kinds() {
    let plan = include_str!("../fixtures/speckit_plan.md");
    let spec = include_str!("../fixtures/speckit_spec.md");
    assert_eq!(DocumentKind::detect("specs/007-report-export/plan.md", plan), DocumentKind::Supporting);
    assert_eq!(DocumentKind::detect("notes.md", plan), DocumentKind::Supporting);
    assert_eq!(DocumentKind::detect("specs/007-report-export/spec.md", spec), DocumentKind::FeatureSpec);
    assert_eq!(DocumentKind::detect("notes.md", spec), DocumentKind::FeatureSpec);
    assert_eq!(DocumentKind::detect("specs/007/checklists/requirements.md", ""), DocumentKind::Supporting);
    assert_eq!(occurrences(&lint_file("plan.md", plan)), [""; 0]);
    assert_eq!(parse_to_json("plan.md", plan)["kind"], "supporting");
    assert_eq!(
        occurrences(&lint_file("spec.md", spec)),
        [
            "spec.md:19: warning[S001]: open question: NEEDS CLARIFICATION \"stream or refuse?\"",
            "spec.md:27: warning[S002]: FR-002 is used twice (first on line 26)",
        ]
    );
    let json = parse_to_json("spec.md", spec);
    assert_eq!(
        (json["kind"].as_str(), json["requirements"].as_array().map(Vec::len)),
        (Some("feature_spec"), Some(3))
    );
}

#[test]
fn ears_clauses_without_a_comma_are_classified_and_at_most_warned() {
    let text = include_str!("../fixtures/no_comma_requirements.md");
    let doc = parse_requirements(text);
    let found: Vec<(EarsPattern, Option<&str>)> =
        doc.criteria().map(|c| (c.ears.pattern, c.ears.system.as_deref())).collect();
    assert_eq!(
        found,
        [
            (EarsPattern::Optional, Some("Audit_Log")),
            (EarsPattern::State, Some("Audit_Log")),
            (EarsPattern::Event, Some("Audit_Log")),
            (EarsPattern::NonEars, None),
        ]
    );
    let report = lint_file("requirements.md", text);
    assert_eq!(
        occurrences(&report),
        [
            "requirements.md:12: warning[R103]: criterion 1.4: no comma, then or the shows where its condition ends"
        ]
    );
    assert!(!report.has_errors());
}

#[test]
fn the_system_is_not_asked_to_be_in_the_glossary_and_messages_have_no_escapes() {
    let report = lint_file("requirements.md", include_str!("../fixtures/glossary_system_requirements.md"));
    assert_eq!(
        grouped(&report),
        [
            "requirements.md:18: warning[R106]: criterion 1.5 names system \"Archive Service\", which is not in the glossary (+1 more on line 19)"
        ]
    );
    assert!(report.diagnostics.iter().all(|d| !d.message.contains('\\')), "{:?}", occurrences(&report));
}

#[test]
fn unticked_parents_of_done_sub_tasks_are_kiro_style_and_optional_sub_tasks_do_not_count() {
    let text = include_str!("../fixtures/unticked_parents_tasks.md");
    assert_eq!(
        occurrences(&lint_file("tasks.md", text)),
        ["tasks.md:11: warning[T103]: task 2 is done but its sub-task 2.2 is pending"]
    );
    assert!(Plan::parse(text).completion()[0], "the parser counts task 1 as done");
}

#[test]
fn tasks_without_ids_are_named_by_title_and_hand_written_lists_are_not_asked_for_references() {
    assert_eq!(occurrences(&lint_file("tasks.md", include_str!("../fixtures/no_ids_tasks.md"))), [""; 0]);
    let plan = "- [ ] 1. Parser\n  - _Requirements: 1.1_\n- [ ] 2. Formatter\n- [ ] 3. Printer\n- [ ] Tidy up the error messages of the formatter and the printer\n";
    let report = lint_file("tasks.md", plan);
    assert_eq!(
        occurrences(&report)[2],
        "tasks.md:5: warning[T104]: task \"Tidy up the error messages of the formatter and…\" has no requirement reference"
    );
    assert_eq!(
        grouped(&report),
        ["tasks.md:3: warning[T104]: task 2 has no requirement reference (+2 more on lines 4, 5)"]
    );
}

#[test]
fn errors_still_block_what_cannot_be_scheduled() {
    let report = lint_spec(&spectask_spec::SpecFiles {
        requirements: Some("### Requirement 1\n#### Acceptance Criteria\n1. THE Api SHALL work\n"),
        design: None,
        tasks: Some(
            "- [ ] 1. A\n  - _Requirements: 1.1, 1.9_\n  - _Depends: 2_\n- [ ] 2. B\n  - _Requirements: 1.1_\n  - _Depends: 1_\n",
        ),
    });
    let codes: Vec<(Code, Level)> = report.errors().map(|d| (d.code, d.level)).collect();
    assert_eq!(codes, [(Code::DependencyCycle, Level::Error), (Code::UnknownReference, Level::Error)]);
}
