//! A SpecTask's pull request: where its approved work waits for the forge to merge it.

use serde::{Deserialize, Serialize};

use crate::ids::SpecTaskId;
use crate::{Timestamp, named_enum};

/// Where a pull request stands, as the forge last said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PullRequestState {
    Open,
    /// Closed without merging.
    Closed,
    Merged,
}
named_enum!(PullRequestState, "pull request state", {
    Open => "open",
    Closed => "closed",
    Merged => "merged",
});

/// Where one check of a pull request's head stands (a check run, or a commit status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Pending,
    Passed,
    Failed,
}

/// One check of a pull request's head, as the forge last said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullRequestCheck {
    pub name: String,
    pub state: CheckState,
    /// Where its details are.
    pub url: Option<String>,
    /// What it said.
    pub summary: String,
}

/// What a reviewer last said of a pull request as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewVerdict {
    Approved,
    ChangesRequested,
    /// Reviewed without approving or asking for changes.
    Commented,
}

/// A reviewer's latest verdict on a pull request, as the forge last said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PullRequestReview {
    /// The reviewer's login on the forge.
    pub author: String,
    pub verdict: ReviewVerdict,
}

/// A task's pull request as last read from its forge. Read facts carry the time they were read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskPullRequest {
    pub spec_task_id: SpecTaskId,
    /// The forge connection's name in the configuration.
    pub forge: String,
    /// `owner/name` on the forge.
    pub repository: String,
    pub number: u64,
    /// Its page on the forge.
    pub url: String,
    pub state: PullRequestState,
    /// The commit its head branch pointed at when last read.
    pub head_sha: String,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    /// When the forge was last asked about it.
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: Timestamp,
    /// Why the last reading failed (the forge down, rate limited, refusing), when it did: the
    /// state above is then as of `checked_at`'s last success.
    pub check_error: Option<String>,
    /// The checks of its head (CI), as last read.
    pub checks: Vec<PullRequestCheck>,
    /// Each reviewer's latest verdict, as last read.
    pub reviews: Vec<PullRequestReview>,
}
