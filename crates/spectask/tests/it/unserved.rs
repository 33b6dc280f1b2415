//! Requests an agent sends that spectask does not serve (a vendor's own methods) are answered
//! "method not found" and counted: the counts of a task's live agent show in its instance
//! (`GET /spec-tasks/{id}/editor/instance`) and per profile in `GET /agents`.

use serde_json::json;

use crate::implementation::{sessions, wait_until};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, http_json, scripted_coder_data};

const SCRIPT: &str = r#"
[[rule]]
match = "*Your task: Pair on the app*"
steps = [
  { vendor = "craft/drainMidTurnQueue" },
  { vendor = "craft/drainMidTurnQueue" },
  { vendor = "_acme/telemetry" },
  { message = "Ready." },
]
"#;

fn counts_show_for_the_live_agent(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), SCRIPT);
    let server = Server::start(&data, database_url);
    let id = server.interactive(&repo, "Pair on the app");
    wait_for_status(&server, &id, "implementation");
    // The interactive session stays open after its first turn: its agent lives on.
    wait_until("the session answered its first prompt", || {
        sessions(&server, &id)
            .first()
            .is_some_and(|s| s["summary"].as_str().is_some_and(|t| t.ends_with("Ready.")))
    });
    let expected = json!({ "craft/drainMidTurnQueue": 2, "_acme/telemetry": 1 });
    let instance = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/editor/instance"));
    assert_eq!(instance["on_this_node"], true, "{instance:#}");
    assert_eq!(instance["unserved_requests"], expected, "{instance:#}");
    let agents = http_json(&server.url, "/api/v1/agents");
    let coder = agents.as_array().unwrap().iter().find(|a| a["name"] == "coder").expect("the coder profile");
    assert_eq!(coder["unserved_requests"], expected, "{agents:#}");
    server.stop();
}

#[test]
fn unserved_requests_of_a_live_agent_are_counted_in_the_api() {
    counts_show_for_the_live_agent(None);
}

#[test]
fn unserved_requests_of_a_live_agent_are_counted_in_the_api_on_postgres() {
    let url = crate::support::postgres_url();
    counts_show_for_the_live_agent(Some(&url));
}
