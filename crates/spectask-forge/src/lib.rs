//! Forges: the GitHub, GitLab and Forgejo connections the configuration names, and what a task
//! hands off through them — its pull request (a merge request on GitLab).
//!
//! A connection (`[forges.<name>]`, [`Forges::from_toml`]) names the host its repositories' remote
//! URLs carry, the API's base URL and where its token is read from (an environment variable or a
//! file; the token is never logged, stored or returned). A repository registered by URL belongs
//! to the connection whose host its URL names ([`Forges::for_remote`]). [`ForgeClient`] makes the
//! requests, all through the connection's one transport (`transport`: every page, the forge's
//! rate limits, conditional requests, and the [`ForgeUsage`] `/metrics` shows); their answers are
//! read as `octocrab`'s models for GitHub and `forgejo-api`'s structs for Forgejo, both typed from
//! the forge's published API description (which the fake forge of the tests holds its answers
//! to), and for GitLab as types written from its REST documentation (see `gitlab`).

mod connections;
mod error;
mod forgejo;
mod github;
mod gitlab;
mod remote_url;
#[cfg(feature = "test-support")]
pub mod testing;
mod transport;
mod webhook;

pub use connections::{Forge, ForgeKind, Forges};
pub use error::ForgeError;
pub use forgejo::Forgejo;
pub use github::GitHub;
pub use gitlab::GitLab;
pub use remote_url::{ForgeRepo, parse_issue_url, parse_remote};
pub use transport::{ForgeUsage, MAX_PAGES, Quota, RequestOutcome};
pub use webhook::{WebhookError, webhook_body_sha256, webhook_repository};

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
    /// reviewer first appears. A review that only comments leaves an approval or a change request
    /// before it standing, as the forges hold it.
    pub fn latest(verdicts: impl IntoIterator<Item = (String, Verdict)>) -> Vec<Reviewer> {
        let mut reviewers: Vec<Reviewer> = Vec::new();
        for (login, verdict) in verdicts {
            match reviewers.iter_mut().find(|r| r.login == login) {
                Some(_) if verdict == Verdict::Commented => {}
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
    /// The user the token acts as; `None` where the token may not read it and spectask does not
    /// need it to (Forgejo's `read:user`).
    pub login: Option<String>,
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
    /// The repository's page on the forge (its `html_url`, GitLab's `web_url`).
    pub web_url: String,
}

/// One reading of a pull request: the pull request, the checks of the head it names, and what
/// people said on it; each list read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub pull_request: PullRequest,
    /// The checks of `pull_request.head_sha`.
    pub checks: Vec<Check>,
    pub feedback: PullRequestFeedback,
}

/// Of the pull requests found from one branch, the open one, else the newest.
pub(crate) fn open_else_newest(found: impl IntoIterator<Item = PullRequest>) -> Option<PullRequest> {
    found.into_iter().max_by_key(|p| (p.state == PullRequestState::Open, p.number))
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
    pub fn new(forge: &Forge) -> Self {
        match forge.kind {
            ForgeKind::GitHub => Self::GitHub(GitHub::new(forge)),
            ForgeKind::GitLab => Self::GitLab(GitLab::new(forge)),
            ForgeKind::Forgejo => Self::Forgejo(Forgejo::new(forge)),
        }
    }

    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        each_forge!(self, forge => forge.token_report().await)
    }

    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        each_forge!(self, forge => forge.repo_access(repo).await)
    }

    /// The pull request from `head` into `base`: the open one, else the newest in any state.
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

    /// Pull request `number`, the checks of its head and what people said on it: what a reading
    /// of it asks. Checks and feedback are read whole or not at all.
    pub async fn read_pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<Reading, ForgeError> {
        let pull_request = self.pull_request(repo, number).await?;
        let checks = self.checks(repo, &pull_request.head_sha).await?;
        let feedback = self.feedback(repo, number).await?;
        Ok(Reading { pull_request, checks, feedback })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reviewers_latest_verdict_is_their_last_approval_or_change_request() {
        let said = |verdicts: &[(&str, Verdict)]| {
            Reviewer::latest(verdicts.iter().map(|(l, v)| ((*l).to_owned(), *v)))
                .into_iter()
                .map(|r| (r.login, r.verdict))
                .collect::<Vec<_>>()
        };
        let (asked, approved, commented) = (Verdict::ChangesRequested, Verdict::Approved, Verdict::Commented);
        assert_eq!(
            said(&[("alice", asked), ("bob", commented), ("alice", commented)]),
            [("alice".to_owned(), asked), ("bob".to_owned(), commented)]
        );
        assert_eq!(said(&[("alice", asked), ("alice", approved)]), [("alice".to_owned(), approved)]);
        assert_eq!(said(&[("alice", approved), ("alice", asked)]), [("alice".to_owned(), asked)]);
    }

    #[test]
    fn of_the_pull_requests_from_a_branch_the_open_one_counts_else_the_newest() {
        let pr = |number, state| PullRequest {
            number,
            url: String::new(),
            state,
            head_sha: String::new(),
            draft: false,
        };
        let open = open_else_newest([pr(1, PullRequestState::Open), pr(2, PullRequestState::Closed)]);
        assert_eq!(open.map(|p| p.number), Some(1));
        let newest = open_else_newest([pr(1, PullRequestState::Closed), pr(3, PullRequestState::Merged)]);
        assert_eq!(newest.map(|p| p.number), Some(3));
        assert_eq!(open_else_newest([]), None);
    }
}
