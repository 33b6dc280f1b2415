//! spectask's git layer: the one crate that reads and writes git repositories.
//!
//! Start with [`inspect_repository`] (read-only checks) or [`Repo::register`], which returns the
//! [`Repo`] handle every other operation hangs off ([`Repo::open`] reopens a registered repository).
//!
//! ```
//! use spectask_git::{
//!     FileWrite, DesignDocsCommit, MergeOutcome, RegisterOptions, Repo, TaskHandle, Trailer, WorkSessionCommit,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("repo");
//! # spectask_git::init_repository(&path, &[("README.md", "hello\n")], "initial")?;
//! let repo = Repo::register(&path, &RegisterOptions::default())?.repo;
//! let task = TaskHandle::new("7f3a-login")?;
//! repo.commit_design_docs(&DesignDocsCommit {
//!     message: "history(7f3a-login): ws-1".to_owned(),
//!     trailers: vec![Trailer::new("Spec-Task", "7f3a")?],
//!     writes: vec![FileWrite::append(spectask_git::coordination_log_path(&task), "- started\n")],
//! })?;
//! let worktree = repo.ensure_task_worktree(&task)?;
//! std::fs::write(worktree.path.join("login.rs"), "fn login() {}\n")?;
//! let commit = WorkSessionCommit {
//!     message: "feat: login".to_owned(),
//!     spec_task: "7f3a".to_owned(),
//!     work_session: "ws-1".to_owned(),
//!     implements: vec!["R1".to_owned()],
//!     paths: None,
//! };
//! let committed = repo.commit_work_session(&task, &commit)?.ok_or("nothing to commit")?;
//! assert_eq!(repo.merge_task(&task, "7f3a")?, MergeOutcome::FastForward { tip: committed.commit });
//! # Ok(())
//! # }
//! ```
//!
//! Codemap, by file:
//! - `cmd.rs`: running the `git` program; every read and write goes through it.
//! - `repository.rs`: [`inspect_repository`]; `registration.rs`: [`Repo::register`], [`Repo::open`].
//! - `design_docs.rs`: forward-only [`Repo::commit_design_docs`] (and [`Repo::commit_design_docs_on`]
//!   an expected tip, for the history recorder), [`Repo::design_docs_health`],
//!   [`Repo::accept_design_docs_rewrite`], [`Repo::commit_design_docs_worktree`].
//! - `layout.rs`: the paths of the design-docs branch ([`spec_path`], [`session_path`] …).
//! - `spec.rs`: [`Repo::hand_off_spec`]; `read.rs`: [`Repo::read_design_doc`],
//!   [`Repo::list_design_docs`], [`Repo::recovery_index`]; `archive.rs`: [`Repo::spec_archive`].
//! - `task.rs`: [`Repo::ensure_task_worktree`], [`Repo::commit_work_session`], [`Repo::remove_task`];
//!   `integrate.rs`: [`Repo::integrate_default_branch`]; `merge.rs`: [`Repo::merge_task`]; `review.rs`: [`Repo::task_branch_review`] (the branch's
//!   commits and diff against its base, for the implementation review; `diff_parse.rs` reads
//!   git's diff output).
//! - `changes.rs`: [`Repo::branch_tip`], [`Repo::commits_between`], [`Repo::changed_files`],
//!   [`Repo::read_file_at`], [`Repo::commit_info`], [`Repo::design_docs_uncommitted`],
//!   [`Repo::read_design_docs_worktree_file`].
//! - `remote.rs`: [`clone_repository`], [`clone_registered`], [`Repo::fetch`], [`Repo::push`]: repositories by URL;
//!   `sync.rs`: the design-docs and task branches kept level with the remote's, for nodes that
//!   share no disk.
//! - `commit.rs` (staging and committing in a worktree), `worktree.rs` (`git worktree`),
//!   `lock.rs`, `names.rs`, `retry.rs`: the machinery underneath.
//!
//! Invariants:
//! - Everything that reads or writes a repository runs the `git` program: no on-disk format is
//!   written here, and git's own locks, hooks, filters and settings apply. Synchronous and
//!   blocking: async callers use `spawn_blocking`.
//! - Every write takes the writer lock of what it writes through (`lock.rs`: a `flock` per
//!   worktree under `.git/spectask/locks/`), so spectask's writers to one worktree queue instead
//!   of failing on each other's `index.lock`.
//! - Branches only move by compare-and-swap on their old tip; nothing is ever force-updated.
//! - The design-docs branch only moves forward; a rewrite stops spectask's writes until a human
//!   accepts it.
//! - Branches and worktrees holding work are never deleted without an explicit `force`, and only
//!   worktrees spectask created (marked in `.git/worktrees/<name>/spectask`) are ever removed.
//! - A task's worktree is named to git by its admin directory, never by the `.git` file its agent
//!   can write.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod archive;
mod changes;
mod cmd;
mod commit;
mod context;
mod design_docs;
mod diff_parse;
mod error;
mod integrate;
mod layout;
mod lock;
mod merge;
mod names;
mod planning;
mod read;
mod registration;
mod remote;
mod repository;
mod retry;
mod review;
mod sample;
mod spec;
mod sync;
mod task;
mod worktree;

pub use changes::CommitInfo;
pub use commit::{ChangedFile, FileChange, FileWrite};
pub use context::RepoSnapshot;
pub use design_docs::{DesignDocsCommit, DesignDocsHealth};
pub use error::{ErrorCategory, GitError};
pub use integrate::Integration;
pub use layout::{
    SpecFile, coordination_log_path, implementation_complete_path, progress_update_path, review_path,
    session_path, sessions_dir, spec_dir, spec_path,
};
pub use merge::MergeOutcome;
pub use names::{CommitId, TaskHandle, Trailer, parse_trailers};
pub use planning::{PlanningFiles, SCRATCH_DIR};
pub use read::{DocEntry, EntryKind, RecoveryIndex};
pub use registration::{DEFAULT_DESIGN_DOCS_BRANCH, HookPolicy, RegisterOptions, Registration, Repo};
pub use remote::{CLONE_REMOTE, clone_registered, clone_repository, is_remote_url};
pub use repository::{RepositoryInfo, inspect_repository};
pub use review::{BranchReview, DiffLimits, DiffLine, FileDiff, Hunk, LineKind};
pub use sample::init_repository;
pub use spec::{ReviewDocument, SpecHandOff};
pub use task::{
    CommittedChanges, TaskRemoval, TaskWorktree, TaskWorktreeEntry, WorkSessionCommit, task_worktree_path,
};
pub use worktree::{RemoveOptions, WORKTREES_DIR};
