//! Simulation of the real orchestrator under seeded scenarios: random plan DAGs, agent timings and
//! faults (crash, hang, garbage, slow, idle), engine kills (`kill -9` and graceful) and restarts, several
//! engines on one database (SQLite, or separate nodes on PostgreSQL), reviews that ask for changes,
//! spawned sessions and cancellations. The engine, its jobs,
//! scheduler, recorder, the store on SQLite and git on a temp repository are the real ones; the
//! agent is the real scripted ACP agent as a subprocess. After each seed the invariants of `check`
//! must hold.
//!
//! `cargo test -p spectask-orchestrator --test sim` runs the CI seeds. Environment:
//! `SEED=n` replays one seed (printing what it checks, keeping its directory);
//! `SPECTASK_SIM_SEEDS=n` (or `--test sim -- --seeds n`) runs n seeds from `SPECTASK_SIM_FIRST`
//! (1); `SPECTASK_SIM_JOBS` seeds at once (6); `-- --ignored` is the long soak (100000 seeds
//! unless a count is given); `SPECTASK_SIM_DIR` where seeds keep their files.
//!
//! What a seed fixes: the scenario (tasks, plans, timings, which agent start misbehaves where,
//! when engines die, what the people decide). What it does not: the interleaving of threads —
//! SQLite's worker threads, git on the blocking pool and the agent processes run on real time — so
//! a seed replays the same scenario, and a race it found may need a few replays (`SPECTASK_SIM_REPEAT`).
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

/// Bugs the simulation found that are not fixed yet: a seed whose every finding is one of these
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
        Some(seed) => vec![seed; env("SPECTASK_SIM_REPEAT").unwrap_or(1).max(1) as usize],
        None => {
            let first = env("SPECTASK_SIM_FIRST").unwrap_or(1);
            let flag = args.iter().position(|a| a == "--seeds").and_then(|i| args.get(i + 1)?.parse().ok());
            let n = flag.or(env("SPECTASK_SIM_SEEDS")).unwrap_or(if soak { 100_000 } else { CI_SEEDS });
            (first..first + n).collect()
        }
    };
    let jobs = env("SPECTASK_SIM_JOBS").unwrap_or(6).max(1) as usize;
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
        eprintln!("  replay: SEED={seed} cargo test -p spectask-orchestrator --test sim");
    }
    println!(
        "simulation: {} seeds in {:.1} s, {} broke an invariant, {} showed known bugs only",
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
