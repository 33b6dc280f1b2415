//! Agents a `kill -9` of the server leaves running: the node started again on the same data dir
//! stops the process groups its previous run recorded, and only those.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Server, git_repo, processes_with};

/// The agent: `sh` leaves a child running in the agent's process group (as `npx` leaves `node`,
/// which does not notice its client died), then becomes the scripted agent, whose one turn waits.
fn agent_config(dir: &Path, marker: &str) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let script = dir.join("coder.toml");
    std::fs::write(&script, "[[rule]]\nmatch = \"*\"\nsteps = [{ sleep = 600000 }]\n").unwrap();
    let exe = env!("CARGO_BIN_EXE_spectask");
    // `sleep; :` keeps the inner `sh` (named by its `$0`, the marker) from exec'ing into `sleep`.
    let command = format!(
        "sh -c 'sleep 600; :' {marker} </dev/null >/dev/null 2>&1 & exec {exe} agent scripted --script {}",
        script.display()
    );
    let exe_dir = Path::new(exe).parent().unwrap();
    let config = format!(
        "[agents.coder]\nkind = \"acp\"\ncommand = \"sh\"\nargs = [\"-c\", \"{command}\"]\n\
         sandbox_read = [\"{}\", \"{}\"]\n\n\
         [orchestrator]\ndefault_implementation_agent = \"coder\"\nlease_seconds = 1.5\n",
        dir.display(),
        exe_dir.display()
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    data
}

/// The marked children of the agents, by pid (not the agent's `sh` before it execs).
fn lingering(marker: &str) -> Vec<(u32, String)> {
    processes_with(marker).into_iter().filter(|(_, cmdline)| cmdline.starts_with("sh -c sleep 600")).collect()
}

#[test]
fn a_node_started_again_stops_the_agents_its_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let marker = format!("spectask-linger-{}", dir.path().file_name().unwrap().to_string_lossy());
    let data = agent_config(dir.path(), &marker);
    let server = Server::start_node(&data, None, "node-1");
    server.coding_session(&repo, "Wait", "Wait for a long time.");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Read until two reads agree: a process caught between its fork and its exec still shows its
    // parent's command line (the marked `sh` forking `sleep`), and is gone from the list a moment later.
    let first = loop {
        let running = lingering(&marker);
        if !running.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
            if lingering(&marker) == running {
                break running;
            }
        }
        assert!(Instant::now() < deadline, "the agent never started its child");
        std::thread::sleep(Duration::from_millis(50));
    };

    // SIGKILL, unreaped: the dead server stays a zombie while its successor starts. The agent
    // notices its client died and exits; its child, left in its group, outlives both.
    server.kill();
    let agent = format!("agent scripted --script {}", dir.path().join("coder.toml").display());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !processes_with(&agent).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the agent outlives its killed server: {:?}",
            processes_with(&agent)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = lingering(&marker);
    assert!(
        first.iter().all(|(pid, _)| left.iter().any(|(p, _)| p == pid)),
        "the agent's child outlives the killed server and its agent: {first:?}, left {left:?}"
    );
    let restarted = Server::start_node(&data, None, "node-1");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running = lingering(&marker);
        let left: Vec<_> = running.iter().filter(|(pid, _)| first.iter().any(|(p, _)| p == pid)).collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "processes of the killed run left behind: {left:?} (all with the marker: {running:?})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    restarted.stop();
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !lingering(&marker).is_empty() {
        assert!(Instant::now() < deadline, "agents left after the stop: {:?}", lingering(&marker));
        std::thread::sleep(Duration::from_millis(50));
    }
}
