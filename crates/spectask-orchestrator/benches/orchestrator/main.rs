//! `cargo bench -p spectask-orchestrator`: the real engine in-process on SQLite in a temp dir, with
//! the real scripted ACP agent as a subprocess (this binary re-executed as `--scripted-agent`, the way
//! `spectask agent scripted` runs it), in the Landlock sandbox (this binary re-executed as
//! `--sandbox-exec`, the way `spectask agent sandbox-exec` starts agents; unconfined where the kernel, or
//! valgrind, offers no Landlock). Prints reaction latency, CPU time per work-session lifecycle,
//! what many concurrent sessions cost (`rss`), and the makespan of a plan with dependencies against
//! its lower bound; then each figure beside its goal.
//!
//! Sizes come from the environment, for longer runs: `BENCH_CHAIN` (sessions in the dependency chain,
//! 100), `BENCH_TASKS` × `BENCH_SESSIONS` (spec tasks approved one after another × independent
//! sessions each, 20 × 5), `BENCH_APPROVE_EVERY_MS` (200), `BENCH_CONCURRENT` (sessions alive at
//! once, 200), `BENCH_IDLE_SECS` (how long their idle CPU is measured, 10), `BENCH_PLAN` (tasks of
//! the generated plan, 30), `BENCH_SLOTS` (parallel sessions for the makespan, "2,4"), `BENCH_SEED`
//! (1), `BENCH_THINK_MS` (how long the chain's agent works on each session, 0: its CPU per session must
//! not grow with it). The store, repository and worktrees live under the temp dir (`TMPDIR`). `BENCH_SCENARIOS`
//! runs some of them only (`chain,fan-out,rss,makespan`, all by default): `BENCH_SCENARIOS=chain
//! BENCH_CHAIN=10` under `valgrind --tool=callgrind`, and again with 30, gives the instructions per
//! session whatever the machine's load. `BENCH_STATEMENTS=1` (or `full`) prints the statements per
//! session by kind (`statements`), and per second while the `rss` sessions wait. `BENCH_LOG` (a
//! tracing filter, `spectask_orchestrator=warn`) logs the engine to stderr: lost leases, failed jobs.
//!
//! Scaling past one node (`nodes`, run only when named: it needs PostgreSQL, the tests' server
//! `SPECTASK_TEST_DATABASE_URL`): `BENCH_SCENARIOS=nodes BENCH_NODES=2 BENCH_NODE_SESSIONS=200
//! BENCH_NODE_CHAIN=10` runs that many engines on one fresh database, approves spec tasks of chains
//! of `BENCH_NODE_CHAIN` sessions totalling `BENCH_NODE_SESSIONS`, and prints per node the sessions
//! it ran, their reaction latency and its CPU, beside one node on PostgreSQL.
//!
//! The large run, a node's scale: `BENCH_SCENARIOS=rss BENCH_CONCURRENT=1000`, its goals printed
//! with the others: orchestrator CPU while the sessions wait ≤ 5 ms/s (and flat from 200 to 1,000),
//! orchestrator + agent RSS ≤ 200 MiB (≤ 150 KiB per session), approval → first session running
//! ≤ 1 s and → every thread open ≤ 15 s, and the board, fleet and task page reads a dashboard
//! makes while they start ≤ 100 ms at p99. Run it on a quiet machine: other work on the cores
//! shows as ramp-up time and read latency. `BENCH_DATABASE=postgres` runs it on a fresh database of
//! the tests' PostgreSQL server (`SPECTASK_TEST_DATABASE_URL`) instead of SQLite.
//!
//! Codemap: `fixture` (repository, store, agent profile, engine), `plan` (generated plans, agent
//! scripts, schedule bounds), `measure` (outbox events, CPU time, RSS), `rss` (many concurrent
//! sessions), `reads` (API-like reads while they start), `nodes` (several nodes on one
//! PostgreSQL database), `statements` (store round trips and
//! statements per session), `goals` (the table of figures and goals).

#![allow(clippy::unwrap_used)]

mod fixture;
mod goals;
mod measure;
mod nodes;
mod plan;
mod reads;
mod rss;
mod statements;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use spectask_core::events::payload::WorkSessionTransitioned;
use spectask_core::{SpecTaskId, SpecTaskStatus};
use spectask_scripted_agent::{Script, run_scripted_agent};
use spectask_store::testing::round_trips;

