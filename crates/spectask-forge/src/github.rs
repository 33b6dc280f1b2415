//! GitHub's REST API through `octocrab`: the token's user and scopes, a repository's access, and
//! the pull requests tasks hand off through.

use octocrab::Octocrab;
use octocrab::models::pulls::ReviewState;
use octocrab::models::{IssueState, StatusState};
use octocrab::params::State;

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
#[derive(Clone)]
pub struct GitHub {
    forge: String,
    client: Octocrab,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub").field("forge", &self.forge).finish_non_exhaustive()
    }
}

impl GitHub {
    pub fn new(forge: &Forge) -> Result<Self, ForgeError> {
        let config = |message: String| ForgeError::Config { forge: forge.name.clone(), message };
        let client = Octocrab::builder()
            .base_uri(forge.api_url.as_str())
            .map_err(|e| config(format!("api_url {}: {e}", forge.api_url)))?
            .personal_token(forge.token.clone())
            .build()
            .map_err(|e| config(format!("cannot make its client: {e}")))?;
        Ok(Self { forge: forge.name.clone(), client })
    }

    /// The token's user, and for a classic token its scopes and those it lacks.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let response = self.client._get("/user").await.map_err(|e| self.error("read the token's user", e))?;
        let scopes =
            response.headers().get("x-oauth-scopes").and_then(|v| v.to_str().ok()).map(|v| {
                v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>()
            });
        let body =
            self.client.body_to_string(response).await.map_err(|e| self.error("read the token's user", e))?;
        let user: octocrab::models::Author =
            serde_json::from_str(&body).map_err(|e| self.unreadable("the token's user", &e))?;
        let missing = match &scopes {
            Some(scopes) => NEEDED_SCOPES
                .iter()
                .filter(|needed| !scopes.iter().any(|s| s == *needed))
                .map(|s| (*s).to_owned())
                .collect(),
            None => Vec::new(),
        };
        Ok(TokenReport { login: user.login, scopes, missing })
    }

    /// Whether the token sees the repository and may push to it.
    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let found =
            self.client.repos(&repo.owner, &repo.name).get().await.map_err(|e| self.error(&what, e))?;
        Ok(RepoAccess {
            default_branch: found.default_branch.unwrap_or_default(),
            push: found.permissions.is_some_and(|p| p.push || p.admin || p.maintain),
        })
    }

    /// The newest pull request from `head` (a branch of `repo`) into `base`, open or not.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let what = format!("list the pull requests of {repo}");
        let page = self
            .client
            .pulls(&repo.owner, &repo.name)
            .list()
            .state(State::All)
            .head(format!("{}:{head}", repo.owner))
            .base(base)
            .per_page(100)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
        let newest = page.items.into_iter().filter(|p| p.head.ref_field == head).max_by_key(|p| p.number);
        Ok(newest.map(pull_request))
    }

    pub async fn open_pull_request(
        &self,
        repo: &ForgeRepo,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let what = format!("open a pull request from {} into {} in {repo}", new.head, new.base);
        let opened = self
            .client
            .pulls(&repo.owner, &repo.name)
            .create(&new.title, &new.head, &new.base)
            .body(&new.body)
            .draft(new.draft)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(pull_request(opened))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("pull request #{number} of {repo}");
        let found =
            self.client.pulls(&repo.owner, &repo.name).get(number).await.map_err(|e| self.error(&what, e))?;
        Ok(pull_request(found))
    }

    /// Every review (but those still pending) and line comment of pull request `number`.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let pulls = self.client.pulls(&repo.owner, &repo.name);
        let what = format!("the reviews of pull request #{number} of {repo}");
        let reviews =
            pulls.list_reviews(number).per_page(100).send().await.map_err(|e| self.error(&what, e))?;
        let what = format!("the line comments of pull request #{number} of {repo}");
        let comments =
            pulls.list_comments(Some(number)).per_page(100).send().await.map_err(|e| self.error(&what, e))?;
        let login = |user: Option<octocrab::models::Author>| user.map(|u| u.login).unwrap_or_default();
        let reviewers = Reviewer::latest(reviews.items.iter().filter_map(|r| {
            let verdict = match r.state? {
                ReviewState::Approved => Verdict::Approved,
                ReviewState::ChangesRequested => Verdict::ChangesRequested,
                ReviewState::Commented => Verdict::Commented,
                _ => return None,
            };
            Some((r.user.as_ref()?.login.clone(), verdict))
        }));
        let reviews =
            reviews.items.into_iter().filter(|r| r.state != Some(ReviewState::Pending)).map(|r| Feedback {
                id: r.id.0,
                kind: FeedbackKind::Review {
                    changes_requested: r.state == Some(ReviewState::ChangesRequested),
                },
                author: login(r.user),
                body: r.body.unwrap_or_default(),
            });
        let comments = comments.items.into_iter().map(|c| Feedback {
            id: c.id.0,
            kind: FeedbackKind::LineComment { path: c.path, line: c.line.or(c.original_line) },
            author: login(c.user),
            body: c.body,
        });
        Ok(PullRequestFeedback { items: reviews.chain(comments).collect(), reviewers })
    }

    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let what = format!("the checks of {sha} in {repo}");
        let runs = self
            .client
            .checks(&repo.owner, &repo.name)
            .list_check_runs_for_git_ref(octocrab::params::repos::Commitish(sha.to_owned()))
            .per_page(100)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
        // octocrab's own call names branches and tags only; a commit's is the same typed answer.
        let route = format!("/repos/{}/{}/commits/{sha}/status", repo.owner, repo.name);
        let statuses: octocrab::models::CombinedStatus =
            self.client.get(route, None::<&()>).await.map_err(|e| self.error(&what, e))?;
        let runs = runs.check_runs.into_iter().map(|run| Check {
            state: match run.conclusion.as_deref() {
                None => CheckState::Pending,
                Some("success" | "neutral" | "skipped") => CheckState::Passed,
                Some(_) => CheckState::Failed,
            },
            url: run.details_url.or(run.html_url),
            summary: run.output.summary.or(run.output.title).unwrap_or_default(),
            name: run.name,
        });
        let statuses = statuses.statuses.into_iter().map(|status| Check {
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
            MergeMethod::Merge => octocrab::params::pulls::MergeMethod::Merge,
            MergeMethod::Squash => octocrab::params::pulls::MergeMethod::Squash,
            MergeMethod::Rebase => octocrab::params::pulls::MergeMethod::Rebase,
        };
        self.client
            .pulls(&repo.owner, &repo.name)
            .merge(number)
            .method(method)
            .sha(sha)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(())
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let found = self
            .client
            .issues(&repo.owner, &repo.name)
            .get(number)
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let labels = [label.to_owned()];
        let page = self
            .client
            .issues(&repo.owner, &repo.name)
            .list()
            .labels(&labels)
            .state(State::Open)
            .per_page(100)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(page.items.into_iter().filter(|i| i.pull_request.is_none()).map(issue).collect())
    }

    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        let what = format!("close issue #{number} of {repo}");
        self.client
            .issues(&repo.owner, &repo.name)
            .update(number)
            .state(IssueState::Closed)
            .send()
            .await
            .map_err(|e| self.error(&what, e))?;
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
        self.client
            .issues(&repo.owner, &repo.name)
            .create_comment(number, body)
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(())
    }

    /// A failed request in words: `what` names what was asked.
    fn error(&self, what: &str, error: octocrab::Error) -> ForgeError {
        let forge = self.forge.clone();
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code.as_u16();
                let message = source.message.clone();
                let detail = source
                    .errors
                    .iter()
                    .flatten()
                    .filter_map(|e| e.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                    .collect::<Vec<_>>();
                let message =
                    if detail.is_empty() { message } else { format!("{message}: {}", detail.join("; ")) };
                let rate_limited = (status == 403 || status == 429)
                    && (source.rate_limit_reset.is_some()
                        || message.to_ascii_lowercase().contains("rate limit"));
                match status {
                    401 => ForgeError::Unauthorized { forge, message },
                    404 => ForgeError::NotFound { forge, what: what.to_owned() },
                    _ if rate_limited => ForgeError::RateLimited { forge, status },
                    500.. => ForgeError::Unavailable { forge, message: format!("HTTP {status}: {message}") },
                    _ => ForgeError::Refused { forge, what: what.to_owned(), status: Some(status), message },
                }
            }
            other => ForgeError::Unavailable { forge, message: format!("{what}: {other}") },
        }
    }

    fn unreadable(&self, what: &str, error: &serde_json::Error) -> ForgeError {
        ForgeError::Unavailable { forge: self.forge.clone(), message: format!("cannot read {what}: {error}") }
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
