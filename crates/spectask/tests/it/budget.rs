//! Budgets through the binary: sessions run one at a time and each turn reports 10,000 tokens. The
//! task's budget (set by a person in spec review) is crossed at 80% after session 1 and reached
//! after session 2's turn: session 2 completes, session 3 pauses before prompting its agent, a
//! person's Resume is refused, and raising the budget lets the task finish. Each line and the
//! decision are in the coordination log, on the design-docs branch and in `state.json`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::{PLAN, setup_agent, wait_for};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{sessions, wait_until};
use crate::support::{
    CoderConfig, Server, git_repo, http, http_json, postgres_url, spectask, stderr, stdout,
};

/// Every plan task's turn uses 10,000 tokens; its one usage update (a context of 500 tokens) keeps
/// each turn under the budgets while it runs, so they are reached as turns end.
pub(crate) const SPENDING_CODER: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { usage = { used = 500, size = 200000, input = 9000, output = 1000 } },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { usage = { used = 500, size = 200000, input = 9000, output = 1000 } },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { usage = { used = 500, size = 200000, input = 9000, output = 1000 } },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]
"##;

#[test]
fn a_budget_reached_pauses_the_task_until_a_person_raises_it_on_sqlite() {
    reached_then_raised(None);
}

#[test]
fn a_budget_reached_pauses_the_task_until_a_person_raises_it_on_postgres() {
    reached_then_raised(Some(&postgres_url()));
}

/// A server whose coder spends 10,000 tokens a turn, one session at a time, and a task on it
/// planned and waiting in spec review. Bind `_dir` and `_llm` by name: they must live as long as
/// the server.
pub(crate) struct Planned {
    pub _dir: tempfile::TempDir,
    pub _llm: FakeLlm,
    pub data: std::path::PathBuf,
    pub repo: std::path::PathBuf,
    pub server: Server,
    pub id: String,
    /// The task in spec review.
    pub task: Value,
}

/// `config` is appended to the configuration (after `[orchestrator]`'s limit).
pub(crate) fn planned(database: Option<&str>, config: &str) -> Planned {
    planned_with(database, config, SPENDING_CODER)
}

/// [`planned`] with the coder's script `coder`.
pub(crate) fn planned_with(database: Option<&str>, config: &str, coder: &str) -> Planned {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let orchestrator = format!("max_parallel_sessions = 1\n{config}");
    let config = CoderConfig { orchestrator: &orchestrator, ..CoderConfig::default() };
    let (data, _script) = setup_agent(dir.path(), &llm, coder, &config);
    let server = Server::start_node(&data, database, "node-1");
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["budget"]["tokens"], Value::Null, "no default budget: {created:#}");
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(30));
    Planned { _dir: dir, _llm: llm, data, repo, server, id, task }
}

