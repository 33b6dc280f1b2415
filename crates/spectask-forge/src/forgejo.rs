//! Forgejo's REST API (and Gitea's, which it still shares) through `forgejo-api`, whose requests
//! and answers are generated from Forgejo's Swagger description: the token's user, a repository's
//! access, and the pull requests tasks hand off through.
//!
//! Forgejo's words: a pull request's number is its `index`; a draft's title starts `WIP:`; CI
//! (Forgejo Actions, Woodpecker, …) reports commit statuses.

use forgejo_api::structs::{
    CommitStatusState, CreateIssueCommentOption, CreatePullRequestOption, EditIssueOption,
    IssueListIssuesQuery, IssueListIssuesQueryState, IssueListIssuesQueryType, MergePullRequestOption,
    MergePullRequestOptionDo, StateType,
};
use forgejo_api::{ApiErrorKind, ForgejoError};

use crate::connections::Forge;
use crate::error::ForgeError;
use crate::remote_url::ForgeRepo;
use crate::{
    Check, CheckState, Feedback, FeedbackKind, Issue, MergeMethod, NewPullRequest, PullRequest,
    PullRequestFeedback, PullRequestState, RepoAccess, Reviewer, TokenReport, Verdict,
};

/// Forgejo's largest page by default.
const PAGE: u32 = 50;

/// A client of one Forgejo connection.
#[derive(Clone)]
pub struct Forgejo {
    forge: String,
    client: std::sync::Arc<forgejo_api::Forgejo>,
}

impl std::fmt::Debug for Forgejo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forgejo").field("forge", &self.forge).finish_non_exhaustive()
    }
}

impl Forgejo {
    /// The client of `forge`, whose `api_url` ends in `/api/v1` (the crate adds it to each path).
    pub fn new(forge: &Forge) -> Result<Self, ForgeError> {
        let config = |message: String| ForgeError::Config { forge: forge.name.clone(), message };
        let api = forge.api_url.as_str().trim_end_matches('/');
        let root = api
            .strip_suffix("/api/v1")
            .ok_or_else(|| config(format!("api_url {api} is not a Forgejo API's (it ends in /api/v1)")))?;
        let root = url::Url::parse(&format!("{root}/")).map_err(|e| config(format!("api_url {api}: {e}")))?;
        let auth = forgejo_api::Auth::Token(&forge.token);
        let user_agent = concat!("spectask/", env!("CARGO_PKG_VERSION"));
        let client = forgejo_api::Forgejo::with_user_agent(auth, root, user_agent)
            .map_err(|e| config(format!("cannot make its client: {e}")))?;
        Ok(Self { forge: forge.name.clone(), client: std::sync::Arc::new(client) })
    }

