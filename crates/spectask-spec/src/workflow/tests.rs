use super::*;
use crate::lint::{Code, lint_spec};

const BUGFIX: &str = "# Bugfix Analysis\n\n## Introduction\n\nUploads stop when the token expires.\n\n\
## Glossary\n\n- **Uploader**: the upload client\n\n## Current Behavior (Defect)\n\n\
1.1 WHEN the token expires during an upload THEN THE Uploader SHALL abort the upload\n\n\
## Expected Behavior\n\n2.1 WHEN the token expires during an upload THEN THE Uploader SHALL refresh the token\n\n\
## Unchanged Behavior (Regression Prevention)\n\n\
3.1 WHEN the token is valid THEN THE Uploader SHALL CONTINUE TO upload without refreshing\n";

const DESIGN: &str = "# Design Document\n\n## Overview\n\nRefresh.\n\n## Architecture\n\nSame.\n\n\
## Components and Interfaces\n\n### Token Refresher\n\nRefreshes.\n\n### Upload Queue\n\nQueues.\n\n\
## Data Models\n\nNo change.\n\n## Error Handling\n\nRetry once.\n\n## Testing Strategy\n\nA failing test first.\n";

const PLAN: &str = "# Implementation Plan\n\n- [ ] 1. Write a failing test that reproduces the expired token\n  \
- _Requirements: 1.1_\n- [ ] 2. Refresh the token\n  - _Requirements: 2.1, 3.1_\n";

fn files<'a>(requirements: &'a str, design: &'a str, tasks: &'a str) -> SpecFiles<'a> {
    SpecFiles { requirements: Some(requirements), design: Some(design), tasks: Some(tasks) }
}

fn codes(report: &LintReport) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn the_feature_template_lints_as_the_format_rules_do() {
    let spec = files(BUGFIX, DESIGN, PLAN);
    assert_eq!(Template::builtin(Workflow::Feature).lint(&spec), lint_spec(&spec));
}

#[test]
fn a_bugfix_spec_with_its_sections_and_a_failing_test_first_passes_its_gates() {
    let report = Template::builtin(Workflow::Bugfix).lint(&files(BUGFIX, DESIGN, PLAN));
    assert!(!report.has_errors(), "{:#?}", report.diagnostics);
    assert!(report.diagnostics.iter().all(|d| d.file != "requirements.md"), "{:#?}", report.diagnostics);
}

#[test]
fn a_bugfix_spec_without_unchanged_behaviour_breaks_a_gate_naming_bugfix_md() {
    let text = BUGFIX.split("## Unchanged").next().unwrap_or_default();
    let report = Template::builtin(Workflow::Bugfix).lint(&files(text, DESIGN, PLAN));
    let finding = report.diagnostics.iter().find(|d| d.code == Code::MissingTemplateSection).unwrap();
    assert_eq!(finding.file, "bugfix.md");
    assert!(finding.message.contains("Unchanged Behavior"), "{}", finding.message);
    assert!(report.has_errors());
}

#[test]
fn british_spelling_and_other_heading_levels_count_as_the_section() {
    let text = BUGFIX.replace("Behavior", "Behaviour").replace("## Unchanged", "### Unchanged");
    let report = Template::builtin(Workflow::Bugfix).lint(&files(&text, DESIGN, PLAN));
    assert!(!codes(&report).contains(&Code::MissingTemplateSection), "{:#?}", report.diagnostics);
}

#[test]
fn a_bugfix_plan_that_fixes_before_it_tests_breaks_the_first_task_gate() {
    let plan = "# Implementation Plan\n\n- [ ] 1. Refresh the token\n  - _Requirements: 2.1_\n\
- [ ] 2. Write a failing test\n  - _Requirements: 1.1, 3.1_\n";
    let report = Template::builtin(Workflow::Bugfix).lint(&files(BUGFIX, DESIGN, plan));
    let finding = report.diagnostics.iter().find(|d| d.code == Code::FirstTaskGate).unwrap();
    assert_eq!((finding.file.as_str(), finding.line), ("tasks.md", 3));
    assert!(finding.message.contains("\"test\""), "{}", finding.message);
}

#[test]
fn a_first_task_whose_sub_task_writes_the_failing_test_passes() {
    let plan = "# Implementation Plan\n\n- [ ] 1. Reproduce the defect\n  - [ ] 1.1 Add a test that fails\n    \
- _Requirements: 1.1_\n- [ ] 2. Refresh the token\n  - _Requirements: 2.1, 3.1_\n";
    let report = Template::builtin(Workflow::Bugfix).lint(&files(BUGFIX, DESIGN, plan));
    assert!(!codes(&report).contains(&Code::FirstTaskGate), "{:#?}", report.diagnostics);
}

#[test]
fn a_bugfix_task_running_beside_the_reproduction_test_breaks_the_gate() {
    let parallel = "# Implementation Plan\n\n- [ ] 1. Write a failing test that reproduces the expired token (P)\n  \
- _Requirements: 1.1_\n- [ ] 2. Refresh the token (P)\n  - _Requirements: 2.1, 3.1_\n";
    let report = Template::builtin(Workflow::Bugfix).lint(&files(BUGFIX, DESIGN, parallel));
    let finding = report.diagnostics.iter().find(|d| d.code == Code::FirstTaskGate).unwrap();
    assert_eq!(finding.line, 5, "{finding:?}");
    assert!(finding.message.contains("task 2 would run beside it"), "{}", finding.message);
    let explicit =
        PLAN.replace("- [ ] 2. Refresh the token\n", "- [ ] 2. Refresh the token\n  - _Depends: 1_\n");
    let report = Template::builtin(Workflow::Bugfix).lint(&files(BUGFIX, DESIGN, &explicit));
    assert!(!codes(&report).contains(&Code::FirstTaskGate), "{:#?}", report.diagnostics);
}

