//! The randomized stress simulation of the real orchestrator under seeded scenarios: random plan
//! DAGs, agent timings and faults (crash, hang, garbage, slow, idle), engine kills (`kill -9` and
//! graceful) and restarts, several engines on one database (SQLite, or separate nodes on
//! PostgreSQL), reviews that ask for changes, spawned sessions and cancellations. The engine, its
//! jobs, scheduler, recorder, the store and git on a temp repository are the real ones; the agent is
//! the real scripted ACP agent as a subprocess. After each seed the invariants of `check` must hold.
//!
//! It is not a deterministic simulation: it runs on real threads, processes and clocks.
//!
//! What a seed replays: the scenario, drawn from the seed alone (`Scenario::generate`): the tasks
//! and their plans, each part's agent time, which agent start of a task misbehaves at which part,
//! the engine limits, and the moments, measured in wall-clock time from the seed's start, at which
//! specs are approved, engines are killed and started again, sessions are spawned and tasks
//! cancelled. Whether an implementation review asks for changes is fixed too.
//!
//! What it does not replay: the interleaving. Tokio's worker threads, SQLite's and PostgreSQL's
//! connections, git on the blocking pool and the agent processes all run on real time, so a kill at
//! the same moment lands in a different step, another engine may claim a job first, and a task's
//! k-th agent process (the one a fault is drawn for) may start at another point of its plan. A race
//! a seed found may need a few replays (`SPECTASK_STRESS_REPEAT`), and may not show again at all.
//!
//! `cargo test -p spectask-orchestrator --test stress` runs the CI seeds. Environment:
//! `SEED=n` replays one seed's scenario (printing what it checks, keeping its directory);
//! `SPECTASK_STRESS_REPEAT=n` runs it n times; `SPECTASK_STRESS_SEEDS=n` (or
//! `--test stress -- --seeds n`) runs n seeds from `SPECTASK_STRESS_FIRST` (1);
//! `SPECTASK_STRESS_JOBS` seeds at once (6); `-- --ignored` is the long soak (100000 seeds unless a
//! count is given); `SPECTASK_STRESS_DIR` where seeds keep their files.
//!
//! Codemap: `scenario` (what a seed decides), `agent` (the agent subprocess and its scripts),
//! `world` (repository, database, engines and the people, run to the end), `check` (invariants).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod check;
mod scenario;
mod world;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use futures::StreamExt;

use crate::check::Finding;
use crate::scenario::{Mix, Scenario};
use crate::world::World;

/// Bugs the stress simulation found that are not fixed yet: a seed whose every finding is one of these
/// passes, counted and named in the summary. Fixing a bug removes its entry; the list only shrinks.
const KNOWN: &[Known] = &[];

struct Known {
    invariant: &'static str,
    /// A seed that shows it.
    seed: u64,
    bug: &'static str,
}

static POSTGRES_TURN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// CI runs this many seeds by default.
const CI_SEEDS: u64 = 100;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What a seed explores: every fourth is plain, the others add agent faults, engine kills and a
/// second engine; every eighth runs its two engines as separate nodes on PostgreSQL.
fn mix(seed: u64) -> Mix {
    let (faults, kills, engines, postgres) = match seed % 8 {
        0 | 4 => (false, false, 1, false),
        1 | 5 => (true, false, 1, false),
        2 | 6 => (true, true, 1, false),
        3 => (true, true, 2, false),
        _ => (true, true, 2, true),
    };
    Mix { faults, kills, engines, postgres }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--scripted-agent") {
        if let Err(message) = agent::run(Path::new(&args[1])) {
            eprintln!("simulated agent: {message}");
            std::process::exit(2);
        }
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let soak = args.iter().any(|a| a == "--ignored" || a == "--include-ignored");
    let seeds: Vec<u64> = match env("SEED") {
        Some(seed) => vec![seed; env("SPECTASK_STRESS_REPEAT").unwrap_or(1).max(1) as usize],
        None => {
            let first = env("SPECTASK_STRESS_FIRST").unwrap_or(1);
            let flag = args.iter().position(|a| a == "--seeds").and_then(|i| args.get(i + 1)?.parse().ok());
            let n = flag.or(env("SPECTASK_STRESS_SEEDS")).unwrap_or(if soak { 100_000 } else { CI_SEEDS });
            (first..first + n).collect()
        }
    };
    let jobs = env("SPECTASK_STRESS_JOBS").unwrap_or(6).max(1) as usize;
    let verbose = env("SEED").is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let started = Instant::now();
    let results: Vec<(u64, Vec<Finding>, String)> = runtime.block_on(
        futures::stream::iter(seeds.iter().map(|&seed| async move {
            // PostgreSQL seeds one at a time: each opens three pools on a server others share.
            let _turn = match mix(seed).postgres {
                true => Some(POSTGRES_TURN.acquire().await.expect("semaphore")),
                false => None,
            };
            let (findings, state) = run_seed(seed, verbose).await;
            (seed, findings, state)
        }))
        .buffer_unordered(jobs)
        .collect(),
    );
    let mut known_seen: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut failed = Vec::new();
    for (seed, findings, state) in &results {
        if findings.is_empty() {
            continue;
        }
        let known = |f: &Finding| KNOWN.iter().find(|k| k.invariant == f.invariant);
        if findings.iter().all(|f| known(f).is_some()) {
            for f in findings {
                known_seen.entry(f.invariant).or_default().push(*seed);
            }
            continue;
        }
        failed.push(*seed);
        eprintln!("seed {seed} broke invariants ({:?}):", Scenario::generate(*seed, mix(*seed)));
        eprint!("{state}");
        for f in findings {
            eprintln!("  {}: {}", f.invariant, f.detail);
        }
        eprintln!("  replay: SEED={seed} cargo test -p spectask-orchestrator --test stress");
    }
    println!(
        "stress simulation: {} seeds in {:.1} s, {} broke an invariant, {} showed known bugs only",
        results.len(),
        started.elapsed().as_secs_f64(),
        failed.len(),
        results.iter().filter(|(s, f, _)| !f.is_empty() && !failed.contains(s)).count()
    );
    for known in KNOWN {
        let seen = known_seen.get(known.invariant).map_or(0, Vec::len);
        println!(
            "  known bug ({}, e.g. seed {}): {} — seen in {seen} seeds",
            known.invariant, known.seed, known.bug
        );
    }
    if !failed.is_empty() {
        eprintln!("failing seeds: {failed:?}");
        std::process::exit(1);
    }
}

/// Runs one seed: its findings, and the state it ended in (printed when it fails).
async fn run_seed(seed: u64, verbose: bool) -> (Vec<Finding>, String) {
    let scenario = Scenario::generate(seed, mix(seed));
    if verbose {
        println!("seed {seed}: {scenario:#?}");
    }
    let mut world = World::new(scenario).await;
    world.run().await;
    let findings = check::check(&world).await;
    let mut state = format!("seed {seed} ended ({}):\n{}", world.path().display(), world.dump().await);
    if let Some(stuck) = &world.stuck_state {
        state.push_str(&format!("seed {seed} when found stuck, before its engines stopped:\n{stuck}"));
    }
    if verbose {
        // Kept for a look: the repository, the database and the agents' scripts and state.
        let _ = world.dir.keep();
        print!("{state}");
        for f in &findings {
            println!("  {}: {}", f.invariant, f.detail);
        }
        if findings.is_empty() {
            println!("seed {seed}: every invariant holds");
        }
    }
    (findings, state)
}
