//! Several nodes on one PostgreSQL database (`BENCH_SCENARIOS=nodes`): `BENCH_NODES` engines (2),
//! each on a tokio runtime and a store pool of its own as separate processes have them, on one fresh
//! database of the tests' server (`SPECTASK_TEST_DATABASE_URL`, else the local `test` database), and
//! on one disk (the repository and its worktrees, as nodes sharing a filesystem do). Spec tasks
//! whose sessions total `BENCH_NODE_SESSIONS` (200) are approved at once, each a chain of
//! `BENCH_NODE_CHAIN` sessions (10); then the same with one node on PostgreSQL, for comparison.
//! A task's sessions run on the node holding its lease (where its agent lives): the work spreads by
//! task. Per node: the tasks whose agent it ran, the session threads it started, the reaction
//! latency (session completed → dependent session running) of its tasks, and the CPU time of its
//! runtime's threads.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use spectask_agent::AgentRuntime;
use spectask_core::events::payload::WorkSessionTransitioned;
use spectask_core::{
    Event, Job, JobKind, JobStatus, SpecTaskId, SpecTaskStatus, WorkSessionEffect, WorkSessionId,
};
use spectask_orchestrator::EngineObserver;
use spectask_store::testing::{IsolatedDatabase, isolated_postgres_database, postgres_base_url};
use spectask_store::{DatabaseUrl, Store};
use tokio_util::sync::CancellationToken;

use crate::fixture::{Engine, Fixture, config};
use crate::goals::quantile;
use crate::measure::{At, children_cpu_ms, events_after, gaps, last_seq, ws_to};
use crate::plan::{PlanTask, Step, plan_text, script};

/// How long the tests' PostgreSQL server has to answer before the scenario gives up.
const CONNECT_LIMIT: Duration = Duration::from_secs(15);

/// The session threads a node started (its claims of them, retries included).
#[derive(Debug, Default)]
struct Claims {
    started: AtomicUsize,
}

