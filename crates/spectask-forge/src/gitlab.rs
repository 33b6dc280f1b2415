//! GitLab's REST API (v4): the token's user and scopes, a project's access, and the merge
//! requests tasks hand off through.
//!
//! Requests and answers are typed here from GitLab's REST documentation (`answers`). The `gitlab`
//! crate types requests only (answers are the caller's structs anyway) and brings a second TLS
//! stack, a blocking client and a GraphQL client; GitLab publishes no OpenAPI description that
//! covers merge requests in a package registry.
//!
//! GitLab's words: a merge request (MR) is a pull request, its `iid` the number; a project is a
//! repository, named in a request by its URL-encoded path (`group%2Fsub%2Fapp`); pipeline jobs and
//! external checks are commit statuses; a reviewer who asks for changes is in the state
//! `requested_changes`, and what they wrote is in the MR's notes.

mod answers;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use self::answers::{CommitStatus, ErrorBody, MergeRequest, Note, Project, TokenSelf, User};
use crate::connections::Forge;
use crate::error::ForgeError;
use crate::remote_url::ForgeRepo;
use crate::{
    Check, CheckState, Feedback, FeedbackKind, Issue, MergeMethod, NewPullRequest, PullRequest,
    PullRequestFeedback, PullRequestState, RepoAccess, Reviewer, TokenReport, Verdict,
};

/// The scope a token needs to push, open and merge merge requests, and comment.
const NEEDED_SCOPES: &[&str] = &["api"];
/// The access level that may push to a project (Developer).
const DEVELOPER: u32 = 30;
/// GitLab's largest page.
const PER_PAGE: &str = "100";

/// A client of one GitLab connection.
#[derive(Clone)]
pub struct GitLab {
    forge: String,
    /// The API's root, ending in `/` (`https://gitlab.com/api/v4/`).
    api: url::Url,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for GitLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitLab").field("forge", &self.forge).finish_non_exhaustive()
    }
}

impl GitLab {
    pub fn new(forge: &Forge) -> Result<Self, ForgeError> {
        let config = |message: String| ForgeError::Config { forge: forge.name.clone(), message };
        let mut api = forge.api_url.clone();
        if api.cannot_be_a_base() {
            return Err(config(format!("api_url {api} is not an http(s) URL")));
        }
        if !api.path().ends_with('/') {
            api.set_path(&format!("{}/", api.path()));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("spectask/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| config(format!("cannot make its client: {e}")))?;
        Ok(Self { forge: forge.name.clone(), api, token: forge.token.clone(), http })
    }

    /// The token's user, its scopes and those it lacks.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let what = "read the token's user";
        let user: User = self.send(self.request(Method::GET, &["user"]), what).await?;
        let what = "read the token's scopes";
        let token: TokenSelf =
            self.send(self.request(Method::GET, &["personal_access_tokens", "self"]), what).await?;
        let missing = NEEDED_SCOPES
            .iter()
            .filter(|needed| !token.scopes.iter().any(|s| s == *needed))
            .map(|s| (*s).to_owned())
            .collect();
        Ok(TokenReport { login: user.username, scopes: Some(token.scopes), missing })
    }

    /// Whether the token sees the project and may push to it (Developer or above).
    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let project: Project = self.send(self.project(Method::GET, repo, &[]), &what).await?;
        let level = project
            .permissions
            .map(|p| {
                let levels = [p.project_access, p.group_access];
                levels.into_iter().flatten().map(|a| a.access_level).max().unwrap_or(0)
            })
            .unwrap_or(0);
        Ok(RepoAccess {
            default_branch: project.default_branch.unwrap_or_default(),
            push: level >= DEVELOPER,
        })
    }

