//! `spectask task …`: SpecTask commands over the server's HTTP API.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use spectask_core::SpecDocument;

use crate::cli::{CreateArgs, ListArgs, TaskArgs, TaskCommand};
use crate::client::ApiClient;
use crate::output::{fields, out, outln, short_time, table, text};

pub async fn run(args: TaskArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&args.client.server, args.client.token.as_deref())?;
    let json = args.client.json;
    let answer = match args.command {
        TaskCommand::Create(create) => create_task(&client, create).await?,
        TaskCommand::Import { url, kind, complexity, priority } => {
            let body = json!({ "url": url, "kind": kind, "complexity": complexity, "priority": priority });
            let body = Value::Object(
                body.as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            client.post("/spec-tasks/import", Some(body)).await?
        }
        TaskCommand::List(list) => return list_tasks(&client, list, json).await,
        TaskCommand::Show { id } => client.get(&format!("/spec-tasks/{}", encode(&id)), &[]).await?,
        TaskCommand::Cancel { id } => {
            client.post(&format!("/spec-tasks/{}/cancel", encode(&id)), None).await?
        }
        TaskCommand::Retry { id } => client.post(&format!("/spec-tasks/{}/retry", encode(&id)), None).await?,
        TaskCommand::After { id, prerequisites, hold_before } => {
            let body = without_nulls(json!({ "depends_on": prerequisites, "hold_before": hold_before }));
            client.put(&format!("/spec-tasks/{}/prerequisites", encode(&id)), Some(body)).await?
        }
        TaskCommand::Budget { id, budget } => {
            let body = without_nulls(budget.body().unwrap_or_else(|| json!({})));
            client.put(&format!("/spec-tasks/{}/budget", encode(&id)), Some(body)).await?
        }
        TaskCommand::Approve { id, comment } => review(&client, &id, "approve", comment, &[]).await?,
        TaskCommand::Reject { id, comment } => review(&client, &id, "reject", comment, &[]).await?,
        TaskCommand::RequestChanges { id, comment, lines } => {
            review(&client, &id, "request-changes", comment, &lines).await?
        }
        TaskCommand::Spec { id, doc, version } => return spec(&client, &id, doc, version, json).await,
        TaskCommand::Sessions { id } => return crate::sessions_cmd::sessions(&client, &id, json).await,
        TaskCommand::Say { id, text, session } => {
            crate::sessions_cmd::say(&client, &id, session, &text).await?
        }
        TaskCommand::Finish { id } => crate::sessions_cmd::finish(&client, &id).await?,
        TaskCommand::Watch { id } => return crate::watch_cmd::watch(&client, &id, json).await,
        TaskCommand::Spawn { id, from, name, description, agent } => {
            crate::sessions_cmd::spawn(&client, &id, &from, &name, description, agent).await?
        }
    };
    if !json {
        if let Some(id) = answer.get("message_id") {
            outln!("message {id} queued for work session {}", text(&answer, "work_session_id"))?;
            return Ok(ExitCode::SUCCESS);
        }
        if answer.get("phase").is_some() {
            outln!("work session {} is {}", text(&answer, "name"), text(&answer, "status"))?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    // A review answers with the task and the review; show the task.
    let answer = if answer.get("review").is_some() && !json { answer["task"].clone() } else { answer };
    if json {
        outln!("{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        outln!("{}", task_fields(&answer))?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn create_task(client: &ApiClient, args: CreateArgs) -> anyhow::Result<Value> {
    // The server may run elsewhere in the file system's view (another cwd): send an absolute path.
    let repo = if args.repo.exists() {
        args.repo.canonicalize().with_context(|| format!("cannot resolve {}", args.repo.display()))?
    } else {
        std::path::absolute(&args.repo)?
    };
    let body = json!({
        "prompt": args.prompt,
        "repo": repo,
        "title": args.title,
        "kind": args.kind,
        "complexity": args.complexity,
        "priority": args.priority,
        "planning_agent": args.planning_agent,
        "implementation_agent": args.implementation_agent,
        "created_by": std::env::var("USER").ok(),
        "depends_on": (!args.after.is_empty()).then_some(&args.after),
        "hold_before": args.hold_before,
        "budget": args.budget.body().map(without_nulls),
    });
    client.post("/spec-tasks/from-prompt", Some(without_nulls(body))).await
}

async fn list_tasks(client: &ApiClient, args: ListArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut query = vec![("limit", args.limit.to_string()), ("offset", args.offset.to_string())];
    if let Some(status) = args.status {
        query.push(("status", status.to_string()));
    }
    if let Some(repo) = &args.repo {
        let repo = repo.canonicalize().unwrap_or_else(|_| repo.clone());
        query.push(("repo", repo.display().to_string()));
    }
    let page = client.get("/spec-tasks", &query).await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&page)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let items = page["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        outln!("no spec tasks")?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = items
        .iter()
        .map(|t| {
            vec![
                text(t, "short_id"),
                text(t, "status"),
                text(t, "kind"),
                text(t, "priority"),
                text(t, "title"),
                short_time(t, "created_at"),
            ]
        })
        .collect();
    outln!("{}", table(&["id", "status", "kind", "priority", "title", "created"], rows))?;
    let shown = items.len() as i64;
    let total = page["total"].as_i64().unwrap_or(shown);
    if total > shown {
        outln!("({shown} of {total}; use --offset and --limit for more)")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn task_fields(t: &Value) -> String {
    let failure = match &t["failure"] {
        Value::Null => String::new(),
        f => format!("{} (in {})", text(f, "reason"), text(f, "from")),
    };
    fields(&[
        ("id", text(t, "id")),
        ("handle", text(t, "handle")),
        ("title", text(t, "title")),
        ("status", text(t, "status")),
        ("failure", failure),
        ("kind", text(t, "kind")),
        ("complexity", text(t, "complexity")),
        ("priority", text(t, "priority")),
        ("repository", text(&t["repository"], "path")),
        ("planning agent", text(t, "planning_agent")),
        ("implementation agent", text(t, "implementation_agent")),
        ("spec version", text(t, "spec_version")),
        ("waiting", text(t, "queue_reason")),
        ("after", prerequisites(&t["prerequisites"])),
        ("issue", issue(&t["issue"])),
        ("pull request", pull_request(&t["pull_request"])),
        ("usage", crate::usage_text::usage(&t["usage"])),
        ("budget", crate::usage_text::budget(&t["budget"])),
        ("created", short_time(t, "created_at")),
        ("updated", short_time(t, "updated_at")),
    ])
}

/// The tasks a task waits for, in one line: `3f2a9c1d "Add accounts" (done), …, before implementation`.
fn prerequisites(p: &Value) -> String {
    let tasks: Vec<String> = p["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| format!("{} {:?} ({})", text(t, "short_id"), text(t, "title"), text(t, "status")))
        .collect();
    if tasks.is_empty() {
        return String::new();
    }
    format!("{}, before {}", tasks.join(", "), text(p, "hold_before"))
}

/// The issue a task was imported from, in one line.
fn issue(issue: &Value) -> String {
    if issue.is_null() {
        return String::new();
    }
    let closed = if issue["closed"] == true { ", closed" } else { "" };
    format!("#{} {} ({}{closed})", text(issue, "number"), text(issue, "title"), text(issue, "url"))
}

/// A task's pull request in one line: number, state and link, and how old that reading is.
fn pull_request(pr: &Value) -> String {
    if pr.is_null() {
        return String::new();
    }
    let failed = match pr["check_error"].as_str() {
        Some(error) => format!("; last reading failed: {error}"),
        None => String::new(),
    };
    format!(
        "#{} {} on {} ({}) as of {}{failed}",
        text(pr, "number"),
        text(pr, "state"),
        text(pr, "forge"),
        text(pr, "url"),
        short_time(pr, "checked_at")
    )
}

async fn review(
    client: &ApiClient,
    id: &str,
    action: &str,
    comment: Option<String>,
    lines: &[String],
) -> anyhow::Result<Value> {
    // Implementation reviews have their own endpoints; the task's status says which review is open.
    let task = client.get(&format!("/spec-tasks/{}", encode(id)), &[]).await?;
    if task["status"] == "implementation_review" && action != "reject" {
        let endpoint =
            if action == "approve" { "approve-implementation" } else { "request-implementation-changes" };
        let body = json!({ "comments": comment.unwrap_or_default() });
        return client
            .post(&format!("/spec-tasks/{}/{endpoint}", encode(id)), Some(without_nulls(body)))
            .await;
    }
    let action = if action == "approve" { "approve-specs" } else { action };
    let line_comments = lines.iter().map(|l| parse_line_comment(l)).collect::<anyhow::Result<Vec<_>>>()?;
    let body = json!({
        "comments": comment.unwrap_or_default(),
        "line_comments": line_comments,
    });
    client.post(&format!("/spec-tasks/{}/{action}", encode(id)), Some(without_nulls(body))).await
}

/// `DOC:LINE:TEXT` → `{"document", "line", "comment"}`.
fn parse_line_comment(text: &str) -> anyhow::Result<Value> {
    let mut parts = text.splitn(3, ':');
    let (Some(doc), Some(line), Some(comment)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("--line {text:?} is not DOC:LINE:TEXT (for example requirements:12:name the system)");
    };
    let document: SpecDocument = doc.trim_end_matches(".md").parse()?;
    let line: u32 =
        line.parse().map_err(|_| anyhow::anyhow!("--line {text:?}: {line:?} is not a line number"))?;
    Ok(json!({ "document": document, "line": line, "comment": comment }))
}

async fn spec(
    client: &ApiClient,
    id: &str,
    doc: Option<SpecDocument>,
    version: Option<u32>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let docs = match doc {
        Some(d) => vec![d],
        None => SpecDocument::ALL.to_vec(),
    };
    let query: Vec<(&str, String)> = version.map(|v| vec![("version", v.to_string())]).unwrap_or_default();
    let mut answers = Vec::new();
    for d in &docs {
        answers.push(client.get(&format!("/spec-tasks/{}/documents/{d}", encode(id)), &query).await?);
    }
    if json {
        let out = if answers.len() == 1 { answers.remove(0) } else { Value::Array(answers) };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let single = answers.len() == 1;
    for a in answers {
        if !single {
            outln!("==> {} (version {}) <==", text(&a, "file_name"), text(&a, "version"))?;
        }
        let content = text(&a, "content");
        out!("{content}")?;
        if !content.ends_with('\n') {
            outln!()?;
        }
        if !single {
            outln!()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Drops null members so the server applies its defaults.
fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// Percent-encodes an id for use as one path segment.
pub fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
