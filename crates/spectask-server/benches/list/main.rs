//! `cargo bench -p spectask-server --bench list`: `GET /api/v1/spec-tasks` (a page of 50) over
//! `BENCH_TASKS` stored SpecTasks (100,000), with `BENCH_CONNECTIONS` clients (50) each sending its
//! next request when the last one is answered, on SQLite and PostgreSQL (`BENCH_BACKENDS`). Prints
//! requests/s, p50 and p99 of the whole spectask application (`spectask_server::serve`, every layer
//! of `spectask serve`) and of a bare axum + sqlx handler reading the same rows, measured in
//! alternating rounds of `BENCH_SECONDS` (5) in the same run, and their ratio (goal: ≥ 0.8×).
//!
//! Servers run on a two-worker runtime of their own, the clients on this thread's runtime. The
//! tasks are written in bulk (`spectask_store::testing::seed_spec_tasks`), not through the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bare;
#[path = "../common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{quantile_ms, size};

/// Alternating rounds per target, after one warm-up round each.
const ROUNDS: usize = 3;
const PAGE: usize = 50;

fn main() {
    let tasks = size("BENCH_TASKS", 100_000);
    let connections = size("BENCH_CONNECTIONS", 50);
    let seconds = Duration::from_secs(size("BENCH_SECONDS", 5) as u64);
    let clients = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!(
        "GET /api/v1/spec-tasks (page of {PAGE}) over {tasks} tasks, {connections} connections, \
         {ROUNDS} rounds of {}s per target",
        seconds.as_secs()
    );
    for (backend, postgres) in common::backends() {
        let servers = common::server_runtime();
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = servers.block_on(common::store(dir.path(), postgres));
        let seeded = Instant::now();
        servers.block_on(async {
            let repository = common::repository(&store).await;
            spectask_store::testing::seed_spec_tasks(
                &store,
                repository.id,
                spectask_store::LOCAL_USER,
                tasks,
            )
            .await
            .unwrap();
        });
        println!("{backend}: {tasks} tasks seeded in {:.1}s", seeded.elapsed().as_secs_f64());
        let state = servers.block_on(async { common::state(store) });
        let api = common::serve_spectask(&servers, state);
        let bare = bare::serve(&servers, &url);
        let api_url = format!("http://{api}/api/v1/spec-tasks?limit={PAGE}");
        let bare_url = format!("http://{bare}/spec-tasks");
        clients.block_on(async {
            let client = common::client(connections);
            check_page(&client, &api_url, tasks).await;
            check_page(&client, &bare_url, tasks).await;
            let (mut ours, mut baseline) = (Load::default(), Load::default());
            load(&client, &api_url, connections, Duration::from_secs(1)).await;
            load(&client, &bare_url, connections, Duration::from_secs(1)).await;
            for _ in 0..ROUNDS {
                ours.add(load(&client, &api_url, connections, seconds).await);
                baseline.add(load(&client, &bare_url, connections, seconds).await);
            }
            report(backend, &mut ours, &mut baseline);
        });
        drop(servers);
    }
}

/// One answer of `url`, checked: a page of `PAGE` items out of `tasks`.
async fn check_page(client: &reqwest::Client, url: &str, tasks: usize) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{url}: {body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(PAGE.min(tasks)), "{url}: {body}");
    assert_eq!(body["total"].as_u64(), Some(tasks as u64), "{url}: {body}");
}

/// What the clients saw over some rounds.
#[derive(Default)]
struct Load {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `connections` clients sending `GET url` one after another for `duration`; every answer must be
/// a 200.
async fn load(client: &reqwest::Client, url: &str, connections: usize, duration: Duration) -> Load {
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = client.get(&url).send().await.unwrap();
                    assert_eq!(response.status(), 200, "{url}");
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    Load { latencies, elapsed: start.elapsed() }
}

fn report(backend: &str, ours: &mut Load, baseline: &mut Load) {
    ours.latencies.sort();
    baseline.latencies.sort();
    for (name, load) in [("spectask", &*ours), ("bare axum + sqlx", &*baseline)] {
        println!(
            "{backend}: {name:<17} {:>8.0} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
            load.per_second(),
            quantile_ms(&load.latencies, 0.5),
            quantile_ms(&load.latencies, 0.99),
            load.latencies.len()
        );
    }
    let ratio = ours.per_second() / baseline.per_second();
    let verdict = if ratio >= 0.8 { "meets" } else { "misses" };
    println!(
        "{backend}: ratio {ratio:.2}× requests/s, p99 {:.2}× the bare handler's ({verdict} the goal of ≥ 0.8×)",
        quantile_ms(&ours.latencies, 0.99) / quantile_ms(&baseline.latencies, 0.99)
    );
}