#[test]
fn design_first_warns_of_a_component_no_requirement_names() {
    let requirements = "# Requirements Document\n\n## Glossary\n\n- **Token_Refresher**: refreshes\n\n\
## Requirements\n\n### Requirement 1: Refresh\n\n#### Acceptance Criteria\n\n\
1. WHEN the token expires, THE Token_Refresher SHALL refresh it\n";
    let plan = "# Implementation Plan\n\n- [ ] 1. Refresh\n  - _Requirements: 1.1_\n";
    let report = Template::builtin(Workflow::DesignFirst).lint(&files(requirements, DESIGN, plan));
    let found: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ComponentWithoutRequirement)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(found, ["no requirement mentions the component \"Upload Queue\""]);
}

#[test]
fn planner_rules_say_the_workflow_and_add_a_repository_template_guidance() {
    assert_eq!(Template::builtin(Workflow::Feature).planner_rules(), "");
    let bugfix = Template::builtin(Workflow::Bugfix).planner_rules();
    assert!(
        bugfix.starts_with("## This spec's workflow: bugfix") && bugfix.contains("bugfix.md"),
        "{bugfix}"
    );
    let text = "description = \"Security fix\"\nbase = \"bugfix\"\nguidance = \"Name the CVE.\"\n\
[documents.bugfix]\nguidance = \"Say which versions are affected.\"\n\
[documents.design]\nsections = [\"Threat Model\"]\n\
[documents.tasks]\nguidance = \"End with the changelog.\"\n";
    let template = Template::parse(".spectask/templates/security-fix.toml", text).unwrap();
    let rules = template.planner_rules();
    assert!(
        rules.starts_with("## This spec's workflow: security-fix\n\nThis spec fixes a defect."),
        "{rules}"
    );
    let own = &rules[rules.find("Name the CVE.").expect("the guidance")..];
    assert_eq!(
        own,
        "Name the CVE.\n\n### bugfix.md\n\nSay which versions are affected.\nIt has the sections \
         \"Current Behavior\", \"Expected Behavior\", \"Unchanged Behavior\".\n\n### design.md\n\n\
         It has the sections \"Threat Model\".\n\n### tasks.md\n\nEnd with the changelog.\n\
         Its first task says \"test\", \"fail\" or \"reproduc\".\n"
    );
    assert_eq!(template.gates.design_sections, ["Threat Model"]);
    assert_eq!(template.gates.first_task_words, ["test", "fail|reproduc"], "the base's gates are kept");
    let report = template.lint(&files(BUGFIX, DESIGN, PLAN));
    assert_eq!(codes(&report), [Code::MissingTemplateSection], "{:#?}", report.diagnostics);
}

#[test]
fn repository_templates_with_faults_are_refused_naming_the_file_and_the_fault() {
    let path = ".spectask/templates/quick.toml";
    let cases = [
        (path, "base = \"feature\"\n", "missing field `description`"),
        (path, "description = \"x\"\nbase = \"hotfix\"\n", "`base` is `hotfix`"),
        (path, "description = \"x\"\nbase = \"review\"\n", "`base` is `review`"),
        (path, "description = \"x\"\ncolour = 1\n", "line 2: unknown field `colour`"),
        (path, "description = \"  \"\n", "`description` is blank"),
        (
            path,
            "description = \"x\"\n[documents.tasks]\nfirst_task = [\"test|\"]\n",
            "`documents.tasks.first_task` has a blank",
        ),
        (path, "description = \"x\"\n[documents.plan]\n", "unknown field `plan`"),
        (path, "description = \"x\"\n[documents.design]\nfirst_task = []\n", "unknown field `first_task`"),
        (path, "description = \"x\"\n[documents.bugfix]\n", "only a template with `base = \"bugfix\"`"),
        (
            path,
            "description = \"x\"\nbase = \"bugfix\"\n[documents.requirements]\n",
            "name its table `documents.bugfix`",
        ),
        (path, "description = \"x\"\n[gates]\n", "unknown field `gates`"),
        (".spectask/templates/Quick.toml", "description = \"x\"\n", "not `Quick`"),
        (".spectask/templates/bugfix.toml", "description = \"x\"\n", "is a built-in workflow"),
        ("templates/quick.toml", "description = \"x\"\n", "templates live in"),
    ];
    for (path, text, wanted) in cases {
        let error = Template::parse(path, text).unwrap_err().to_string();
        assert!(error.starts_with(path) && error.contains(wanted), "{path}: {error}");
    }
}

#[test]
fn names_and_paths() {
    assert_eq!(Workflow::ALL.map(Workflow::name), ["feature", "design-first", "bugfix", "review"]);
    assert_eq!(Workflow::from_name("design-first"), Some(Workflow::DesignFirst));
    assert_eq!(template_name_of(".spectask/templates/a-b.toml"), Some("a-b"));
    assert_eq!(template_name_of(".spectask/templates/x/a.toml"), None);
    assert!(is_workflow_name("security-fix2") && !is_workflow_name("2fix") && !is_workflow_name(""));
}
