//! Expected complexity through the real binary: a spec task created `--complexity simple` is
//! implemented by one work session for the whole plan (told every plan task), whose one commit names
//! every requirement, and whose completion ticks every marker of the plan in one design-docs commit.

use std::time::Duration;

use crate::crash_restart::{setup, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{git, sessions};
use crate::support::{Server, git_repo, http_json, postgres_url, stderr};

/// Matches only a prompt listing all three plan tasks, in order, under the whole plan's heading.
const WHOLE_PLAN_CODER: &str = r#"
[[rule]]
match = "*Your task: Implement the whole plan*1 Add the user model*2 Add the login route*3 Wire login into the app*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Implemented the whole plan: src/user.js, src/login.js, src/app.js." },
]

[[rule]]
match = "*"
steps = [{ message = "Unexpected prompt: nothing done." }]
"#;

#[test]
fn a_simple_task_runs_one_session_for_the_whole_plan_and_ticks_every_marker() {
    simple_task(None);
}

#[test]
fn a_simple_task_runs_one_session_for_the_whole_plan_on_postgres() {
    simple_task(Some(&postgres_url()));
}

fn simple_task(database_url: Option<&str>) {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = setup(dir.path(), &llm, WHOLE_PLAN_CODER, "");
    let server = Server::start(&data, database_url);
    let args = ["create", "--repo", repo.to_str().unwrap(), "Add login", "--complexity", "simple", "--json"];
    let created = server.task_json(&args);
    assert_eq!(created["complexity"], "simple", "{created:#}");
    let id = created["id"].as_str().unwrap().to_owned();
    let handle = created["handle"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(30));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));

    let all = sessions(&server, &id);
    assert_eq!(all.len(), 1, "exactly one session: {all:#?}");
    assert_eq!(all[0]["name"], "Implement the whole plan", "{all:#?}");
    assert_eq!(all[0]["status"], "completed", "{all:#?}");
    let summary = all[0]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Implemented the whole plan: src/user.js"),
        "the agent was told the whole plan: {summary}"
    );

    let branch = format!("spectask/{handle}");
    let messages = git(&repo, &["log", "--format=%B", &branch]);
    let trailers: Vec<&str> = messages.lines().filter(|l| l.starts_with("Work-Session: ")).collect();
    assert_eq!(trailers.len(), 1, "one commit:\n{messages}");
    assert!(messages.contains("Implements: 1.1, 1.2"), "every requirement of the plan:\n{messages}");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    for file in ["src/user.js", "src/login.js", "src/app.js"] {
        assert!(files.lines().any(|l| l == file), "{file} in\n{files}");
    }

    // The plan is ticked by the commit step after the write that ends the implementation (the
    // tick is on no session's way): the review may open a moment before it lands.
    let ticked = || {
        ["tasks.md", "progress.md"].iter().all(|name| {
            let text = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/{name}")]);
            text.matches("- [x]").count() == 3
        })
    };
    crate::implementation::wait_until("every plan task is ticked on the design-docs branch", ticked);
    for name in ["tasks.md", "progress.md"] {
        let text = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/{name}")]);
        assert_eq!(text.matches("- [x]").count(), 3, "every marker ticked in {name}:\n{text}");
        assert!(!text.contains("- [ ]") && !text.contains("- [~]"), "{name}:\n{text}");
    }
    let ticks = git(&repo, &["log", "--format=%s", "helix-design-docs", "--grep", "every plan task done"]);
    assert_eq!(ticks.lines().count(), 1, "one commit ticks them all:\n{ticks}");
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let done: Vec<_> = log.as_array().unwrap().iter().filter(|e| e["kind"] == "plan_task_done").collect();
    assert_eq!(done.len(), 1, "{log:#}");
    assert_eq!(done[0]["message"], "every plan task done", "{log:#}");
    // The dashboard's progress counts every plan task done by the one session.
    let progress = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/progress"));
    assert_eq!(progress["counts"]["done"], 3, "{progress:#}");
    server.stop();
}

#[test]
fn an_unknown_complexity_is_refused_naming_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let out = crate::support::spectask()
        .args(["task", "create", "--repo", repo.to_str().unwrap(), "x", "--complexity", "medium"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("medium") && err.contains("simple, complex"), "{err}");
}
