//! A planning agent (an `acp` planning profile: the scripted agent) through the binary, as a team
//! lead relies on it. Its turns are in the usage ledger as the task's planning, and a request for
//! changes is weighed against the task's budget before the agent is prompted again: a budget the
//! first draft used up holds the revision until a person raises it. An agent that goes silent while
//! it plans is shown stalled on its task (`task show`, the API's attention) until it speaks again;
//! under `on_stall = "interrupt"` it is prompted again, under `fail` the planning fails.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::fake_llm::spec_answer;
use crate::support::{CoderConfig, Server, coder_data, git_repo, http_json, postgres_url, stderr, stdout};

/// The three documents of a spec that lints clean, as the scripted agent's `write_file` steps;
/// `marker` is in every one.
fn writes(marker: &str) -> String {
    ["requirements.md", "design.md", "tasks.md"].iter().map(|name| write_one(marker, name)).collect()
}

/// The document `name` of [`spec_answer`]'s spec, as one `write_file` step.
fn write_one(marker: &str, name: &str) -> String {
    let answer = spec_answer(marker);
    let start = answer.find(&format!("=== {name} ===\n")).unwrap() + name.len() + 9;
    let end = start + answer[start..].find("=== end ===").unwrap();
    format!(
        "  {{ write_file = {{ path = \".spectask/spec/{name}\", content = '''\n{}''' }} }},\n",
        &answer[start..end]
    )
}

/// The first draft reports 50,000 tokens in and 5,000 out; the revision 20,000 and 2,000.
fn counted_script() -> String {
    format!(
        "[[rule]]\nmatch = \"*Revise the spec in .spectask/spec/*\"\nsteps = [\n\
         {{ usage = {{ used = 20000, size = 200000, input = 20000, output = 2000 }} }},\n{}\
         {{ message = \"The spec is revised.\" }},\n]\n\n\
         [[rule]]\nmatch = \"*Write the spec for this change*\"\nsteps = [\n\
         {{ usage = {{ used = 50000, size = 200000, input = 50000, output = 5000 }} }},\n{}\
         {{ message = \"The spec is written.\" }},\n]\n",
        writes("revised"),
        writes("first"),
    )
}

fn tokens(task: &Value) -> (u64, u64) {
    let usage = &task["usage"];
    (usage["input_tokens"].as_u64().unwrap_or(0), usage["output_tokens"].as_u64().unwrap_or(0))
}

/// A server whose scripted agent `coder` plans (and implements), following `script`; `orchestrator`
/// lines added. Returns the server and the task made with the agent as its planner.
fn start(
    dir: &std::path::Path,
    database: Option<&str>,
    script: &str,
    profile: &str,
    orchestrator: &str,
) -> (Server, String) {
    let repo = git_repo(dir, "app");
    let config = CoderConfig { profile, orchestrator, ..CoderConfig::default() };
    let (data, _script) = coder_data(dir, script, &config);
    let server = Server::start_node(&data, database, "node-1");
    let create =
        ["create", "--repo", repo.to_str().unwrap(), "--planning-agent", "coder", "Add login", "--json"];
    let created = server.task_json(&create);
    let id = created["id"].as_str().unwrap().to_owned();
    (server, id)
}

#[test]
fn a_planning_agents_tokens_are_counted_and_a_budget_holds_its_revision_on_sqlite() {
    counted_and_held(None);
}

#[test]
fn a_planning_agents_tokens_are_counted_and_a_budget_holds_its_revision_on_postgres() {
    counted_and_held(Some(&postgres_url()));
}

fn counted_and_held(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let (server, id) = start(dir.path(), database, &counted_script(), "", "");
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));

    // The first draft's turn is in the ledger, as the task's planning.
    assert_eq!(tokens(&task), (50_000, 5_000), "{:#}", task["usage"]);
    assert_eq!(task["budget"]["spent_tokens"].as_u64(), Some(55_000), "{:#}", task["budget"]);
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("50,000 in"), "{shown}");

    // A budget the first draft used up: the revision asked for waits, its agent never prompted.
    let set = server.task(&["budget", &id, "--budget-tokens", "50000"]);
    assert!(set.status.success(), "{}", stderr(&set));
    let asked = server.task(&["request-changes", &id, "--comment", "Name the token's lifetime."]);
    assert!(asked.status.success(), "{}", stderr(&asked));
    let held = wait_until(&server, &id, "the revision is held by the budget", |t| {
        t["budget"]["held_by"]["budget"] == "task"
    });
    assert_eq!(held["budget"]["paused"], true, "{held:#}");
    assert_eq!(held["status"], "spec_generation", "{held:#}");
    assert_eq!(held["budget"]["held_by"]["budget"], "task", "{held:#}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("Paused by budget"), "{shown}");
    std::thread::sleep(Duration::from_secs(1));
    let still = server.task_json(&["show", &id, "--json"]);
    assert_eq!(
        (still["status"].as_str(), tokens(&still)),
        (Some("spec_generation"), (50_000, 5_000)),
        "{still:#}"
    );

    // Raised: the revision runs, and its turn is counted too.
    let raised = server.task(&["budget", &id, "--budget-tokens", "1000000"]);
    assert!(raised.status.success(), "{}", stderr(&raised));
    let revised = wait_until(&server, &id, "version 2 is in review", |t| {
        t["status"] == "spec_review" && t["spec_version"] == 2
    });
    assert_eq!(tokens(&revised), (70_000, 7_000), "{:#}", revised["usage"]);
    assert_eq!(revised["budget"]["paused"], false, "{revised:#}");
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("revised"), "{spec:#}");
    server.stop();
}

