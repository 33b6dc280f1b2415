//! `spectask task …`: SpecTask commands over the server's HTTP API.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{CreateArgs, ListArgs, TaskArgs, TaskCommand};
use crate::client::ApiClient;
use crate::output::{fields, short_time, table, text};

pub async fn run(args: TaskArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&args.client.server)?;
    let json = args.client.json;
    let answer = match args.command {
        TaskCommand::Create(create) => create_task(&client, create).await?,
        TaskCommand::List(list) => return list_tasks(&client, list, json).await,
        TaskCommand::Show { id } => {
            client
                .get(&format!("/spec-tasks/{}", encode(&id)), &[])
                .await?
        }
        TaskCommand::Cancel { id } => {
            client
                .post(&format!("/spec-tasks/{}/cancel", encode(&id)), None)
                .await?
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}", task_fields(&answer));
    }
    Ok(ExitCode::SUCCESS)
}

async fn create_task(client: &ApiClient, args: CreateArgs) -> anyhow::Result<Value> {
    // The server may run elsewhere in the file system's view (another cwd): send an absolute path.
    let repo = if args.repo.exists() {
        args.repo
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", args.repo.display()))?
    } else {
        std::path::absolute(&args.repo)?
    };
    let body = json!({
        "prompt": args.prompt,
        "repo": repo,
        "title": args.title,
        "kind": args.kind,
        "priority": args.priority,
        "planning_agent": args.planning_agent,
        "implementation_agent": args.implementation_agent,
        "created_by": std::env::var("USER").ok(),
    });
    client
        .post("/spec-tasks/from-prompt", Some(without_nulls(body)))
        .await
}

async fn list_tasks(client: &ApiClient, args: ListArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut query = vec![
        ("limit", args.limit.to_string()),
        ("offset", args.offset.to_string()),
    ];
    if let Some(status) = args.status {
        query.push(("status", status.to_string()));
    }
    if let Some(repo) = &args.repo {
        let repo = repo.canonicalize().unwrap_or_else(|_| repo.clone());
        query.push(("repo", repo.display().to_string()));
    }
    let page = client.get("/spec-tasks", &query).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&page)?);
        return Ok(ExitCode::SUCCESS);
    }
    let items = page["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        println!("no spec tasks");
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
    println!(
        "{}",
        table(
            &["id", "status", "kind", "priority", "title", "created"],
            rows
        )
    );
    let shown = items.len() as i64;
    let total = page["total"].as_i64().unwrap_or(shown);
    if total > shown {
        println!("({shown} of {total}; use --offset and --limit for more)");
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
        ("priority", text(t, "priority")),
        ("repository", text(&t["repository"], "path")),
        ("planning agent", text(t, "planning_agent")),
        ("implementation agent", text(t, "implementation_agent")),
        ("spec version", text(t, "spec_version")),
        ("created", short_time(t, "created_at")),
        ("updated", short_time(t, "updated_at")),
    ])
}

/// Drops null members so the server applies its defaults.
fn without_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

/// Percent-encodes an id for use as one path segment.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
