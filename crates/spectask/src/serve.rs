//! `spectask serve`: open the store, serve the API, shut down gracefully on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use spectask_agent::AgentRuntime;
use spectask_orchestrator::Orchestrator;
use spectask_server::{AppState, Auth};
use spectask_store::{DatabaseUrl, Store};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::config;
use crate::output::outln;

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging("info");
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let url = match &args.database_url {
        Some(url) => DatabaseUrl::parse(url)?,
        None => DatabaseUrl::sqlite_in(&data_dir),
    };
    let store = open_store(&url).await?;
    tracing::info!(database = %url.display(), data_dir = %data_dir.display(), "spectask starting");
    let config = config::load(args.config.as_deref(), &data_dir)?;
    serve_until_signal(store, args.addr, args.node, None, config, |_| Ok(())).await?;
    Ok(ExitCode::SUCCESS)
}

/// Makes this process unreadable to the other processes of its OS user — the agents, hooks and
/// check commands it starts — however they escape their confinement: its environment and memory
/// (`/proc/<pid>/environ`, `/proc/<pid>/mem`, ptrace), where forge tokens live. Its children
/// are not affected (an exec makes a process dumpable again).
fn hide_from_own_user() {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};
    if let Err(error) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        tracing::warn!(%error, "could not make the server unreadable to its user's other processes");
    }
}

pub fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)))
        .with_writer(std::io::stderr)
        .init();
}

pub async fn open_store(url: &DatabaseUrl) -> anyhow::Result<Store> {
    Store::open(url).await.with_context(|| format!("cannot open the database {}", url.display()))
}

/// Serves the API and runs the orchestrator until Ctrl-C or SIGTERM. Prints
/// `spectask listening on http://ADDR` on stdout once ready (scripts and tests wait for that line),
/// then calls `ready` with the address. `demo_repos` is where the demo creates the sample
/// repositories people pick (only `spectask demo` offers them).
pub async fn serve_until_signal(
    store: Store,
    addr: SocketAddr,
    node: Option<String>,
    demo_repos: Option<std::path::PathBuf>,
    mut config: config::Config,
    ready: impl FnOnce(SocketAddr) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    hide_from_own_user();
    let auth = decide_auth(&store, addr, &config.data_dir).await?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr()?;
    // The node names the leases it takes: unique per server process on a shared database.
    let node = node.unwrap_or_else(|| format!("{}:{}", hostname(), addr.port()));
    config.orchestrator.node = node.clone();
    // Repositories registered by URL are cloned here, by this node's API and its orchestrator.
    let clones_dir = config.data_dir.join("clones");
    config.orchestrator.clones_dir = Some(clones_dir.clone());
    // Other nodes name this address to editors whose turns must run here (the task's lease holder).
    store.register_node(&node, &api_address(addr)).await.context("cannot register this node")?;
    let task_lease = config.orchestrator.task_lease();
    if config.session_tools {
        config.orchestrator.session_tools = session_tools_launch(addr);
    }
    let coordination = config.orchestrator.coordination;
    let granularity = config.orchestrator.granularity;
    let converge_rounds = config.orchestrator.converge_rounds;
    let forges = config.orchestrator.forges.clone();
    let budgets = config.orchestrator.budgets.clone();
    // The API reads on connections of its own: a dashboard's reads never queue behind the engine's.
    // Opened before the engine starts and the server says it is ready: a database that refuses
    // them (PostgreSQL at its `max_connections`) stops the start with nothing begun.
    let api_store = store.with_own_readers().await.context("cannot open the API's readers")?;
    let shutdown = CancellationToken::new();
    announce_sandbox(&config);
    stop_orphans(&config.runtime).await;
    // Sandboxed agents reach this server only (for the MCP server of their coordination tools).
    config.runtime.sandbox.connect_ports.push(addr.port());
    let runtime = AgentRuntime::new(config.runtime.clone());
    let metrics = std::sync::Arc::new(spectask_server::Metrics::new());
    let orchestrator =
        Orchestrator::new(store.clone(), config.profiles.clone(), runtime.clone(), config.orchestrator)
            .observed_by(metrics.clone());
    let engine = tokio::spawn(orchestrator.run(shutdown.clone()));
    let stop_signal = shutdown_signal();
    // A server keeps serving when nobody reads its banner (`spectask serve | head -1`).
    let _ = outln!("spectask listening on http://{addr}").and_then(|()| ready(addr));
    let stop = shutdown.clone();
    let security = config.security.with_auth(auth);
    let state = AppState {
        store: api_store.clone(),
        node,
        task_lease,
        runtime,
        profiles: std::sync::Arc::new(config.profiles),
        coordination,
        granularity,
        converge_rounds,
        demo_repos,
        clones_dir: Some(clones_dir),
        repositories: config.repositories,
        metrics,
        forges,
        budgets,
    };
    let served = spectask_server::serve(listener, state, security, async move {
        stop_signal.await;
        stop.cancel();
    })
    .await;
    shutdown.cancel();
    if let Err(err) = engine.await {
        tracing::error!(%err, "the orchestrator ended abnormally");
    }
    api_store.close().await;
    store.close().await;
    served?;
    tracing::info!("spectask stopped");
    Ok(())
}

