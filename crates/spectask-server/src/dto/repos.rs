//! Registered repositories on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{HookPolicy, MergePolicy, PullRequestMerge, RepositoryId, TaskBranchPolicy, Timestamp};
use utoipa::ToSchema;

/// `GET /api/v1/repos/lookup`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepositoryLookup {
    /// The repository's id, its URL, or a path on the server's disk inside it.
    #[param(
        pattern = r"^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*|/[^\x00-\x1f\x7f]*)\s*$"
    )]
    pub repo: String,
}

/// `POST /api/v1/repos`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRepository {
    /// Path of a git repository on the server's machine (absolute; a member's only under the
    /// directories the operator allows). With `url`, only an administrator may give it: where to
    /// clone (the server decides otherwise: `<data-dir>/clones/<name>-<hash>`).
    #[schema(pattern = r"^(/|$)")]
    pub path: Option<String>,
    /// A repository's URL (`https://…`, `git@host:…`, `ssh://…`; `file://…` for an administrator
    /// only): spectask clones it, fetches it before planning and implementation, and pushes its
    /// work there. A URL with credentials is refused: they are git's own (credential helpers,
    /// the SSH agent), never given to spectask. The same remote under another spelling is the
    /// same repository.
    #[schema(
        pattern = r"^\s*((https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*)\s*$"
    )]
    pub url: Option<String>,
    /// Default `helix-design-docs`. A branch name of letters, digits, `_`, `.` and `-`, in `/`-separated
    /// parts.
    #[schema(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")]
    pub design_docs_branch: Option<String>,
    /// The branch tasks start from and merge into (default: the branch checked out now).
    #[schema(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")]
    pub default_branch: Option<String>,
    /// Whether tasks' commits run the repository's hooks (default `run`).
    pub hooks: Option<HookPolicy>,
    /// `merge` (the default) or `keep_branch`: what approving an implementation does with its branch.
    pub merge_policy: Option<MergePolicy>,
    /// `keep` (the default) or `delete_merged`: what becomes of a task's branch once it ended.
    pub task_branches: Option<TaskBranchPolicy>,
    /// With merge policy `pull_request`: `people` merge it (the default), or spectask once its
    /// checks pass, by `merge`, `squash` or `rebase`.
    pub pull_request_merge: Option<PullRequestMerge>,
    /// Approvals a pull request needs before spectask merges it, besides no reviewer's latest
    /// verdict asking for changes (default 0; at most 100).
    #[schema(maximum = 100)]
    #[serde(default, deserialize_with = "whole_number")]
    pub required_approvals: Option<u32>,
    /// Open issues carrying this label on the repository's forge become tasks (a repository
    /// registered by URL on a host a forge connection names).
    pub issue_label: Option<String>,
    /// The repository's own check command (`npm test`), run in a work session's worktree, in the
    /// agent's sandbox, after each turn that claims completion; a failing check goes back to the
    /// session.
    pub check_command: Option<String>,
}

/// `PATCH /api/v1/repos/{id}`: the settings to change, by the repository's owner or a member;
/// absent ones are left as they are. Recorded as a `repository.settings_changed` event naming who.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRepository {
    /// The branch tasks start from and merge into; it must exist.
    #[schema(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")]
    pub default_branch: Option<String>,
    pub hooks: Option<HookPolicy>,
    pub merge_policy: Option<MergePolicy>,
    pub task_branches: Option<TaskBranchPolicy>,
    pub pull_request_merge: Option<PullRequestMerge>,
    /// Approvals a pull request needs before spectask merges it (at most 100).
    #[schema(maximum = 100)]
    #[serde(default, deserialize_with = "whole_number")]
    pub required_approvals: Option<u32>,
    /// An empty string stops taking up labelled issues.
    pub issue_label: Option<String>,
    /// An empty string removes the check command.
    pub check_command: Option<String>,
}

/// `POST /api/v1/repos/{id}/members`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRepositoryMember {
    /// A user of this server (`spectask user add`).
    #[schema(pattern = r"^\s*[a-z0-9][a-z0-9._-]{0,63}\s*$")]
    pub user: String,
}

/// Who may use a repository and change its settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryMembersDto {
    /// Who registered it; `None` for a repository no user registered yet (the first one to owns it).
    pub owner: Option<String>,
    /// Every member, the owner among them, by name.
    pub members: Vec<String>,
}

/// Whether spectask can write to the design-docs branch (`state`: healthy, rewritten,
/// branch_missing, worktree_broken, unavailable; not_cloned on a node that has no clone yet of a
/// repository registered by URL), as this node's copy of the repository says.
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignDocsHealthDto {
    pub state: &'static str,
    pub tip: Option<String>,
    pub last_written: Option<String>,
    pub current: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryDto {
    pub id: RepositoryId,
    pub path: String,
    pub default_branch: String,
    pub design_docs_branch: String,
    /// The URL spectask fetches from and pushes to, for a repository registered by URL.
    pub remote_url: Option<String>,
    pub design_docs_worktree: String,
    /// Why spectask stopped writing to the repository, when it did: a human must look.
    pub attention: Option<String>,
    pub merge_policy: MergePolicy,
    /// What becomes of a task's branch once the task ended: `keep` or `delete_merged`.
    pub task_branches: TaskBranchPolicy,
    /// Whether tasks' commits run the repository's `pre-commit` and `commit-msg` hooks (`run`: a
    /// refusing `pre-commit` goes back to the agent like a failing check) or not (`skip`).
    pub hooks: HookPolicy,
    /// Who merges a task's pull request: `people`, or spectask by `merge`, `squash` or `rebase`.
    pub pull_request_merge: PullRequestMerge,
    /// Approvals a pull request needs before spectask merges it; whatever the number, no
    /// reviewer's latest verdict may ask for changes.
    pub required_approvals: u32,
    /// The label whose open issues on the forge become tasks, when one is set.
    pub issue_label: Option<String>,
    /// The command that checks a session's work before it completes, when the repository has one.
    pub check_command: Option<String>,
    /// Who registered it: they and the members they add change its settings.
    pub owner: Option<String>,
    pub design_docs: DesignDocsHealthDto,
    /// Registration only: what this registration created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_created: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worktree_created: Option<bool>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A count given as a JSON number, `20` or `20.0` (both integers to JSON Schema), never `20.5`.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error;
    let given: Option<f64> = Option::deserialize(deserializer)?;
    given
        .map(|n| match n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
            // A whole number in range: exact.
            true => Ok(n as u32),
            false => Err(D::Error::custom(format!("{n} is not a whole number from 0"))),
        })
        .transpose()
}
