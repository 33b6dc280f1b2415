//! The command line: every subcommand and option, parsed by clap. The `task` subcommands are in
//! `task`, the budget arguments in `budget`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod budget;
mod task;

pub use budget::{BudgetArgs, DailyBudgetArgs};
pub use task::{CreateArgs, ListArgs, TaskArgs, TaskCommand};

#[derive(Debug, Parser)]
#[command(
    name = "spectask",
    version,
    about = "Spec-driven development by AI agents, disciplined and visible"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server and the orchestrator, which plans and implements tasks with the configured
    /// agents.
    Serve(ServeArgs),
    /// The offline demo: the bundled sample repositories, a task on each, and a server on the embedded defaults.
    Demo(DemoArgs),
    /// Create, inspect and steer SpecTasks on a running server.
    Task(TaskArgs),
    /// Register git repositories with a running server (design-docs branch and worktree) and list
    /// them with the health of their design-docs branch.
    Repo(RepoArgs),
    /// The forge connections of the server's configuration ([forges.<name>]): what their tokens
    /// may do.
    Forge(ForgeArgs),
    /// Rebuild, into an empty database, what a repository's design-docs branch holds: SpecTasks,
    /// spec versions, reviews, work sessions, coordination events and session history.
    Recover(RecoverArgs),
    /// Agents: run the scripted ACP agent, or probe a profile.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Check and parse spec documents (requirements.md, design.md, tasks.md) on disk.
    #[command(subcommand)]
    Specs(SpecsCommand),
    /// The MCP server of one work session on stdin/stdout: agents launch it (spectask passes it to
    /// them in ACP `mcpServers`) to coordinate with the task's other sessions. Needs the session's
    /// credential in SPECTASK_SESSION_TOKEN.
    Mcp(McpArgs),
    /// Users of the API, written to the database directly. A server with users takes an API token
    /// on every request; one without users serves only loopback, open for one local user.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens: created for a user, printed once, stored only as a keyed hash.
    #[command(subcommand)]
    Token(TokenCommand),
    /// spectask as an ACP agent for an editor, on stdin/stdout: configure it in Zed's
    /// `agent_servers`; each new thread becomes a work session of a SpecTask on the server.
    Acp(AcpArgs),
}

