//! History: what happened, kept in the database and then in git.
//!
//! [`record`] appends a session's history entries and announces them live (what the agent streams
//! reaches it through `drive::stream`, with [`code_diff`] (a file change as a bounded diff),
//! [`audit`] (the sandbox's findings) and [`permission_text`] (a permission answer as a decision)).
//! The [`recorder`] commits those entries to the design-docs branch in batches, exactly once, under
//! a recorder lease per repository; [`history_text`] is their format on the branch. Other writes to
//! that branch go through one [`design_docs_writer`] per node and repository: the plan's progress
//! [`markers`] and each task's rows ([`mirror`]). [`progress_watch`] reports markers someone else
//! ticked, and [`recover`] rebuilds the database from the branch.

pub(crate) mod audit;
pub(crate) mod code_diff;
pub(crate) mod design_docs_writer;
pub(crate) mod history_text;
pub(crate) mod markers;
pub(crate) mod mirror;
pub(crate) mod permission_text;
pub(crate) mod progress_watch;
pub(crate) mod record;
pub(crate) mod recorder;
pub(crate) mod recover;