fn reached_then_raised(database: Option<&str>) {
    let Planned { server, id, task, repo, _dir, _llm, .. } = planned(database, "");
    let handle = task["handle"].as_str().unwrap().to_owned();

    // What planning spent, plus 12,000: session 1 takes the task past 80%, session 2 past 100%.
    let planned = spent_tokens(&task);
    let limit = planned + 12_000;
    let set = server.task(&["budget", &id, "--budget-tokens", &limit.to_string(), "--json"]);
    assert!(set.status.success(), "{}", stderr(&set));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));

    let paused = wait_until_value("session 3 is paused by the budget", &server, &id, |all| {
        let three = all.iter().find(|s| s["name"] == PLAN[2])?;
        (three["status"] == "interrupted").then(|| three.clone())
    });
    let reason = paused["state"]["reason"].as_str().unwrap_or_default().to_owned();
    let all = sessions(&server, &id);
    assert!(reason.starts_with("paused by budget"), "session 3: {paused:#}\nall: {all:#?}");
    for name in &PLAN[..2] {
        let s = all.iter().find(|s| s["name"] == *name).unwrap();
        assert_eq!(s["status"], "completed", "the turn that reached the budget finishes: {all:#?}");
    }
    let task = server.task_json(&["show", &id, "--json"]);
    assert_eq!(task["status"], "implementation", "{task:#}");
    assert_eq!(task["budget"]["level"], "reached", "{task:#}");
    assert_eq!(task["budget"]["paused"], true, "{task:#}");
    assert_eq!(task["budget"]["spent_tokens"].as_u64(), Some(planned + 20_000), "{task:#}");
    assert_eq!(task["budget"]["held_by"]["budget"], "task", "{task:#}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("paused by budget: the task reached its budget"), "{shown}");

    // The agent of session 3 was never prompted: nothing of its turn is on record.
    assert_eq!(paused["usage"]["input_tokens"], 0, "{paused:#}");

    // A person cannot resume it without raising the budget.
    let session = paused["id"].as_str().unwrap();
    let (status, body) = http(
        &server.url,
        "PUT",
        &format!("/api/v1/work-sessions/{session}/status"),
        Some(r#"{"status":"running"}"#),
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("budget_reached") && body.contains("raise it"), "{body}");

    // Each line was told once, in the coordination log.
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let budget_lines = |log: &Value| -> Vec<String> {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "budget")
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let lines = budget_lines(&log);
    assert_eq!(lines.len(), 3, "set, 80% and reached: {lines:#?}");
    assert!(lines[1].contains("used 80%"), "{lines:#?}");
    assert!(lines[2].contains("reached its budget"), "{lines:#?}");

    // Raising the budget resumes session 3 and the task finishes.
    let raised = server.task(&["budget", &id, "--budget-tokens", &(limit + 50_000).to_string()]);
    assert!(raised.status.success(), "{}", stderr(&raised));
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_eq!(task["budget"]["level"], "within", "{task:#}");
    assert_eq!(task["budget"]["set_by"].as_str().map(str::is_empty), Some(false), "{task:#}");
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let lines = budget_lines(&log);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines[3].contains(&format!("set the task's budget to {} tokens", limit + 50_000)), "{lines:#?}");

    // The ledger and the decisions are in git: the coordination log and the task's state.
    wait_until("the budget's decisions are on the design-docs branch", || {
        show(&repo, &format!("sessions/{handle}/coordination-log.md"))
            .is_some_and(|log| log.contains("set the task's budget to") && log.contains("reached its budget"))
    });
    wait_until("state.json holds the raised budget", || {
        show(&repo, &format!("specs/{handle}/state.json")).is_some_and(|state| {
            let state: Value = serde_json::from_str(&state).unwrap();
            state["task_budgets"][0]["tokens"].as_u64() == Some(limit + 50_000)
                && state["usage_entries"].as_array().is_some_and(|rows| rows.len() >= 3)
        })
    });
    server.stop();
}

pub(crate) fn spent_tokens(task: &Value) -> u64 {
    let n = |k: &str| task["usage"][k].as_u64().unwrap_or_else(|| panic!("{k} in {task:#}"));
    n("input_tokens") + n("output_tokens")
}

/// Waits until `found` finds something among the task's sessions; says all of them if it never does.
pub(crate) fn wait_until_value(
    what: &str,
    server: &Server,
    id: &str,
    mut found: impl FnMut(&[Value]) -> Option<Value>,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let all = sessions(server, id);
        if let Some(value) = found(&all) {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}: {all:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A file on the design-docs branch, if it is there.
fn show(repo: &Path, path: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["show", &format!("helix-design-docs:{path}")])
        .current_dir(repo)
        .output()
        .unwrap();
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Amounts through the command line: `NaN`, `inf` and negative amounts are refused naming the
/// flag (never sent as "no limit"), a currency must be an ISO 4217 code, and `usd` is `USD`.
#[test]
fn amounts_that_are_not_amounts_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let refused: [(&[&str], &str); 6] = [
        (&["task", "budget", "x", "--budget-cost", "NaN"], "--budget-cost is NaN"),
        (&["task", "budget", "x", "--budget-cost", "inf"], "--budget-cost is inf"),
        (&["task", "create", "--repo", ".", "x", "--budget-cost", "-1"], "--budget-cost is -1"),
        (&["repo", "budget", "x", "--daily-cost", "infinity"], "--daily-cost is infinity"),
        (&["user", "budget", "local", "--daily-cost", "-0.5", "--data-dir", "."], "--daily-cost is -0.5"),
        (
            &["task", "budget", "x", "--budget-cost", "1", "--currency", "dollars"],
            "--currency is \"dollars\"",
        ),
    ];
    for (args, said) in refused {
        let out = spectask().args(args).current_dir(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
    }
    // Nothing was set by the refusals; `usd` is read as `USD`.
    let data = dir.path().join("data");
    let set = spectask()
        .args(["user", "budget", "local", "--daily-cost", "2", "--currency", "usd", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("of 2.00 USD"), "{}", stdout(&set));
}