#[derive(Debug, Args)]
pub struct AcpArgs {
    /// The running server the threads' work sessions live on.
    #[arg(long, env = "SPECTASK_SERVER", default_value = "http://127.0.0.1:7070")]
    pub server: String,
    /// Attach every thread to this SpecTask (id, short id or handle).
    #[arg(long, conflicts_with = "repo")]
    pub task: Option<String>,
    /// Open threads for this repository (registered on first use) instead of the thread's directory.
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// The agent profile of a task made for the threads.
    #[arg(long)]
    pub agent: Option<String>,
    /// An API token (`spectask token create`), needed when the server has users; set it in the
    /// editor's `env` for the agent server, never typed into the editor.
    #[arg(long, env = "SPECTASK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Which database to open (as `serve` does).
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The data directory (its SQLite database and its token key). Default: $XDG_DATA_HOME/spectask.
    #[arg(long, env = "SPECTASK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use this database instead: postgres://… or sqlite://PATH (the token key stays in the data dir).
    #[arg(long, env = "SPECTASK_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (a name of a-z, 0-9, '.', '_', '-'); then give them a token.
    Add {
        name: String,
        /// `member` (repositories under the configured roots, by https or ssh URL) or `admin`
        /// (repositories anywhere on the server's disk, by any URL).
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: spectask_store::UserRole,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give a user the role `admin` or `member`.
    Role {
        name: String,
        #[arg(value_parser = parse_role)]
        role: spectask_store::UserRole,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the users.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show or set what all the tasks a user created may spend in a day (UTC); when it is reached
    /// their sessions pause until the day ends or it is raised. Only an operator sets it: a user
    /// can read theirs (`GET /api/v1/auth/me/budget`) but not change it.
    Budget {
        name: String,
        #[command(flatten)]
        budget: DailyBudgetArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn parse_role(value: &str) -> Result<spectask_store::UserRole, String> {
    value.parse()
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (only now; only its keyed hash is kept).
    Create {
        #[arg(long)]
        user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List API tokens (never their secrets): id, user, created, revoked.
    List {
        /// Only this user's tokens.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an API token: every server refuses it from the next request on.
    Revoke {
        /// The token's id (or a unique prefix of it, from `token list`), or the token itself (spt_…).
        token: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// The running server whose coordination API the tools call.
    #[arg(long, env = "SPECTASK_SERVER", default_value = "http://127.0.0.1:7070")]
    pub server: String,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Run the scripted ACP agent on stdin/stdout (tests and the offline demo use it).
    Scripted {
        /// The script (TOML); without it every prompt is echoed.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Where sessions are kept so that a new process can load them.
        #[arg(long)]
        state_dir: Option<PathBuf>,
    },
    /// The sandbox launcher spectask starts agents and terminals through: applies the Landlock
    /// policy to itself, then execs the command.
    #[command(hide = true)]
    SandboxExec {
        #[arg(long)]
        policy: String,
        #[arg(last = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Start a profile's agent, initialize, try a session, and report (with its sandbox).
    Probe {
        profile: String,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "SPECTASK_CONFIG")]
        config: Option<PathBuf>,
        #[arg(long, env = "SPECTASK_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpecsCommand {
    /// Lint spec directories (searched recursively; each folder's documents together) or single
    /// files. One finding per kind per file: `file:line: level[CODE]: message (+N more on lines …)`.
    /// Exits 1 when there is an error (the plan cannot be scheduled, or the spec contradicts itself),
    /// or more warnings than --max-warnings; notes never fail.
    Lint {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print `{"findings": […], "errors", "warnings", "notes"}`.
        #[arg(long)]
        json: bool,
        /// Also exit 1 when there are more than this many warnings (findings, not occurrences).
        #[arg(long, value_name = "N")]
        max_warnings: Option<usize>,
    },
    /// List the finding codes `specs lint` reports: code, level, name and what each means.
    Codes {
        #[arg(long)]
        json: bool,
    },
    /// Parse one document (kind from its name or content); an outline, or the full parse with --json.
    Parse {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the address is printed when ready).
    #[arg(long, env = "SPECTASK_ADDR", default_value = "127.0.0.1:7070")]
    pub addr: SocketAddr,
    /// Where spectask keeps its data (the SQLite database, logs). Default: $XDG_DATA_HOME/spectask.
    #[arg(long, env = "SPECTASK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use this database instead of the embedded SQLite one: postgres://… or sqlite://PATH.
    #[arg(long, env = "SPECTASK_DATABASE_URL")]
    pub database_url: Option<String>,
    /// This server's name among nodes sharing a database. Default: <hostname>:<port>.
    #[arg(long, env = "SPECTASK_NODE")]
    pub node: Option<String>,
    /// The configuration file (agent profiles, orchestrator settings). Default: <data-dir>/config.toml.
    #[arg(long, env = "SPECTASK_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, env = "SPECTASK_ADDR", default_value = "127.0.0.1:7070")]
    pub addr: SocketAddr,
    /// Where the demo keeps its data. Default: $XDG_DATA_HOME/spectask/demo.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// How fast the scripted agents work: human (a tour a person can follow), brisk (a quarter of
    /// it) or fast (as fast as they can, for tests).
    #[arg(long, default_value = "human")]
    pub pace: spectask_demo::Pace,
}

/// How to reach the server.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server's base URL.
    #[arg(long, global = true, env = "SPECTASK_SERVER", default_value = "http://127.0.0.1:7070")]
    pub server: String,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// An API token (`spectask token create`), needed when the server has users.
    #[arg(long, global = true, env = "SPECTASK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The repository whose design-docs branch to read.
    #[arg(long)]
    pub repo: PathBuf,
    /// The data directory whose (empty) SQLite database to fill. Default: $XDG_DATA_HOME/spectask.
    #[arg(long, env = "SPECTASK_DATA_DIR", conflicts_with = "database_url")]
    pub data_dir: Option<PathBuf>,
    /// Fill this (empty) database instead: postgres://… or sqlite://PATH.
    #[arg(long, env = "SPECTASK_DATABASE_URL")]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ForgeArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: ForgeCommand,
}

#[derive(Debug, Subcommand)]
pub enum ForgeCommand {
    /// Check each connection's token now: the user it acts as, its scopes and those it lacks, and
    /// whether it may push to each of your repositories on that forge. Exit code 1 when a token
    /// is refused, lacks a scope or cannot push somewhere.
    Check,
}

#[derive(Debug, Args)]
pub struct RepoArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: RepoCommand,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Register a repository, as its owner: creates the design-docs branch and its worktree. A URL
    /// (https://…, ssh://…, git@host:…; file://… for an administrator) is cloned into the server's
    /// data dir; spectask then fetches it before planning and implementation and pushes its work
    /// there. Registering again changes nothing (`repo set` changes settings); another user's
    /// repository is refused.
    Add {
        /// A repository's path on the server's machine, or its URL.
        location: String,
        /// With a URL, for an administrator: the absolute path to clone it to.
        #[arg(long, value_name = "PATH")]
        into: Option<PathBuf>,
        /// The forward-only branch holding specs and history.
        #[arg(long)]
        design_docs_branch: Option<String>,
        #[command(flatten)]
        settings: RepoSettingsArgs,
    },
    /// List registered repositories; a repository needing attention says why.
    List,
    /// Change a repository's settings (its owner or a member); each change is recorded with who
    /// made it.
    Set {
        /// The repository: its id, its URL or its path.
        repo: String,
        #[command(flatten)]
        settings: RepoSettingsArgs,
    },
    /// Show (its owner or a member) or set (its owner) what all the tasks of a repository may
    /// spend in a day (UTC); when it is reached its tasks' sessions pause until the day ends or it is raised.
    Budget {
        /// The repository: its id, its URL or its path.
        repo: String,
        #[command(flatten)]
        budget: DailyBudgetArgs,
    },
    /// List the workflows a repository's tasks may follow: the built-in ones and its own
    /// `.spectask/templates/<name>.toml`, with any template file that is not valid and why.
    Workflows {
        /// The repository: its id, its URL or its path.
        repo: String,
    },
    /// Who may use a repository and change its settings: its owner and the members they add.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
}

/// A repository's settings, chosen at `repo add` and changed by `repo set`.
#[derive(Debug, Args)]
pub struct RepoSettingsArgs {
    /// The branch tasks start from and merge into (at `repo add`: the one checked out now).
    #[arg(long)]
    pub default_branch: Option<String>,
    /// Whether tasks' commits run the repository's pre-commit and commit-msg hooks: run (the
    /// default; a refusing pre-commit goes back to the agent) or skip.
    #[arg(long, value_parser = ["run", "skip"])]
    pub hooks: Option<String>,
    /// What approving an implementation does: merge (default), keep_branch (left for a person's
    /// pull request) or pull_request (pushed and opened as a pull request on the forge its URL
    /// names; done when the forge merges it).
    #[arg(long, value_parser = parse_enum::<spectask_core::MergePolicy>)]
    pub merge_policy: Option<spectask_core::MergePolicy>,
    /// What becomes of a task's branch once the task ended: keep (the default) or delete_merged
    /// (deleted, here and on the remote, once the default branch holds it).
    #[arg(long, value_parser = parse_enum::<spectask_core::TaskBranchPolicy>)]
    pub task_branches: Option<spectask_core::TaskBranchPolicy>,
    /// With --merge-policy pull_request, who merges it: people (the default), or spectask once its
    /// checks pass, by merge, squash or rebase.
    #[arg(long, value_parser = parse_enum::<spectask_core::PullRequestMerge>)]
    pub pull_request_merge: Option<spectask_core::PullRequestMerge>,
    /// Approvals a pull request needs before spectask merges it (besides no reviewer's latest
    /// verdict asking for changes, which always holds a merge back); default 0.
    #[arg(long, value_name = "N")]
    pub required_approvals: Option<u32>,
    /// Open issues carrying this label on the repository's forge become tasks (with `repo set`,
    /// "" stops it).
    #[arg(long, value_name = "LABEL")]
    pub issue_label: Option<String>,
    /// The repository's own check command (e.g. "npm test"), run in a session's worktree after
    /// each turn that claims completion; a failure goes back to the agent. With `repo set`, ""
    /// removes it.
    #[arg(long = "check", value_name = "COMMAND")]
    pub check_command: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// List the repository's owner and members.
    List {
        /// The repository: its id, its URL or its path.
        repo: String,
    },
    /// Add a user of this server as a member (the owner only).
    Add {
        /// The repository: its id, its URL or its path.
        repo: String,
        user: String,
    },
    /// Remove a member (the owner only).
    Remove {
        /// The repository: its id, its URL or its path.
        repo: String,
        user: String,
    },
}

pub(crate) fn parse_enum<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}
