//! `cargo bench -p spectask-orchestrator`: the real engine in-process on SQLite in a temp dir, with
//! the real scripted ACP agent as a subprocess (this binary re-executed as `--scripted-agent`, the way
//! `spectask agent scripted` runs it). Prints reaction latency, CPU time per work-session lifecycle,
//! RSS with many concurrent sessions, and the makespan of a plan with dependencies against its lower
//! bound.
//!
//! Sizes come from the environment, for longer runs: `BENCH_CHAIN` (sessions in the dependency chain,
//! 100), `BENCH_TASKS` × `BENCH_SESSIONS` (spec tasks approved one after another × independent
//! sessions each, 20 × 5), `BENCH_APPROVE_EVERY_MS` (200), `BENCH_CONCURRENT` (sessions alive at
//! once, 200), `BENCH_IDLE_SECS` (how long their idle CPU is measured, 10), `BENCH_PLAN` (tasks of
//! the generated plan, 30), `BENCH_SLOTS` (parallel sessions for the makespan, "2,4"), `BENCH_SEED`
//! (1). The store, repository and worktrees live under the temp dir (`TMPDIR`).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use spectask_agent::scripted::{Script, run_scripted_agent};
use spectask_agent::{AgentProfile, AgentRuntime, Profiles, RuntimeConfig};
use spectask_core::{
    Event, EventKind, NewSpecTask, Priority, ReviewDecision, SpecDocuments, SpecTask, SpecTaskCommand,
    SpecTaskId, SpecTaskStatus, TaskKind,
};
use spectask_git::{RegisterOptions, Repo};
use spectask_orchestrator::{Orchestrator, OrchestratorConfig};
use spectask_store::{DatabaseUrl, NewSpecReview, NewSpecVersion, Store, WipLimits};
use tokio_util::sync::CancellationToken;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--scripted-agent") {
        let script = Script::load(Path::new(&args[2])).unwrap();
        tokio::runtime::Runtime::new().unwrap().block_on(run_scripted_agent(script, None)).unwrap();
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(bench());
}

