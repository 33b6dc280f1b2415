//! The demo's agents: per sample, a scripted ACP planner (writing the sample's spec) and coder
//! (making the sample's changes), generated as scripts and a config file in the demo's data
//! directory. At a pace other than fast, one sample's coder asks a person before it edits.

use std::path::Path;

use anyhow::Context;
use spectask_demo::{ASKING_SAMPLE, Pace, SAMPLES, scripts};
use toml::{Table, Value};

/// Writes the scripts (always: they follow the binary) and the config (only when absent, so a
/// person's edits stay, and so does the pace's permission policy of its first start).
pub fn install(data_dir: &Path, pace: Pace) -> anyhow::Result<()> {
    let dir = data_dir.join("agents");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut agents = Table::new();
    for sample in &SAMPLES {
        for (profile, script) in [
            (sample.planner_profile(), scripts::planner(sample, pace)),
            (sample.coder_profile(), scripts::coder(sample, pace)),
        ] {
            let path = dir.join(format!("{profile}.toml"));
            write(&path, &script)?;
            let mut profile_table = agent(&dir, &path);
            if pace != Pace::Fast && profile == format!("{ASKING_SAMPLE}-coder") {
                // The tour's moment to answer an agent: it waits in the session's transcript.
                profile_table.insert("permission_policy".into(), "ask".into());
            }
            agents.insert(profile, Value::Table(profile_table));
        }
    }
    let config = data_dir.join("config.toml");
    if !config.exists() {
        let first = &SAMPLES[0];
        let mut orchestrator = Table::new();
        orchestrator.insert("default_planning_agent".into(), first.planner_profile().into());
        orchestrator.insert("default_implementation_agent".into(), first.coder_profile().into());
        let mut root = Table::new();
        root.insert("agents".into(), Value::Table(agents));
        root.insert("orchestrator".into(), Value::Table(orchestrator));
        let text = format!(
            "# spectask demo configuration (edit freely; it is not rewritten)\n\n{}",
            toml::to_string(&root)?
        );
        write(&config, &text)?;
    }
    Ok(())
}

/// The profile of a scripted agent running `script`.
fn agent(dir: &Path, script: &Path) -> Table {
    let mut t = Table::new();
    t.insert("kind".into(), "acp".into());
    t.insert("command".into(), "spectask".into());
    let args = [
        "agent",
        "scripted",
        "--script",
        &script.display().to_string(),
        "--state-dir",
        &dir.join("state").display().to_string(),
    ]
    .map(|a| Value::String(a.to_owned()));
    t.insert("args".into(), Value::Array(args.to_vec()));
    // The model whose built-in price turns the scripted tokens into money.
    t.insert("model".into(), "claude-sonnet-4-5".into());
    // The agents run sandboxed: their session store is the one path they write outside the worktree.
    let state = Value::String(dir.join("state").display().to_string());
    t.insert("sandbox_write".into(), Value::Array(vec![state]));
    t
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
