//! `spectask specs lint|parse` on spec files in the dialects found in real repositories.

use std::path::PathBuf;

use crate::support::{Server, git_repo, json, spectask, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spectask-spec/tests/fixtures").join(name)
}

#[test]
fn lint_reports_grouped_findings_with_codes_and_exits_1_only_on_errors() {
    let file = fixture("bad_requirements.md");
    let out = spectask().args(["specs", "lint"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "EARS style is not an error: {}", stdout(&out));
    let text = stdout(&out);
    let prefix = file.display().to_string();
    assert!(
        text.lines().any(|l| l == format!("{prefix}:13: warning[R101]: criterion 1.1 has no shall")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{prefix}:13: note[R107]: criterion 1.1 uses vague word \"fast\" (+3 more on line 17)"
        )),
        "{text}"
    );
    assert_eq!(stderr(&out).trim(), "0 error(s), 6 warning(s), 1 note(s)");

    let errors = spectask().args(["specs", "lint"]).arg(fixture("bad_tasks.md")).output().unwrap();
    assert_eq!(errors.status.code(), Some(1), "{}", stdout(&errors));
    assert!(
        stdout(&errors).contains(": error[T003]: dependency cycle: 2.1 -> 2.2 -> 2.1"),
        "{}",
        stdout(&errors)
    );

    let as_json = json(&spectask().args(["specs", "lint", "--json"]).arg(&file).output().unwrap());
    assert_eq!(
        (as_json["errors"].as_u64(), as_json["warnings"].as_u64(), as_json["notes"].as_u64()),
        (Some(0), Some(6), Some(1))
    );
    let vague = as_json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "R107")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (vague["name"].as_str(), vague["count"].as_u64(), vague["lines"].clone()),
        (Some("vague-word"), Some(4), serde_json::json!([13, 17]))
    );
}

#[test]
fn max_warnings_fails_a_ci_gate_and_several_paths_are_linted_together() {
    let args = |max: &str| {
        spectask()
            .args(["specs", "lint", "--max-warnings", max])
            .arg(fixture("bad_requirements.md"))
            .arg(fixture("no_comma_requirements.md"))
            .output()
            .unwrap()
    };
    let over = args("6");
    assert_eq!(over.status.code(), Some(1), "{}", stdout(&over));
    assert!(stderr(&over).contains("7 warning(s), more than --max-warnings 6"), "{}", stderr(&over));
    let within = args("7");
    assert_eq!(within.status.code(), Some(0), "{}{}", stdout(&within), stderr(&within));
    assert!(stdout(&within).contains("no_comma_requirements.md:12: warning[R103]"), "{}", stdout(&within));
}

#[test]
fn a_spec_kit_folder_is_linted_by_its_own_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let feature = dir.path().join("specs/007-report-export");
    std::fs::create_dir_all(feature.join("checklists")).unwrap();
    std::fs::write(feature.join("spec.md"), std::fs::read(fixture("speckit_spec.md")).unwrap()).unwrap();
    std::fs::write(feature.join("plan.md"), std::fs::read(fixture("speckit_plan.md")).unwrap()).unwrap();
    std::fs::write(feature.join("tasks.md"), std::fs::read(fixture("speckit_suffix_tasks.md")).unwrap())
        .unwrap();
    std::fs::write(
        feature.join("checklists/requirements.md"),
        "# Spec quality\n\n- [x] CHK001 No implementation details\n",
    )
    .unwrap();
    let out = spectask().args(["specs", "lint"]).arg(dir.path()).output().unwrap();
    let spec = feature.join("spec.md").display().to_string();
    assert_eq!(
        stdout(&out),
        format!(
            "{spec}:19: warning[S001]: open question: NEEDS CLARIFICATION \"stream or refuse?\"\n{spec}:27: warning[S002]: FR-002 is used twice (first on line 26)\n"
        )
    );
    assert_eq!(out.status.code(), Some(0));
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
    std::fs::create_dir_all(dir.path().join(".kiro/settings/templates/specs")).unwrap();
    std::fs::write(dir.path().join(".kiro/settings/templates/specs/requirements.md"), "{{PLACEHOLDER}}\n")
        .unwrap();
    let out = spectask().args(["specs", "lint"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stderr(&out).trim(), "0 error(s), 0 warning(s), 0 note(s)");
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

#[test]
fn every_command_stops_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&dir.path().join("data"), None);
    let created =
        server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add JWT authentication", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    let url = server.url.clone();
    let commands: Vec<Vec<String>> = vec![
        vec!["task", "--server", &url, "sessions", &id, "--json"],
        vec!["task", "--server", &url, "sessions", &id],
        vec!["task", "--server", &url, "list"],
        vec!["task", "--server", &url, "show", &id, "--json"],
        vec!["repo", "--server", &url, "list"],
        vec!["specs", "lint", fixture("bad_requirements.md").to_str().unwrap()],
        vec!["specs", "parse", "--json", fixture("speckit_tasks.md").to_str().unwrap()],
        vec!["--help"],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect();
    for args in commands {
        // The reading end is closed before the command starts: its first write meets a broken pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = spectask().args(&args).stdout(writer).output().unwrap();
        assert!(out.status.success(), "{args:?}: {:?}\n{}", out.status, stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?} printed to stderr");
    }
}

#[test]
fn codes_lists_the_catalogue_with_levels() {
    let codes = json(&spectask().args(["specs", "codes", "--json"]).output().unwrap());
    let all = codes.as_array().unwrap();
    let errors: Vec<&str> =
        all.iter().filter(|c| c["level"] == "error").filter_map(|c| c["code"].as_str()).collect();
    assert_eq!(errors, ["R003", "T001", "T002", "T003", "X001", "W001", "W002", "G001", "M001"]);
    assert!(all.iter().any(|c| c["code"] == "T104" && c["name"] == "task-without-reference"), "{codes:#}");
}
