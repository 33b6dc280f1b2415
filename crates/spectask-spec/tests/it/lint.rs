//! The linter: exact `file:line: level[CODE]: message` output for single files and whole specs.

use spectask_spec::{Code, Level, LintReport, SpecFiles, lint_file, lint_spec};

fn rendered(report: &LintReport) -> String {
    report.diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

fn check(report: &LintReport, expected: &str) {
    assert_eq!(rendered(report), expected.trim_start_matches('\n'));
}

#[test]
fn clean_kiro_spec_has_no_diagnostics() {
    let report = lint_spec(&SpecFiles {
        requirements: Some(include_str!("../fixtures/kiro_gen2_requirements.md")),
        design: Some(include_str!("../fixtures/design.md")),
        tasks: Some(
            "- [ ] 1. Classify\n  - _Requirements: 1.1-1.6_\n- [ ] 2. Detect duplicates\n  - _Requirements: 2_\n- [ ] 3. Report\n  - **Validates: Requirements 3.1**\n",
        ),
    });
    check(&report, "");
    assert!(!report.has_errors());
}

#[test]
fn criterion_rules_name_the_criterion_and_the_offending_value() {
    let report = lint_file("specs/x/requirements.md", include_str!("../fixtures/bad_requirements.md"));
    check(
        &report,
        r#"
specs/x/requirements.md:13: warning[R101]: criterion 1.1 has no shall
specs/x/requirements.md:13: note[R107]: criterion 1.1 uses vague word "fast"
specs/x/requirements.md:14: warning[R103]: criterion 1.2: no comma, then or the shows where its condition ends
specs/x/requirements.md:15: warning[R102]: criterion 1.3 has 2 shall, expected one
specs/x/requirements.md:16: warning[R105]: criterion 1.4 names no system
specs/x/requirements.md:17: note[R107]: criterion 1.5 uses vague word "user-friendly"
specs/x/requirements.md:17: note[R107]: criterion 1.5 uses vague word "robust"
specs/x/requirements.md:17: note[R107]: criterion 1.5 uses vague word "etc"
specs/x/requirements.md:18: warning[R106]: criterion 1.6 names system "Storage", which is not in the glossary
specs/x/requirements.md:20: warning[R002]: requirement 2 has no acceptance criteria
"#,
    );
    // EARS shape is style: none of it keeps a spec from being scheduled.
    assert!(!report.has_errors());
    let grouped: Vec<String> = report.grouped().iter().map(ToString::to_string).collect();
    assert_eq!(
        grouped[1],
        "specs/x/requirements.md:13: note[R107]: criterion 1.1 uses vague word \"fast\" (+3 more on line 17)"
    );
    assert_eq!((report.diagnostics.len(), grouped.len()), (10, 7));
}

#[test]
fn plan_rules_duplicates_cycles_unknown_dependencies_and_marker_mismatches() {
    let report = lint_file("tasks.md", include_str!("../fixtures/bad_tasks.md"));
    check(
        &report,
        "
tasks.md:3: warning[T103]: task 1 is done but its sub-task 1.1 is pending
tasks.md:10: error[T003]: dependency cycle: 2.1 -> 2.2 -> 2.1
tasks.md:13: error[T002]: task 2.2 depends on unknown task 7.7
tasks.md:17: error[T001]: duplicate task id 2.1 (first on line 10)
tasks.md:20: warning[T104]: task 3 has no requirement reference
",
    );
}

#[test]
fn kiro_plan_alone_warns_only_about_a_parent_ticked_too_early() {
    check(
        &lint_file("tasks.md", include_str!("../fixtures/kiro_tasks.md")),
        "
tasks.md:36: warning[T103]: task 5 is done but its sub-task 5.1 is pending
",
    );
}

#[test]
fn references_are_checked_against_the_requirements_and_uncovered_requirements_reported() {
    let report = lint_spec(&SpecFiles {
        requirements: Some(include_str!("../fixtures/kiro_gen1_requirements.md")),
        design: None,
        tasks: Some(include_str!("../fixtures/bad_tasks.md")),
    });
    check(
        &report,
        "
requirements.md:25: warning[X002]: requirement 2 is not covered by any task
tasks.md:3: warning[T103]: task 1 is done but its sub-task 1.1 is pending
tasks.md:6: error[X001]: task 1.2 references unknown criterion 9.9
tasks.md:10: error[T003]: dependency cycle: 2.1 -> 2.2 -> 2.1
tasks.md:13: error[T002]: task 2.2 depends on unknown task 7.7
tasks.md:17: error[T001]: duplicate task id 2.1 (first on line 10)
tasks.md:20: warning[T104]: task 3 has no requirement reference
",
    );
}

#[test]
fn spec_kit_markers_and_design_rules() {
    check(&lint_file("tasks.md", include_str!("../fixtures/speckit_tasks.md")), "");
    let mut markers = lint_file("progress.md", include_str!("../fixtures/markers_tasks.md"));
    markers.diagnostics.retain(|d| !d.message.contains("requirement reference"));
    check(
        &markers,
        r#"
progress.md:9: warning[T101]: unknown marker "?"
progress.md:10: warning[T102]: malformed checkbox []
progress.md:11: warning[T102]: malformed checkbox with several spaces
"#,
    );
    check(
        &lint_file("design.md", "# Design\n\n## Overview\n\n## Architecture\n"),
        "design.md:1: warning[D001]: design has no section for Components and Interfaces, Data Models, Error Handling, Testing Strategy\n",
    );
}

#[test]
fn empty_documents_are_reported_and_the_kind_is_sniffed_without_a_file_name() {
    check(&lint_file("notes.md", "- [ ] 1. Only a task\n  - _Requirements: 1.1_\n"), "");
    check(&lint_file("notes.md", "### Requirement 1\n#### Acceptance Criteria\n1. THE Api SHALL work\n"), "");
    check(&lint_file("tasks.md", "# Tasks\n"), "tasks.md:1: warning[T004]: no tasks found\n");
    check(&lint_file("requirements.md", ""), "requirements.md:1: warning[R001]: no requirements found\n");
}

#[test]
fn diagnostics_display_and_serialize_for_json_output() {
    let report = lint_file("tasks.md", "- [ ] 1. A\n  - _Depends: 9_\n- [ ] 2. B\n  - _Requirements: 1.1_\n");
    let error = report.errors().next().map(|d| (d.to_string(), d.level, d.code));
    assert_eq!(
        error,
        Some((
            "tasks.md:1: error[T002]: task 1 depends on unknown task 9".to_owned(),
            Level::Error,
            Code::UnknownDependency
        ))
    );
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(
        json,
        serde_json::json!({"diagnostics": [
            {"file": "tasks.md", "line": 1, "level": "warning", "code": "T104", "name": "task-without-reference",
             "message": "task 1 has no requirement reference", "count": 1, "lines": [1]},
            {"file": "tasks.md", "line": 1, "level": "error", "code": "T002", "name": "unknown-dependency",
             "message": "task 1 depends on unknown task 9", "count": 1, "lines": [1]},
        ]})
    );
}

#[test]
fn duplicate_criteria_and_coverage_through_dotted_requirement_ids() {
    let requirements = "### Requirement 1\n#### Acceptance Criteria\n1.1 THE Api SHALL a\n1.1 THE Api SHALL b\n### Requirement 2.5\n#### Acceptance Criteria\n1. THE Api SHALL c\n";
    let report = lint_spec(&SpecFiles {
        requirements: Some(requirements),
        design: None,
        tasks: Some("- [ ] 1. A\n  - _Requirements: 2.5.1, 1_\n"),
    });
    check(&report, "requirements.md:4: error[R003]: duplicate criterion id 1.1 (first on line 3)\n");
}

#[test]
fn only_checkpoint_and_documentation_titles_skip_the_reference_rule() {
    let plan = "- [ ] 1. Checkpoint: all tests pass\n- [ ] 2. Document the API\n- [ ] 3. Update docs/usage.md\n- [ ] 4. Write README.md\n- [ ] 5. Implement the document parser\n- [ ] 6. Add changelog entry\n- [ ] 7. Parse\n  - _Requirements: 1.1_\n";
    check(&lint_file("tasks.md", plan), "tasks.md:5: warning[T104]: task 5 has no requirement reference\n");
}

#[test]
fn design_properties_must_validate_known_criteria() {
    let design =
        include_str!("../fixtures/design.md").replace("Requirements 2.1**", "Requirements 2.1, 4.2**");
    let report = lint_spec(&SpecFiles {
        requirements: Some(include_str!("../fixtures/kiro_gen2_requirements.md")),
        design: Some(&design),
        tasks: None,
    });
    check(&report, "design.md:39: error[X001]: design references unknown criterion 4.2\n");
}

#[test]
fn conflict_markers_left_by_a_merge_are_an_error_in_any_document() {
    // A design.md as git leaves it after a conflicted merge: two versions of one section.
    let design = include_str!("../fixtures/design.md").replacen(
        "## Overview\n",
        "## Overview\n<<<<<<< HEAD\nThe service keeps sessions in memory.\n=======\nThe service keeps sessions in Redis.\n>>>>>>> spectask/abc-sessions\n",
        1,
    );
    let report = lint_spec(&SpecFiles {
        requirements: Some(include_str!("../fixtures/kiro_gen2_requirements.md")),
        design: Some(&design),
        tasks: None,
    });
    let line = design.lines().position(|l| l.starts_with("<<<<<<<")).unwrap() + 1;
    check(
        &report,
        &format!(
            "design.md:{line}: error[M001]: unresolved merge conflict: conflict markers from line {line} to line {}\n",
            line + 4
        ),
    );
    assert!(report.has_errors(), "a conflicted document cannot be approved without a reason");
    // A lone marker, in tasks.md; a setext heading's `=======` and markers shown in a code fence
    // are not conflicts.
    check(
        &lint_file("tasks.md", "- [ ] 1. A\n>>>>>>> main\n"),
        "tasks.md:2: error[M001]: unresolved merge conflict: a conflict marker is left in the text\n",
    );
    check(
        &lint_file(
            "design.md",
            "Design\n=======\n\n## Overview\n\n```text\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n```\n",
        ),
        "design.md:1: warning[D001]: design has no section for Architecture, Components and Interfaces, Data Models, Error Handling, Testing Strategy\n",
    );
}
