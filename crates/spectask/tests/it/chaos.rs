//! The kill -9 chaos run through the real binary: spec tasks on copies of the demo's sample
//! repositories, planned and implemented by their scripted agents, while the server is killed with
//! `kill -9` and restarted, and agent processes are killed, at moments chosen by a printed seed.
//! At the end every task is done, every plan task's files are on the merged `main`, no session or
//! commit is duplicated, `git fsck --strict` is clean and the branches only moved forward.
//!
//! The normal suite runs a small configuration; `SPECTASK_CHAOS=full` runs the full scale
//! (15 tasks over 10 repositories, 30 server and 6 agent kills on SQLite, 20 and 5 on
//! PostgreSQL). `SPECTASK_CHAOS_SEED=n` replays a seed's kill schedule (the moments are wall-clock
//! offsets, so a replay repeats the schedule, not the threads' interleaving).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use spectask_demo::{Pace, SAMPLES, Sample, scripts};

use crate::crash_restart::kill_9_and_restart_node;
use crate::implementation::{git, sessions};
use crate::support::{Server, json, processes_with, stderr};

/// How big a run is.
#[derive(Debug, Clone, Copy)]
struct Scale {
    tasks: usize,
    repositories: usize,
    server_kills: usize,
    agent_kills: usize,
    /// How long the tasks may take to finish, kills included.
    bound: Duration,
}

fn scale(postgres: bool) -> Scale {
    match (std::env::var("SPECTASK_CHAOS").as_deref(), postgres) {
        (Ok("full"), false) => Scale {
            tasks: 15,
            repositories: 10,
            server_kills: 30,
            agent_kills: 6,
            bound: Duration::from_secs(1800),
        },
        (Ok("full"), true) => Scale {
            tasks: 15,
            repositories: 10,
            server_kills: 20,
            agent_kills: 5,
            bound: Duration::from_secs(1800),
        },
        _ => Scale {
            tasks: 3,
            repositories: 3,
            server_kills: 5,
            agent_kills: 1,
            bound: Duration::from_secs(600),
        },
    }
}

#[test]
fn kill_9_chaos_ends_with_every_task_done_and_merged() {
    chaos(None);
}

#[test]
fn kill_9_chaos_ends_with_every_task_done_and_merged_on_postgres() {
    let url = crate::support::postgres_url();
    chaos(Some(&url));
}

/// One task of the run: its sample and repository, and its id once created.
struct ChaosTask {
    sample: &'static Sample,
    repo: PathBuf,
    id: String,
}

