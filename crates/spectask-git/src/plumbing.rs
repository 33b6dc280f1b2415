//! The machinery under every operation: running the `git` program, staging and committing in a
//! worktree (what is uncommitted, the repository's hooks, the journal of a write), and spectask's
//! worktrees under `.git-worktrees/`. Writers to one worktree queue on its lock, and every wait for
//! someone else is one of the named retry policies. Nothing here imports from the directories
//! above it.

pub(crate) mod changed_files;
mod check_products;
pub(crate) mod cmd;
pub(crate) mod commit;
pub(crate) mod hooks;
pub(crate) mod lock;
pub(crate) mod maintenance;
pub(crate) mod object_reader;
mod program;
pub(crate) mod retry;
pub(crate) mod status;
pub(crate) mod taken;
mod told_commit;
pub(crate) mod worktree;
mod write_journal;
