//! `spectask task sessions|spawn`: the session tree of a task and spawning work into it.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::client::ApiClient;
use crate::commands::task::encode;
use crate::output::{out, outln, text};

/// Prints the session tree: children under their parent, with status and plan task.
pub async fn sessions(client: &ApiClient, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let sessions = client.get(&format!("/spec-tasks/{}/work-sessions", encode(id)), &[]).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&sessions)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let all = sessions.as_array().cloned().unwrap_or_default();
    if all.is_empty() {
        outln!("no work sessions yet")?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", tree(&all))?;
    Ok(ExitCode::SUCCESS)
}

pub fn tree(all: &[Value]) -> String {
    fn walk(all: &[Value], parent: &Value, depth: usize, out: &mut String) {
        for s in all.iter().filter(|s| &s["parent_id"] == parent) {
            let detail = match s["state"]["status"].as_str() {
                Some("blocked") => " (waiting on other sessions)".to_owned(),
                Some("failed" | "interrupted") => format!(" ({})", text(&s["state"], "reason")),
                _ if s["stall"].is_object() => format!(" ({})", stalled(&s["stall"])),
                _ => String::new(),
            };
            let editor = match s["opened_from_editor"].as_str() {
                Some(client) => format!(" [from {client}]"),
                None => String::new(),
            };
            let usage = match crate::usage_text::usage(&s["usage"]) {
                u if u.is_empty() => u,
                u => format!(" [{u}]"),
            };
            out.push_str(&format!(
                "{}{} {:<11} {}{editor}{detail}{usage}\n",
                "  ".repeat(depth),
                if depth == 0 { "-" } else { "└" },
                text(s, "status"),
                text(s, "name"),
            ));
            walk(all, &s["id"], depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(all, &Value::Null, 0, &mut out);
    out
}

/// A stall mark in words: `stalled: its agent silent since 06:59:45 UTC (on_stall = "notify")`.
fn stalled(stall: &Value) -> String {
    let last = text(stall, "last_activity_at");
    let at = last.get(11..19).unwrap_or(&last);
    format!("stalled: its agent silent since {at} UTC (on_stall = \"{}\")", text(stall, "policy"))
}

pub async fn spawn(
    client: &ApiClient,
    task: &str,
    from: &str,
    name: &str,
    description: Option<String>,
    agent: Option<String>,
) -> anyhow::Result<Value> {
    let mut body = json!({ "name": name, "description": description.unwrap_or_default() });
    if let Some(agent) = agent {
        body["agent_profile"] = json!(agent);
    }
    client
        .post(&format!("/spec-tasks/{}/work-sessions/{}/spawn", encode(task), encode(from)), Some(body))
        .await
}

/// The running sessions of a task, or the one named.
async fn running(client: &ApiClient, task: &str, session: Option<String>) -> anyhow::Result<Vec<String>> {
    if let Some(s) = session {
        return Ok(vec![s]);
    }
    let sessions = client.get(&format!("/spec-tasks/{}/work-sessions", encode(task)), &[]).await?;
    let ids: Vec<String> = sessions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["status"] == "running")
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        anyhow::bail!("task {task} has no running work session");
    }
    Ok(ids)
}

pub async fn say(
    client: &ApiClient,
    task: &str,
    session: Option<String>,
    text: &str,
) -> anyhow::Result<Value> {
    let id = running(client, task, session).await?.remove(0);
    client.post(&format!("/work-sessions/{}/messages", encode(&id)), Some(json!({ "text": text }))).await
}

pub async fn finish(client: &ApiClient, task: &str) -> anyhow::Result<Value> {
    let mut last = Value::Null;
    for id in running(client, task, None).await? {
        last = client.post(&format!("/work-sessions/{}/complete", encode(&id)), None).await?;
    }
    Ok(last)
}
