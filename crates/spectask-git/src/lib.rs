//! spectask's git layer: the one crate that reads and writes git repositories (PRODUCT.md §4).
//!
//! Start with [`inspect_repository`] (read-only checks) or [`Repo::register`], which returns the
//! [`Repo`] handle every other operation hangs off.
//!
//! - Everything is synchronous (libgit2 is): async callers use `spawn_blocking`.
//! - Every write takes the repository's writer lock (an in-process mutex per repository plus a
//!   `flock` on `.git/spectask/write.lock`), so concurrent callers queue instead of failing on
//!   `index.lock`.
//! - The design-docs branch only moves forward; branches and worktrees holding work are never
//!   deleted without an explicit `force`, and only worktrees spectask created are removed.

mod archive;
mod changes;
mod context;
mod commit;
mod design_docs;
mod error;
mod lock;
mod merge;
mod names;
mod read;
mod registration;
mod repository;
mod sample;
mod spec;
mod task;
mod worktree;

pub use changes::CommitInfo;
pub use context::RepoSnapshot;
pub use commit::{ChangedFile, FileChange, FileWrite};
pub use design_docs::{DesignDocsCommit, DesignDocsHealth};
pub use error::GitError;
pub use merge::MergeOutcome;
pub use names::{CommitId, TaskName, Trailer, parse_trailers};
pub use read::{DocEntry, EntryKind, RecoveryIndex};
pub use registration::{DEFAULT_DESIGN_DOCS_BRANCH, RegisterOptions, Registration, Repo};
pub use repository::{RepositoryInfo, inspect_repository};
pub use sample::init_repository;
pub use spec::{ReviewDocument, SpecHandOff};
pub use task::{SessionCommit, TaskRemoval, TaskWorktree, WorkSessionCommit};
pub use worktree::{RemoveOptions, WORKTREES_DIR};
