//! A registered git repository that SpecTasks work against.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ids::RepositoryId;
use crate::{Timestamp, named_enum};

/// What approving an implementation does with the task's branch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergePolicy {
    /// Merge `spectask/<task>` into the default branch (fast-forward, else a merge commit).
    #[default]
    Merge,
    /// Leave the branch as it is, for a pull request.
    KeepBranch,
    /// Push the branch and open a pull request on the repository's forge; the task is done when
    /// the forge merges it.
    PullRequest,
}
named_enum!(MergePolicy, "merge policy", {
    Merge => "merge",
    KeepBranch => "keep_branch",
    PullRequest => "pull_request",
});

/// What becomes of a task's branch once the task ended (its worktree is removed either way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskBranchPolicy {
    /// Kept, as the record of the task's work.
    #[default]
    Keep,
    /// Deleted once the default branch holds it (a merged task's), here and on the remote.
    DeleteMerged,
}
named_enum!(TaskBranchPolicy, "task branch policy", {
    Keep => "keep",
    DeleteMerged => "delete_merged",
});

/// Who merges a task's pull request (merge policy `pull_request`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestMerge {
    /// People, on the forge.
    #[default]
    People,
    /// spectask, once every check of its head passed, by a merge commit.
    Merge,
    /// spectask, as one squashed commit.
    Squash,
    /// spectask, rebasing its commits onto the base branch.
    Rebase,
}
named_enum!(PullRequestMerge, "pull request merge", {
    People => "people",
    Merge => "merge",
    Squash => "squash",
    Rebase => "rebase",
});

/// Whether a task's commits run the repository's `pre-commit` and `commit-msg` hooks (spectask's
/// own design-docs commits never do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookPolicy {
    /// A refusing `pre-commit` goes back to the agent like a failing check; both hooks run at the
    /// session's commit.
    #[default]
    Run,
    Skip,
}
named_enum!(HookPolicy, "hook policy", {
    Run => "run",
    Skip => "skip",
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Repository {
    pub id: RepositoryId,
    /// Canonical path of the main worktree.
    pub path: PathBuf,
    pub default_branch: String,
    pub design_docs_branch: String,
    /// Why spectask stopped writing to the repository (for example a rewritten design-docs branch).
    pub attention: Option<String>,
    pub merge_policy: MergePolicy,
    /// What becomes of a task's branch once the task ended.
    pub task_branches: TaskBranchPolicy,
    /// Whether tasks' commits run the repository's commit hooks, on every node's clone alike.
    pub hooks: HookPolicy,
    /// Who merges a task's pull request.
    pub pull_request_merge: PullRequestMerge,
    /// Approvals a pull request needs before spectask merges it (and none of its reviewers' latest
    /// verdicts asking for changes); 0: no approval, only no changes asked.
    pub required_approvals: u32,
    /// Open issues carrying this label on the repository's forge become tasks.
    pub issue_label: Option<String>,
    /// The repository's own check (`npm test`): run in a session's worktree after each turn that
    /// claims completion; a failure goes back to the session's thread.
    pub check_command: Option<String>,
    /// The URL it was registered by (`https://…`, `git@…`, `file://…`): each node works on a
    /// clone of its own, and `path` is the registering node's. `None` for a path on this machine.
    pub remote_url: Option<String>,
    /// The user who registered it: they, and the members they add, change its settings. `None`
    /// for a repository registered before owners existed and never used by a user since.
    pub owner: Option<String>,
    /// A member (not an administrator or the operator) owns it or may use it, or ever did (their
    /// agents' commits stay in its branches): its remote and its content are trusted no further
    /// than the checks its URL met when registered (its redirects are not followed, its LFS files
    /// are checked out as pointers, its submodules not at all).
    #[serde(skip)]
    pub member_access: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