    /// The newest merge request from `head` into `base`, open or not.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let what = format!("list the merge requests of {repo}");
        let query =
            [("source_branch", head), ("target_branch", base), ("state", "all"), ("per_page", PER_PAGE)];
        let request = self.project(Method::GET, repo, &["merge_requests"]).query(&query);
        let found: Vec<MergeRequest> = self.send(request, &what).await?;
        Ok(found.into_iter().max_by_key(|m| m.iid).map(pull_request))
    }

    /// Opens a merge request; a draft's title starts `Draft:`, GitLab's mark.
    pub async fn open_pull_request(
        &self,
        repo: &ForgeRepo,
        new: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let what = format!("open a merge request from {} into {} in {repo}", new.head, new.base);
        let title = if new.draft { format!("Draft: {}", new.title) } else { new.title.clone() };
        let body = json!({
            "source_branch": new.head,
            "target_branch": new.base,
            "title": title,
            "description": new.body,
        });
        let request = self.project(Method::POST, repo, &["merge_requests"]).json(&body);
        Ok(pull_request(self.send(request, &what).await?))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("merge request !{number} of {repo}");
        let iid = number.to_string();
        let request = self.project(Method::GET, repo, &["merge_requests", &iid]);
        Ok(pull_request(self.send(request, &what).await?))
    }

    /// The people's notes on merge request `number`: a note on the diff is a line comment; any
    /// other is a review, asking for changes when its author is a reviewer in the state
    /// `requested_changes`.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let iid = number.to_string();
        let what = format!("the reviewers of merge request !{number} of {repo}");
        let request = self.project(Method::GET, repo, &["merge_requests", &iid, "reviewers"]);
        let reviewers: Vec<answers::Reviewer> = self.send(request, &what).await?;
        let reviewers = Reviewer::latest(reviewers.into_iter().filter_map(|r| {
            let verdict = match r.state.as_deref()? {
                "approved" => Verdict::Approved,
                "requested_changes" => Verdict::ChangesRequested,
                "reviewed" => Verdict::Commented,
                _ => return None,
            };
            Some((r.user.username, verdict))
        }));
        let asking: Vec<String> = reviewers
            .iter()
            .filter(|r| r.verdict == Verdict::ChangesRequested)
            .map(|r| r.login.clone())
            .collect();
        let what = format!("the notes of merge request !{number} of {repo}");
        let query = [("sort", "asc"), ("order_by", "created_at"), ("per_page", PER_PAGE)];
        let request = self.project(Method::GET, repo, &["merge_requests", &iid, "notes"]).query(&query);
        let notes: Vec<Note> = self.send(request, &what).await?;
        let items = notes.into_iter().filter(|n| !n.system).map(|note| feedback(note, &asking)).collect();
        Ok(PullRequestFeedback { items, reviewers })
    }

    /// The commit statuses of `sha` (pipeline jobs and external checks), the newest of each name.
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let what = format!("the statuses of {sha} in {repo}");
        let path = ["repository", "commits", sha, "statuses"];
        let request = self.project(Method::GET, repo, &path).query(&[("per_page", PER_PAGE)]);
        let statuses: Vec<CommitStatus> = self.send(request, &what).await?;
        let mut newest: BTreeMap<String, CommitStatus> = BTreeMap::new();
        for status in statuses {
            if newest.get(&status.name).is_none_or(|seen| seen.id < status.id) {
                newest.insert(status.name.clone(), status);
            }
        }
        Ok(newest.into_values().map(check).collect())
    }

    /// Merges merge request `number` if its head is still `sha`. GitLab merges by the project's
    /// merge method (merge commit, or fast-forward); `squash` squashes first, and `rebase` is the
    /// project's fast-forward method when it has one.
    pub async fn merge_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        method: MergeMethod,
        sha: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("merge merge request !{number} of {repo}");
        let iid = number.to_string();
        let body = json!({ "sha": sha, "squash": method == MergeMethod::Squash });
        let request = self.project(Method::PUT, repo, &["merge_requests", &iid, "merge"]).json(&body);
        let _: MergeRequest = self.send(request, &what).await?;
        Ok(())
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let iid = number.to_string();
        let found: answers::Issue =
            self.send(self.project(Method::GET, repo, &["issues", &iid]), &what).await?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let query = [
            ("labels", label),
            ("state", "opened"),
            ("order_by", "created_at"),
            ("sort", "desc"),
            ("per_page", PER_PAGE),
        ];
        let request = self.project(Method::GET, repo, &["issues"]).query(&query);
        let found: Vec<answers::Issue> = self.send(request, &what).await?;
        Ok(found.into_iter().map(issue).collect())
    }

    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        let what = format!("close issue #{number} of {repo}");
        let iid = number.to_string();
        let request =
            self.project(Method::PUT, repo, &["issues", &iid]).json(&json!({ "state_event": "close" }));
        let _: answers::Issue = self.send(request, &what).await?;
        Ok(())
    }

    pub async fn comment_on_issue(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("comment on issue #{number} of {repo}");
        self.note(repo, "issues", number, body, &what).await
    }

    pub async fn comment_on_pull_request(
        &self,
        repo: &ForgeRepo,
        number: u64,
        body: &str,
    ) -> Result<(), ForgeError> {
        let what = format!("comment on merge request !{number} of {repo}");
        self.note(repo, "merge_requests", number, body, &what).await
    }

    async fn note(
        &self,
        repo: &ForgeRepo,
        on: &str,
        number: u64,
        body: &str,
        what: &str,
    ) -> Result<(), ForgeError> {
        let iid = number.to_string();
        let request = self.project(Method::POST, repo, &[on, &iid, "notes"]).json(&json!({ "body": body }));
        let _: Note = self.send(request, what).await?;
        Ok(())
    }

    /// A request to `<api>/<segments…>`, each segment percent-encoded whole.
    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let mut url = self.api.clone();
        // An http(s) URL (checked in `new`) always has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        self.http.request(method, url).header("PRIVATE-TOKEN", &self.token)
    }

    /// A request to `<api>/projects/<owner%2Fname>/<segments…>`.
    fn project(&self, method: Method, repo: &ForgeRepo, segments: &[&str]) -> RequestBuilder {
        let id = repo.to_string();
        let path: Vec<&str> = ["projects", id.as_str()].into_iter().chain(segments.iter().copied()).collect();
        self.request(method, &path)
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder, what: &str) -> Result<T, ForgeError> {
        let unavailable = |message: String| ForgeError::Unavailable { forge: self.forge.clone(), message };
        let response =
            request.send().await.map_err(|e| unavailable(format!("{what}: {}", e.without_url())))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| unavailable(format!("{what}: {}", e.without_url())))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| unavailable(format!("cannot read {what}: {e}")));
        }
        let message = serde_json::from_str::<ErrorBody>(&text).map(|b| b.text()).unwrap_or(text);
        Err(self.refusal(what, status, message))
    }

    /// A refusal in words: `what` names what was asked.
    fn refusal(&self, what: &str, status: StatusCode, message: String) -> ForgeError {
        let forge = self.forge.clone();
        match status.as_u16() {
            401 => ForgeError::Unauthorized { forge, message },
            404 => ForgeError::NotFound { forge, what: what.to_owned() },
            429 => ForgeError::RateLimited { forge, status: 429 },
            code @ 500.. => ForgeError::Unavailable { forge, message: format!("HTTP {code}: {message}") },
            code => ForgeError::Refused { forge, what: what.to_owned(), status: Some(code), message },
        }
    }
}

