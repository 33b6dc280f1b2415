//! `spectask agent …`: the scripted ACP agent (for tests and the demo) and probing a profile.

use std::process::ExitCode;

use anyhow::Context;
use spectask_agent::{AcpSessionProbe, ProbeOptions, RuntimeConfig, probe};
use spectask_scripted_agent::{Script, run_scripted_agent};

use crate::cli::AgentCommand;
use crate::config;
use crate::output::outln;

fn paths(paths: &[std::path::PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Requests answered "method not found", per method: `none`, or `craft/x ×2, _y/z ×1`.
fn unserved(counts: &std::collections::BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts.iter().map(|(method, n)| format!("{method} ×{n}")).collect::<Vec<_>>().join(", ")
}

pub async fn run(command: AgentCommand) -> anyhow::Result<ExitCode> {
    match command {
        AgentCommand::SandboxExec { .. } => {
            anyhow::bail!("`agent sandbox-exec` runs before the runtime starts (see main)")
        }
        AgentCommand::Scripted { script, state_dir } => {
            // Stdout carries only ACP: nothing else may print there.
            let script = match &script {
                Some(path) => Script::load(path)?,
                None => Script::default(),
            };
            run_scripted_agent(script, state_dir).await?;
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Probe { profile, json, config: path, data_dir } => {
            let data_dir = match data_dir {
                Some(d) => d,
                None => crate::serve::default_data_dir()?,
            };
            let config = config::load(path.as_deref(), &data_dir)?;
            let profile = config.profiles.get(&profile)?.clone();
            let options = ProbeOptions {
                config: RuntimeConfig {
                    request_timeout: std::time::Duration::from_secs(20),
                    ..config.runtime
                },
            };
            let report = probe(&profile, options).await.with_context(|| {
                let requires = profile.requires.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
                format!("probing agent profile {}{requires}", profile.name)
            })?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                let value = serde_json::to_value(&report)?;
                outln!("profile           {}", report.profile)?;
                outln!(
                    "agent             {} {}",
                    value["name"].as_str().unwrap_or("?"),
                    value["version"].as_str().unwrap_or("")
                )?;
                outln!("protocol version  {}", value["protocol_version"])?;
                outln!("capabilities      {}", value["capabilities"])?;
                outln!("auth methods      {}", value["auth_methods"])?;
                match &report.session {
                    AcpSessionProbe::Created { session_id } => {
                        outln!("session           created ({session_id})")?
                    }
                    AcpSessionProbe::AuthRequired { message } => {
                        outln!("session           auth_required: {message}")?
                    }
                    AcpSessionProbe::Failed { message } => outln!("session           failed: {message}")?,
                }
                if let Some(approval) = &report.approval {
                    let value = serde_json::to_value(approval)?;
                    let status = value["status"].as_str().unwrap_or("?");
                    let mode = approval.mode.as_deref().unwrap_or("none");
                    let current = approval.current_mode.as_deref().unwrap_or("not reported");
                    println!("approval mode     {mode}: {status} (current mode: {current})");
                    if let Some(detail) = &approval.detail {
                        println!("  detail          {detail}");
                    }
                }
                outln!("unserved requests {}", unserved(&report.unserved_requests))?;
                let sandbox = &report.sandbox;
                let state = if sandbox.enforced { "enforced (Landlock)" } else { "NOT ENFORCED" };
                println!("sandbox           {} {state}", sandbox.mode.as_str());
                if sandbox.enforced {
                    let ports = sandbox.connect_ports.as_ref().map_or_else(
                        || "any".to_owned(),
                        |p| p.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                    );
                    println!("  writable        {}", paths(&sandbox.write));
                    println!(
                        "  tcp connect     {}",
                        if ports.is_empty() { "none".to_owned() } else { ports }
                    );
                }
                for warning in &sandbox.warnings {
                    println!("  warning         {warning}");
                }
                let enforcement = &report.enforcement;
                println!(
                    "permission policy {}",
                    serde_json::to_value(enforcement.policy)?.as_str().unwrap_or("?")
                );
                println!("  served writes   {}", enforcement.served);
                println!("  kernel          {}", enforcement.kernel);
                println!("  agent's mode    {}", enforcement.agent_mode);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
