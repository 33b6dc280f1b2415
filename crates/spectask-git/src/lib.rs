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
//!     siblings_paths: Vec::new(),
//! };
//! let committed = repo.commit_work_session(&task, &commit)?.ok_or("nothing to commit")?;
//! assert_eq!(repo.merge_task(&task, "7f3a")?, MergeOutcome::FastForward { tip: committed.commit });
//! # Ok(())
//! # }
//! ```
//!
//! Codemap, by directory (each root module's doc says what it owns):
//! - `repository/`: [`inspect_repository`] (read-only checks), [`Repo::register`] and
//!   [`Repo::open`] (`registration.rs`, the [`Repo`] handle), [`init_repository`] (`sample.rs`).
//! - `design_docs/`: forward-only [`Repo::commit_design_docs`] (and [`Repo::commit_design_docs_on`]
//!   an expected tip, for the history recorder), [`Repo::design_docs_health`],
//!   [`Repo::accept_design_docs_rewrite`], [`Repo::commit_design_docs_worktree`] (`write.rs`); the
//!   branch's paths ([`spec_path`],
//!   [`session_path`] … in `layout.rs`); [`Repo::hand_off_spec`]; [`Repo::read_design_doc`],
//!   [`Repo::list_design_docs`], [`Repo::recovery_index`] (`read.rs`); [`Repo::spec_archive`].
//! - `task/`: [`Repo::ensure_task_worktree`], [`Repo::commit_work_session`], [`Repo::remove_task`]
//!   (`branch.rs`); [`Repo::integrate_default_branch`] (`integrate.rs`); [`Repo::merge_task`].
//! - `changes/`: [`Repo::branch_tip`], [`Repo::commits_between`], [`Repo::commit_infos_between`],
//!   [`Repo::changed_files`], [`Repo::read_file_at`], [`Repo::commit_info`], [`Repo::design_docs_uncommitted`],
//!   [`Repo::read_design_docs_worktree_file`] (`commits.rs`); [`Repo::task_branch_review`],
//!   the branch's commits and diff against its base for the implementation review (`review.rs`,
//!   the diff's types in `diff.rs`, `diff_parse.rs` reading git's diff output).
//! - `planning/`: [`Repo::snapshot`], what a planner sees (`context.rs`); the planning scratch
//!   directory in a task's worktree (`scratch.rs`).
//! - `remote/`: [`clone_repository`], [`clone_registered`], [`Repo::fetch`], [`Repo::push`]
//!   (`transfer.rs`); the design-docs and task branches kept level with the remote's, for nodes
//!   that share no disk (`sync.rs`).
//! - `plumbing/`: running the `git` program (`cmd.rs`; every read and write goes through it),
//!   staging and committing in a worktree (`commit.rs`), what `git status` says of it
//!   (`status.rs`), the repository's commit hooks (`hooks.rs`), `git worktree` (`worktree.rs`),
//!   the one `git cat-file --batch` a [`Repo`] and its clones read tips and files through
//!   (`object_reader.rs`), the writer locks (`lock.rs`) and the retry policies (`retry.rs`).
//! - `names.rs`: [`TaskHandle`], [`CommitId`], [`Trailer`]; `error.rs`: [`GitError`].
//!
//! Layers, bottom up: a module imports only from its own layer and those below it
//! (`scripts/check-layers` checks it). [`Repo`] is one handle all the same: its methods, each in
//! the directory that owns the operation, call one another across layers.
//! 1. `error`, `names`: [`GitError`], and the names every operation takes.
//! 2. `plumbing`: the `git` program, commits in a worktree, worktrees, locks, retries.
//! 3. `repository`: the [`Repo`] handle, registration, read-only inspection.
//! 4. `changes`: commits, files at a commit, the review's diff.
//! 5. `remote`: clones, fetches and pushes, branches kept level with the remote's.
//! 6. `task`: a task's branch and worktree, its commits, integration and merge.
//! 7. `design_docs`: the forward-only design-docs branch.
//! 8. `planning`: what a planner sees, and its scratch directory.
//!
//! Invariants:
//! - Everything that reads or writes a repository runs the `git` program: no on-disk format is
//!   written here, and git's own locks, hooks, filters and settings apply. Synchronous and
//!   blocking: async callers use `spawn_blocking`.
//! - Every write takes the writer lock of what it writes through (`plumbing/lock.rs`: a `flock` per
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

mod changes;
mod design_docs;
mod error;
mod names;
mod planning;
mod plumbing;
mod remote;
mod repository;
mod task;

pub use changes::commits::CommitInfo;
pub use changes::diff::{DiffLimits, DiffLine, FileDiff, Hunk, LineKind};
pub use changes::review::BranchReview;
pub use changes::target::{ReviewDiff, ReviewRange};
pub use design_docs::hand_off::{ReviewDocument, SpecHandOff};
pub use design_docs::layout::{
    SpecFile, coordination_log_path, implementation_complete_path, progress_update_path, review_path,
    review_report_path, session_path, sessions_dir, spec_dir, spec_path,
};
pub use design_docs::read::{DocEntry, EntryKind, RecoveryIndex};
pub use design_docs::write::{DesignDocsCommit, DesignDocsHealth};
pub use error::{ErrorCategory, GitError};
pub use names::{CommitId, TaskHandle, Trailer, parse_trailers};
pub use planning::context::RepoSnapshot;
pub use planning::scratch::{PlanningFiles, SCRATCH_DIR};
pub use plumbing::changed_files::{ChangedFile, FileChange};
pub use plumbing::cmd::RemoteTrust;
pub use plumbing::commit::FileWrite;
pub use plumbing::hooks::HooksDir;
pub use plumbing::worktree::{RemoveOptions, WORKTREES_DIR};
pub use remote::sync::SetAside;
pub use remote::task_push::UnpushedBranch;
pub use remote::transfer::{clone_registered, clone_repository, is_remote_url};
pub use repository::inspect::{RepositoryInfo, inspect_repository};
pub use repository::registration::{
    CLONE_REMOTE, DEFAULT_DESIGN_DOCS_BRANCH, HookPolicy, RegisterOptions, Registration, Repo,
};
pub use repository::sample::{create_branch, init_repository};
pub use task::branch::{
    CommittedChanges, PreCommitCheck, TaskRemoval, TaskWorktree, TaskWorktreeEntry, WorkSessionCommit,
    task_worktree_path,
};
pub use task::integrate::Integration;
pub use task::merge::MergeOutcome;
