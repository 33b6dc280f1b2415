//! What a planner reads and writes of a repository. `context` is what it may see: the file tree
//! and key files at the default branch. `scratch` is the directory in the task's worktree where a
//! coding agent writes a spec's documents, read back and cleared by spectask.

pub(crate) mod context;
pub(crate) mod scratch;
