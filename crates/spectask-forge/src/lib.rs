//! Forges: the GitHub, GitLab and Forgejo connections the configuration names, and what a task
//! hands off through them — its pull request (a merge request on GitLab).
//!
//! A connection (`[forges.<name>]`, [`Forges::from_toml`]) names the host its repositories' remote
//! URLs carry, the API's base URL and where its token is read from (an environment variable or a
//! file; the token is never logged, stored or returned). A repository registered by URL belongs
//! to the connection whose host its URL names ([`Forges::for_remote`]). [`ForgeClient`] makes the
//! requests: through `octocrab` for GitHub and `forgejo-api` for Forgejo, both typed from the
//! forge's published API description (which the fake forge of the tests holds its answers to),
//! and for GitLab through typed requests written from its REST documentation (see `gitlab`).

mod connections;
mod error;
mod forgejo;
mod github;
mod gitlab;
mod remote_url;
mod webhook;

pub use connections::{Forge, ForgeKind, Forges};
pub use error::ForgeError;
pub use forgejo::Forgejo;
pub use github::GitHub;
pub use gitlab::GitLab;
pub use remote_url::{ForgeRepo, parse_issue_url, parse_remote};
pub use webhook::{WebhookError, webhook_repository};

/// A pull request as the forge reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// Its page on the forge.
    pub url: String,
    pub state: PullRequestState,
    /// The commit its head branch points at.
    pub head_sha: String,
    pub draft: bool,
}

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullRequestState {
    Open,
    /// Closed without merging.
    Closed,
    Merged,
}

impl PullRequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }
}

/// What people said on a pull request: every review and line comment, and where each reviewer
/// stands now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRequestFeedback {
    pub items: Vec<Feedback>,
    /// Each reviewer's latest verdict.
    pub reviewers: Vec<Reviewer>,
}

/// A reviewer's latest verdict on a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub login: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    ChangesRequested,
    /// Reviewed without approving or asking for changes.
    Commented,
}

impl Reviewer {
    /// The latest verdict of each login among `verdicts`, given oldest first, in the order each
    /// reviewer first appears.
    pub fn latest(verdicts: impl IntoIterator<Item = (String, Verdict)>) -> Vec<Reviewer> {
        let mut reviewers: Vec<Reviewer> = Vec::new();
        for (login, verdict) in verdicts {
            match reviewers.iter_mut().find(|r| r.login == login) {
                Some(reviewer) => reviewer.verdict = verdict,
                None => reviewers.push(Reviewer { login, verdict }),
            }
        }
        reviewers
    }
}

/// What a person said on a pull request: a review, or a comment on a line of its diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The forge's id, increasing within each kind (reviews apart from line comments).
    pub id: u64,
    pub kind: FeedbackKind,
    /// Who said it (their login).
    pub author: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackKind {
    /// A review: its verdict.
    Review { changes_requested: bool },
    /// A comment on a line of the diff (`line` absent for one on a whole file).
    LineComment { path: String, line: Option<u64> },
}

/// One check of a commit as the forge reports it: a check run, or a commit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub state: CheckState,
    /// Where its details are, when the forge says.
    pub url: Option<String>,
    /// What it said (a run's output summary, a status's description).
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    Pending,
    Passed,
    Failed,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }
}

/// An issue as the forge reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub url: String,
    pub open: bool,
    /// Whether it is a pull request (GitHub numbers both alike).
    pub is_pull_request: bool,
}

/// How a forge merges a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMethod {
    Merge,
    Squash,
    Rebase,
}

/// What a new pull request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPullRequest {
    pub title: String,
    pub body: String,
    /// The branch holding the work, in the same repository.
    pub head: String,
    /// The branch it merges into.
    pub base: String,
    pub draft: bool,
}

/// What a connection's token may do: `spectask forge check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenReport {
    /// The user the token acts as.
    pub login: String,
    /// The token's scopes; `None` where the forge does not list them (a GitHub fine-grained token,
    /// Forgejo).
    pub scopes: Option<Vec<String>>,
    /// Scopes the token lacks for what spectask does (GitHub: `repo`; GitLab: `api`).
    pub missing: Vec<String>,
}

/// What the token may do in one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoAccess {
    pub default_branch: String,
    /// Whether the token may push (and so open pull requests).
    pub push: bool,
}

/// A connection's client: the requests spectask makes of a forge.
#[derive(Debug, Clone)]
pub enum ForgeClient {
    GitHub(GitHub),
    GitLab(GitLab),
    Forgejo(Forgejo),
}

/// Calls the same method on whichever forge's client `$client` is.
macro_rules! each_forge {
    ($client:expr, $forge:ident => $call:expr) => {
        match $client {
            ForgeClient::GitHub($forge) => $call,
            ForgeClient::GitLab($forge) => $call,
            ForgeClient::Forgejo($forge) => $call,
        }
    };
}

impl ForgeClient {
    /// The client of `forge`.
    pub fn new(forge: &Forge) -> Result<Self, ForgeError> {
        match forge.kind {
            ForgeKind::GitHub => Ok(Self::GitHub(GitHub::new(forge)?)),
            ForgeKind::GitLab => Ok(Self::GitLab(GitLab::new(forge)?)),
            ForgeKind::Forgejo => Ok(Self::Forgejo(Forgejo::new(forge)?)),
        }
    }

    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        each_forge!(self, forge => forge.token_report().await)
    }

    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        each_forge!(self, forge => forge.repo_access(repo).await)
    }

    /// The newest pull request from `head` into `base`, in any state.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        each_forge!(self, forge => forge.find_pull_request(repo, head, base).await)
    }

    pub async fn open_pull_request(
        &self,
        repo: &ForgeRepo,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        each_forge!(self, forge => forge.open_pull_request(repo, new).await)
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        each_forge!(self, forge => forge.pull_request(repo, number).await)
    }

    /// Every review and line comment of the pull request, oldest first within each kind, and each
    /// reviewer's latest verdict.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        each_forge!(self, forge => forge.feedback(repo, number).await)
    }

    /// The checks of commit `sha`: its check runs, commit statuses or pipeline jobs, the newest of
    /// each name.
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        each_forge!(self, forge => forge.checks(repo, sha).await)
    }

    /// Merges the pull request by `method` (`merge`, `squash` or `rebase`) if its head is still
    /// `sha`; the forge refuses one that protection, a conflict or a moved head stops.
    pub async fn merge_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        method: MergeMethod,
        sha: &str,
    ) -> Result<(), ForgeError> {
        each_forge!(self, forge => forge.merge_pull_request(repo, number, method, sha).await)
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        each_forge!(self, forge => forge.issue(repo, number).await)
    }

    /// The open issues (not pull requests) of `repo` carrying `label`, newest first.
    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        each_forge!(self, forge => forge.labelled_issues(repo, label).await)
    }

    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        each_forge!(self, forge => forge.close_issue(repo, number).await)
    }

    /// Says `body` on the conversation of issue `number`.
    pub async fn comment_on_issue(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        each_forge!(self, forge => forge.comment_on_issue(repo, number, body).await)
    }

    /// Says `body` on the conversation of pull request `number` (GitLab numbers merge requests
    /// apart from issues).
    pub async fn comment_on_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        each_forge!(self, forge => forge.comment_on_pull_request(repo, number, body).await)
    }
}
