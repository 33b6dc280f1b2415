//! `spectask repo …`: register repositories with a server and list them.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{Value, json};

use crate::cli::{MemberCommand, RepoArgs, RepoCommand, RepoSettingsArgs};
use crate::client::ApiClient;
use crate::output::{errln, fields, outln, table, text};

pub async fn run(args: RepoArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&args.client.server, args.client.token.as_deref())?;
    let json = args.client.json;
    match args.command {
        RepoCommand::Add { location, into, design_docs_branch, settings } => {
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
            if let (Some(body), Value::Object(settings)) = (body.as_object_mut(), settings_body(settings)) {
                body.extend(settings);
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
        RepoCommand::Budget { repo, budget } => {
            let id = repository_id(&client, &repo).await?;
            let standing = match budget.body() {
                Some(body) => client.put(&format!("/repos/{id}/budget"), Some(body)).await?,
                None => client.get(&format!("/repos/{id}/budget"), &[]).await?,
            };
            if json {
                outln!("{}", serde_json::to_string_pretty(&standing)?)?;
            } else {
                outln!("{}", crate::usage_text::daily_budget(&standing))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RepoCommand::Workflows { repo } => {
            let id = repository_id(&client, &repo).await?;
            let answer = client.get(&format!("/repos/{id}/workflows"), &[]).await?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&answer)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            for workflow in answer["workflows"].as_array().into_iter().flatten() {
                let name = workflow["name"].as_str().unwrap_or_default();
                let origin = match workflow["builtin"].as_bool() {
                    Some(true) => String::from("built in"),
                    _ => format!("on {}", workflow["base"].as_str().unwrap_or_default()),
                };
                let description = workflow["description"].as_str().unwrap_or_default();
                outln!("{name:<16} {origin:<20} {description}")?;
            }
            let faults: Vec<&str> =
                answer["faults"].as_array().into_iter().flatten().filter_map(|f| f.as_str()).collect();
            for fault in &faults {
                outln!("not valid: {fault}")?;
            }
            Ok(if faults.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        RepoCommand::Set { repo, settings } => {
            let id = repository_id(&client, &repo).await?;
            let body = settings_body(settings);
            if body.as_object().is_none_or(serde_json::Map::is_empty) {
                anyhow::bail!(
                    "name a setting to change: --default-branch, --hooks, --merge-policy, --task-branches, \
                     --pull-request-merge, --required-approvals, --issue-label or --check"
                );
            }
            let repository = client.patch(&format!("/repos/{id}"), body).await?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&repository)?)?;
            } else {
                outln!("{}", repository_fields(&repository))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RepoCommand::Member { command } => {
            let members = match command {
                MemberCommand::List { repo } => {
                    let id = repository_id(&client, &repo).await?;
                    client.get(&format!("/repos/{id}/members"), &[]).await?
                }
                MemberCommand::Add { repo, user } => {
                    let id = repository_id(&client, &repo).await?;
                    client.post(&format!("/repos/{id}/members"), Some(json!({ "user": user }))).await?
                }
                MemberCommand::Remove { repo, user } => {
                    let id = repository_id(&client, &repo).await?;
                    client.delete(&format!("/repos/{id}/members/{user}")).await?
                }
            };
            if json {
                outln!("{}", serde_json::to_string_pretty(&members)?)?;
            } else {
                let names: Vec<&str> =
                    members["members"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                outln!("{}", fields(&[("owner", text(&members, "owner")), ("members", names.join(", "))]))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The settings given, as the API names them (those not given left out).
fn settings_body(settings: RepoSettingsArgs) -> Value {
    let given = [
        ("default_branch", json!(settings.default_branch)),
        ("hooks", json!(settings.hooks)),
        ("merge_policy", json!(settings.merge_policy)),
        ("task_branches", json!(settings.task_branches)),
        ("pull_request_merge", json!(settings.pull_request_merge)),
        ("required_approvals", json!(settings.required_approvals)),
        ("issue_label", json!(settings.issue_label)),
        ("check_command", json!(settings.check_command)),
    ];
    Value::Object(given.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The id of the repository `repo` names (its id, its URL, or a path inside it), as the server
/// resolves it for the caller.
async fn repository_id(client: &ApiClient, repo: &str) -> anyhow::Result<String> {
    let reference = repository_reference(repo)?;
    let found = client.get("/repos/lookup", &[("repo", reference)]).await?;
    Ok(text(&found, "id"))
}

/// Whether `repo` is a path on this machine (not a repository id or URL).
pub(crate) fn is_path(repo: &str) -> bool {
    let repo = repo.trim();
    !(spectask_git::is_remote_url(repo) || repo.parse::<uuid::Uuid>().is_ok())
}

/// A repository as the server reads it: an id or URL as given, a path made absolute here (the
/// server may run with another cwd).
pub(crate) fn repository_reference(repo: &str) -> anyhow::Result<String> {
    if !is_path(repo) {
        return Ok(repo.trim().to_owned());
    }
    let path = std::path::Path::new(repo);
    let path = match path.canonicalize() {
        Ok(path) => path,
        Err(_) => std::path::absolute(path)?,
    };
    Ok(path.display().to_string())
}

/// `ok`, or `NEEDS ATTENTION (<state>)`.
fn status(repository: &Value) -> String {
    if repository["attention"].is_null() {
        "ok".to_owned()
    } else {
        format!("NEEDS ATTENTION ({})", text(&repository["design_docs"], "state"))
    }
}

/// Who merges a task's pull request, and after how many approvals, shown only where the merge
/// policy opens one.
fn pull_request_merge(r: &Value) -> String {
    if r["merge_policy"] != "pull_request" {
        return String::new();
    }
    match r["required_approvals"].as_u64() {
        Some(n) if n > 0 && r["pull_request_merge"] != "people" => {
            format!("{}, after {n} approval(s)", text(r, "pull_request_merge"))
        }
        _ => text(r, "pull_request_merge"),
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
        ("task branches", text(r, "task_branches")),
        ("pull request merge", pull_request_merge(r)),
        ("issue label", text(r, "issue_label")),
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