fn pull_request(found: MergeRequest) -> PullRequest {
    let state = match found.state.as_str() {
        "merged" => PullRequestState::Merged,
        "closed" => PullRequestState::Closed,
        // `opened`, and `locked` (a merge in progress).
        _ => PullRequestState::Open,
    };
    PullRequest {
        number: found.iid,
        url: found.web_url,
        state,
        head_sha: found.sha.unwrap_or_default(),
        draft: found.draft,
    }
}

fn feedback(note: Note, asking: &[String]) -> Feedback {
    let on_diff = note.kind.as_deref() == Some("DiffNote");
    let kind = match note.position.filter(|_| on_diff) {
        Some(position) => FeedbackKind::LineComment {
            path: position.new_path.or(position.old_path).unwrap_or_default(),
            line: position.new_line.or(position.old_line),
        },
        None => FeedbackKind::Review { changes_requested: asking.contains(&note.author.username) },
    };
    Feedback { id: note.id, kind, author: note.author.username, body: note.body }
}

fn check(status: CommitStatus) -> Check {
    let state = match status.status.as_str() {
        "success" | "skipped" => CheckState::Passed,
        "failed" if status.allow_failure => CheckState::Passed,
        "failed" | "canceled" => CheckState::Failed,
        _ => CheckState::Pending,
    };
    Check {
        name: status.name,
        state,
        url: status.target_url,
        summary: status.description.unwrap_or_default(),
    }
}

fn issue(found: answers::Issue) -> Issue {
    Issue {
        number: found.iid,
        title: found.title,
        body: found.description.unwrap_or_default(),
        url: found.web_url,
        open: found.state == "opened",
        is_pull_request: false,
    }
}
