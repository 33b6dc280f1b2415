//! Forgejo's REST API (and Gitea's, which it still shares): the token's user, a repository's
//! access, and the pull requests tasks hand off through. Requests go through the connection's
//! transport, typed as `forgejo-api`'s structs, which are generated from Forgejo's Swagger
//! description; answers are read as them.
//!
//! Forgejo's words: a pull request's number is its `index`; a draft's title starts `WIP:`; CI
//! (Forgejo Actions, Woodpecker, …) reports commit statuses.

use forgejo_api::structs::{
    CommitStatus, CommitStatusState, CreateIssueCommentOption, CreatePullRequestOption, EditIssueOption,
    MergePullRequestOption, MergePullRequestOptionDo, PullReview, PullReviewComment, StateType,
};
use reqwest::Method;
use serde::Deserialize;

use crate::connections::Forge;
use crate::error::ForgeError;
use crate::remote_url::ForgeRepo;
use crate::{
    Check, CheckState, Feedback, FeedbackKind, Issue, MergeMethod, NewPullRequest, PullRequest,
    PullRequestFeedback, PullRequestState, RepoAccess, Reviewer, TokenReport, Verdict,
};

/// A client of one Forgejo connection.
#[derive(Clone, Debug)]
pub struct Forgejo {
    forge: Forge,
}

/// A commit's combined status, read apart from the crate's: Forgejo answers `"state": ""` for a
/// commit without any status, which its description (and so the crate's enum) does not allow.
#[derive(Debug, Deserialize)]
struct CombinedStatus {
    #[serde(default)]
    statuses: Option<Vec<CommitStatus>>,
}

/// `repos/<owner>/<name>/<more…>`.
fn path<'a>(repo: &'a ForgeRepo, more: &[&'a str]) -> Vec<&'a str> {
    ["repos", repo.owner.as_str(), repo.name.as_str()].into_iter().chain(more.iter().copied()).collect()
}

impl Forgejo {
    /// The client of `forge`, whose `api_url` ends in `/api/v1`.
    pub fn new(forge: &Forge) -> Self {
        Self { forge: forge.clone() }
    }

    /// The token's user. Forgejo does not list a token's scopes to the token itself, and reading
    /// its user needs `read:user`, which spectask's work does not: a token without it that the
    /// forge knows (it refuses it 403, not 401) is fine, its user unnamed.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let what = "read the token's user";
        match self.forge.transport().get::<forgejo_api::structs::User>(&["user"], &[], what).await {
            Ok(user) => Ok(TokenReport { login: user.login, scopes: None, missing: Vec::new() }),
            Err(ForgeError::Refused { status: Some(403), .. }) => {
                Ok(TokenReport { login: None, scopes: None, missing: Vec::new() })
            }
            Err(err) => Err(err),
        }
    }

    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let found: forgejo_api::structs::Repository =
            self.forge.transport().get(&path(repo, &[]), &[], &what).await?;
        let push = found.permissions.is_some_and(|p| p.push == Some(true) || p.admin == Some(true));
        Ok(RepoAccess {
            default_branch: found.default_branch.unwrap_or_default(),
            push,
            web_url: found.html_url.map(|u| u.to_string()).unwrap_or_default(),
        })
    }

    /// The pull request from `head` into `base`: the open one (Forgejo's lookup by branches
    /// answers an older, closed one first), else the newest the lookup finds.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let transport = self.forge.transport();
        let what = format!("the open pull requests of {repo}");
        let open: Vec<forgejo_api::structs::PullRequest> =
            transport.get_all(&path(repo, &["pulls"]), &[("state", "open")], &what, |page| page).await?;
        let branch = |side: &Option<forgejo_api::structs::PRBranchInfo>| {
            side.as_ref().and_then(|s| s.r#ref.clone()).unwrap_or_default()
        };
        if let Some(found) = open.into_iter().find(|p| branch(&p.head) == head && branch(&p.base) == base) {
            return Ok(Some(pull_request(found)));
        }
        // `pulls/{base}/{head}`: the head branch's own segments, as Forgejo routes them.
        let what = format!("the pull request from {head} into {base} of {repo}");
        let segments: Vec<&str> = path(repo, &["pulls", base]).into_iter().chain(head.split('/')).collect();
        match transport.get::<forgejo_api::structs::PullRequest>(&segments, &[], &what).await {
            Ok(found) => Ok(Some(pull_request(found))),
            Err(ForgeError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
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
        let opened: forgejo_api::structs::PullRequest =
            self.forge.transport().send(Method::POST, &path(repo, &["pulls"]), &option, &what).await?;
        Ok(pull_request(opened))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("pull request #{number} of {repo}");
        let n = number.to_string();
        let found: forgejo_api::structs::PullRequest =
            self.forge.transport().get(&path(repo, &["pulls", &n]), &[], &what).await?;
        Ok(pull_request(found))
    }

    /// Every submitted review of pull request `number` (every page), and the line comments each
    /// carries.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let transport = self.forge.transport();
        let n = number.to_string();
        let what = format!("the reviews of pull request #{number} of {repo}");
        let reviews: Vec<PullReview> =
            transport.get_all(&path(repo, &["pulls", &n, "reviews"]), &[], &what, |page| page).await?;
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
            let review_id = id.to_string();
            let on_lines: Vec<PullReviewComment> = transport
                .get(&path(repo, &["pulls", &n, "reviews", &review_id, "comments"]), &[], &what)
                .await?;
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

    /// The commit statuses of `sha`, every page, the newest of each context (Forgejo combines
    /// them so); none for a commit without any.
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let what = format!("the statuses of {sha} in {repo}");
        let statuses = self
            .forge
            .transport()
            .get_all(&path(repo, &["commits", sha, "status"]), &[], &what, |page: CombinedStatus| {
                page.statuses.unwrap_or_default()
            })
            .await?;
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
        let n = number.to_string();
        self.forge
            .transport()
            .send_unread(Method::POST, &path(repo, &["pulls", &n, "merge"]), &option, &what)
            .await?;
        Ok(())
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let n = number.to_string();
        let found: forgejo_api::structs::Issue =
            self.forge.transport().get(&path(repo, &["issues", &n]), &[], &what).await?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let query = [("state", "open"), ("labels", label), ("type", "issues")];
        let found: Vec<forgejo_api::structs::Issue> =
            self.forge.transport().get_all(&path(repo, &["issues"]), &query, &what, |page| page).await?;
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
        let n = number.to_string();
        self.forge
            .transport()
            .send_unread(Method::PATCH, &path(repo, &["issues", &n]), &option, &what)
            .await?;
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
        let n = number.to_string();
        self.forge
            .transport()
            .send_unread(Method::POST, &path(repo, &["issues", &n, "comments"]), &option, &what)
            .await?;
        Ok(())
    }
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
