//! The `specs parse --json` shapes for the three documents.

use serde_json::json;
use spectask_spec::{DocumentKind, parse_to_json};

#[test]
fn task_plan_shape_is_a_tree_with_summary_and_checklists() {
    let value = parse_to_json(
        "tasks.md",
        "# Tasks\n- [x] 1. A\n  - [~] 1.1 B\n    - _Requirements: 1.1_\n  - [ ]* 1.2 C\n\n## Validation Checklist\n- [ ] tested\n",
    );
    assert_eq!(
        value,
        json!({
            "kind": "tasks",
            "tasks": [{
                "id": "1", "title": "A", "state": "done", "marker": "x", "optional": false, "parallel": false,
                "requirements": [], "depends": [], "section": "Tasks", "line": 2,
                "children": [
                    {"id": "1.1", "title": "B", "state": "in_progress", "marker": "~", "optional": false,
                     "parallel": false, "requirements": ["1.1"], "depends": [], "section": "Tasks", "line": 3,
                     "children": []},
                    {"id": "1.2", "title": "C", "state": "pending", "marker": " ", "optional": true,
                     "parallel": false, "requirements": [], "depends": ["1.1"], "section": "Tasks", "line": 5,
                     "children": []}
                ]
            }],
            "checklists": [{"heading": "Validation Checklist", "line": 7, "items": [
                {"text": "tested", "state": "pending", "marker": " ", "line": 8}
            ]}],
            "warnings": [],
            "summary": {"top_tasks": 1, "sub_tasks": 2, "done": 1, "in_progress": 1, "optional": 1}
        })
    );
}

#[test]
fn requirements_shape_counts_ears_patterns() {
    let value = parse_to_json("requirements.md", include_str!("../fixtures/kiro_gen2_requirements.md"));
    assert_eq!(value["kind"], "requirements");
    assert_eq!(
        value["summary"],
        json!({"requirements": 3, "criteria": 9, "ears": {
            "ubiquitous": 2, "event": 3, "state": 1, "unwanted": 1, "optional": 1, "complex": 1, "non_ears": 0
        }})
    );
    assert_eq!(
        value["requirements"][0]["criteria"][2],
        json!({"id": "1.3", "text": "IF the Classifier times out, THEN THE Issue_Manager SHALL retry once",
               "line": 23, "end_line": 23, "ears": "unwanted", "system": "Issue_Manager", "shall_count": 1})
    );
    assert_eq!(
        value["glossary"][0],
        json!({"term": "Issue_Manager", "definition": "the component that reads new issues and applies labels", "line": 9})
    );
}

#[test]
fn design_shape_lists_sections_with_bodies() {
    let value = parse_to_json("design.md", include_str!("../fixtures/design.md"));
    assert_eq!(value["kind"], "design");
    assert_eq!(value["title"], "Design Document: Issue Automation");
    assert_eq!(
        value["sections"][0],
        json!({"title": "Overview", "level": 2, "line": 3, "end_line": 6,
               "body": "\nA GitHub Action runs the classifier on every new issue."})
    );
}

#[test]
fn document_kind_from_name_then_content() {
    assert_eq!(DocumentKind::detect(".kiro/specs/a/requirements.md", ""), DocumentKind::Requirements);
    assert_eq!(DocumentKind::detect("specs/a/progress.md", ""), DocumentKind::Tasks);
    assert_eq!(DocumentKind::detect("DESIGN.md", ""), DocumentKind::Design);
    assert_eq!(DocumentKind::detect("x.md", "### Requirement 1\n"), DocumentKind::Requirements);
    assert_eq!(DocumentKind::detect("x.md", "- [ ] 1. Task\n"), DocumentKind::Tasks);
    assert_eq!(DocumentKind::detect("x.md", "## Overview\n"), DocumentKind::Design);
}