/// The planning agent says one thing, then is silent for `silence` ms before it writes; a prompt
/// that says its last turn was interrupted is answered at once.
fn silent_script(silence: u64) -> String {
    format!(
        "[[rule]]\nmatch = \"*Your last turn was interrupted*\"\nsteps = [\n{}\
         {{ message = \"Written after the interruption.\" }},\n]\n\n\
         [[rule]]\nmatch = \"*Write the spec for this change*\"\nsteps = [\n\
         {{ message = \"Reading the repository.\" }},\n{{ sleep = {silence} }},\n{}\
         {{ message = \"The spec is written.\" }},\n]\n",
        writes("after the interruption"),
        writes("after the silence"),
    )
}

const STALL_TIME: &str = "stall_after_seconds = 0.5\nmax_attempts = 1\n";

#[test]
fn a_silent_planning_agent_is_shown_stalled_until_it_speaks() {
    let dir = tempfile::tempdir().unwrap();
    let (server, id) = start(dir.path(), None, &silent_script(4000), "on_stall = \"notify\"\n", STALL_TIME);
    let stalled = wait_until(&server, &id, "the planning is marked stalled", |t| {
        t["attention"].as_array().is_some_and(|a| a.iter().any(|a| a["kind"] == "stalled"))
    });
    assert_eq!(stalled["status"], "spec_generation", "{stalled:#}");
    let item =
        stalled["attention"].as_array().unwrap().iter().find(|a| a["kind"] == "stalled").unwrap().clone();
    assert_eq!(item["text"], "The planning agent went silent.", "{item:#}");
    assert_eq!(item["work_session_id"], Value::Null, "{item:#}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("The planning agent went silent."), "{shown}");
    let inbox = http_json(&server.url, "/api/v1/attention");
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "stalled" && a["spec_task_id"] == id.as_str()),
        "{inbox:#}"
    );

    // It speaks again and writes: the mark goes, and the spec is the one it wrote after the silence.
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert!(task["attention"].as_array().unwrap().iter().all(|a| a["kind"] != "stalled"), "{task:#}");
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("after the silence"), "{spec:#}");
    server.stop();
}

#[test]
fn under_interrupt_a_silent_planning_agent_is_prompted_again() {
    let dir = tempfile::tempdir().unwrap();
    let (server, id) =
        start(dir.path(), None, &silent_script(60_000), "on_stall = \"interrupt\"\n", STALL_TIME);
    let started = Instant::now();
    wait_for(&server, &id, "spec_review", Duration::from_secs(30));
    // Written by the turn that followed the interruption, long before the silence would have ended.
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("after the interruption"), "{spec:#}");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    server.stop();
}

#[test]
fn under_fail_a_silent_planning_agent_fails_the_planning() {
    let dir = tempfile::tempdir().unwrap();
    let (server, id) = start(dir.path(), None, &silent_script(60_000), "on_stall = \"fail\"\n", STALL_TIME);
    let failed = wait_for(&server, &id, "failed", Duration::from_secs(30));
    let reason = failed["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("silent for") && reason.contains("on_stall"), "{failed:#}");
    server.stop();
}

#[test]
fn a_design_first_spec_is_drafted_design_first() {
    // The agent writes only what each step asks: the design when asked for it alone, the rest once
    // it is told the design is written. Asked for all three at once, it would write nothing.
    let script = format!(
        "[[rule]]\nmatch = \"*The design is written*\"\nsteps = [\n{}{}{{ message = \"Derived.\" }},\n]\n\n\
         [[rule]]\nmatch = \"*write .spectask/spec/design.md alone, and nothing else yet*\"\nsteps = [\n{}\
         {{ message = \"The design is written.\" }},\n]\n",
        write_one("derived", "requirements.md"),
        write_one("derived", "tasks.md"),
        write_one("designed", "design.md"),
    );
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let (data, _script) = coder_data(dir.path(), &script, &CoderConfig::default());
    let server = Server::start(&data, None);
    let create = [
        "create",
        "--repo",
        repo.to_str().unwrap(),
        "--planning-agent",
        "coder",
        "--workflow",
        "design-first",
        "Add login",
        "--json",
    ];
    let id = server.task_json(&create)["id"].as_str().unwrap().to_owned();
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert_eq!(task["spec_version"], 1, "{task:#}");
    let versions = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    let lint = &versions[0]["lint"];
    assert!(lint.as_array().unwrap().iter().all(|l| !l.as_str().unwrap().contains("error[")), "{lint:#}");
    let spec = server.task_json(&["spec", &id, "--doc", "requirements", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("derived"), "{spec:#}");
    // `task spec` shows it in the order it was written: the design first.
    let shown = stdout(&server.task(&["spec", &id]));
    assert!(shown.starts_with("==> design.md (version 1) <=="), "{shown}");
    assert!(shown.find("==> requirements.md").unwrap() < shown.find("==> tasks.md").unwrap(), "{shown}");
    server.stop();
}

/// `task show --json` once `done` holds, polled for up to a minute.
fn wait_until(server: &Server, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let task = server.task_json(&["show", id, "--json"]);
        if done(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}: {task:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
