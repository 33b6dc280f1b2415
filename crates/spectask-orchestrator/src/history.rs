//! History: what happened, kept in the database and then in git.
//!
//! [`record`] appends a session's history entries and announces them live (what the agent streams
//! reaches it through `drive::stream`, with [`code_diff`] (a file change as a bounded diff),
//! [`audit`] (the sandbox's findings) and [`permission_text`] (a permission answer as a decision)).
//! The [`recorder`] commits those entries to the design-docs branch in batches, exactly once, under
//! a recorder lease per repository; [`history_text`] is their format on the branch. Other writes to
//! that branch go through the node's one writer per repository (`ctx::design_docs_writer`): the
//! plan's progress [`markers`] and each task's rows ([`mirror`]). [`progress_watch`] reports markers
//! someone else ticked, and [`recover`] rebuilds the database from the branch.

pub(crate) mod audit;
mod code_diff;
mod history_text;
pub(crate) mod markers;
mod mirror;
mod permission_text;
mod progress_watch;
pub(crate) mod record;
mod recorder;
mod recover;

// What the other rooms use; `audit`, `markers` and `record` are used by
// name, as their modules.
pub(crate) use self::code_diff::code_change;
pub use self::mirror::commit_progress;
pub(crate) use self::permission_text::decision_line;
pub(crate) use self::recorder::run as run_recorder;
pub use self::recorder::{FlushReport, HistoryCommit, flush_history};
pub use self::recover::{RecoverReport, recover};