use crate::fixture::{Fixture, config};
use crate::goals::{Goal, quantile};
use crate::measure::{
    At, children_cpu_ms, commits, cpu_ms, events_after, gaps, git_commit_floor, last_per_task, last_seq,
    latency_row, ms_between, running_spans, task_to, ws_to,
};
use crate::plan::{PlanTask, Policy, Step, list_schedule, longest_chain, plan_text, random_plan, script};

fn main() {
    // As the `spectask` binary does: its memory is what is measured.
    spectask_orchestrator::limit_malloc_arenas();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--sandbox-exec") {
        let message = spectask_sandbox::launcher::run(std::env::args_os().skip(2));
        panic!("sandbox launcher: {message}");
    }
    if args.first().map(String::as_str) == Some("--scripted-agent") {
        let script = Script::load(Path::new(&args[2])).unwrap();
        tokio::runtime::Runtime::new().unwrap().block_on(run_scripted_agent(script, None)).unwrap();
        return;
    }
    if let Ok(filter) = std::env::var("BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    tokio::runtime::Runtime::new().unwrap().block_on(bench());
}

/// Whether `BENCH_SCENARIOS` (a comma-separated list; all when unset) names `scenario`.
fn wanted(scenario: &str) -> bool {
    std::env::var("BENCH_SCENARIOS").is_err() || named(scenario)
}

/// Whether `BENCH_SCENARIOS` is set and names `scenario`.
fn named(scenario: &str) -> bool {
    std::env::var("BENCH_SCENARIOS").is_ok_and(|list| list.split(',').any(|s| s.trim() == scenario))
}

