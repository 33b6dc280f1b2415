//! Steering documents through the binary: a repository with `.kiro/steering/product.md` (and a
//! `manual` one that stays out) shows its guidance to the planner and to every session's first
//! prompt. The scripted coder does its work only when its prompt carries the steering text.

use std::time::Duration;

use crate::crash_restart::{create_and_approve, setup, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, sessions};
use crate::support::{Server, http, postgres_url};

const PRODUCT: &str = "# Product\n\nA todo app for small teams; answer in plain words.\n";
const MANUAL: &str = "---\ninclusion: manual\n---\nOnly when asked: the release checklist.\n";

/// Each plan task writes its file only when the steering section is in its prompt; otherwise the
/// agent echoes the prompt and changes nothing.
const STEERED_CODER: &str = r#"
[[rule]]
match = "*Your task: 1 Add the user model*## Steering documents*### .kiro/steering/product.md*A todo app for small teams*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Steered: added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*## Steering documents*A todo app for small teams*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Steered: added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*## Steering documents*A todo app for small teams*"
steps = [
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Steered: wired src/app.js." },
]
"#;

#[test]
fn steering_documents_reach_the_planner_and_every_session_on_postgres() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [
        ("README.md", "# app\n"),
        (".kiro/steering/product.md", PRODUCT),
        (".kiro/steering/release.md", MANUAL),
    ];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, STEERED_CODER, "max_parallel_sessions = 1\n");
    let server = Server::start(&data, Some(&postgres_url()));
    let (id, handle) = create_and_approve(&server, &repo);

    let planner = llm.request_text(0);
    let at = |needle: &str| planner.find(needle).unwrap_or_else(|| panic!("missing {needle:?}:\n{planner}"));
    assert!(at("# Steering documents") < at("## .kiro/steering/product.md"));
    assert!(at("A todo app for small teams") < at("# Repository context"));
    assert!(!planner.contains("release checklist"), "a manual document stays out:\n{planner}");

    // What a reviewer reads beside the spec: both documents, the manual one marked as such.
    let (status, shown) = http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/steering"), None);
    assert_eq!(status, 200, "{shown}");
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let listed: Vec<(&str, &str)> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["inclusion"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [(".kiro/steering/product.md", "always"), (".kiro/steering/release.md", "manual")]);
    assert_eq!(shown[0]["text"], PRODUCT);

    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 3, "{all:#?}");
    for session in &all {
        let summary = session["summary"].as_str().unwrap_or_default();
        assert!(summary.contains("Steered:"), "the first prompt lacked the steering: {session:#}");
        assert!(!summary.contains("release checklist"), "{session:#}");
    }
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &format!("spectask/{handle}")]);
    for file in ["src/user.js", "src/login.js", "src/app.js"] {
        assert!(files.lines().any(|l| l == file), "{file} missing: {files}");
    }
    server.stop();
}

const TECH_RULES: &str = "# Tech\n\nSessions live in PostgreSQL.\n\n```spectask-lint\n[[forbid]]\n\
words = [\"MongoDB\"]\nwhy = \"sessions live in PostgreSQL\"\n```\n";

/// A rule a steering document states in a `spectask-lint` block is checked like a gate: the
/// planner's draft that breaks it is sent back with the finding, and the repaired spec reaches
/// review clean.
#[test]
fn a_steering_rule_sends_a_draft_that_breaks_it_back_to_the_planner() {
    let clean = three_task_spec();
    let at = clean.find("=== end ===\n=== tasks.md ===").expect("design comes before tasks");
    let breaking = format!("{}\nSessions live in MongoDB.\n{}", &clean[..at], &clean[at..]);
    let llm = FakeLlm::start(vec![breaking, clean]);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [("README.md", "# app\n"), (".kiro/steering/tech.md", TECH_RULES)];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    let (data, _script) = setup(dir.path(), &llm, STEERED_CODER, "");
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert_eq!(llm.request_count(), 2, "one draft and one repair");
    let repair = llm.request_text(1);
    assert!(
        repair.contains("G001") && repair.contains("`MongoDB` is ruled out by .kiro/steering/tech.md"),
        "the finding is quoted back: {repair}"
    );
    let (status, versions) =
        http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/spec-versions"), None);
    assert_eq!(status, 200, "{versions}");
    assert!(!versions.contains("G001"), "the repaired spec keeps the rule: {versions}");
    server.stop();
}
