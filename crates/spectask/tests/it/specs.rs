//! `spectask specs lint|parse` on spec files in the dialects found in real repositories.

use std::path::PathBuf;

use crate::support::{json, spectask, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spectask-spec/tests/fixtures").join(name)
}

#[test]
fn lint_reports_file_line_level_message_and_exits_1_on_errors() {
    let file = fixture("bad_requirements.md");
    let out = spectask().args(["specs", "lint"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let prefix = file.display().to_string();
    assert!(text.lines().any(|l| l == format!("{prefix}:13: error: criterion 1.1 has no shall")), "{text}");
    assert!(
        text.contains(&format!("{prefix}:13: warning: criterion 1.1 uses vague word \"fast\"")),
        "{text}"
    );

    let as_json = spectask().args(["specs", "lint", "--json"]).arg(&file).output().unwrap();
    let diagnostics: serde_json::Value = serde_json::from_slice(&as_json.stdout).unwrap();
    assert!(diagnostics.as_array().unwrap().iter().any(|d| d["level"] == "error" && d["line"] == 15));
}

#[test]
fn lint_of_a_consistent_spec_directory_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join(".kiro/specs/auth");
    std::fs::create_dir_all(&spec).unwrap();
    std::fs::write(
        spec.join("requirements.md"),
        "# Requirements Document\n\n## Glossary\n\n- **Auth_Service**: issues tokens\n\n## Requirements\n\n\
         ### Requirement 1: Login\n\n**User Story:** As a user, I want to log in, so that I can work.\n\n\
         #### Acceptance Criteria\n\n1. WHEN a user submits valid credentials, THE Auth_Service SHALL issue a token\n",
    )
    .unwrap();
    std::fs::write(
        spec.join("tasks.md"),
        "# Implementation Plan\n\n- [ ] 1. Implement login\n  - _Requirements: 1.1_\n",
    )
    .unwrap();
    let out = spectask().args(["specs", "lint"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stderr(&out).trim(), "0 error(s), 0 warning(s)");
}

#[test]
fn parse_json_gives_the_task_tree_and_summary() {
    let kiro =
        json(&spectask().args(["specs", "parse", "--json"]).arg(fixture("kiro_tasks.md")).output().unwrap());
    assert_eq!(kiro["kind"], "tasks");
    assert_eq!(kiro["summary"]["top_tasks"], 5);
    assert_eq!(kiro["summary"]["sub_tasks"], 6);
    assert_eq!(kiro["tasks"][1]["children"][0]["id"], "2.1");
    assert_eq!(kiro["tasks"][1]["children"][0]["state"], "done");

    let reqs = json(
        &spectask()
            .args(["specs", "parse", "--json"])
            .arg(fixture("kiro_gen2_requirements.md"))
            .output()
            .unwrap(),
    );
    assert_eq!(reqs["kind"], "requirements");
    assert_eq!(reqs["summary"]["ears"]["complex"], 1);

    let missing = spectask().args(["specs", "parse", "/no/such/tasks.md"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read /no/such/tasks.md"), "{}", stderr(&missing));
}
