//! `spectask repo …`: register repositories with a server and list them.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{RepoArgs, RepoCommand};
use crate::client::ApiClient;
use crate::output::{errln, fields, outln, table, text};

pub async fn run(args: RepoArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&args.client.server, args.client.token.as_deref())?;
    let json = args.client.json;
    match args.command {
        RepoCommand::Add {
            location,
            into,
            design_docs_branch,
            default_branch,
            hooks,
            merge_policy,
            check_command,
        } => {
            let mut body = if spectask_git::is_remote_url(&location) {
                let mut body = json!({ "url": location.trim() });
                if let Some(into) = into {
                    body["path"] = json!(std::path::absolute(&into)?);
                }
                body
            } else {
                if into.is_some() {
                    anyhow::bail!("--into is where a URL is cloned to; {location} is not a URL");
                }
                // The server may see another cwd: send an absolute path.
                let path = std::path::PathBuf::from(&location);
                let path = if path.exists() {
                    path.canonicalize().with_context(|| format!("cannot resolve {}", path.display()))?
                } else {
                    std::path::absolute(&path)?
                };
                json!({ "path": path })
            };
            if let Some(branch) = design_docs_branch {
                body["design_docs_branch"] = json!(branch);
            }
            if let Some(branch) = default_branch {
                body["default_branch"] = json!(branch);
            }
            if let Some(hooks) = hooks {
                body["hooks"] = json!(hooks);
            }
            if let Some(policy) = merge_policy {
                body["merge_policy"] = json!(policy);
            }
            if let Some(command) = check_command {
                body["check_command"] = json!(command);
            }
            let repository = client.post("/repos", Some(body)).await?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&repository)?)?;
            } else {
                outln!("{}", repository_fields(&repository))?;
            }
            Ok(attention_code(std::slice::from_ref(&repository)))
        }
        RepoCommand::List => {
            let list = client.get("/repos", &[]).await?;
            let items = list.as_array().cloned().unwrap_or_default();
            if json {
                outln!("{}", serde_json::to_string_pretty(&list)?)?;
            } else if items.is_empty() {
                outln!("no repositories")?;
            } else {
                let rows = items
                    .iter()
                    .map(|r| {
                        vec![
                            text(r, "path"),
                            text(r, "default_branch"),
                            text(r, "design_docs_branch"),
                            status(r),
                        ]
                    })
                    .collect();
                outln!("{}", table(&["path", "default", "design docs", "status"], rows))?;
                for r in items.iter().filter(|r| !r["attention"].is_null()) {
                    errln!("needs attention: {}: {}", text(r, "path"), text(r, "attention"));
                }
            }
            Ok(attention_code(&items))
        }
    }
}

/// `ok`, or `NEEDS ATTENTION (<state>)`.
fn status(repository: &Value) -> String {
    if repository["attention"].is_null() {
        "ok".to_owned()
    } else {
        format!("NEEDS ATTENTION ({})", text(&repository["design_docs"], "state"))
    }
}

fn repository_fields(r: &Value) -> String {
    fields(&[
        ("id", text(r, "id")),
        ("path", text(r, "path")),
        ("remote", text(r, "remote_url")),
        ("default branch", text(r, "default_branch")),
        ("design-docs branch", text(r, "design_docs_branch")),
        ("worktree", text(r, "design_docs_worktree")),
        ("merge policy", text(r, "merge_policy")),
        ("hooks", text(r, "hooks")),
        ("check", text(r, "check_command")),
        ("status", status(r)),
        ("attention", text(r, "attention")),
    ])
}

/// Exit 2 when a repository needs attention, so scripts notice.
fn attention_code(repositories: &[Value]) -> ExitCode {
    if repositories.iter().any(|r| !r["attention"].is_null()) { ExitCode::from(2) } else { ExitCode::SUCCESS }
}
