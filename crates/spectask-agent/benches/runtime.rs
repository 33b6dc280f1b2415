//! `cargo bench -p spectask-agent`: memory per agent instance and per live thread (RSS from /proc),
//! and the round-trip latency of a scripted prompt turn.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use spectask_agent::{
    AgentInstance, AgentProfile, InstanceOptions, PermissionBroker, RuntimeConfig, Workspace,
};
use spectask_sandbox::{Launcher, SandboxConfig};

const INSTANCES: usize = 5;
const THREADS: usize = 200;
const TURNS: usize = 300;

/// Resident set size of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The scripted agent, sandboxed as agents run in production.
fn profile(script: &Path) -> AgentProfile {
    let args = vec!["--script".to_owned(), script.to_str().unwrap().to_owned()];
    AgentProfile::acp("scripted", env!("CARGO_BIN_EXE_spectask-scripted-agent"), args)
}

async fn start(profile: &AgentProfile, cwd: &Path) -> AgentInstance {
    let launcher = Launcher { program: env!("CARGO_BIN_EXE_spectask-sandbox").into(), args: Vec::new() };
    let sandbox = SandboxConfig { launcher: Some(launcher), ..SandboxConfig::default() };
    let options = InstanceOptions {
        config: Arc::new(RuntimeConfig { sandbox, ..RuntimeConfig::default() }),
        broker: PermissionBroker::new(),
        workspace: Workspace::worktree(cwd),
    };
    AgentInstance::start(profile, options).await.unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.toml");
    std::fs::write(&script, "[[rule]]\nmatch = \"ping\"\nsteps = [{ message = \"pong\" }]\n").unwrap();
    let profile = profile(&script);
    let me = std::process::id();

    // Per agent instance: the agent process's own RSS, plus what spectask spends on it.
    let warmup = start(&profile, dir.path()).await;
    warmup.shutdown().await;
    let before = rss_kib(me);
    let mut instances = Vec::new();
    for _ in 0..INSTANCES {
        instances.push(start(&profile, dir.path()).await);
    }
    let client_per_instance = rss_kib(me).saturating_sub(before) / INSTANCES as u64;
    let agent_rss: u64 = instances.iter().map(|i| rss_kib(i.pid())).sum::<u64>() / INSTANCES as u64;
    println!(
        "agent instance: {agent_rss} KiB agent process RSS + {client_per_instance} KiB in spectask (mean of {INSTANCES})"
    );

    // Per live thread: sessions on one instance, each with its event channel held open.
    let agent = &instances[0];
    let (client_before, agent_before) = (rss_kib(me), rss_kib(agent.pid()));
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let (tx, rx) = agent.event_channel();
        threads.push((agent.new_thread(dir.path(), tx).await.unwrap(), rx));
    }
    let client_delta = rss_kib(me).saturating_sub(client_before) as f64 / THREADS as f64;
    let agent_delta = rss_kib(agent.pid()).saturating_sub(agent_before) as f64 / THREADS as f64;
    println!(
        "live thread: {client_delta:.1} KiB in spectask + {agent_delta:.1} KiB in the scripted agent (mean of {THREADS})"
    );

    // Round trip of one prompt turn (prompt → message chunk → stop reason), one thread at a time.
    let (session, rx) = &mut threads[0];
    let mut samples = Vec::with_capacity(TURNS);
    for _ in 0..TURNS {
        let started = Instant::now();
        agent.prompt(session, "ping").await.unwrap();
        while let Ok(event) = rx.try_recv() {
            drop(event);
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "prompt turn round trip: p50 {:?}, p99 {:?}, max {:?} ({TURNS} turns)",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );

    for instance in &instances {
        instance.shutdown().await;
    }
}