fn size(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn bench() {
    let counting = statements::install();
    let chain = size("BENCH_CHAIN", 100);
    let think = size("BENCH_THINK_MS", 0) as u64;
    let (tasks, per_task) = (size("BENCH_TASKS", 20), size("BENCH_SESSIONS", 5));
    let approve_every = Duration::from_millis(size("BENCH_APPROVE_EVERY_MS", 200) as u64);
    let concurrent = size("BENCH_CONCURRENT", 200);
    let plan = size("BENCH_PLAN", 30);
    let slots: Vec<usize> = std::env::var("BENCH_SLOTS")
        .unwrap_or_else(|_| "2,4".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let seed = size("BENCH_SEED", 1) as u64;
    let idle = Duration::from_secs(size("BENCH_IDLE_SECS", 10) as u64);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "spectask orchestrator benchmark: SQLite and git under {} (set TMPDIR to move them), scripted ACP \
         agent subprocess, {cores} cores\n",
        std::env::temp_dir().display()
    );

    let started = Instant::now();
    let chain = if wanted("chain") { chain_scenario(chain, think).await } else { Measured::skipped(4) };
    let fan_out = if wanted("fan-out") {
        fan_out_scenario(tasks, per_task, approve_every).await
    } else {
        Measured::skipped(5)
    };
    println!("reaction latency (outbox event timestamps, 1 ms resolution)");
    println!("  {:<62} {:>5} {:>8} {:>8} {:>8}", "trigger → next transition", "n", "p50", "p99", "max");
    for (name, samples) in chain.latencies.iter().chain(&fan_out.latencies).filter(|(n, _)| !n.is_empty()) {
        latency_row(name, samples);
    }
    println!(
        "\nCPU time and store round trips per work-session lifecycle (start → committed, and the recorder \
         flushed: all their history and state on the design-docs branch)"
    );
    for run in [&chain.cpu, &fan_out.cpu].into_iter().filter(|run| run.sessions > 0) {
        println!(
            "  {:<44} orchestrator {:>6.2} ms/session   agents {:>6.2} ms/session   ({:.1} s wall)   \
             {:.1} round trips/session   {:.2} design-docs commits/session",
            run.label,
            run.orchestrator_ms / run.sessions as f64,
            run.agents_ms / run.sessions as f64,
            run.wall.as_secs_f64(),
            run.round_trips as f64 / run.sessions as f64,
            run.design_docs_commits as f64 / run.sessions as f64
        );
        statements::print(&run.statements, run.sessions);
    }
    if counting {
        println!("  (statements counted: the CPU above includes formatting them)");
    }
    let rss = if wanted("rss") {
        let postgres = std::env::var("BENCH_DATABASE").is_ok_and(|d| d == "postgres");
        rss::rss_scenario(concurrent, idle, postgres).await
    } else {
        rss::Rss::skipped()
    };
    println!(
        "\nmakespan of a generated plan ({plan} tasks, random dependencies, seed {seed}; each task sleeps \
         100–600 ms);\n  ideal = the engine's policy (the ready session with the most sessions waiting on it \
         in a chain first, then plan order) with zero overhead,\n  cp-first = longest remaining chain of \
         work first (knowing the durations)"
    );
    println!(
        "  {:>5} {:>10} {:>13} {:>11} {:>9} {:>11} {:>10} {:>14} {:>14}",
        "slots",
        "work",
        "longest chain",
        "lower bound",
        "ideal",
        "cp-first",
        "measured",
        "measured/bound",
        "measured/ideal"
    );
    let mut makespans = Vec::new();
    for &k in slots.iter().filter(|_| wanted("makespan")) {
        makespans.push(makespan_scenario(plan, k, seed).await);
    }
    if named("nodes") {
        let nodes = size("BENCH_NODES", 2);
        nodes::nodes_scenario(nodes, size("BENCH_NODE_SESSIONS", 200), size("BENCH_NODE_CHAIN", 10)).await;
    }
    let dependent = &chain.latencies[0].1;
    let per_session = |run: &CpuRun| run.orchestrator_ms / run.sessions as f64;
    goals::print(&[
        Goal {
            figure: "session's turn ended → dependent session running, p50 / p99".into(),
            now: vec![quantile(dependent, 0.5), quantile(dependent, 0.99)],
            // git's own commit is on the way: the floor, measured in the same run (`chain`).
            goals: vec![12.0, 25.0],
            unit: "ms",
        },
        Goal {
            figure: "session completed → its commit step done, 5 parallel per task, p99".into(),
            now: vec![quantile(&fan_out.latencies[3].1, 0.99)],
            goals: vec![30.0],
            unit: "ms",
        },
        Goal {
            figure: "orchestrator CPU per session lifecycle (chain / fan-out)".into(),
            now: vec![per_session(&chain.cpu), per_session(&fan_out.cpu)],
            goals: vec![30.0, 30.0],
            unit: "ms",
        },
        Goal {
            figure: format!("orchestrator CPU while {} sessions wait on their agent", rss.sessions),
            now: vec![rss.idle_cpu],
            goals: vec![5.0],
            unit: "ms/s",
        },
        Goal {
            figure: format!("orchestrator + agent RSS, {} sessions: total / per session", rss.sessions),
            now: vec![rss.total_mib, rss.kib_per_session],
            goals: vec![200.0, 150.0],
            unit: "MiB / KiB",
        },
        Goal {
            figure: format!("approval → first session running / all {} threads open", rss.sessions),
            now: vec![rss.first_running, rss.ramp],
            goals: vec![1.0, 15.0],
            unit: "s",
        },
        Goal {
            figure: format!("board, fleet and task page reads while {} sessions start, p99", rss.sessions),
            now: vec![rss.reads_p99],
            goals: vec![100.0],
            unit: "ms",
        },
        Goal {
            figure: "makespan / lower bound, generated plan, slots 2 / 4".into(),
            now: makespans,
            goals: slots.iter().map(|_| 1.05).collect(),
            unit: "",
        },
    ]);
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());
}

struct Measured {
    latencies: Vec<(String, Vec<f64>)>,
    cpu: CpuRun,
}

impl Measured {
    /// A scenario not run: `rows` latency rows without name (not printed) or samples.
    fn skipped(rows: usize) -> Measured {
        Measured {
            latencies: (0..rows).map(|_| (String::new(), Vec::new())).collect(),
            cpu: CpuRun {
                label: String::new(),
                sessions: 0,
                orchestrator_ms: f64::NAN,
                agents_ms: f64::NAN,
                wall: Duration::ZERO,
                round_trips: 0,
                statements: HashMap::new(),
                design_docs_commits: 0,
            },
        }
    }
}

struct CpuRun {
    label: String,
    sessions: usize,
    orchestrator_ms: f64,
    agents_ms: f64,
    wall: Duration,
    /// The engine's store round trips over the run (`spectask_store::testing::round_trips`).
    round_trips: u64,
    /// Statements by kind, when counted (`statements`).
    statements: HashMap<String, u64>,
    /// The commits made to the design-docs branch over the run.
    design_docs_commits: usize,
}

