//! GitHub's REST API: the token's user and scopes, a repository's access, and the pull requests
//! tasks hand off through. Requests go through the connection's transport; answers are read as
//! `octocrab`'s models of GitHub's API.

use std::collections::HashSet;

use octocrab::models::pulls::ReviewState;
use octocrab::models::{IssueState, StatusState};
use reqwest::Method;
use serde_json::json;

use crate::connections::Forge;
use crate::error::ForgeError;
use crate::remote_url::ForgeRepo;
use crate::{
    Check, CheckState, Feedback, FeedbackKind, Issue, MergeMethod, NewPullRequest, PullRequest,
    PullRequestFeedback, PullRequestState, RepoAccess, Reviewer, TokenReport, Verdict,
};

/// The scope a classic token needs to open pull requests in private and public repositories.
const NEEDED_SCOPES: &[&str] = &["repo"];

/// A client of one GitHub connection.
#[derive(Clone, Debug)]
pub struct GitHub {
    forge: Forge,
}

/// `repos/<owner>/<name>/<more…>`.
fn path<'a>(repo: &'a ForgeRepo, more: &[&'a str]) -> Vec<&'a str> {
    ["repos", repo.owner.as_str(), repo.name.as_str()].into_iter().chain(more.iter().copied()).collect()
}

impl GitHub {
    pub fn new(forge: &Forge) -> Self {
        Self { forge: forge.clone() }
    }

    /// The token's user, and for a classic token its scopes and those it lacks.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let what = "read the token's user";
        let answer = self.forge.transport().get_answer(&["user"], &[], what).await?;
        let scopes =
            answer.headers.get("x-oauth-scopes").and_then(|v| v.to_str().ok()).map(|v| {
                v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>()
            });
        let user: octocrab::models::Author = self.forge.transport().read(&answer, what)?;
        let missing = match &scopes {
            Some(scopes) => NEEDED_SCOPES
                .iter()
                .filter(|needed| !scopes.iter().any(|s| s == *needed))
                .map(|s| (*s).to_owned())
                .collect(),
            None => Vec::new(),
        };
        Ok(TokenReport { login: Some(user.login), scopes, missing })
    }

    /// Whether the token sees the repository and may push to it.
    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let found: octocrab::models::Repository =
            self.forge.transport().get(&path(repo, &[]), &[], &what).await?;
        Ok(RepoAccess {
            default_branch: found.default_branch.unwrap_or_default(),
            push: found.permissions.is_some_and(|p| p.push || p.admin || p.maintain),
            web_url: found.html_url.map(|u| u.to_string()).unwrap_or_default(),
        })
    }

    /// The pull request from `head` (a branch of `repo`) into `base`: the open one, else the
    /// newest.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let what = format!("the pull requests from {head} into {base} of {repo}");
        let head_filter = format!("{}:{head}", repo.owner);
        let query = [("state", "all"), ("head", head_filter.as_str()), ("base", base)];
        let found: Vec<octocrab::models::pulls::PullRequest> =
            self.forge.transport().get_all(&path(repo, &["pulls"]), &query, &what, |page| page).await?;
        let found = found.into_iter().filter(|p| p.head.ref_field == head).map(pull_request);
        Ok(crate::open_else_newest(found))
    }

    pub async fn open_pull_request(
        &self,
        repo: &ForgeRepo,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let what = format!("open a pull request from {} into {} in {repo}", new.head, new.base);
        let body = json!({
            "title": new.title,
            "head": new.head,
            "base": new.base,
            "body": new.body,
            "draft": new.draft,
        });
        let opened: octocrab::models::pulls::PullRequest =
            self.forge.transport().send(Method::POST, &path(repo, &["pulls"]), &body, &what).await?;
        Ok(pull_request(opened))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("pull request #{number} of {repo}");
        let number = number.to_string();
        let found: octocrab::models::pulls::PullRequest =
            self.forge.transport().get(&path(repo, &["pulls", &number]), &[], &what).await?;
        Ok(pull_request(found))
    }

    /// Every review (but those still pending) and line comment of pull request `number`; the
    /// comments of a review submitted while they were read wait for the next reading.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let transport = self.forge.transport();
        let n = number.to_string();
        let what = format!("the reviews of pull request #{number} of {repo}");
        let reviews: Vec<octocrab::models::pulls::Review> =
            transport.get_all(&path(repo, &["pulls", &n, "reviews"]), &[], &what, |page| page).await?;
        let what = format!("the line comments of pull request #{number} of {repo}");
        let comments: Vec<octocrab::models::pulls::Comment> =
            transport.get_all(&path(repo, &["pulls", &n, "comments"]), &[], &what, |page| page).await?;
        // A review and its line comments are made at once but read in two requests: a review
        // submitted between them shows its comments without itself. They wait for the next
        // reading, which has both, rather than going back as a request of their own. Theirs are
        // the newest ids, so no watermark passes them meanwhile. A pending review's are a draft.
        let read: HashSet<u64> =
            reviews.iter().filter(|r| r.state != Some(ReviewState::Pending)).map(|r| r.id.0).collect();
        let login = |user: Option<octocrab::models::Author>| user.map(|u| u.login).unwrap_or_default();
        let reviewers = Reviewer::latest(reviews.iter().filter_map(|r| {
            let verdict = match r.state? {
                ReviewState::Approved => Verdict::Approved,
                ReviewState::ChangesRequested => Verdict::ChangesRequested,
                ReviewState::Commented => Verdict::Commented,
                _ => return None,
            };
            Some((r.user.as_ref()?.login.clone(), verdict))
        }));
        let reviews =
            reviews.into_iter().filter(|r| r.state != Some(ReviewState::Pending)).map(|r| Feedback {
                id: r.id.0,
                kind: FeedbackKind::Review {
                    changes_requested: r.state == Some(ReviewState::ChangesRequested),
                },
                author: login(r.user),
                body: r.body.unwrap_or_default(),
            });
        let comments =
            comments.into_iter().filter(|c| c.pull_request_review_id.is_none_or(|r| read.contains(&r.0)));
        let comments = comments.map(|c| Feedback {
            id: c.id.0,
            kind: FeedbackKind::LineComment { path: c.path, line: c.line.or(c.original_line) },
            author: login(c.user),
            body: c.body,
        });
        Ok(PullRequestFeedback { items: reviews.chain(comments).collect(), reviewers })
    }

    /// The check runs (the latest of each name) and the commit statuses (the newest of each
    /// context) of `sha`, every page of both.
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let transport = self.forge.transport();
        let what = format!("the check runs of {sha} in {repo}");
        let runs = transport
            .get_all(
                &path(repo, &["commits", sha, "check-runs"]),
                &[],
                &what,
                |page: octocrab::models::checks::ListCheckRuns| page.check_runs,
            )
            .await?;
        let what = format!("the commit statuses of {sha} in {repo}");
        let statuses = transport
            .get_all(
                &path(repo, &["commits", sha, "status"]),
                &[],
                &what,
                |page: octocrab::models::CombinedStatus| page.statuses,
            )
            .await?;
        let runs = runs.into_iter().map(|run| Check {
            state: match run.conclusion.as_deref() {
                None => CheckState::Pending,
                Some("success" | "neutral" | "skipped") => CheckState::Passed,
                Some(_) => CheckState::Failed,
            },
            url: run.details_url.or(run.html_url),
            summary: run.output.summary.or(run.output.title).unwrap_or_default(),
            name: run.name,
        });
        let statuses = statuses.into_iter().map(|status| Check {
            name: status.context.unwrap_or_else(|| "status".to_owned()),
            state: match status.state {
                StatusState::Success => CheckState::Passed,
                StatusState::Pending => CheckState::Pending,
                _ => CheckState::Failed,
            },
            url: status.target_url,
            summary: status.description.unwrap_or_default(),
        });
        Ok(runs.chain(statuses).collect())
    }

    pub async fn merge_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        method: MergeMethod,
        sha: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("merge pull request #{number} of {repo}");
        let method = match method {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        };
        let n = number.to_string();
        let body = json!({ "merge_method": method, "sha": sha });
        self.forge
            .transport()
            .send_unread(Method::PUT, &path(repo, &["pulls", &n, "merge"]), &body, &what)
            .await?;
        Ok(())
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let n = number.to_string();
        let found: octocrab::models::issues::Issue =
            self.forge.transport().get(&path(repo, &["issues", &n]), &[], &what).await?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let query = [("labels", label), ("state", "open")];
        let found: Vec<octocrab::models::issues::Issue> =
            self.forge.transport().get_all(&path(repo, &["issues"]), &query, &what, |page| page).await?;
        Ok(found.into_iter().filter(|i| i.pull_request.is_none()).map(issue).collect())
    }

    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        let what = format!("close issue #{number} of {repo}");
        let n = number.to_string();
        let body = json!({ "state": "closed" });
        self.forge.transport().send_unread(Method::PATCH, &path(repo, &["issues", &n]), &body, &what).await?;
        Ok(())
    }

    /// GitHub numbers issues and pull requests alike: one conversation API serves both.
    pub async fn comment_on_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        self.comment_on_issue(repo, number, body).await
    }

    pub async fn comment_on_issue(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("comment on #{number} of {repo}");
        let n = number.to_string();
        let body = json!({ "body": body });
        self.forge
            .transport()
            .send_unread(Method::POST, &path(repo, &["issues", &n, "comments"]), &body, &what)
            .await?;
        Ok(())
    }
}

fn pull_request(found: octocrab::models::pulls::PullRequest) -> PullRequest {
    let state = if found.merged_at.is_some() || found.merged == Some(true) {
        PullRequestState::Merged
    } else if found.state == Some(IssueState::Closed) {
        PullRequestState::Closed
    } else {
        PullRequestState::Open
    };
    PullRequest {
        number: found.number,
        url: found.html_url.map(|u| u.to_string()).unwrap_or_default(),
        state,
        head_sha: found.head.sha,
        draft: found.draft.unwrap_or(false),
    }
}

fn issue(found: octocrab::models::issues::Issue) -> Issue {
    Issue {
        number: found.number,
        title: found.title,
        body: found.body.unwrap_or_default(),
        url: found.html_url.to_string(),
        open: found.state == IssueState::Open,
        is_pull_request: found.pull_request.is_some(),
    }
}
