//! `cargo run -p spectask-agent --example probe -- PROFILE [CONFIG.toml]`: the probe report as JSON.
//! Sandboxed profiles run through the `spectask-sandbox` launcher built next to the examples
//! (`cargo build -p spectask-agent --bin spectask-sandbox`).

use std::process::ExitCode;
use std::time::Duration;

use spectask_agent::{ProbeOptions, Profiles, RuntimeConfig, probe};
use spectask_sandbox::{Launcher, SandboxConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        eprintln!("usage: probe PROFILE [CONFIG.toml]");
        return ExitCode::FAILURE;
    };
    let profiles = match args.next().map(std::fs::read_to_string) {
        None => Ok(Profiles::presets()),
        Some(Ok(text)) => Profiles::from_toml(&text).map_err(|e| e.to_string()),
        Some(Err(error)) => Err(error.to_string()),
    };
    let profile = match profiles.and_then(|p| p.get(&name).cloned().map_err(|e| e.to_string())) {
        Ok(profile) => profile,
        Err(message) => {
            eprintln!("probe: {message}");
            return ExitCode::FAILURE;
        }
    };
    // target/<profile>/examples/probe → target/<profile>/spectask-sandbox
    let launcher = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("spectask-sandbox")))
        .map(|program| Launcher { program, args: Vec::new() });
    let sandbox = SandboxConfig { launcher, ..SandboxConfig::default() };
    let config =
        RuntimeConfig { request_timeout: Duration::from_secs(30), sandbox, ..RuntimeConfig::default() };
    match probe(&profile, ProbeOptions { config }).await {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("probe: {error}");
            ExitCode::FAILURE
        }
    }
}
