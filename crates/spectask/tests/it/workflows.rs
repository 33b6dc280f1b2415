//! Workflow templates through the binary: a repository's own templates are listed (and a broken
//! one named with its fault), an unknown workflow is refused at create, and a bugfix task's planner
//! is told the bugfix rules, repaired until its plan starts with a failing test, and handed off as
//! `specs/<task>/bugfix.md`; a repository template's task is planned under its guidance and gates.

use std::time::Duration;

use crate::crash_restart::{setup, wait_for};
use crate::fake_llm::FakeLlm;
use crate::implementation::git;
use crate::support::{Server, http, json, stderr};

const SECURITY_FIX: &str = "description = \"A security fix\"\nbase = \"bugfix\"\n\
guidance = \"Name the CVE in the introduction.\"\n\
[documents.design]\nguidance = \"State the threat model and how the fix closes it.\"\n\
sections = [\"Threat Model\"]\n\
[documents.tasks]\nguidance = \"End with a task that adds the CVE to the changelog.\"\n";
const BROKEN: &str = "description = \"Quick\"\nbase = \"hotfix\"\n";

const BUGFIX: &str = "# Bugfix Analysis\n\n## Introduction\n\nExpired tokens are accepted.\n\n## Glossary\n\n\
- **Auth_Service**: checks tokens\n\n## Current Behavior (Defect)\n\n\
1.1 WHEN a token has expired THEN THE Auth_Service SHALL accept it\n\n## Expected Behavior\n\n\
2.1 WHEN a token has expired THEN THE Auth_Service SHALL answer with status 401\n\n\
## Unchanged Behavior (Regression Prevention)\n\n\
3.1 WHEN a token is valid THEN THE Auth_Service SHALL CONTINUE TO accept it\n";

const DESIGN: &str = "# Design Document\n\n## Overview\n\nCompare the expiry.\n\n## Architecture\n\nNo change.\n\n\
## Components and Interfaces\n\nThe token check.\n\n## Data Models\n\nNo change.\n\n## Error Handling\n\n401.\n\n\
## Testing Strategy\n\nA failing test first.\n";

pub(crate) fn answer(tasks: &str) -> String {
    format!(
        "=== requirements.md ===\n{BUGFIX}=== end ===\n=== design.md ===\n{DESIGN}=== end ===\n\
         === tasks.md ===\n{tasks}=== end ===\n"
    )
}

const FIX_FIRST: &str = "# Implementation Plan\n\n- [ ] 1. Compare the expiry with the clock\n  - _Requirements: 2.1_\n\
- [ ] 2. Write a failing test for an expired token\n  - _Requirements: 1.1, 3.1_\n";
pub(crate) const TEST_FIRST: &str = "# Implementation Plan\n\n- [ ] 1. Write a failing test for an expired token\n  \
- _Requirements: 1.1_\n- [ ] 2. Compare the expiry with the clock\n  - _Requirements: 2.1, 3.1_\n";

const CODER: &str = "[[rule]]\nmatch = \"*\"\nsteps = [ { message = \"Nothing to change.\" } ]\n";

#[test]
fn a_bugfix_task_is_planned_under_its_gates_and_handed_off_as_bugfix_md() {
    let llm = FakeLlm::start(vec![answer(FIX_FIRST), answer(TEST_FIRST)]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [
        ("README.md", "# app\n"),
        (".spectask/templates/security-fix.toml", SECURITY_FIX),
        (".spectask/templates/quick.toml", BROKEN),
    ];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, CODER, "");
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();

    // An unknown workflow is refused before anything is made, naming what there is.
    let refused = server.task(&["create", "--repo", path, "--workflow", "hotfix", "Fix tokens", "--json"]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(said.contains("no workflow named `hotfix`") && said.contains("security-fix"), "{said}");
    let broken = server.task(&["create", "--repo", path, "--workflow", "quick", "Fix tokens", "--json"]);
    assert!(
        stderr(&broken).contains(".spectask/templates/quick.toml: `base` is `hotfix`"),
        "{}",
        stderr(&broken)
    );

    let listed = json(&server.task_like(&["repo", "workflows", path, "--json"]));
    let names: Vec<&str> =
        listed["workflows"].as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["feature", "design-first", "bugfix", "review", "security-fix"], "{listed:#}");
    assert_eq!(listed["workflows"][4]["requirements_file"], "bugfix.md", "{listed:#}");
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1, "{listed:#}");

    let created =
        server.task_json(&["create", "--repo", path, "--workflow", "bugfix", "Fix expired tokens", "--json"]);
    assert_eq!(
        (created["workflow"].as_str(), created["requirements_file"].as_str()),
        (Some("bugfix"), Some("bugfix.md"))
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert_eq!(llm.request_count(), 2, "one answer and one repair");
    assert!(llm.request_text(0).contains("## This spec's workflow: bugfix"), "{}", llm.request_text(0));
    let repair = llm.request_text(1);
    assert!(repair.contains("error[W002]"), "the gate's finding is quoted back: {repair}");

    let spec = server.task_json(&["spec", &id, "--json"]);
    let documents = spec.as_array().unwrap();
    assert_eq!(documents[0]["file_name"], "bugfix.md", "{spec:#}");
    assert_eq!(documents[2]["content"], TEST_FIRST, "{spec:#}");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let handle = task["handle"].as_str().unwrap();
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    let written =
        git(&repo, &["ls-tree", "-r", "--name-only", "helix-design-docs", &format!("specs/{handle}")]);
    // The spec's own files (the history's `versions/<n>/` copies for recovery keep their column names).
    let spec_file = |name: &str| written.lines().any(|l| l == format!("specs/{handle}/{name}"));
    assert!(spec_file("bugfix.md") && !spec_file("requirements.md"), "{written}");
    let shown = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/bugfix.md")]);
    assert_eq!(shown, BUGFIX);

    server.stop();
}

