//! The many-sessions scenario: one spec task whose `n` independent sessions all hold their turn
//! open in one agent process (`BENCH_CONCURRENT`, 200; 1,000 is the documented large run). It
//! measures the ramp-up (approval → first session running, → every thread open), the board and
//! fleet reads a dashboard makes while the sessions start (`reads`), the RSS of the orchestrator
//! and the agent once all wait, and the orchestrator's CPU and store round trips while they wait:
//! none of it should grow per session per second.

use std::time::{Duration, Instant};

use spectask_store::testing::round_trips;

use crate::fixture::{Fixture, config};
use crate::goals::quantile;
use crate::measure::{children, cpu_ms, events_after, last_seq, ms_between, rss_kib, task_to, ws_to};
use crate::plan::{PlanTask, Step, plan_text, script};
use crate::reads::Reads;
use crate::statements;

/// The figures the goals table shows.
pub(crate) struct Rss {
    pub(crate) sessions: usize,
    /// Orchestrator CPU while the sessions wait, ms per second.
    pub(crate) idle_cpu: f64,
    /// Orchestrator + agent RSS in MiB, and KiB per session above the idle engine's.
    pub(crate) total_mib: f64,
    pub(crate) kib_per_session: f64,
    /// Approval → first session running, and → every thread open, in s.
    pub(crate) first_running: f64,
    pub(crate) ramp: f64,
    /// The board's and the fleet's reads while the sessions start, p99 in ms.
    pub(crate) reads_p99: f64,
}

impl Rss {
    pub(crate) fn skipped() -> Rss {
        Rss {
            sessions: 0,
            idle_cpu: f64::NAN,
            total_mib: f64::NAN,
            kib_per_session: f64::NAN,
            first_running: f64::NAN,
            ramp: f64::NAN,
            reads_p99: f64::NAN,
        }
    }
}

/// The scenario with `n` sessions, their idle CPU measured for `idle_for`; on a fresh PostgreSQL
/// database of the tests' server when `postgres`, else on SQLite.
pub(crate) async fn rss_scenario(n: usize, idle_for: Duration, postgres: bool) -> Rss {
    let plan: Vec<PlanTask> = (0..n).map(|_| PlanTask { deps: vec![], millis: 0 }).collect();
    let script = script(&plan, Step::Hold);
    // Kept to the end: dropping it removes the database.
    let database = if postgres { Some(crate::nodes::fresh_database().await) } else { None };
    let f = match &database {
        Some(database) => {
            let url = spectask_store::DatabaseUrl::parse(&database.url).unwrap();
            Fixture::on(&script, &url, tempfile::tempdir().unwrap()).await
        }
        None => Fixture::new(&script).await,
    };
    let task = f.in_review("Concurrent", &plan_text(&plan)).await;
    let engine = f.start(config(n, n + 16));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = rss_kib(std::process::id());
    let after = last_seq(&f.store).await;
    let reads = Reads::start(&f.store).await;
    let ramp = Instant::now();
    f.approve(&task).await;
    // A session is alive once its thread is recorded (the prompt follows at once). Polled through the
    // bench's own store in one query, apart from the engine's pool.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let threads = f.watch().threads_of_task(task.id).await.unwrap().len();
        if threads == n {
            break;
        }
        f.fail_if_failed(task.id).await;
        assert!(Instant::now() < deadline, "only {threads} of {n} sessions came alive");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ramp = ramp.elapsed();
    // What the ramp left to do (the history of the first prompts, committed when its window
    // closes) is not waiting: the figure starts once the recorder has committed it.
    let (flushed, flush_cpu) = (Instant::now(), cpu_ms());
    while f.watch().oldest_pending_history().await.unwrap().is_some() {
        assert!(flushed.elapsed() < Duration::from_secs(120), "the ramp's history was never committed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (flushed, flush_cpu) = (flushed.elapsed(), cpu_ms() - flush_cpu);
    let reads = reads.stop().await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let me = rss_kib(std::process::id());
    let agents: Vec<u32> = children().into_iter().map(|(pid, _)| pid).collect();
    let agents_kib: u64 = agents.iter().map(|&pid| rss_kib(pid)).sum();
    statements::start();
    let (idle_cpu, idle, trips) = (cpu_ms(), Instant::now(), round_trips(&f.store));
    tokio::time::sleep(idle_for).await;
    let seconds = idle.elapsed().as_secs_f64();
    let (idle_cpu, trips) = ((cpu_ms() - idle_cpu) / seconds, round_trips(&f.store) - trips);
    let counted = statements::stop();
    engine.stop().await;
    let events = events_after(&f.store, after).await;
    let approved = task_to(&events, "spec_approved").first().map(|(_, at)| *at);
    let first = ws_to(&events, "running").first().map(|(_, at)| *at);
    let first_running = match (approved, first) {
        (Some(approved), Some(first)) => ms_between(approved, first) / 1000.0,
        _ => f64::NAN,
    };
    let per = |kib: u64| kib as f64 / n as f64;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let store = if postgres { "PostgreSQL" } else { "SQLite" };
    println!("\nRSS with {n} concurrent sessions (one spec task, one agent process, {n} threads, {store})");
    println!(
        "  orchestrator process  {:>7.1} MiB  (idle engine {:.1} MiB; +{:.1} KiB per session)",
        mib(me),
        mib(baseline),
        per(me.saturating_sub(baseline))
    );
    println!(
        "  its children ({}: the agent, the repository's `git cat-file`)   {:>7.1} MiB  ({:.1} KiB per session)",
        agents.len(),
        mib(agents_kib),
        per(agents_kib)
    );
    println!(
        "  total                 {:>7.1} MiB  ({:.1} KiB per session above the idle engine)",
        mib(me + agents_kib),
        per(me.saturating_sub(baseline) + agents_kib)
    );
    println!(
        "  ramp-up: approval → first session running in {first_running:.2} s, → {n} threads open in {:.2} s; \
         their history committed {:.2} s later ({flush_cpu:.0} ms CPU, not counted below)",
        ramp.as_secs_f64(),
        flushed.as_secs_f64()
    );
    let all = reads.all();
    println!(
        "  API reads while they start (board list, fleet view and task page, read as the server reads them, \
         every 100 ms): {} reads, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        quantile(&all, 0.5),
        quantile(&all, 0.99),
        quantile(&all, 1.0),
    );
    for (view, ms) in [("board", &reads.board), ("fleet", &reads.fleet), ("task page", &reads.task)] {
        println!("    {view:<9} p50 {:.1} ms, p99 {:.1} ms", quantile(ms, 0.5), quantile(ms, 0.99));
    }
    if let Some(first) = reads.failed.first() {
        println!("  {} of those reads FAILED, the first with: {first}", reads.failed.len());
    }
    println!(
        "  orchestrator CPU while {n} sessions wait on their agent: {idle_cpu:.1} ms/s over {seconds:.0} s \
         (history recorder included); {:.1} store round trips/s",
        trips as f64 / seconds
    );
    statements::print_rate(&counted, seconds);
    Rss {
        sessions: n,
        idle_cpu,
        total_mib: mib(me + agents_kib),
        kib_per_session: per(me.saturating_sub(baseline) + agents_kib),
        first_running,
        ramp: ramp.as_secs_f64(),
        reads_p99: quantile(&all, 0.99),
    }
}
