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
        TaskCommand::Adopt { folder, repo, title, approve, despite_lint, complexity, priority } => {
            let (repo, folder) = match super::repo::is_path(&repo.to_string_lossy()) {
                true => {
                    let repo = absolute_repo(&repo)?;
                    let folder = folder_in(&repo, &folder);
                    (repo.display().to_string(), folder)
                }
                false => {
                    (repo.to_string_lossy().trim().to_owned(), folder.trim_start_matches("./").to_owned())
                }
            };
            let body = without_nulls(json!({
                "repo": repo, "folder": folder, "title": title, "approve": approve,
                "despite_lint": despite_lint, "complexity": complexity, "priority": priority,
            }));
            client.post("/spec-tasks/adopt", Some(body)).await?
        }
        TaskCommand::List(list) => return list_tasks(&client, list, json).await,
        TaskCommand::Show { id } => client.get(&format!("/spec-tasks/{}", encode(&id)), &[]).await?,
        TaskCommand::Cancel { id } => {
            client.post(&format!("/spec-tasks/{}/cancel", encode(&id)), None).await?
        }
        TaskCommand::Retry { id } => client.post(&format!("/spec-tasks/{}/retry", encode(&id)), None).await?,
        TaskCommand::Converge { id } => {
            let answer = client.post(&format!("/spec-tasks/{}/converge", encode(&id)), None).await?;
            if !json {
                match answer["round"].as_u64() {
                    Some(round) => outln!("converge round {round}: added {}", added(&answer))?,
                    None => outln!("converged: the spec and the code agree")?,
                }
                return Ok(ExitCode::SUCCESS);
            }
            answer
        }
        TaskCommand::Report { id } => {
            let report = client.get(&format!("/spec-tasks/{}/review-report", encode(&id)), &[]).await?;
            match json {
                true => outln!("{}", serde_json::to_string_pretty(&report)?)?,
                false => out!("{}", text(&report, "markdown"))?,
            }
            return Ok(ExitCode::SUCCESS);
        }
        TaskCommand::FollowUp { id, findings, workflow } => {
            let body = json!({ "findings": findings, "workflow": workflow });
            client.post(&format!("/spec-tasks/{}/follow-ups", encode(&id)), Some(body)).await?
        }
        TaskCommand::After { id, prerequisites, hold_before } => {
            let body = without_nulls(json!({ "depends_on": prerequisites, "hold_before": hold_before }));
            client.put(&format!("/spec-tasks/{}/prerequisites", encode(&id)), Some(body)).await?
        }
        TaskCommand::Budget { id, budget } => {
            let body = without_nulls(budget.body().unwrap_or_else(|| json!({})));
            client.put(&format!("/spec-tasks/{}/budget", encode(&id)), Some(body)).await?
        }
        TaskCommand::Approve { id, comment, despite_lint } => {
            review(&client, &id, "approve", (comment, despite_lint), &[], &[]).await?
        }
        TaskCommand::Reject { id, comment } => {
            review(&client, &id, "reject", (comment, None), &[], &[]).await?
        }
        TaskCommand::RequestChanges { id, comment, lines, answers } => {
            review(&client, &id, "request-changes", (comment, None), &lines, &answers).await?
        }
        TaskCommand::Spec { id, doc, version } => return spec(&client, &id, doc, version, json).await,
        TaskCommand::Sessions { id } => return crate::commands::sessions::sessions(&client, &id, json).await,
        TaskCommand::Say { id, text, session } => {
            crate::commands::sessions::say(&client, &id, session, &text).await?
        }
        TaskCommand::Finish { id } => crate::commands::sessions::finish(&client, &id).await?,
        TaskCommand::Watch { id } => return crate::commands::watch::watch(&client, &id, json).await,
        TaskCommand::Spawn { id, from, name, description, agent } => {
            crate::commands::sessions::spawn(&client, &id, &from, &name, description, agent).await?
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

/// The plan tasks a converge round added, `; `-separated.
fn added(answer: &Value) -> String {
    let tasks: Vec<&str> =
        answer["added"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    tasks.join("; ")
}

/// A repository path as the server reads it (it may run with another cwd): absolute.
fn absolute_repo(repo: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    Ok(if repo.exists() {
        repo.canonicalize().with_context(|| format!("cannot resolve {}", repo.display()))?
    } else {
        std::path::absolute(repo)?
    })
}

/// `folder` as a path inside `repo`: one that exists here is made relative to the repository.
fn folder_in(repo: &std::path::Path, folder: &str) -> String {
    let inside = std::path::Path::new(folder)
        .canonicalize()
        .ok()
        .and_then(|path| path.strip_prefix(repo).ok().map(|p| p.to_string_lossy().into_owned()));
    inside.unwrap_or_else(|| folder.trim_start_matches("./").to_owned())
}

async fn create_task(client: &ApiClient, args: CreateArgs) -> anyhow::Result<Value> {
    let repo = super::repo::repository_reference(&args.repo.to_string_lossy())?;
    let body = json!({
        "prompt": args.prompt,
        "repo": repo,
        "title": args.title,
        "kind": args.kind,
        "complexity": args.complexity,
        "priority": args.priority,
        "planning_agent": args.planning_agent,
        "implementation_agent": args.implementation_agent,
        "depends_on": (!args.after.is_empty()).then_some(&args.after),
        "hold_before": args.hold_before,
        "budget": args.budget.body().map(without_nulls),
        "workflow": args.workflow,
        "review_target": args.target,
    });
    client.post("/spec-tasks/from-prompt", Some(without_nulls(body))).await
}

async fn list_tasks(client: &ApiClient, args: ListArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut query = vec![("limit", args.limit.to_string()), ("offset", args.offset.to_string())];
    if let Some(status) = args.status {
        query.push(("status", status.to_string()));
    }
    if let Some(repo) = &args.repo {
        query.push(("repo", super::repo::repository_reference(&repo.to_string_lossy())?));
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
                attention_label(t),
                text(t, "kind"),
                text(t, "priority"),
                text(t, "title"),
                short_time(t, "created_at"),
            ]
        })
        .collect();
    outln!("{}", table(&["id", "status", "attention", "kind", "priority", "title", "created"], rows))?;
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
        ("workflow", text(t, "workflow")),
        ("review target", text(t, "review_target")),
        ("priority", text(t, "priority")),
        ("repository", text(&t["repository"], "path")),
        ("planning agent", text(t, "planning_agent")),
        ("implementation agent", text(t, "implementation_agent")),
        ("spec version", text(t, "spec_version")),
        ("attention", attention(t)),
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

/// What a task waits for, in the dashboard's badge words: the first item that needs a person,
/// else the first one (a hold that goes on by itself).
fn attention_label(t: &Value) -> String {
    let items = t["attention"].as_array().cloned().unwrap_or_default();
    let first = items.iter().find(|a| a["needs_you"] == true).or(items.first());
    first.map(|a| text(a, "label")).unwrap_or_default()
}

/// What a task and its sessions wait for, one item a line: `Waiting for you: … (what to do)`.
fn attention(t: &Value) -> String {
    let lines: Vec<String> = t["attention"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| format!("{}: {} {}", text(a, "label"), text(a, "text"), text(a, "action")))
        .collect();
    lines.join("\n")
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
    (comment, despite_lint): (Option<String>, Option<String>),
    lines: &[String],
    answers: &[String],
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
    let mut body = json!({
        "comments": comment.unwrap_or_default(),
        "line_comments": line_comments,
        "despite_lint": despite_lint,
    });
    if !answers.is_empty() {
        body["answers"] = answers.iter().map(|a| parse_answer(a)).collect::<anyhow::Result<Value>>()?;
    }
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

/// `N:TEXT` → `{"question", "answer"}`.
fn parse_answer(text: &str) -> anyhow::Result<Value> {
    let Some((number, answer)) = text.split_once(':') else {
        anyhow::bail!("--answer {text:?} is not N:TEXT (for example 2:UTC, as the orders are stored)");
    };
    let question: u32 = number
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--answer {text:?}: {number:?} is not a question's number"))?;
    Ok(json!({ "question": question, "answer": answer }))
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
    let mut documents = Vec::new();
    for d in &docs {
        documents.push(client.get(&format!("/spec-tasks/{}/documents/{d}", encode(id)), &query).await?);
    }
    if json {
        let out = if documents.len() == 1 { documents.remove(0) } else { Value::Array(documents) };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shown = documents.first().map(|d| d["version"].clone()).unwrap_or_default();
    let versions = client.get(&format!("/spec-tasks/{}/spec-versions", encode(id)), &[]).await?;
    let meta = versions.as_array().and_then(|all| all.iter().find(|v| v["version"] == shown));
    let questions = meta.and_then(|v| v["questions"].as_array()).cloned().unwrap_or_default();
    let questions_only = meta.is_some_and(|v| v["questions_only"] == true);
    let single = documents.len() == 1;
    if !single {
        // In the order its workflow writes them: a design-first spec's design comes first.
        let task = client.get(&format!("/spec-tasks/{}", encode(id)), &[]).await?;
        if task["workflow_base"] == "design-first" {
            documents.sort_by_key(|d| d["document"] != "design");
        }
    }
    if !questions_only {
        for d in documents {
            if !single {
                outln!("==> {} (version {}) <==", text(&d, "file_name"), text(&d, "version"))?;
            }
            let content = text(&d, "content");
            out!("{content}")?;
            if !content.ends_with('\n') {
                outln!()?;
            }
            if !single {
                outln!()?;
            }
        }
    }
    if !questions.is_empty() {
        match questions_only {
            true => outln!("The planner asks before it writes the spec (version {shown}):")?,
            false => outln!("==> the planner's questions (version {shown}) <==")?,
        }
        for (n, question) in questions.iter().enumerate() {
            outln!("{}. {}", n + 1, question.as_str().unwrap_or_default())?;
        }
        outln!("Answer with: spectask task request-changes {id} --answer N:TEXT")?;
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
