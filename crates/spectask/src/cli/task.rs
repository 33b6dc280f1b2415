//! `spectask task …`: the subcommands that create, follow and decide on SpecTasks, and their
//! arguments.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use spectask_core::{Complexity, HoldBefore, Priority, SpecDocument, SpecTaskStatus, TaskKind};

use super::{BudgetArgs, ClientArgs, parse_enum};

#[derive(Debug, Args)]
pub struct TaskArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: TaskCommand,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Create a SpecTask from a prompt against a git repository.
    Create(CreateArgs),
    /// Make a SpecTask of a forge issue (https://github.com/<owner>/<name>/issues/<n>) in your
    /// repository registered by its URL: the issue is told, and closed when the task's pull
    /// request merges.
    Import {
        url: String,
        #[arg(long, value_parser = parse_enum::<TaskKind>)]
        kind: Option<TaskKind>,
        #[arg(long, value_parser = parse_enum::<Complexity>)]
        complexity: Option<Complexity>,
        #[arg(long, value_parser = parse_enum::<Priority>)]
        priority: Option<Priority>,
    },
    /// Take up a spec the repository already has (a Kiro or cc-sdd folder with requirements.md or
    /// bugfix.md, design.md and tasks.md; a spec-kit folder with spec.md, plan.md and tasks.md) as
    /// a SpecTask: its documents become version 1 byte for byte, at spec review (or approved with
    /// --approve). The folder is read from the repository's default branch.
    Adopt {
        /// The spec folder: a path inside the repository (`.kiro/specs/user-auth`).
        folder: String,
        /// The git repository it is in: a path, or a registered repository's id or URL.
        #[arg(long)]
        repo: PathBuf,
        /// A title; by default the folder's name.
        #[arg(long)]
        title: Option<String>,
        /// Approve it at once: committed and implemented without a spec review. A spec with lint
        /// errors is refused unless --despite-lint gives a reason.
        #[arg(long)]
        approve: bool,
        /// With --approve: approve although the spec has lint errors, for this reason (recorded).
        #[arg(long, value_name = "REASON", requires = "approve")]
        despite_lint: Option<String>,
        #[arg(long, value_parser = parse_enum::<Complexity>)]
        complexity: Option<Complexity>,
        #[arg(long, value_parser = parse_enum::<Priority>)]
        priority: Option<Priority>,
    },
    /// List SpecTasks, newest first.
    List(ListArgs),
    /// Show one SpecTask (full id, abbreviated id or <short-id>-<slug>).
    Show { id: String },
    /// Cancel a SpecTask: agents stop; branches and worktrees stay.
    Cancel { id: String },
    /// Approve what is under review: the spec (it is committed to the design-docs branch and
    /// implementation is queued) or the implementation (the task is done and its branch merged).
    Approve {
        id: String,
        #[arg(long, short)]
        comment: Option<String>,
        /// Approve a spec although it has lint errors, for this reason (recorded with the review);
        /// without it such a spec is refused.
        #[arg(long, value_name = "REASON")]
        despite_lint: Option<String>,
    },
    /// Ask for changes to what is under review: a revised spec (a new version), or more
    /// implementation work (a follow-up session with your comments).
    RequestChanges {
        id: String,
        #[arg(long, short)]
        comment: Option<String>,
        /// A comment on one line of one document: DOC:LINE:TEXT (DOC is requirements, design or tasks).
        #[arg(long = "line", value_name = "DOC:LINE:TEXT")]
        lines: Vec<String>,
        /// An answer to the planner's question N (as `task spec` numbers them): N:TEXT.
        #[arg(long = "answer", value_name = "N:TEXT")]
        answers: Vec<String>,
    },
    /// Reject the spec: the task ends.
    Reject {
        id: String,
        #[arg(long, short)]
        comment: Option<String>,
    },
    /// Show the spec documents (the newest version unless --version), then the planner's questions.
    Spec {
        id: String,
        #[arg(long, value_parser = parse_enum::<SpecDocument>)]
        doc: Option<SpecDocument>,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Retry a failed task from the step that failed.
    Retry { id: String },
    /// Approve the converge pass of a task in its implementation review: the plan tasks it proposes
    /// for what was not built become a new spec version and run as new sessions; when it proposes
    /// none, the task is recorded as converged.
    Converge { id: String },
    /// Show a review task's report: its findings, each at a file and line.
    Report { id: String },
    /// Make a feature or bugfix task of findings of a review task's report (their numbers there).
    FollowUp {
        id: String,
        /// A finding's number in the report; repeat for several (one task for all).
        #[arg(long = "finding", required = true, value_name = "N")]
        findings: Vec<u32>,
        /// feature or bugfix.
        #[arg(long, default_value = "bugfix", value_parser = ["feature", "bugfix"])]
        workflow: String,
    },
    /// Set the tasks a task waits for, replacing what it waited for (none: waits for nothing);
    /// only before its implementation starts.
    After {
        id: String,
        /// The tasks it waits for.
        prerequisites: Vec<String>,
        /// The phase they hold it before: implementation (the default) or planning.
        #[arg(long, value_parser = parse_enum::<HoldBefore>)]
        hold_before: Option<HoldBefore>,
    },
    /// Set a task's budget (tokens, money or both; neither: no limit). A task that reached its
    /// budget goes on once it is back under the new one.
    Budget {
        id: String,
        #[command(flatten)]
        budget: BudgetArgs,
    },
    /// Say something to the running session of an interactive task.
    Say {
        id: String,
        text: String,
        /// The work session (default: the task's running session).
        #[arg(long)]
        session: Option<String>,
    },
    /// Finish an interactive task's running sessions: their work is committed and reviewed.
    Finish { id: String },
    /// The task's work sessions as a tree (children under the session that spawned them).
    Sessions { id: String },
    /// Follow a task live: its phase, a progress bar per work session and coordination events,
    /// until it ends (exit 0 when done, 1 when failed, rejected or cancelled) or Ctrl-C.
    Watch { id: String },
    /// Spawn a work session during implementation, as a child of another session.
    Spawn {
        id: String,
        /// The parent work session's id.
        #[arg(long)]
        from: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// The agent profile to use (default: the task's).
        #[arg(long)]
        agent: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What you want done, in plain words.
    pub prompt: String,
    /// The git repository to work on: a path (registered on first use), or a registered
    /// repository's id or URL.
    #[arg(long)]
    pub repo: PathBuf,
    /// A title; by default the prompt's first line.
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long, value_parser = parse_enum::<TaskKind>)]
    pub kind: Option<TaskKind>,
    /// How a spec task's plan is implemented: simple (one session for the whole plan) or complex
    /// (one session per plan task, the default).
    #[arg(long, value_parser = parse_enum::<Complexity>)]
    pub complexity: Option<Complexity>,
    #[arg(long, value_parser = parse_enum::<Priority>)]
    pub priority: Option<Priority>,
    /// Agent profile that writes the spec.
    #[arg(long)]
    pub planning_agent: Option<String>,
    /// Agent profile that implements the plan.
    #[arg(long)]
    pub implementation_agent: Option<String>,
    /// A task this one waits for (repeat for several: it starts once every one is done).
    #[arg(long = "after", value_name = "ID")]
    pub after: Vec<String>,
    /// The phase `--after` holds the task before: implementation (the default; it is planned
    /// meanwhile) or planning.
    #[arg(long, value_parser = parse_enum::<HoldBefore>)]
    pub hold_before: Option<HoldBefore>,
    /// The task's budget (default: the configuration's `[budget]`).
    #[command(flatten)]
    pub budget: BudgetArgs,
    /// The workflow its spec follows: feature (the default), design-first, bugfix, review, or one
    /// of the repository's own (`spectask repo workflows REPO` lists them).
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,
    /// What a review task reviews: a branch, or a commit range A..B (with `--workflow review`).
    #[arg(long, value_name = "BRANCH|A..B")]
    pub target: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = parse_enum::<SpecTaskStatus>)]
    pub status: Option<SpecTaskStatus>,
    /// Only tasks of this repository (a path, id or URL).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    #[arg(long, default_value_t = 0)]
    pub offset: i64,
}