fn chaos(database_url: Option<&str>) {
    let scale = scale(database_url.is_some());
    let seed = std::env::var("SPECTASK_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs())
    });
    eprintln!("chaos: seed {seed} ({scale:?}); replay with SPECTASK_CHAOS_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = install_agents(dir.path(), &data);
    let repos: Vec<(&Sample, PathBuf)> = (0..scale.repositories)
        .map(|k| {
            let sample = &SAMPLES[k % SAMPLES.len()];
            let info = sample.create_repository(&dir.path().join(format!("repos-{k}"))).unwrap();
            (sample, info.root)
        })
        .collect();
    let started = Instant::now();
    let mut server = Server::start_node(&data, database_url, "node-1");
    let mut tasks: Vec<ChaosTask> = (0..scale.tasks)
        .map(|t| {
            let (sample, repo) = &repos[t % repos.len()];
            ChaosTask { sample, repo: repo.clone(), id: String::new() }
        })
        .collect();

    // The kill schedule: the kinds shuffled, each at a moment after a random pause. Tasks are created
    // along the moments (the first at once, the last at the last moment), so that kills land amid
    // work. An agent kill whose moment finds no agent running is tried again at the next moment; the
    // run ends when every task is done and merged, with the kills made by then.
    let mut kills: Vec<bool> = std::iter::repeat_n(true, scale.server_kills)
        .chain(std::iter::repeat_n(false, scale.agent_kills))
        .collect();
    rng.shuffle(&mut kills);
    let total = kills.len().max(1);
    let mut moments = 0;
    let mut next_kill = Instant::now() + pause(&mut rng);
    let (mut server_kills, mut agent_kills) = (0, 0);
    loop {
        let due = (scale.tasks * moments).div_ceil(total).max(1);
        for task in tasks.iter_mut().take(due).filter(|t| t.id.is_empty()) {
            task.id = create(&server, task.sample, &task.repo);
        }
        let created = tasks.iter().take_while(|t| !t.id.is_empty()).count();
        let statuses: Vec<String> = tasks[..created].iter().map(|t| status(&server, &t.id)).collect();
        // A task is done before its merge step has run: the run ends once every merge landed too.
        if created == tasks.len()
            && statuses.iter().all(|s| s == "done")
            && repos.iter().all(|(sample, repo)| merged(sample, repo).is_ok())
        {
            break;
        }
        if statuses.iter().any(|s| s == "failed") || started.elapsed() > scale.bound {
            panic!(
                "chaos seed {seed}: not every task done after {:?} ({server_kills} server and {agent_kills} \
                 agent kills):\n{}",
                started.elapsed(),
                state(&server, &tasks)
            );
        }
        for (task, status) in tasks[..created].iter().zip(&statuses) {
            if status == "spec_review" || status == "implementation_review" {
                // The server may refuse while the task moves on; the next round sees where it is.
                let _ = server.task(&["approve", &task.id]);
            }
        }
        if Instant::now() >= next_kill
            && let Some(server_kill) = kills.last().copied()
        {
            // An agent kill waits for an agent process to be running.
            let killed = if server_kill {
                server = kill_9_and_restart_node(server, &data, database_url);
                server_kills += 1;
                true
            } else {
                let killed = kill_an_agent(&agents, &mut rng);
                agent_kills += usize::from(killed);
                killed
            };
            if killed {
                kills.pop();
            }
            moments = (moments + 1).min(total);
            next_kill = Instant::now() + pause(&mut rng);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let wall = started.elapsed();
    let everything = state(&server, &tasks);
    for task in &tasks {
        assert_sessions_and_commits_once(&server, task, &everything);
    }
    server.stop();
    for (sample, repo) in &repos {
        assert_merged(sample, repo, &everything);
        assert_fsck_clean(repo);
        for branch in ["main", "helix-design-docs"] {
            assert_only_forward(repo, branch);
        }
    }
    eprintln!(
        "chaos: seed {seed}: {} tasks done over {} repositories, {server_kills} server kills (each a restart), \
         {agent_kills} agent kills ({} planned kills not made: the work ended first), {wall:?}",
        tasks.len(),
        repos.len(),
        kills.len()
    );
}

/// Between two kills: long enough for work to get under way, short enough to land mid-step.
fn pause(rng: &mut fastrand::Rng) -> Duration {
    Duration::from_millis(rng.u64(800..4000))
}

/// The samples' scripted planners and coders (stateful: a restarted agent loads its threads), and a
/// config with short leases; returns the agents' directory (it names their processes).
fn install_agents(dir: &Path, data: &Path) -> PathBuf {
    let agents = dir.join("agents");
    let state = agents.join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(data).unwrap();
    let mut config = String::new();
    for sample in &SAMPLES {
        for (profile, script) in [
            (sample.planner_profile(), scripts::planner(sample, Pace::Fast)),
            (sample.coder_profile(), scripts::coder(sample, Pace::Fast)),
        ] {
            let path = agents.join(format!("{profile}.toml"));
            std::fs::write(&path, script).unwrap();
            config.push_str(&format!(
                "[agents.{profile}]\nkind = \"acp\"\ncommand = \"spectask\"\n\
                 args = [\"agent\", \"scripted\", \"--script\", \"{}\", \"--state-dir\", \"{}\"]\n\
                 sandbox_write = [\"{}\"]\n\n",
                path.display(),
                state.display(),
                state.display()
            ));
        }
    }
    // A job whose node dies is claimed again as its next attempt, so that a job that kills its node
    // fails in the end. Here the kills come from outside (36 at the largest scale): each job may
    // outlive all of them (the attempt limit has its own tests).
    config.push_str(&format!(
        "[orchestrator]\ndefault_planning_agent = \"{}\"\ndefault_implementation_agent = \"{}\"\n\
         lease_seconds = 1.5\nbackoff_initial_seconds = 0.1\nmax_attempts = 40\n",
        SAMPLES[0].planner_profile(),
        SAMPLES[0].coder_profile()
    ));
    std::fs::write(data.join("config.toml"), config).unwrap();
    agents
}

/// Creates a spec task with the sample's prompt and agents; returns its id.
fn create(server: &Server, sample: &Sample, repo: &Path) -> String {
    let (planner, coder) = (sample.planner_profile(), sample.coder_profile());
    let created = server.task(&[
        "create",
        "--repo",
        repo.to_str().unwrap(),
        "--planning-agent",
        &planner,
        "--implementation-agent",
        &coder,
        sample.prompt,
        "--json",
    ]);
    json(&created)["id"].as_str().unwrap_or_else(|| panic!("{}", stderr(&created))).to_owned()
}

fn status(server: &Server, id: &str) -> String {
    server.task_json(&["show", id, "--json"])["status"].as_str().unwrap_or_default().to_owned()
}

/// `kill -9` of one live agent process, chosen at random; false when none runs.
fn kill_an_agent(agents: &Path, rng: &mut fastrand::Rng) -> bool {
    let live = processes_with(&agents.display().to_string());
    let Some((pid, _)) = (!live.is_empty()).then(|| &live[rng.usize(..live.len())]) else { return false };
    Command::new("kill").args(["-KILL", &pid.to_string()]).status().is_ok_and(|s| s.success())
}

/// Every task with its sessions, as the API shows them: what a failure prints.
fn state(server: &Server, tasks: &[ChaosTask]) -> String {
    let mut out = String::new();
    for task in tasks.iter().filter(|t| !t.id.is_empty()) {
        let shown: Value = server.task_json(&["show", &task.id, "--json"]);
        out.push_str(&format!("task {} on {}: {shown:#}\n", task.id, task.repo.display()));
        for session in sessions(server, &task.id) {
            out.push_str(&format!("  session {session:#}\n"));
        }
    }
    out
}

/// One session per plan task, each completed; each session's commit at most once on the branch.
fn assert_sessions_and_commits_once(server: &Server, task: &ChaosTask, everything: &str) {
    let all = sessions(server, &task.id);
    let mut names: Vec<&str> = all.iter().map(|s| s["name"].as_str().unwrap_or_default()).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a session duplicated in task {}:\n{everything}", task.id);
    assert!(all.iter().all(|s| s["status"] == "completed"), "task {}:\n{everything}", task.id);
    let shown = server.task_json(&["show", &task.id, "--json"]);
    let branch = format!("spectask/{}", shown["handle"].as_str().unwrap());
    let messages = git(&task.repo, &["log", "--format=%B", &branch]);
    for session in &all {
        let trailer = format!("Work-Session: {}", session["id"].as_str().unwrap());
        let commits = messages.lines().filter(|l| *l == trailer).count();
        assert!(commits <= 1, "{trailer} committed {commits} times on {branch}:\n{messages}");
    }
}

/// Every file the sample's coder writes is on `main`, as the coder wrote it; or the first that is not.
fn merged(sample: &Sample, repo: &Path) -> Result<(), String> {
    for change in sample.changes {
        for path in change.files {
            let shown = Command::new("git")
                .args(["show", &format!("main:{path}")])
                .current_dir(repo)
                .output()
                .unwrap();
            if !shown.status.success() || String::from_utf8_lossy(&shown.stdout) != sample.changed(path) {
                return Err(format!(
                    "{path} of plan task {} is not on main of {} as the coder wrote it ({})",
                    change.plan_task,
                    repo.display(),
                    stderr(&shown).trim()
                ));
            }
        }
    }
    Ok(())
}

fn assert_merged(sample: &Sample, repo: &Path, everything: &str) {
    if let Err(missing) = merged(sample, repo) {
        let branches = git(repo, &["log", "--oneline", "--graph", "--decorate", "--branches"]);
        panic!("{missing}; branches:\n{branches}\n{everything}");
    }
}

fn assert_fsck_clean(repo: &Path) {
    let fsck = Command::new("git").args(["fsck", "--strict"]).current_dir(repo).output().unwrap();
    assert!(
        fsck.status.success(),
        "{}: {}{}",
        repo.display(),
        stderr(&fsck),
        String::from_utf8_lossy(&fsck.stdout)
    );
}

/// Each update of `branch` in its reflog descends from the one before.
fn assert_only_forward(repo: &Path, branch: &str) {
    let log = git(repo, &["reflog", "show", "--format=%H", &format!("refs/heads/{branch}")]);
    let tips: Vec<&str> = log.lines().collect();
    for pair in tips.windows(2) {
        let (newer, older) = (pair[0], pair[1]);
        let forward = Command::new("git")
            .args(["merge-base", "--is-ancestor", older, newer])
            .current_dir(repo)
            .status()
            .unwrap()
            .success();
        assert!(forward, "{branch} of {} moved from {older} to {newer}, not forward", repo.display());
    }
}