/// Kills the agents and terminals an earlier run on this data dir started and left running when it
/// died (`kill -9`, a crash), before this run starts its own.
async fn stop_orphans(runtime: &spectask_agent::RuntimeConfig) {
    let Some(record) = runtime.process_record.clone() else { return };
    match tokio::task::spawn_blocking(move || record.stop_orphans()).await {
        Ok(Ok(0)) => {}
        Ok(Ok(killed)) => tracing::warn!(killed, "stopped the agent processes a previous run left running"),
        Ok(Err(err)) => tracing::warn!(%err, "cannot stop the agent processes a previous run left running"),
        Err(err) => tracing::error!(%err, "the look for agent processes a previous run left running failed"),
    }
}

/// Where other programs reach this server's API: its listening address, or this host's name when it
/// listens on every address.
fn api_address(addr: SocketAddr) -> String {
    match addr.ip().is_unspecified() {
        true => format!("http://{}:{}", hostname(), addr.port()),
        false => format!("http://{addr}"),
    }
}

/// Who may call. With users, every API request needs a token. Without users the server runs open
/// for one local user until a user is added, which only a loopback address allows (anyone on the
/// network could otherwise run agents on this machine), and says so.
async fn decide_auth(store: &Store, addr: SocketAddr, data_dir: &std::path::Path) -> anyhow::Result<Auth> {
    let users = store.users().await.context("cannot read the users")?;
    if !users.is_empty() {
        tracing::info!(
            users = users.len(),
            "API tokens required: every request needs one of a user's tokens"
        );
        return Ok(Auth::Tokens(crate::commands::users::token_key(data_dir)?));
    }
    if !addr.ip().is_loopback() {
        anyhow::bail!(
            "refusing to serve on {addr} without users: anyone who reaches it could run agents on this \
             machine. Add a user (`spectask user add NAME`, then `spectask token create --user NAME`), \
             or listen on 127.0.0.1"
        );
    }
    tracing::warn!(
        "no users: the API is open, as the one local user, to every program on this machine; \
         `spectask user add NAME` makes it require tokens (from the next request on)"
    );
    Ok(Auth::OpenUntilUsers(crate::commands::users::token_key(data_dir)?))
}

/// Agents launch this very binary as `spectask mcp` for a session's coordination tools; it calls this
/// server on loopback when it listens on every address.
fn session_tools_launch(addr: SocketAddr) -> Option<spectask_orchestrator::SessionToolsLaunch> {
    let command = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            tracing::warn!(%err, "cannot name this binary: work sessions get no coordination tools");
            return None;
        }
    };
    let mut api = addr;
    if api.ip().is_unspecified() {
        api.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Some(spectask_orchestrator::SessionToolsLaunch {
        name: spectask_mcp::SERVER_NAME.to_owned(),
        command,
        args: vec!["mcp".to_owned(), "--server".to_owned(), format!("http://{api}")],
        credential_env: spectask_mcp::CREDENTIAL_ENV.to_owned(),
    })
}

/// Says at start whether agents will be sandboxed, and which profiles run without it.
fn announce_sandbox(config: &config::Config) {
    let (complete, message) = config.runtime.sandbox.startup_message();
    if complete {
        tracing::info!("{message}");
    } else {
        tracing::warn!("{message}");
    }
    for profile in config.profiles.names().filter_map(|name| config.profiles.get(name).ok()) {
        for warning in profile.warnings() {
            tracing::warn!(profile = %profile.name, "{warning}");
        }
    }
}

/// `$XDG_DATA_HOME/spectask`, else `~/.local/share/spectask`.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("spectask"));
    }
    let home = std::env::var_os("HOME").context("neither --data-dir, XDG_DATA_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".local/share/spectask"))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Resolves on Ctrl-C or SIGTERM, listened for from this call on: made before the banner, a signal
/// that follows the banner at once still stops the server gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind: SignalKind, name: &'static str| {
        let stream = signal(kind);
        async move {
            match stream {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(err) => {
                    tracing::error!(%err, "cannot listen for {name}");
                    std::future::pending::<()>().await;
                }
            }
        }
    };
    let (interrupt, terminate) =
        (listen(SignalKind::interrupt(), "Ctrl-C"), listen(SignalKind::terminate(), "SIGTERM"));
    async move {
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
        tracing::info!("shutting down");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_hides_from_its_own_user() {
        // This test process stands for the server: nothing else here needs to be dumpable.
        hide_from_own_user();
        let now = rustix::process::dumpable_behavior().unwrap();
        assert_eq!(now, rustix::process::DumpableBehavior::NotDumpable);
    }
}