/// One spec task whose plan is a chain: each session starts when the previous one is committed.
async fn chain_scenario(n: usize, think: u64) -> Measured {
    let plan: Vec<PlanTask> =
        (0..n).map(|i| PlanTask { deps: if i == 0 { vec![] } else { vec![i - 1] }, millis: think }).collect();
    let f = Fixture::new(&script(&plan, Step::Finish)).await;
    let task = f.in_review("Chain", &plan_text(&plan)).await;
    let engine = f.start(config(4, 32));
    let (after, cpu, children) = (last_seq(&f.store).await, cpu_ms(), children_cpu_ms());
    let (wall, trips, docs) = (Instant::now(), round_trips(&f.store), f.design_docs_commits().await);
    statements::start();
    f.approve(&task).await;
    f.wait_for(&[task.id], SpecTaskStatus::ImplementationReview).await;
    engine.flush_recorder().await;
    let (cpu, wall, trips) = (cpu_ms() - cpu, wall.elapsed(), round_trips(&f.store) - trips);
    let counted = statements::stop();
    let docs = f.design_docs_commits().await - docs;
    engine.stop().await;
    let events = events_after(&f.store, after).await;
    let completed = ws_to(&events, "completed");
    let running = ws_to(&events, "running");
    // A session is completed in the write that starts its dependent, once git staged its work:
    // its turn ended (the agent's last act is writing its file) before the checks and git's
    // staging; its commit is recorded after, while the dependent starts.
    let turn_ended: Vec<At> = (0..n)
        .filter_map(|i| Some((task.id, f.written_at(&task, &format!("src/part{:03}.txt", i + 1))?)))
        .collect();
    let mut latencies = vec![
        (
            format!("session's turn ended → dependent session running (chain of {n})"),
            gaps(&turn_ended[..turn_ended.len().saturating_sub(1)], &running[1.min(running.len())..]),
        ),
        ("  of which: completed → dependent session running".into(), gaps(&completed, &running)),
    ];
    latencies.push((
        "  of which: completed → its commit step done".into(),
        gaps(&completed, &commits(&f.store, &[task.id]).await),
    ));
    // The floor of the first figure, on this machine as it is now.
    let worktree = f.root.join(".git-worktrees").join(task.handle());
    latencies.push((
        "  git's own add + commit of one new file there, now".into(),
        git_commit_floor(&worktree, 20),
    ));
    Measured {
        latencies,
        cpu: CpuRun {
            label: format!("chain of {n}, one session at a time, {think} ms each"),
            sessions: n,
            orchestrator_ms: cpu,
            agents_ms: children_cpu_ms() - children,
            wall,
            round_trips: trips,
            statements: counted,
            design_docs_commits: docs,
        },
    }
}

/// Spec tasks approved one after another, each with independent sessions (4 at a time per task).
async fn fan_out_scenario(tasks: usize, per_task: usize, every: Duration) -> Measured {
    let plan: Vec<PlanTask> = (0..per_task).map(|_| PlanTask { deps: vec![], millis: 0 }).collect();
    let f = Fixture::new(&script(&plan, Step::Finish)).await;
    let mut ids = Vec::new();
    for t in 0..tasks {
        ids.push(f.in_review(&format!("Fan out {t}"), &plan_text(&plan)).await);
    }
    let engine = f.start(config(4, 64));
    let (after, cpu, children) = (last_seq(&f.store).await, cpu_ms(), children_cpu_ms());
    let (wall, trips, docs) = (Instant::now(), round_trips(&f.store), f.design_docs_commits().await);
    statements::start();
    for task in &ids {
        f.approve(task).await;
        tokio::time::sleep(every).await;
    }
    let ids: Vec<SpecTaskId> = ids.iter().map(|t| t.id).collect();
    f.wait_for(&ids, SpecTaskStatus::ImplementationReview).await;
    engine.flush_recorder().await;
    let (cpu, wall, trips) = (cpu_ms() - cpu, wall.elapsed(), round_trips(&f.store) - trips);
    let counted = statements::stop();
    let docs = f.design_docs_commits().await - docs;
    engine.stop().await;
    let events = events_after(&f.store, after).await;
    let every_ms = every.as_millis();
    let latencies = vec![
        (
            format!("approval → spec handed off ({tasks} tasks, one every {every_ms} ms)"),
            gaps(&task_to(&events, "spec_approved"), &task_to(&events, "implementation_queued")),
        ),
        (
            "implementation_queued → implementation (admission)".into(),
            gaps(&task_to(&events, "implementation_queued"), &task_to(&events, "implementation")),
        ),
        (
            "implementation → first session running".into(),
            gaps(&task_to(&events, "implementation"), &ws_to(&events, "running")),
        ),
        (
            format!("session completed → its commit step done ({per_task} per task, all tasks)"),
            gaps(&ws_to(&events, "completed"), &commits(&f.store, &ids).await),
        ),
        (
            "last session committed → implementation_review".into(),
            gaps(&last_per_task(&commits(&f.store, &ids).await), &task_to(&events, "implementation_review")),
        ),
    ];
    Measured {
        latencies,
        cpu: CpuRun {
            label: format!("{tasks} tasks × {per_task} sessions, 4 per task"),
            sessions: tasks * per_task,
            orchestrator_ms: cpu,
            agents_ms: children_cpu_ms() - children,
            wall,
            round_trips: trips,
            statements: counted,
            design_docs_commits: docs,
        },
    }
}