fn size(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn bench() {
    let chain = size("BENCH_CHAIN", 100);
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
    let chain = chain_scenario(chain).await;
    let fan_out = fan_out_scenario(tasks, per_task, approve_every).await;
    println!("reaction latency (outbox event timestamps, 1 ms resolution)");
    println!("  {:<62} {:>5} {:>8} {:>8} {:>8}", "trigger → next transition", "n", "p50", "p99", "max");
    for (name, samples) in chain.latencies.iter().chain(&fan_out.latencies) {
        latency_row(name, samples);
    }
    println!("\nCPU time per work-session lifecycle (zero-delay agent; start → committed)");
    for run in [&chain.cpu, &fan_out.cpu] {
        println!(
            "  {:<44} orchestrator {:>6.2} ms/session   agents {:>6.2} ms/session   ({:.1} s wall)",
            run.label,
            run.orchestrator_ms / run.sessions as f64,
            run.agents_ms / run.sessions as f64,
            run.wall.as_secs_f64()
        );
    }
    rss_scenario(concurrent, idle).await;
    println!(
        "\nmakespan of a generated plan ({plan} tasks, random dependencies, seed {seed}; each task sleeps \
         100–600 ms)"
    );
    println!(
        "  {:>5} {:>10} {:>13} {:>11} {:>12} {:>10} {:>14} {:>14}",
        "slots",
        "work",
        "longest chain",
        "lower bound",
        "ideal sched.",
        "measured",
        "measured/bound",
        "measured/ideal"
    );
    for k in slots {
        makespan_scenario(plan, k, seed).await;
    }
    println!("\ntotal {:.1} s", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

struct Measured {
    latencies: Vec<(String, Vec<f64>)>,
    cpu: CpuRun,
}

struct CpuRun {
    label: String,
    sessions: usize,
    orchestrator_ms: f64,
    agents_ms: f64,
    wall: Duration,
}

/// One spec task whose plan is a chain: each session starts when the previous one is committed.
async fn chain_scenario(n: usize) -> Measured {
    let plan: Vec<PlanTask> =
        (0..n).map(|i| PlanTask { deps: if i == 0 { vec![] } else { vec![i - 1] }, millis: 0 }).collect();
    let f = Fixture::new(&script(&plan, Step::Finish)).await;
    let task = f.in_review("Chain", &plan_text(&plan)).await;
    let engine = f.start(config(4, 32));
    let (after, cpu, children) = (last_seq(&f.store).await, cpu_ms(), children_cpu_ms());
    let wall = Instant::now();
    f.approve(&task).await;
    f.wait_for(&[task.id], SpecTaskStatus::ImplementationReview).await;
    let (cpu, wall) = (cpu_ms() - cpu, wall.elapsed());
    engine.stop().await;
    let events = events_after(&f.store, after).await;
    let completed = ws_to(&events, "completed");
    let mut latencies = vec![(
        format!("session completed → dependent session running (chain of {n})"),
        gaps(&completed, &ws_to(&events, "running")),
    )];
    latencies
        .push(("  of which: completed → its commit step done".into(), gaps(&completed, &commits(&events))));
    Measured {
        latencies,
        cpu: CpuRun {
            label: format!("chain of {n}, one session at a time"),
            sessions: n,
            orchestrator_ms: cpu,
            agents_ms: children_cpu_ms() - children,
            wall,
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
    let wall = Instant::now();
    for task in &ids {
        f.approve(task).await;
        tokio::time::sleep(every).await;
    }
    let ids: Vec<SpecTaskId> = ids.iter().map(|t| t.id).collect();
    f.wait_for(&ids, SpecTaskStatus::ImplementationReview).await;
    let (cpu, wall) = (cpu_ms() - cpu, wall.elapsed());
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
            gaps(&ws_to(&events, "completed"), &commits(&events)),
        ),
        (
            "last session committed → implementation_review".into(),
            gaps(&last_per_task(&commits(&events)), &task_to(&events, "implementation_review")),
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
        },
    }
}

/// One spec task with `n` independent sessions all running at once in one agent process.
async fn rss_scenario(n: usize, idle_for: Duration) {
    let plan: Vec<PlanTask> = (0..n).map(|_| PlanTask { deps: vec![], millis: 0 }).collect();
    let f = Fixture::new(&script(&plan, Step::Hold)).await;
    let task = f.in_review("Concurrent", &plan_text(&plan)).await;
    let engine = f.start(config(n, n + 16));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = rss_kib(std::process::id());
    let ramp = Instant::now();
    f.approve(&task).await;
    // A session is alive once its thread is recorded (the prompt follows at once).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut threads = 0;
        for s in f.store.work_sessions_of(task.id).await.unwrap() {
            threads += usize::from(f.store.thread_of(s.id).await.unwrap().is_some());
        }
        if threads == n {
            break;
        }
        f.fail_if_failed(task.id).await;
        assert!(Instant::now() < deadline, "only {threads} of {n} sessions came alive");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ramp = ramp.elapsed();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let me = rss_kib(std::process::id());
    let agents: Vec<u32> = children().into_iter().map(|(pid, _)| pid).collect();
    let agents_kib: u64 = agents.iter().map(|&pid| rss_kib(pid)).sum();
    let (idle_cpu, idle) = (cpu_ms(), Instant::now());
    tokio::time::sleep(idle_for).await;
    let idle_cpu = (cpu_ms() - idle_cpu) / idle.elapsed().as_secs_f64();
    engine.stop().await;
    let per = |kib: u64| kib as f64 / n as f64;
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("\nRSS with {n} concurrent sessions (one spec task, one agent process, {n} threads)");
    println!(
        "  orchestrator process  {:>7.1} MiB  (idle engine {:.1} MiB; +{:.1} KiB per session)",
        mib(me),
        mib(baseline),
        per(me.saturating_sub(baseline))
    );
    println!(
        "  agent processes ({})   {:>7.1} MiB  ({:.1} KiB per session)",
        agents.len(),
        mib(agents_kib),
        per(agents_kib)
    );
    println!(
        "  total                 {:>7.1} MiB  ({:.1} KiB per session)",
        mib(me + agents_kib),
        per(me + agents_kib)
    );
    println!("  ramp-up: approval → {n} threads open in {:.2} s", ramp.as_secs_f64());
    println!(
        "  orchestrator CPU while {n} sessions wait on their agent: {idle_cpu:.1} ms/s over {} s (history \
         recorder included)",
        idle_for.as_secs()
    );
}

/// A generated plan with random dependencies and known task durations, run with `k` slots.
async fn makespan_scenario(n: usize, k: usize, seed: u64) {
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
    let ideal = list_schedule(&plan, k) as f64;
    println!(
        "  {:>5} {:>8} ms {:>10} ms {:>8.0} ms {:>9.0} ms {:>7.0} ms {:>14.2} {:>14.2}",
        k,
        work,
        chain,
        bound,
        ideal,
        measured,
        measured / bound,
        measured / ideal
    );
}

// ---------------------------------------------------------------------------------------------
// Fixture: a repository, a store and the engine
// ---------------------------------------------------------------------------------------------

struct Fixture {
    store: Store,
    repository: spectask_core::RepositoryId,
    profiles: Profiles,
    _dir: tempfile::TempDir,
}

struct Engine {
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
}

impl Engine {
    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.unwrap();
    }
}

fn config(slots: usize, jobs: usize) -> OrchestratorConfig {
    let mut config = OrchestratorConfig::new("bench");
    config.wip = WipLimits { global: 10_000, per_repository: 10_000, per_user: 10_000 };
    config.max_parallel_sessions = slots;
    config.max_concurrent_jobs = jobs;
    config
}

impl Fixture {
    async fn new(script: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app");
        spectask_git::init_repository(&path, &[("README.md", "app\n")], "init").unwrap();
        let repo = Repo::register(&path, &RegisterOptions::default()).unwrap().repo;
        let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await.unwrap();
        let repository = store
            .register_repository(repo.root(), repo.default_branch(), repo.design_docs_branch())
            .await
            .unwrap()
            .id;
        let script_path = dir.path().join("agent.toml");
        std::fs::write(&script_path, script).unwrap();
        let me = std::env::current_exe().unwrap().to_str().unwrap().to_owned();
        let args = vec!["--scripted-agent".into(), "--script".into(), script_path.to_str().unwrap().into()];
        let mut profiles = Profiles::presets();
        profiles.insert(AgentProfile::acp("bench", me, args));
        Fixture { store, repository, profiles, _dir: dir }
    }

    fn start(&self, config: OrchestratorConfig) -> Engine {
        let runtime =
            AgentRuntime::new(RuntimeConfig { max_live_instances: 1024, ..RuntimeConfig::default() });
        let orchestrator = Orchestrator::new(self.store.clone(), self.profiles.clone(), runtime, config);
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(orchestrator.run(shutdown.clone()));
        Engine { shutdown, handle }
    }

    /// A spec task waiting for review with `tasks` as its plan (planning is skipped).
    async fn in_review(&self, title: &str, tasks: &str) -> SpecTask {
        let new = NewSpecTask {
            title: title.into(),
            prompt: title.into(),
            kind: TaskKind::Spec,
            repository_id: self.repository,
            planning_agent: None,
            implementation_agent: Some("bench".into()),
            priority: Priority::Normal,
            created_by: "bench".into(),
        };
        let task = self.store.create_spec_task(new).await.unwrap();
        let task = self
            .store
            .transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration)
            .await
            .unwrap()
            .value;
        let version = NewSpecVersion {
            documents: SpecDocuments {
                requirements: REQUIREMENTS.into(),
                design: DESIGN.into(),
                tasks: tasks.into(),
            },
            planner: "bench".into(),
            usage: json!([]),
            lint: vec![],
        };
        self.store.submit_spec_version(&task, version).await.unwrap().0.value
    }

    async fn approve(&self, task: &SpecTask) {
        let review = NewSpecReview {
            decision: ReviewDecision::Approve,
            comments: String::new(),
            line_comments: vec![],
            reviewer: "bench".into(),
        };
        self.store.review_spec(task, review).await.unwrap();
    }

    /// Polls (every 100 ms, a negligible share of the CPU measured) until every task reached `status`.
    async fn wait_for(&self, ids: &[SpecTaskId], status: SpecTaskStatus) {
        let deadline = Instant::now() + Duration::from_secs(600);
        for &id in ids {
            while self.store.spec_task(id).await.unwrap().status() != status {
                self.fail_if_failed(id).await;
                assert!(Instant::now() < deadline, "task {id} did not reach {status}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    async fn fail_if_failed(&self, id: SpecTaskId) {
        let task = self.store.spec_task(id).await.unwrap();
        if let Some(failure) = task.state.failure() {
            panic!("task {id} failed: {}", failure.reason);
        }
    }
}

const REQUIREMENTS: &str = "# Requirements Document\n\n## Introduction\n\nBenchmark.\n\n## Requirements\n\n\
    ### Requirement 1: Parts\n\n**User Story:** As a user, I want parts, so that I can benchmark.\n\n\
    #### Acceptance Criteria\n\n1. WHEN a part is built, THE App SHALL write its file\n";
const DESIGN: &str = "# Design Document\n\n## Overview\n\nOne file per part.\n\n## Architecture\n\nFiles.\n";

// ---------------------------------------------------------------------------------------------
// Plans and scripts
// ---------------------------------------------------------------------------------------------

/// One plan task: the (0-based) tasks it depends on, and how long the agent works on it.
struct PlanTask {
    deps: Vec<usize>,
    millis: u64,
}

/// Every task is marked parallel, so its dependencies are exactly the listed ones.
fn plan_text(plan: &[PlanTask]) -> String {
    let mut out = String::from("# Implementation Plan\n\n");
    for (i, task) in plan.iter().enumerate() {
        out.push_str(&format!("- [ ] {}. Part {:03} (P)\n  - _Requirements: 1.1_\n", i + 1, i + 1));
        if !task.deps.is_empty() {
            let deps: Vec<String> = task.deps.iter().map(|d| (d + 1).to_string()).collect();
            out.push_str(&format!("  - _Depends: {}_\n", deps.join(", ")));
        }
        out.push('\n');
    }
    out
}

#[derive(Clone, Copy)]
enum Step {
    /// Sleep the task's time, write one file, answer.
    Finish,
    /// Answer, then stay in the turn until cancelled.
    Hold,
}

/// One rule per plan task, matched by substring (a wildcard pattern would cost the agent
/// O(prompt × pattern) per rule).
fn script(plan: &[PlanTask], step: Step) -> String {
    let mut out = String::new();
    for (i, task) in plan.iter().enumerate() {
        let id = i + 1;
        let steps = match step {
            Step::Hold => "{ message = \"working\" }, { sleep = 3600000 }".to_owned(),
            Step::Finish => {
                let sleep =
                    if task.millis > 0 { format!("{{ sleep = {} }}, ", task.millis) } else { String::new() };
                let file = format!("src/part{id:03}.txt");
                format!(
                    "{sleep}{{ write_file = {{ path = \"{file}\", content = \"part {id}\\n\" }} }}, \
                     {{ message = \"Wrote {file}.\" }}"
                )
            }
        };
        out.push_str(&format!("[[rule]]\nmatch = \"Your task: {id} Part {id:03}\"\nsteps = [{steps}]\n\n"));
    }
    out
}

/// Each task depends on up to two of the eight tasks before it; durations 100–600 ms.
fn random_plan(n: usize, seed: u64) -> Vec<PlanTask> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below.max(1)
    };
    (0..n)
        .map(|i| {
            let mut deps = Vec::new();
            if i > 0 {
                for _ in 0..next(3) {
                    let back = 1 + next(i.min(8) as u64) as usize;
                    deps.push(i - back);
                }
            }
            deps.sort_unstable();
            deps.dedup();
            PlanTask { deps, millis: 100 + next(501) }
        })
        .collect()
}

fn longest_chain(plan: &[PlanTask]) -> u64 {
    let mut finish = vec![0u64; plan.len()];
    for (i, task) in plan.iter().enumerate() {
        finish[i] = task.millis + task.deps.iter().map(|&d| finish[d]).max().unwrap_or(0);
    }
    finish.into_iter().max().unwrap_or(0)
}

/// The makespan of the engine's own policy (ready tasks in plan order, `k` at a time) with zero
/// overhead per session.
fn list_schedule(plan: &[PlanTask], k: usize) -> u64 {
    let mut done_at: Vec<Option<u64>> = vec![None; plan.len()];
    let mut started = vec![false; plan.len()];
    let mut running: Vec<(u64, usize)> = Vec::new();
    let mut now = 0;
    loop {
        for i in 0..plan.len() {
            let ready = plan[i].deps.iter().all(|&d| done_at[d].is_some_and(|t| t <= now));
            if !started[i] && ready && running.len() < k {
                started[i] = true;
                running.push((now + plan[i].millis, i));
            }
        }
        let Some(&(end, _)) = running.iter().min() else { return now };
        now = end;
        running.retain(|&(e, i)| {
            if e == end {
                done_at[i] = Some(end);
            }
            e != end
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

type At = (SpecTaskId, chrono::DateTime<chrono::Utc>);

async fn last_seq(store: &Store) -> i64 {
    events_after(store, 0).await.last().map_or(0, |e| e.seq)
}

async fn events_after(store: &Store, mut after: i64) -> Vec<Event> {
    let mut all = Vec::new();
    loop {
        let page = store.events_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { return all };
        after = last.seq;
        all.extend(page);
    }
}

fn select(events: &[Event], kind: EventKind, pick: impl Fn(&Event) -> bool) -> Vec<At> {
    events
        .iter()
        .filter(|e| e.kind == kind && pick(e))
        .filter_map(|e| Some((e.spec_task_id?, e.at)))
        .collect()
}

fn task_to(events: &[Event], status: &str) -> Vec<At> {
    select(events, EventKind::SpecTaskTransitioned, |e| e.payload["to"] == status)
}

fn ws_to(events: &[Event], status: &str) -> Vec<At> {
    select(events, EventKind::WorkSessionTransitioned, |e| e.payload["to"] == status)
}

/// The end of each session's commit step: its "session completed" coordination entry.
fn commits(events: &[Event]) -> Vec<At> {
    select(events, EventKind::CoordinationRecorded, |e| e.payload["kind"] == "session_completed")
}

fn last_per_task(events: &[At]) -> Vec<At> {
    let mut last: HashMap<SpecTaskId, At> = HashMap::new();
    for e in events {
        last.insert(e.0, *e);
    }
    let mut out: Vec<At> = last.into_values().collect();
    out.sort_by_key(|e| e.1);
    out
}

/// For each trigger, the time until the first reaction of the same task at or after it; reactions
/// are used once, in order.
fn gaps(triggers: &[At], reactions: &[At]) -> Vec<f64> {
    let mut used = vec![false; reactions.len()];
    let mut out = Vec::new();
    for (task, at) in triggers {
        let found = reactions.iter().enumerate().find(|(i, (t, r))| !used[*i] && t == task && r >= at);
        if let Some((i, (_, r))) = found {
            used[i] = true;
            out.push(ms_between(*at, *r));
        }
    }
    out
}

fn ms_between(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(0) as f64 / 1000.0
}

fn latency_row(name: &str, samples: &[f64]) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at =
        |p: f64| sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN);
    println!("  {name:<62} {:>5} {:>5.0} ms {:>5.0} ms {:>5.0} ms", sorted.len(), at(0.5), at(0.99), at(1.0));
}

// ---------------------------------------------------------------------------------------------
// Process measurements
// ---------------------------------------------------------------------------------------------

/// User + system CPU time of this process (it hosts the engine, SQLite and libgit2), in ms.
fn cpu_ms() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1000.0 + t.tv_nsec as f64 / 1e6
}

/// CPU time of this process's children, ended (reaped) and alive, in ms (clock-tick resolution).
fn children_cpu_ms() -> f64 {
    let tick = 1000.0 / rustix::param::clock_ticks_per_second() as f64;
    let reaped = stat_fields(std::process::id()).map_or(0, |f| f[13] + f[14]);
    let alive: u64 = children().iter().map(|(_, f)| f[11] + f[12]).sum();
    (reaped + alive) as f64 * tick
}

/// The numeric fields of `/proc/<pid>/stat` after the command name (index 0 is the state's slot).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}

/// Live children of this process with their stat fields.
fn children() -> Vec<(u32, Vec<u64>)> {
    let me = u64::from(std::process::id());
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat_fields(pid)?)))
        .filter(|(_, f)| f.get(1) == Some(&me))
        .collect()
}

/// Resident set size of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
