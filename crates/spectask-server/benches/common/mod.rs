//! What both API benchmarks share: sizes from the environment, the backends to run on, a store with
//! a repository, the server on a loopback port of its own runtime, and quantiles.

#![allow(dead_code)] // each benchmark uses its own part

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use spectask_core::Repository;
use spectask_server::{AppState, Security};
use spectask_store::{DatabaseUrl, Store};

#[path = "../../tests/it/support/mod.rs"]
mod support;

/// `name` from the environment, else `default`.
pub fn size(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The backends to measure: `BENCH_BACKENDS` (`sqlite,postgres`, the default), each with whether it
/// is PostgreSQL.
pub fn backends() -> Vec<(&'static str, bool)> {
    let wanted = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    [("sqlite", false), ("postgres", true)].into_iter().filter(|(name, _)| wanted.contains(name)).collect()
}

/// A migrated store on SQLite under `dir`, or in a fresh PostgreSQL schema (the tests' server,
/// `SPECTASK_TEST_DATABASE_URL`), with its URL.
pub async fn store(dir: &Path, postgres: bool) -> (Store, DatabaseUrl) {
    let url = if postgres {
        DatabaseUrl::parse(&spectask_store::testing::isolated_postgres_url().await.unwrap()).unwrap()
    } else {
        DatabaseUrl::sqlite_in(&dir.join("data"))
    };
    (Store::open(&url).await.unwrap(), url)
}

/// A repository row to hang tasks on (no git repository behind it: listings do not read git).
pub async fn repository(store: &Store) -> Repository {
    store
        .register_repository(Path::new("/srv/bench-app"), "main", "helix-design-docs", Some("local"))
        .await
        .unwrap()
}

/// The server's state over `store`, as the router's tests have it (no users, no agent running).
pub fn state(store: Store) -> AppState {
    support::state(store)
}

/// The name of the server runtime's threads (see [`cpu_ms`]).
pub const SERVER_THREADS: &str = "bench-server";

/// The runtime servers run on: two workers, apart from the clients' runtime, as if they were two
/// processes.
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SERVER_THREADS)
        .enable_all()
        .build()
        .unwrap()
}

/// CPU time (user + system) this process's live threads have used, in ms (clock-tick resolution):
/// those whose name starts with `prefix`, or all of them.
pub fn cpu_ms(prefix: Option<&str>) -> f64 {
    let tick = 1000.0 / 100.0; // USER_HZ
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if prefix.is_some_and(|prefix| !stat[open + 1..close].starts_with(prefix)) {
            continue;
        }
        // After the name: state, then fields 4..; utime and stime are fields 14 and 15.
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        ticks += fields.get(11).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        ticks += fields.get(12).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    }
    ticks as f64 * tick
}

/// Serves the whole spectask application (`spectask_server::serve`, what `spectask serve` runs) on a
/// free loopback port of `runtime`.
pub fn serve_spectask(runtime: &tokio::runtime::Runtime, state: AppState) -> SocketAddr {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(spectask_server::serve(listener, state, Security::default(), std::future::pending()));
        addr
    })
}

/// An HTTP client for plain-HTTP loopback servers, keeping up to `connections` connections open.
/// Bounded in connecting and in silence on an open connection, not in a response's whole length:
/// an event stream lasts the whole scenario (and the server's keep-alive comes every 15 s).
pub fn client(connections: usize) -> reqwest::Client {
    // reqwest is built without a rustls crypto provider; an error only means one is installed.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The `q` quantile (0..=1) of `sorted` (ascending), in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}
