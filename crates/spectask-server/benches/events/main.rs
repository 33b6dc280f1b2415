//! `cargo bench -p spectask-server --bench events`: event-to-client latency on `GET /api/v1/events`
//! with `BENCH_CLIENTS` (200) Server-Sent Events clients connected to the whole spectask application
//! (`spectask_server::serve`), on SQLite and PostgreSQL (`BENCH_BACKENDS`), while a scripted
//! scenario writes through the store: `BENCH_TASKS` (20) SpecTasks, each created, then
//! `BENCH_PROGRESS` (10) plan-progress events, then cancelled, one write every `BENCH_EVERY_MS`
//! (20). The latency of an event at a client runs from the start of the write that appends it (its
//! commit included) to the client having parsed it; prints p50, p99 and the largest (goal: p99 ≤
//! 10 ms), and the CPU time used during the scenario by the server runtime's threads and by the
//! whole process (clients, scenario and SQLite's threads included), per event delivered.
//!
//! Servers run on a two-worker runtime of their own, the clients and the scenario on this thread's
//! runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use spectask_core::events::payload::WorkSessionPlan;
use spectask_core::wire::sse::SseParser;
use spectask_core::{NewSpecTask, SpecTaskCommand, TaskKind};
use spectask_store::Store;

use common::{quantile_ms, size};

/// How long the clients may take to receive the scenario's last event after it was written.
const DRAIN: Duration = Duration::from_secs(60);

fn main() {
    let clients = size("BENCH_CLIENTS", 200);
    let tasks = size("BENCH_TASKS", 20);
    let progress = size("BENCH_PROGRESS", 10);
    let every = Duration::from_millis(size("BENCH_EVERY_MS", 20) as u64);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!(
        "GET /api/v1/events: {clients} clients; {tasks} tasks × ({progress} progress events + cancel), \
         one write every {} ms",
        every.as_millis()
    );
    for (backend, postgres) in common::backends() {
        let servers = common::server_runtime();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = servers.block_on(common::store(dir.path(), postgres));
        let repository = servers.block_on(common::repository(&store));
        let start = servers.block_on(store.last_event_seq()).unwrap();
        let state = servers.block_on(async { common::state(store.clone()) });
        let addr = common::serve_spectask(&servers, state);
        let url = format!("http://{addr}/api/v1/events?after={start}");
        runtime.block_on(async {
            let client = common::client(clients);
            let mut readers = Vec::new();
            for _ in 0..clients {
                readers.push(Reader::connect(&client, &url).await);
            }
            let (tx, _) = tokio::sync::watch::channel(i64::MAX);
            let last = tx.subscribe();
            let handles: Vec<_> =
                readers.into_iter().map(|reader| tokio::spawn(reader.read_until(last.clone()))).collect();
            let cpu_before = (common::cpu_ms(Some(common::SERVER_THREADS)), common::cpu_ms(None));
            let written = scenario(&store, repository.id, tasks, progress, every).await;
            let final_seq = store.last_event_seq().await.unwrap();
            tx.send(final_seq).unwrap();
            let mut latencies = Vec::new();
            for handle in handles {
                let received = tokio::time::timeout(DRAIN, handle).await.expect("every client drains").unwrap();
                for (seq, at) in received {
                    if let Some(started) = written.get(&seq) {
                        latencies.push(at.saturating_duration_since(*started));
                    }
                }
            }
            let server_cpu = common::cpu_ms(Some(common::SERVER_THREADS)) - cpu_before.0;
            let process_cpu = common::cpu_ms(None) - cpu_before.1;
            latencies.sort();
            let expected = written.len() * clients;
            assert_eq!(latencies.len(), expected, "every client received every timed event");
            let p99 = quantile_ms(&latencies, 0.99);
            let verdict = if p99 <= 10.0 { "meets" } else { "misses" };
            println!(
                "{backend}: {} deliveries   p50 {:.2} ms   p99 {p99:.2} ms   max {:.2} ms   ({verdict} the goal of p99 ≤ 10 ms)",
                latencies.len(),
                quantile_ms(&latencies, 0.5),
                quantile_ms(&latencies, 1.0),
            );
            let per_delivery = |ms: f64| ms * 1000.0 / latencies.len() as f64;
            println!(
                "{backend}: CPU during the scenario: server threads {server_cpu:.0} ms ({:.1} µs per delivery), \
                 whole process {process_cpu:.0} ms ({:.1} µs per delivery)",
                per_delivery(server_cpu),
                per_delivery(process_cpu),
            );
        });
        drop(servers);
    }
}

/// The scripted writes, paced; returns when each timed write started, by the seq of its event.
async fn scenario(
    store: &Store,
    repository: spectask_core::RepositoryId,
    tasks: usize,
    progress: usize,
    every: Duration,
) -> HashMap<i64, Instant> {
    let mut started = HashMap::new();
    let mut tick = tokio::time::interval(every);
    for n in 0..tasks {
        tick.tick().await;
        let title = format!("Bench task {n}");
        let new =
            NewSpecTask::new(TaskKind::default(), repository, &title, &title, spectask_store::LOCAL_USER);
        let task = store.create_spec_task(new).await.unwrap();
        for done in 0..progress {
            tick.tick().await;
            let at = Instant::now();
            let payload = WorkSessionPlan { entries: Vec::new(), done, current: None };
            let seq = store.publish_event(Some(task.id), None, &payload).await.unwrap();
            started.insert(seq, at);
        }
        tick.tick().await;
        let at = Instant::now();
        let cancelled = store.transition_spec_task(&task, &SpecTaskCommand::Cancel).await.unwrap();
        started.insert(cancelled.event_seq, at);
    }
    started
}

/// One SSE client: the open response and its parser.
struct Reader {
    response: reqwest::Response,
}

impl Reader {
    async fn connect(client: &reqwest::Client, url: &str) -> Self {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        Self { response }
    }

    /// Every event's seq and when it was parsed, until the one `last` names has arrived.
    async fn read_until(self, mut last: tokio::sync::watch::Receiver<i64>) -> Vec<(i64, Instant)> {
        let mut parser = SseParser::default();
        let mut body = self.response.bytes_stream();
        let mut received = Vec::new();
        let mut newest = 0;
        while newest < *last.borrow() {
            let chunk = tokio::select! {
                chunk = body.next() => chunk.expect("the stream stays open").unwrap(),
                _ = last.changed() => continue,
            };
            let at = Instant::now();
            for event in parser.feed(&chunk).unwrap() {
                let Some(seq) = event.id.and_then(|id| id.parse::<i64>().ok()) else { continue };
                received.push((seq, at));
                newest = seq;
            }
        }
        received
    }
}
