//! The simulated agent: the real scripted ACP agent as a subprocess (this binary re-executed with
//! `--scripted-agent`), its script chosen per agent process so that faults happen on a given start.
//!
//! The harness writes `<agents>/<task handle>/script-<k>.json` for the k-th agent process of a task
//! that must misbehave and `default.json` for every other; a starting process counts itself with
//! `started-<k>` files (its working directory, the task's worktree, is named after the handle).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use spectask_scripted_agent::{Script, run_scripted_agent};

use crate::scenario::{AgentFault, FaultKind, SpecTaskScenario};

/// Where one task's scripts live.
pub fn task_dir(agents: &Path, handle: &str) -> PathBuf {
    agents.join(handle)
}

/// Writes the scripts of one task's agent processes.
pub fn write_scripts(agents: &Path, handle: &str, plan: &SpecTaskScenario) -> std::io::Result<()> {
    let dir = task_dir(agents, handle);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("default.json"), script(plan, None).to_string())?;
    for (k, fault) in plan.agent_faults.iter().enumerate() {
        if let Some(fault) = fault {
            std::fs::write(dir.join(format!("script-{k}.json")), script(plan, Some(*fault)).to_string())?;
        }
    }
    Ok(())
}

/// One rule per plan task (its file, then a message; an idle agent's first answer changes nothing),
/// what any agent told it changed nothing answers (it does the work: a restart may hand an idle
/// agent's thread, its turn judged, to an agent that is not idle), and the follow-up session's rule.
fn script(plan: &SpecTaskScenario, fault: Option<AgentFault>) -> Value {
    let mut rules = Vec::new();
    for (i, part) in plan.parts.iter().enumerate() {
        let file = plan.file(i);
        let mut steps = Vec::new();
        let fault = fault.filter(|f| f.part == i).map(|f| f.kind);
        let millis = if fault == Some(FaultKind::Slow) { part.millis * 10 + 500 } else { part.millis };
        if millis > 0 {
            steps.push(json!({ "sleep": millis }));
        }
        match fault {
            Some(FaultKind::Hang) => steps.push(json!("hang")),
            Some(FaultKind::Garbage) => steps.push(json!({ "garbage": "this is not json-rpc" })),
            _ => {}
        }
        let write = json!({ "write_file": { "path": file, "content": format!("{}\n", plan.title(i)) } });
        // Told it changed nothing (the prompt names the plan task), it does the work.
        rules.push(json!({
            "match": format!("*You made no changes*{} {}*", i + 1, plan.title(i)),
            "steps": [write.clone(), { "message": format!("Wrote {file} after all.") }],
        }));
        if fault == Some(FaultKind::Idle) {
            steps.push(json!({ "message": "Done." }));
        } else {
            steps.push(write);
        }
        if fault == Some(FaultKind::Crash) {
            steps.push(json!({ "crash": 3 }));
        }
        if fault != Some(FaultKind::Idle) {
            steps.push(json!({ "message": format!("Wrote {file}.") }));
        }
        rules.push(json!({ "match": format!("Your task: {} {}", i + 1, plan.title(i)), "steps": steps }));
    }
    let (extra, extra_file) = plan.extra();
    rules.push(json!({
        "match": format!("Your task: {extra}"),
        "steps": [
            { "write_file": { "path": extra_file, "content": "extra\n" } },
            { "message": format!("Wrote {extra_file}.") },
        ],
    }));
    let review = plan.review_file();
    rules.push(json!({
        "match": "Address review comments",
        "steps": [
            { "write_file": { "path": review, "content": "addressed\n" } },
            { "message": format!("Addressed the comments in {review}.") },
        ],
    }));
    json!({ "rule": rules })
}

/// The agent process: `--scripted-agent <agents dir>`, started by the runtime in the task worktree.
pub fn run(agents: &Path) -> Result<(), String> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let handle = cwd.file_name().and_then(|n| n.to_str()).ok_or("the worktree has no name")?;
    let dir = task_dir(agents, handle);
    let mut k = 0;
    loop {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(dir.join(format!("started-{k}")))
        {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => k += 1,
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
    let faulty = dir.join(format!("script-{k}.json"));
    let path = if faulty.exists() { faulty } else { dir.join("default.json") };
    let script = Script::load(&path).map_err(|e| e.to_string())?;
    let state = agents.join("state");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(run_scripted_agent(script, Some(state))).map_err(|e| e.to_string())
}
