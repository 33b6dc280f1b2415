//! The usage ledger through the binary: the scripted coder reports each turn's tokens (and one
//! thread's cost) as a real agent does; the server is killed with `kill -9` mid-turn and restarted.
//! Each session's usage is its one finished turn's, the task's is their sum with the planner's
//! calls, nothing counted twice; `/metrics`, `task show` and IMPLEMENTATION_COMPLETE.md show it.

use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::{
    PLAN, assert_implemented_once_and_finish, create_and_approve, kill_9_and_restart_node, setup_agent,
    wait_for, wait_mid_session,
};
use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{sessions, wait_until};
use crate::support::{CoderConfig, Server, git_repo, http, http_json, stdout};

/// Each session reports its tokens at once, then works a while (sessions 1 and 2 are cut off by
/// the kill and do it all again); session 1's agent also reports its thread's cost.
const COUNTING_CODER: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { usage = { used = 1200, size = 200000, input = 1000, output = 100, cached = 200, cost = 0.5, currency = "USD" } },
  { sleep = 2500 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { usage = { used = 3300, size = 200000, input = 3000, output = 300 } },
  { sleep = 4000 },
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { usage = { used = 550, size = 200000, input = 500, output = 50 } },
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]
"##;

/// Prices of the coder's model and of the fake planner's (`m`), per million tokens.
const PRICES: &str = r#"
[prices."coder-model"]
input_per_million = 2.0
output_per_million = 10.0
cached_input_per_million = 1.0

[prices.m]
input_per_million = 1.0
output_per_million = 1.0
"#;

fn tokens(usage: &Value) -> (u64, u64, u64) {
    let n = |k: &str| usage[k].as_u64().unwrap_or_else(|| panic!("{k} in {usage}"));
    (n("input_tokens"), n("output_tokens"), n("cached_tokens"))
}

fn cost(usage: &Value) -> f64 {
    assert_eq!(usage["cost"]["currency"], "USD", "{usage}");
    usage["cost"]["amount"].as_f64().unwrap_or_else(|| panic!("a cost in {usage}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn each_turn_is_counted_once_across_a_kill_9_and_rolled_up_per_task() {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let config =
        CoderConfig { profile: "model = \"coder-model\"\n", orchestrator: PRICES, ..CoderConfig::default() };
    let (data, _script) = setup_agent(dir.path(), &llm, COUNTING_CODER, &config);
    let server = Server::start_node(&data, None, "node-1");
    let (id, handle) = create_and_approve(&server, &repo);
    wait_mid_session(&server, &id);
    let server = kill_9_and_restart_node(server, &data, None);
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));

    // Each session: its one finished turn, however many were cut off.
    let all = sessions(&server, &id);
    let usage_of = |name: &str| all.iter().find(|s| s["name"] == name).map(|s| s["usage"].clone()).unwrap();
    let (one, two, three) = (usage_of(PLAN[0]), usage_of(PLAN[1]), usage_of(PLAN[2]));
    assert_eq!(tokens(&one), (1000, 100, 200), "{all:#?}");
    assert_eq!(tokens(&two), (3000, 300, 0), "{all:#?}");
    assert_eq!(tokens(&three), (500, 50, 0), "{all:#?}");
    // Session 1's cost as its agent reported it; the others priced by the table.
    assert!(close(cost(&one), 0.5), "{one}");
    assert!(close(cost(&two), 0.009), "{two}");
    assert!(close(cost(&three), 0.0015), "{three}");
    assert_eq!(one["context"]["used"], 1200, "{one}");
    assert_eq!(one["context"]["size"], 200000, "{one}");

    // The task: the sessions and the planner's calls (model `m`, as the spec version recorded them).
    let versions = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    let calls: Vec<&Value> =
        versions.as_array().unwrap().iter().flat_map(|v| v["usage"].as_array().unwrap().iter()).collect();
    let planner_in: u64 = calls.iter().map(|c| c["input_tokens"].as_u64().unwrap()).sum();
    let planner_out: u64 = calls.iter().map(|c| c["output_tokens"].as_u64().unwrap()).sum();
    assert!(planner_in > 0, "the fake planner reports usage: {versions:#}");
    let task = server.task_json(&["show", &id, "--json"]);
    assert_eq!(tokens(&task["usage"]), (4500 + planner_in, 450 + planner_out, 200), "{:#}", task["usage"]);
    let planner_cost = (planner_in + planner_out) as f64 / 1_000_000.0;
    assert!(close(cost(&task["usage"]), 0.5 + 0.009 + 0.0015 + planner_cost), "{:#}", task["usage"]);

    // `task show` and /metrics say the same.
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains(&format!("{} in (200 cached)", grouped(4500 + planner_in))), "{shown}");
    let (status, metrics) = http(&server.url, "GET", "/api/v1/metrics", None);
    assert_eq!(status, 200, "{metrics}");
    let input_line = metrics
        .lines()
        .find(|l| l.starts_with("spectask_tokens_total{") && l.contains("kind=\"input\""))
        .unwrap_or_else(|| panic!("no input tokens counter in\n{metrics}"));
    assert!(input_line.ends_with(&format!(" {}", 4500 + planner_in)), "{input_line}");
    assert!(metrics.lines().any(|l| l.starts_with("spectask_cost_total{")), "{metrics}");

    // Done, and the closing summary in git has the usage.
    assert_implemented_once_and_finish(&server, &repo, &id, &handle);
    let path = format!("helix-design-docs:sessions/{handle}/IMPLEMENTATION_COMPLETE.md");
    let mut complete = String::new();
    wait_until("IMPLEMENTATION_COMPLETE.md is committed", || {
        complete = std::process::Command::new("git")
            .args(["show", &path])
            .current_dir(&repo)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        !complete.is_empty()
    });
    assert!(complete.contains("## Usage"), "{complete}");
    assert!(
        complete.contains("Usage: 1000 input tokens (200 cached), 100 output, cost 0.5000 USD."),
        "{complete}"
    );
    server.stop();
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