/// A repository template's task: its guidance (the whole spec's and each document's) reaches the
/// planner, its own gate sends the first draft back, the repair clears it, and the spec reaches
/// review clean, under the template's name with its base's first document.
#[test]
fn a_repository_template_task_is_planned_under_its_guidance_and_gates() {
    let threat =
        DESIGN.replace("## Testing Strategy", "## Threat Model\n\nA replayed token.\n\n## Testing Strategy");
    let repaired = answer(TEST_FIRST).replace(DESIGN, &threat);
    let llm = FakeLlm::start(vec![answer(TEST_FIRST), repaired]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [("README.md", "# app\n"), (".spectask/templates/security-fix.toml", SECURITY_FIX)];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, CODER, "");
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();

    let created =
        server.task_json(&["create", "--repo", path, "--workflow", "security-fix", "Fix the CVE", "--json"]);
    assert_eq!(
        (created["workflow"].as_str(), created["requirements_file"].as_str()),
        (Some("security-fix"), Some("bugfix.md")),
        "{created:#}"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert_eq!(task["workflow_base"], "bugfix", "{task:#}");
    assert_eq!(llm.request_count(), 2, "one answer and one repair");
    let asked = llm.request_text(0);
    for said in [
        "## This spec's workflow: security-fix",
        "This spec fixes a defect.",
        "Name the CVE in the introduction.",
        "### design.md\n\nState the threat model and how the fix closes it.\nIt has the sections \"Threat Model\".",
        "### tasks.md\n\nEnd with a task that adds the CVE to the changelog.",
    ] {
        assert!(asked.contains(said), "the planner is not told {said:?}: {asked}");
    }
    let repair = llm.request_text(1);
    assert!(
        repair.contains("error[W001]")
            && repair.contains("the security-fix workflow asks for a \"Threat Model\""),
        "the template's gate is quoted back: {repair}"
    );

    let versions = crate::support::http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    assert_eq!(versions.as_array().map(Vec::len), Some(1), "{versions:#}");
    assert_eq!(versions[0]["lint"], serde_json::json!([]), "{versions:#}");
    let spec = server.task_json(&["spec", &id, "--json"]);
    assert_eq!(spec[0]["file_name"], "bugfix.md", "{spec:#}");
    assert!(spec[1]["content"].as_str().unwrap().contains("## Threat Model"), "{spec:#}");
    server.stop();
}

/// A planner that asks: its questions are kept with version 1, a person answers two of them with
/// their review, and the answers reach the planner's next turn and the review's record.
#[test]
fn a_planners_questions_are_answered_in_the_review_and_drive_the_next_version() {
    let asking = format!(
        "{}=== questions.md ===\n1. Should an expired token be refreshed or refused?\n2. Which clock counts?\n=== end ===\n",
        answer(TEST_FIRST).trim_end_matches("=== end ===\n")
    );
    let llm = FakeLlm::start(vec![asking, answer(TEST_FIRST)]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    spectask_git::init_repository(&repo, &[("README.md", "# app\n")], "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, CODER, "");
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();
    let created =
        server.task_json(&["create", "--repo", path, "--workflow", "bugfix", "Fix expired tokens", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert!(llm.request_text(0).contains("=== questions.md ==="), "the planner is told it may ask");

    let (status, versions) =
        http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/spec-versions"), None);
    assert_eq!(status, 200, "{versions}");
    let versions: serde_json::Value = serde_json::from_str(&versions).unwrap();
    let asked = &versions[0]["questions"];
    assert_eq!(asked[0], "Should an expired token be refreshed or refused?", "{versions:#}");
    assert_eq!(asked.as_array().map(Vec::len), Some(2), "{versions:#}");

    let path_changes = format!("/api/v1/spec-tasks/{id}/request-changes");
    let wrong = r#"{"answers": [{"question": 3, "answer": "UTC"}]}"#;
    let (status, said) = http(&server.url, "POST", &path_changes, Some(wrong));
    assert_eq!(status, 400, "{said}");
    assert!(said.contains("asks 2 questions"), "{said}");
    let answers = r#"{"answers": [{"question": 1, "answer": "Refused with 401"}, {"question": 2, "answer": "The server's UTC clock"}]}"#;
    let (status, said) = http(&server.url, "POST", &path_changes, Some(answers));
    assert_eq!(status, 200, "{said}");
    let review: serde_json::Value = serde_json::from_str(&said).unwrap();
    let comments = review["review"]["comments"].as_str().unwrap_or_default();
    assert!(
        comments.contains("1. Should an expired token be refreshed or refused?\n   Answer: Refused with 401"),
        "{comments}"
    );

    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    let revision = llm.request_text(llm.request_count() - 1);
    assert!(
        revision.contains("Answer: The server's UTC clock"),
        "the answers drive the next version: {revision}"
    );
    server.stop();
}

/// The repository's check: it fails while the reproduction test is there and the fix is not.
const REPRODUCING_CHECK: &str =
    "if [ -f expired_test.txt ] && [ ! -f fix.txt ]; then echo 'expired token accepted'; exit 1; fi";

/// A coder that first writes no test (the check passes: sent back), then the test, then the fix.
const BUGFIX_CODER: &str = r#"
[[rule]]
match = "*no test shows the bug yet*"
steps = [
  { write_file = { path = "expired_test.txt", content = "an expired token must be refused\n" } },
  { message = "Added a test that fails on the current code." },
]

[[rule]]
match = "*Your task: 2 Compare the expiry*"
steps = [
  { write_file = { path = "fix.txt", content = "compare the expiry with the clock\n" } },
  { message = "Fixed the expiry check." },
]

[[rule]]
match = "*Your task: 1 Write a failing test*"
steps = [
  { write_file = { path = "notes.txt", content = "looked at the token check\n" } },
  { message = "Looked at the token check." },
]
"#;

/// A bugfix's first plan task must leave the check failing (a pass is sent back: no test shows the
/// bug), the fix must leave it passing, and the implementation review shows both. One session for
/// the whole plan cannot show that, so `--complexity simple` is refused for a bugfix.
#[test]
fn a_bugfix_shows_its_test_failing_before_the_fix_and_passing_after() {
    let llm = FakeLlm::start(vec![answer(TEST_FIRST)]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    spectask_git::init_repository(&repo, &[("README.md", "# app\n")], "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, BUGFIX_CODER, "");
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();
    let added = server.task_like(&["repo", "add", path, "--check", REPRODUCING_CHECK, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));

    let simple = ["create", "--repo", path, "--workflow", "bugfix", "--complexity", "simple", "Fix tokens"];
    let refused = server.task(&simple);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("complexity `simple`"), "{}", stderr(&refused));

    let created =
        server.task_json(&["create", "--repo", path, "--workflow", "bugfix", "Fix expired tokens", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));

    let review =
        crate::support::http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-review"));
    let reproduction = &review["reproduction"];
    assert_eq!(reproduction["before"]["outcome"], "reproduced", "{review:#}");
    assert_eq!(reproduction["before"]["expects_failure"], true, "{review:#}");
    assert_eq!(reproduction["before"]["passed"], false, "{review:#}");
    assert!(
        reproduction["before"]["output"].as_str().unwrap().contains("expired token accepted"),
        "{review:#}"
    );
    assert_eq!(reproduction["after"]["outcome"], "passed", "{review:#}");
    assert_ne!(reproduction["before_session_id"], reproduction["after_session_id"], "{review:#}");
    let sessions = review["sessions"].as_array().unwrap();
    let first = sessions.iter().find(|s| s["id"] == reproduction["before_session_id"]).unwrap();
    let outcomes: Vec<&str> =
        first["checks"].as_array().unwrap().iter().map(|c| c["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["sent_back", "reproduced"], "a pass went back first: {first:#}");
    assert_eq!(first["checks"][0]["passed"], true, "{first:#}");
    server.stop();
}