    /// The token's user. Forgejo does not list a token's scopes to the token itself.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let user =
            self.client.user_get_current().await.map_err(|e| self.error("read the token's user", e))?;
        Ok(TokenReport { login: user.login.unwrap_or_default(), scopes: None, missing: Vec::new() })
    }

    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let found = self.client.repo_get(&repo.owner, &repo.name).await.map_err(|e| self.error(&what, e))?;
        let push = found.permissions.is_some_and(|p| p.push == Some(true) || p.admin == Some(true));
        Ok(RepoAccess { default_branch: found.default_branch.unwrap_or_default(), push })
    }

    /// The newest pull request from `head` into `base`, open or not.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let what = format!("the pull request from {head} into {base} of {repo}");
        match self.client.repo_get_pull_request_by_base_head(&repo.owner, &repo.name, base, head).await {
            Ok(found) => Ok(Some(pull_request(found))),
            Err(e) => match self.error(&what, e) {
                ForgeError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Opens a pull request; a draft's title starts `WIP:`, Forgejo's mark.
    pub async fn open_pull_request(
        &self,
        repo: &ForgeRepo,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let what = format!("open a pull request from {} into {} in {repo}", new.head, new.base);
        let title = if new.draft { format!("WIP: {}", new.title) } else { new.title.clone() };
        let option = CreatePullRequestOption {
            assignee: None,
            assignees: None,
            base: Some(new.base.clone()),
            body: Some(new.body.clone()),
            due_date: None,
            head: Some(new.head.clone()),
            labels: None,
            milestone: None,
            title: Some(title),
        };
        let opened = self
            .client
            .repo_create_pull_request(&repo.owner, &repo.name, option)
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(pull_request(opened))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("pull request #{number} of {repo}");
        let found = self
            .client
            .repo_get_pull_request(&repo.owner, &repo.name, index(number))
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(pull_request(found))
    }

    /// Every submitted review of pull request `number`, and the line comments each carries.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let what = format!("the reviews of pull request #{number} of {repo}");
        let (_, reviews) = self
            .client
            .repo_list_pull_reviews(&repo.owner, &repo.name, index(number))
            .page_size(PAGE)
            .await
            .map_err(|e| self.error(&what, e))?;
        let mut found = Vec::new();
        let mut comments = Vec::new();
        let mut verdicts = Vec::new();
        for review in reviews {
            let state = review.state.as_deref().unwrap_or_default();
            let (Some(id), false) = (review.id, matches!(state, "PENDING" | "REQUEST_REVIEW")) else {
                continue;
            };
            let author = review.user.and_then(|u| u.login).unwrap_or_default();
            let verdict = match state {
                "APPROVED" => Verdict::Approved,
                "REQUEST_CHANGES" => Verdict::ChangesRequested,
                _ => Verdict::Commented,
            };
            verdicts.push((author.clone(), verdict));
            found.push(Feedback {
                id: unsigned(id),
                kind: FeedbackKind::Review { changes_requested: state == "REQUEST_CHANGES" },
                author,
                body: review.body.unwrap_or_default(),
            });
            if review.comments_count.unwrap_or(0) == 0 {
                continue;
            }
            let what = format!("the comments of review {id} of pull request #{number} of {repo}");
            let on_lines = self
                .client
                .repo_get_pull_review_comments(&repo.owner, &repo.name, index(number), id)
                .await
                .map_err(|e| self.error(&what, e))?;
            comments.extend(on_lines.into_iter().filter_map(|c| {
                Some(Feedback {
                    id: unsigned(c.id?),
                    kind: FeedbackKind::LineComment {
                        path: c.path.unwrap_or_default(),
                        line: c.position.filter(|l| *l > 0).or(c.original_position.filter(|l| *l > 0)),
                    },
                    author: c.user.and_then(|u| u.login).unwrap_or_default(),
                    body: c.body.unwrap_or_default(),
                })
            }));
        }
        comments.sort_by_key(|c| c.id);
        found.extend(comments);
        Ok(PullRequestFeedback { items: found, reviewers: Reviewer::latest(verdicts) })
    }

    /// The commit statuses of `sha`, the newest of each context (Forgejo combines them so).
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let what = format!("the statuses of {sha} in {repo}");
        let (_, combined) = self
            .client
            .repo_get_combined_status_by_ref(&repo.owner, &repo.name, sha)
            .await
            .map_err(|e| self.error(&what, e))?;
        let statuses = combined.statuses.unwrap_or_default();
        Ok(statuses
            .into_iter()
            .map(|status| Check {
                name: status.context.unwrap_or_else(|| "status".to_owned()),
                state: match status.status {
                    Some(
                        CommitStatusState::Success | CommitStatusState::Warning | CommitStatusState::Skipped,
                    ) => CheckState::Passed,
                    Some(CommitStatusState::Error | CommitStatusState::Failure) => CheckState::Failed,
                    Some(CommitStatusState::Pending) | None => CheckState::Pending,
                },
                url: status.target_url,
                summary: status.description.unwrap_or_default(),
            })
            .collect())
    }

    pub async fn merge_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        method: MergeMethod,
        sha: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("merge pull request #{number} of {repo}");
        let option = MergePullRequestOption {
            r#do: match method {
                MergeMethod::Merge => MergePullRequestOptionDo::Merge,
                MergeMethod::Squash => MergePullRequestOptionDo::Squash,
                MergeMethod::Rebase => MergePullRequestOptionDo::Rebase,
            },
            merge_commit_id: None,
            merge_message_field: None,
            merge_title_field: None,
            delete_branch_after_merge: None,
            force_merge: None,
            head_commit_id: Some(sha.to_owned()),
            merge_when_checks_succeed: None,
        };
        self.client
            .repo_merge_pull_request(&repo.owner, &repo.name, index(number), option)
            .await
            .map_err(|e| self.error(&what, e))
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let found = self
            .client
            .issue_get_issue(&repo.owner, &repo.name, index(number))
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let query = IssueListIssuesQuery {
            state: Some(IssueListIssuesQueryState::Open),
            labels: Some(label.to_owned()),
            r#type: Some(IssueListIssuesQueryType::Issues),
            ..IssueListIssuesQuery::default()
        };
        let (_, found) = self
            .client
            .issue_list_issues(&repo.owner, &repo.name, query)
            .page_size(PAGE)
            .await
            .map_err(|e| self.error(&what, e))?;
        let mut issues: Vec<Issue> = found.into_iter().map(issue).filter(|i| !i.is_pull_request).collect();
        issues.sort_by_key(|i| std::cmp::Reverse(i.number));
        Ok(issues)
    }

    #[expect(deprecated, reason = "the generated option lists the deprecated `assignee` field too")]
    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        let what = format!("close issue #{number} of {repo}");
        let option = EditIssueOption {
            assignee: None,
            assignees: None,
            body: None,
            due_date: None,
            milestone: None,
            r#ref: None,
            state: Some("closed".to_owned()),
            title: None,
            unset_due_date: None,
            updated_at: None,
        };
        self.client
            .issue_edit_issue(&repo.owner, &repo.name, index(number), option)
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(())
    }

    /// Forgejo numbers issues and pull requests alike: one conversation API serves both.
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
        let option = CreateIssueCommentOption { body: body.to_owned(), updated_at: None };
        self.client
            .issue_create_comment(&repo.owner, &repo.name, index(number), option)
            .await
            .map_err(|e| self.error(&what, e))?;
        Ok(())
    }

    /// A failed request in words: `what` names what was asked.
    fn error(&self, what: &str, error: ForgejoError) -> ForgeError {
        let forge = self.forge.clone();
        let refused = |status: Option<u16>, message: String| ForgeError::Refused {
            forge: self.forge.clone(),
            what: what.to_owned(),
            status,
            message,
        };
        match error {
            ForgejoError::ApiError(api) => {
                let message = api.message().unwrap_or_default().to_owned();
                match api.error_kind() {
                    ApiErrorKind::Unauthorized => ForgeError::Unauthorized { forge, message },
                    ApiErrorKind::NotFound { .. } => ForgeError::NotFound { forge, what: what.to_owned() },
                    ApiErrorKind::Forbidden => refused(Some(403), message),
                    ApiErrorKind::ValidationFailed => refused(Some(422), message),
                    ApiErrorKind::RepoArchived => refused(Some(423), message),
                    ApiErrorKind::Other(status) if status.as_u16() == 429 => {
                        ForgeError::RateLimited { forge, status: 429 }
                    }
                    ApiErrorKind::Other(status) if status.is_server_error() => {
                        ForgeError::Unavailable { forge, message: format!("HTTP {status}") }
                    }
                    ApiErrorKind::Other(status) => {
                        let reason = status.canonical_reason().unwrap_or_default().to_owned();
                        refused(Some(status.as_u16()), if message.is_empty() { reason } else { message })
                    }
                    // The crate keeps the message but not the status of these.
                    _ => refused(None, message),
                }
            }
            ForgejoError::UnexpectedStatusCode(status) if status.as_u16() == 401 => {
                ForgeError::Unauthorized { forge, message: "bad credentials".to_owned() }
            }
            ForgejoError::UnexpectedStatusCode(status) if status.as_u16() == 404 => {
                ForgeError::NotFound { forge, what: what.to_owned() }
            }
            ForgejoError::UnexpectedStatusCode(status) if status.as_u16() == 429 => {
                ForgeError::RateLimited { forge, status: 429 }
            }
            ForgejoError::UnexpectedStatusCode(status) if !status.is_server_error() => {
                refused(Some(status.as_u16()), status.canonical_reason().unwrap_or_default().to_owned())
            }
            ForgejoError::ReqwestError(e) => {
                ForgeError::Unavailable { forge, message: format!("{what}: {}", e.without_url()) }
            }
            other => ForgeError::Unavailable { forge, message: format!("{what}: {other}") },
        }
    }
}

/// A number as the crate takes it (Forgejo's indexes fit an `i64`).
fn index(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

fn unsigned(id: i64) -> u64 {
    u64::try_from(id).unwrap_or_default()
}

fn pull_request(found: forgejo_api::structs::PullRequest) -> PullRequest {
    let state = if found.merged == Some(true) {
        PullRequestState::Merged
    } else if found.state == Some(StateType::Closed) {
        PullRequestState::Closed
    } else {
        PullRequestState::Open
    };
    PullRequest {
        number: found.number.map(unsigned).unwrap_or_default(),
        url: found.html_url.map(|u| u.to_string()).unwrap_or_default(),
        state,
        head_sha: found.head.and_then(|h| h.sha).unwrap_or_default(),
        draft: found.draft.unwrap_or(false),
    }
}

fn issue(found: forgejo_api::structs::Issue) -> Issue {
    Issue {
        number: found.number.map(unsigned).unwrap_or_default(),
        title: found.title.unwrap_or_default(),
        body: found.body.unwrap_or_default(),
        url: found.html_url.map(|u| u.to_string()).unwrap_or_default(),
        open: found.state != Some(StateType::Closed),
        is_pull_request: found.pull_request.is_some(),
    }
}