/// A generated plan with random dependencies and known task durations, run with `k` slots; returns
/// measured / lower bound.
async fn makespan_scenario(n: usize, k: usize, seed: u64) -> f64 {
    let plan = random_plan(n, seed);
    let f = Fixture::new(&script(&plan, Step::Finish)).await;
    let task = f.in_review("Makespan", &plan_text(&plan)).await;
    let engine = f.start(config(k, 32));
    let after = last_seq(&f.store).await;
    f.approve(&task).await;
    f.wait_for(&[task.id], SpecTaskStatus::ImplementationReview).await;
    engine.stop().await;
    let events = events_after(&f.store, after).await;
    let start = ws_to(&events, "running").first().map(|(_, at)| *at).unwrap();
    let end = task_to(&events, "implementation_review").first().map(|(_, at)| *at).unwrap();
    let measured = ms_between(start, end);
    let work: u64 = plan.iter().map(|t| t.millis).sum();
    let chain = longest_chain(&plan);
    let bound = (chain as f64).max(work as f64 / k as f64);
    let ideal = list_schedule(&plan, k, Policy::Depth) as f64;
    let critical_first = list_schedule(&plan, k, Policy::CriticalPathFirst);
    println!(
        "  {:>5} {:>7} ms {:>10} ms {:>8.0} ms {:>6.0} ms {:>8} ms {:>7.0} ms {:>14.2} {:>14.2}",
        k,
        work,
        chain,
        bound,
        ideal,
        critical_first,
        measured,
        measured / bound,
        measured / ideal
    );
    // Where the slots' time went: running beyond the agent's work, and no session running at all
    // (beyond what the ideal schedule leaves idle).
    let running: f64 = running_spans(&events).iter().sum();
    let per_session = |ms: f64| ms / n as f64;
    println!(
        "        per session: {:.1} ms running beyond the agent's work, {:.1} ms of a slot idle ({:.1} ms in \
         the ideal)",
        per_session(running - work as f64),
        per_session(k as f64 * measured - running),
        per_session(k as f64 * ideal - work as f64)
    );
    // Each session's time around its agent's work: from running to the agent's start (its file's
    // write less its sleep), and from that write to completed (its commit step and record).
    let sessions = f.store.work_sessions_of(task.id).await.unwrap();
    let (mut before, mut after_work) = (Vec::new(), Vec::new());
    for s in &sessions {
        let Some(i) = s.plan_task.as_ref().and_then(|p| p.id.as_deref()?.parse::<usize>().ok()) else {
            continue;
        };
        let Some(written) = f.written_at(&task, &format!("src/part{i:03}.txt")) else { continue };
        let events_of = |to: &str| {
            events.iter().find(|e| {
                e.work_session_id == Some(s.id)
                    && e.payload_as::<WorkSessionTransitioned>().is_some_and(|p| p.to.as_str() == to)
            })
        };
        let (Some(run), Some(done)) = (events_of("running"), events_of("completed")) else { continue };
        before.push(ms_between(run.at, written) - plan[i - 1].millis as f64);
        after_work.push(ms_between(written, done.at));
    }
    latency_row("running → the agent's work starts", &before);
    latency_row("the agent's work ends → completed", &after_work);
    measured / bound
}