impl EngineObserver for Claims {
    fn job_claimed(&self, kind: JobKind, _waited: Duration) {
        if kind == JobKind::WorkSession(WorkSessionEffect::StartThread) {
            self.started.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One node: its runtime (its threads are named after it), engine and claims.
struct Node {
    name: String,
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    claims: Arc<Claims>,
}

/// Runs the scenario with one node, then with `nodes`, and prints their figures per node.
pub(crate) async fn nodes_scenario(nodes: usize, sessions: usize, chain: usize) {
    let chain = chain.max(1);
    let tasks = sessions.div_ceil(chain).max(1);
    println!(
        "\nnodes on one PostgreSQL database: {tasks} spec tasks approved at once, each a chain of {chain} \
         sessions ({} sessions); each node its own runtime and store pool, one disk",
        tasks * chain
    );
    println!(
        "  {:<8} {:<10} {:>5} {:>8} {:>5} {:>8} {:>8} {:>9} {:>10} {:>8}",
        "nodes", "node", "tasks", "sessions", "n", "p50", "p99", "CPU", "CPU/sess", "CPU"
    );
    let mut counts = vec![1];
    if nodes > 1 {
        counts.push(nodes);
    }
    for count in counts {
        run(count, tasks, chain).await;
    }
    println!(
        "  (n, p50, p99: session completed → dependent session running on the node's tasks, ms; tasks: \
         those whose agent lived on the node; sessions: threads it started; CPU: its runtime's threads' \
         CPU time over the run, per session it started, and per second)"
    );
}

async fn run(count: usize, tasks: usize, chain: usize) {
    let database = fresh_database().await;
    let url = DatabaseUrl::parse(&database.url).unwrap();
    let plan: Vec<PlanTask> =
        (0..chain).map(|i| PlanTask { deps: if i == 0 { vec![] } else { vec![i - 1] }, millis: 0 }).collect();
    let f = Fixture::on(&script(&plan, Step::Finish), &url, tempfile::tempdir().unwrap()).await;
    let mut specs = Vec::new();
    for t in 0..tasks {
        specs.push(f.in_review(&format!("Chain {t}"), &plan_text(&plan)).await);
    }
    let mut nodes = Vec::new();
    for i in 0..count {
        nodes.push(start(&f, &url, format!("node{i}of{count}"), tasks + 16).await);
    }
    let after = last_seq(&f.store).await;
    let cpu: Vec<f64> = nodes.iter().map(|n| threads_cpu_ms(&n.name)).collect();
    let (children, wall) = (children_cpu_ms(), Instant::now());
    let watching = CancellationToken::new();
    let agents: Vec<AgentRuntime> = nodes.iter().map(|n| n.engine.agents.clone()).collect();
    let holders = tokio::spawn(agent_holders(agents, watching.clone()));
    for spec in &specs {
        f.approve(spec).await;
    }
    let ids: Vec<SpecTaskId> = specs.iter().map(|t| t.id).collect();
    f.wait_for(&ids, SpecTaskStatus::ImplementationReview).await;
    let wall = wall.elapsed().as_secs_f64();
    let cpu: Vec<f64> = nodes.iter().zip(cpu).map(|(n, before)| threads_cpu_ms(&n.name) - before).collect();
    let agents_ms = children_cpu_ms() - children;
    watching.cancel();
    let holders = holders.await.unwrap();
    let mut stopped = Vec::new();
    for Node { name, runtime, engine, claims } in nodes {
        engine.stop().await;
        stopped.push((name, runtime, claims));
    }
    let events = events_after(&f.store, after).await;
    let (completed, running) = (ws_to(&events, "completed"), ws_to(&events, "running"));
    let mut all_started = 0;
    for (i, (name, _, claims)) in stopped.iter().enumerate() {
        let mine = |at: &[At]| -> Vec<At> {
            at.iter()
                .filter(|(task, _)| holders.get(task).is_some_and(|held| held.contains(&i)))
                .copied()
                .collect()
        };
        let latency = gaps(&mine(&completed), &mine(&running));
        let started = claims.started.load(Ordering::Relaxed);
        all_started += started;
        println!(
            "  {:<8} {:<10} {:>5} {:>8} {:>5} {:>5.0} ms {:>5.0} ms {:>6.0} ms {:>7.2} ms {:>5.0} ms/s",
            if i == 0 { count.to_string() } else { String::new() },
            name,
            holders.values().filter(|held| held.contains(&i)).count(),
            started,
            latency.len(),
            quantile(&latency, 0.5),
            quantile(&latency, 0.99),
            cpu[i],
            cpu[i] / started.max(1) as f64,
            cpu[i] / wall
        );
    }
    let all = gaps(&completed, &running);
    let moved = holders.values().filter(|held| held.len() > 1).count();
    let unseen = ids.iter().filter(|id| !holders.contains_key(id)).count();
    println!(
        "  {:<8} {:<10} {:>5} {:>8} {:>5} {:>5.0} ms {:>5.0} ms {:>6.0} ms   {:.1} s wall; agents {:.2} ms/session; \
         {moved} tasks on more than one node, {unseen} never seen live; sessions run twice: {}",
        "",
        "all",
        tasks,
        all_started,
        all.len(),
        quantile(&all, 0.5),
        quantile(&all, 0.99),
        cpu.iter().sum::<f64>(),
        wall,
        agents_ms / (tasks * chain) as f64,
        run_twice(&events)
    );
    print_retried(f.watch(), &ids).await;
    for (_, runtime, _) in stopped {
        runtime.shutdown_background();
    }
}

/// The jobs of `tasks` done after more than one claim or a postponement, with their last errors (a few).
async fn print_retried(store: &Store, tasks: &[SpecTaskId]) {
    let mut retried = Vec::new();
    for &task in tasks {
        let jobs = store.jobs_of(task).await.unwrap();
        // Jobs the stop interrupted are left queued: only those that ended count.
        let again = |job: &Job| job.attempts > 1 || job.last_error.is_some();
        retried.extend(jobs.into_iter().filter(|job| job.status == JobStatus::Done && again(job)));
    }
    if retried.is_empty() {
        return;
    }
    println!("  {} jobs done after another claim or a postponement, among them:", retried.len());
    let mut errors: Vec<String> = retried
        .iter()
        .map(|job| {
            format!("{} (attempts {}): {}", job.kind, job.attempts, job.last_error.as_deref().unwrap_or(""))
        })
        .collect();
    errors.sort();
    errors.dedup();
    for error in errors.iter().take(5) {
        println!("    {error}");
    }
}

/// A fresh database on the tests' server; the scenario stops with the reason when it cannot have one.
pub(crate) async fn fresh_database() -> IsolatedDatabase {
    let base = postgres_base_url();
    match tokio::time::timeout(CONNECT_LIMIT, isolated_postgres_database()).await {
        Ok(Ok(database)) => database,
        Ok(Err(err)) => panic!(
            "the nodes scenario needs PostgreSQL: no database could be made on {base} \
             (SPECTASK_TEST_DATABASE_URL): {err}"
        ),
        Err(_) => panic!(
            "the nodes scenario needs PostgreSQL: {base} (SPECTASK_TEST_DATABASE_URL) did not answer in {} s",
            CONNECT_LIMIT.as_secs()
        ),
    }
}

/// Starts node `name`: a runtime of its own whose threads carry its name (their CPU is the node's),
/// a store pool opened there, and its engine.
async fn start(f: &Fixture, url: &DatabaseUrl, name: String, jobs: usize) -> Node {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name.clone())
        // Idle blocking threads (git work) stay, so that their CPU time is still counted.
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()
        .unwrap();
    let opening = url.clone();
    let store = runtime.spawn(async move { Store::open(&opening).await }).await.unwrap().unwrap();
    let claims = Arc::new(Claims::default());
    let mut node_config = config(4, jobs);
    node_config.node = name.clone();
    let engine = {
        let _inside = runtime.enter();
        f.start_node(store, node_config, Some(claims.clone()))
    };
    Node { name, runtime, engine, claims }
}

/// The nodes (by index) each task's agent was seen living on, sampled every 20 ms until `stop`.
async fn agent_holders(
    agents: Vec<AgentRuntime>,
    stop: CancellationToken,
) -> HashMap<SpecTaskId, BTreeSet<usize>> {
    let mut holders: HashMap<SpecTaskId, BTreeSet<usize>> = HashMap::new();
    while !stop.is_cancelled() {
        for (i, runtime) in agents.iter().enumerate() {
            for task in runtime.live_tasks().await {
                holders.entry(task).or_default().insert(i);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    holders
}

/// Work sessions that went to `completed` more than once.
fn run_twice(events: &[Event]) -> usize {
    let mut completions: HashMap<WorkSessionId, usize> = HashMap::new();
    for event in events {
        let completed =
            event.payload_as::<WorkSessionTransitioned>().is_some_and(|p| p.to.as_str() == "completed");
        if let (true, Some(session)) = (completed, event.work_session_id) {
            *completions.entry(session).or_default() += 1;
        }
    }
    completions.values().filter(|&&n| n > 1).count()
}

/// User + system CPU time of this process's live threads named `prefix…`, in ms.
fn threads_cpu_ms(prefix: &str) -> f64 {
    let mut ticks = 0;
    for thread in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(thread.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        ticks += field(11) + field(12);
    }
    ticks as f64 * 10.0
}
