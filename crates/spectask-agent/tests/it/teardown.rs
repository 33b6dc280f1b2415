//! An agent still running when its runtime goes away (the server's process ending while the agent's
//! stop was under way): its whole process group dies, not only its leader.
//!
//! Found after the suite's `real_agents` tests: `codex-acp` processes were left with init as their
//! parent, each in a group whose leader had exited. `codex-acp`'s npm launcher is `node` running the
//! native `codex-acp` with `spawnSync` in its own group, and the native agent does not exit when its
//! stdin closes. tokio's `kill_on_drop` kills only the leader, and the group's record was dropped
//! with the reaper, so neither the reaper nor the next start's look for orphans killed the rest.

use std::sync::Arc;
use std::time::Duration;

use spectask_agent::profiles::ProfileKind;
use spectask_agent::{AgentInstance, InstanceOptions, PermissionBroker, PermissionPolicy};

use crate::support::{Fixture, config};

/// `/proc/<pid>/stat` of every live (not zombie) process of group `pgid`.
fn live_members(pgid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter(|stat| {
            // Fields after the `(comm)`: state, ppid, pgrp.
            let rest: Vec<&str> =
                stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("").split_whitespace().collect();
            rest.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
                && !matches!(rest.first(), Some(&"Z" | &"X"))
        })
        .collect()
}

#[test]
fn an_agent_whose_stop_is_cut_off_by_the_runtime_ending_leaves_nothing_of_its_group() {
    let fx = Fixture::new("");
    // The group's leader outlives its agent (as `node` in `spawnSync` does), and another process of
    // the group ignores the closed stdin (as the native `codex-acp` does).
    let mut profile = fx.profile(PermissionPolicy::Auto, &[]);
    let ProfileKind::Acp { command, args, .. } = &mut profile.kind else { unreachable!() };
    let mut wrapped = vec!["-c".to_owned(), "sleep 300 & \"$0\" \"$@\"; wait".to_owned(), command.clone()];
    wrapped.append(args);
    (*command, *args) = ("/bin/sh".to_owned(), wrapped);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    let pid = runtime.block_on(async {
        let options = InstanceOptions {
            config: Arc::new(config()),
            broker: PermissionBroker::new(),
            workspace: fx.workspace(),
        };
        let instance = Arc::new(AgentInstance::start(&profile, options).await.unwrap());
        let pid = instance.pid();
        let members = tokio::time::timeout(Duration::from_secs(30), async {
            while live_members(pid).len() < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert!(members.await.is_ok(), "the group never had its three processes: {:?}", live_members(pid));
        let stopping = instance.clone();
        tokio::spawn(async move { stopping.shutdown().await });
        // The stop is under way (stdin closed, waiting for the exit) when the runtime ends.
        while instance.is_alive() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        pid
    });
    drop(runtime);

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !live_members(pid).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = live_members(pid);
    for stat in &left {
        if let Some(member) = stat.split_whitespace().next().and_then(|p| p.parse::<i32>().ok()) {
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(member).unwrap(),
                rustix::process::Signal::KILL,
            );
        }
    }
    assert!(left.is_empty(), "the agent's group lives on after its runtime ended: {left:#?}");
}
