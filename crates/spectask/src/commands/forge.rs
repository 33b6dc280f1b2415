//! `spectask forge check`: what the server's forge connections' tokens may do.

use std::process::ExitCode;

use serde_json::Value;

use crate::cli::{ForgeArgs, ForgeCommand};
use crate::client::ApiClient;
use crate::output::{fields, outln, text};

pub async fn run(args: ForgeArgs) -> anyhow::Result<ExitCode> {
    let client = ApiClient::new(&args.client.server, args.client.token.as_deref())?;
    match args.command {
        ForgeCommand::Check => {
            let forges = client.get("/forges", &[]).await?;
            let list = forges.as_array().cloned().unwrap_or_default();
            if args.client.json {
                outln!("{}", serde_json::to_string_pretty(&forges)?)?;
            } else if list.is_empty() {
                outln!("no forge connections: add a [forges.<name>] table to the server's configuration")?;
            } else {
                for forge in &list {
                    outln!("{}\n", forge_fields(forge))?;
                }
            }
            let fine = list.iter().all(|f| {
                f["error"].is_null()
                    && f["missing_scopes"].as_array().is_none_or(Vec::is_empty)
                    && f["repositories"].as_array().into_iter().flatten().all(|r| r["push"] == true)
            });
            Ok(if fine { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

fn forge_fields(forge: &Value) -> String {
    let scopes = match forge["scopes"].as_array() {
        Some(scopes) => scopes.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        None if forge["error"].is_null() && forge["kind"] == "github" => {
            "not listed (a fine-grained token)".to_owned()
        }
        None if forge["error"].is_null() => "not listed by this forge".to_owned(),
        None => String::new(),
    };
    let missing: Vec<&str> =
        forge["missing_scopes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let repositories: Vec<String> = forge["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let access = match (&r["push"], r["error"].as_str()) {
                (Value::Bool(true), _) => "may push and open pull requests".to_owned(),
                (Value::Bool(false), _) => "may NOT push: pull requests cannot be opened".to_owned(),
                (_, Some(error)) => format!("cannot be read: {error}"),
                _ => "unknown".to_owned(),
            };
            format!("{}: {access}", text(r, "forge_repository"))
        })
        .collect();
    let user = match forge["login"].as_str() {
        Some(login) => login.to_owned(),
        None if forge["error"].is_null() => {
            "not readable with the token's scopes (spectask does not need it)".to_owned()
        }
        None => String::new(),
    };
    fields(&[
        ("forge", format!("{} ({}, {})", text(forge, "name"), text(forge, "kind"), text(forge, "api_url"))),
        ("host", text(forge, "host")),
        ("user", user),
        ("scopes", scopes),
        ("missing", missing.join(", ")),
        ("error", text(forge, "error")),
        ("repositories", repositories.join("\n              ")),
    ])
}
