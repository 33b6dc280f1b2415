//! The machinery under every operation: running the `git` program, staging and committing in a
//! worktree, and spectask's worktrees under `.git-worktrees/`. Writers to one worktree queue on its
//! lock, and every wait for someone else is one of the named retry policies.

pub(crate) mod cmd;
pub(crate) mod commit;
pub(crate) mod lock;
pub(crate) mod retry;
pub(crate) mod worktree;
mod write_journal;
