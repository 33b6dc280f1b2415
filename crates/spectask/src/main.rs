//! The `spectask` binary: `main` only runs [`run`] and reports its error once.
//!
//! A broken pipe (the reader of stdout went away, as with `| head`) ends the command quietly: every
//! write to stdout goes through `output::outln!`, which returns the error instead of panicking.
//!
//! Codemap: `cli` (every subcommand and option), `serve` (the store, orchestrator and API of one
//! node; whether callers need tokens is decided at start: users exist, or open until a user is
//! added on loopback, or refused on another address), `demo` (the offline demo, with its agents),
//! `client` (the HTTP client every `task …`, `repo …` and `forge …` command uses), `commands` (one
//! module per subcommand: `task`, `sessions`, `watch` (`task watch` from the event stream), `repo`,
//! `forge`, `specs`, `recover`, `users` (users and tokens written to the database directly; it
//! owns the token key file), `acp` (the ACP agent an editor launches: one
//! `POST /editor/threads` per thread, one streamed `POST /work-sessions/{id}/editor/turn` per
//! prompt, sent on to the node a 409 `task_on_other_node` names), `mcp` (a session's MCP
//! server), `agent` (the scripted agent and `agent probe`; `agent sandbox-exec` runs in `main`,
//! before any runtime thread)), `config` (`config.toml`), `output` (tables and fields). `tests/it/`
//! drives this binary against real servers, repositories and both databases.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cli;
mod client;
mod commands;
mod config;
mod demo;
mod output;
mod serve;
mod usage_text;

use std::process::ExitCode;

use clap::Parser;

use crate::output::errln;

fn main() -> ExitCode {
    spectask_orchestrator::limit_malloc_arenas();
    // reqwest is built without a bundled TLS provider: use ring, once, before any client exists.
    // An error only means a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = cli::Cli::parse();
    if let cli::Command::Agent(cli::AgentCommand::SandboxExec { policy, command }) = &cli.command {
        // Before any runtime thread exists: the launcher confines its only thread, then execs.
        let Err(message) = spectask_sandbox::launcher::exec(policy, command);
        eprintln!("spectask sandbox: {message}");
        return ExitCode::from(spectask_sandbox::launcher::EXIT_NOT_CONFINED);
    }
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`spectask … | head`): nothing is left to report to, so stop quietly,
        // as ripgrep does. Every write to stdout goes through `output::outln!`, which returns the
        // error instead of panicking, so this is the one place that decides.
        Err(err) if broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            errln!("spectask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            cli::Command::Serve(args) => serve::run(args).await,
            cli::Command::Demo(args) => demo::run(args).await,
            cli::Command::Task(args) => commands::task::run(args).await,
            cli::Command::Repo(args) => commands::repo::run(args).await,
            cli::Command::Forge(args) => commands::forge::run(args).await,
            cli::Command::Recover(args) => commands::recover::run(args).await,
            cli::Command::Specs(command) => commands::specs::run(command),
            cli::Command::Agent(command) => commands::agent::run(command).await,
            cli::Command::Mcp(args) => commands::mcp::run(args).await,
            cli::Command::User(command) => commands::users::run_user(command).await,
            cli::Command::Token(command) => commands::users::run_token(command).await,
            cli::Command::Acp(args) => commands::acp::run(args).await,
        }
    })
}
