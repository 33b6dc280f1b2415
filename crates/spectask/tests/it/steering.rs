//! Steering documents through the binary: a repository with `.kiro/steering/product.md` (and a
//! `manual` one that stays out) shows its guidance to the planner and to every session's first
//! prompt. The scripted coder does its work only when its prompt carries the steering text.

use std::time::Duration;

use crate::crash_restart::{create_and_approve, setup, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, sessions};
use crate::support::{Server, postgres_url};

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
