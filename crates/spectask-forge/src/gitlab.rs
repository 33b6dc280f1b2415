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

use reqwest::Method;
use serde_json::json;

use self::answers::{CommitStatus, MergeRequest, Note, Project, TokenSelf, User};
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

/// A client of one GitLab connection.
#[derive(Clone, Debug)]
pub struct GitLab {
    forge: Forge,
}

/// `projects/<owner%2Fname>/<more…>`: a project is named by its path, encoded as one segment.
fn project<'a>(id: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    ["projects", id].into_iter().chain(more.iter().copied()).collect()
}

impl GitLab {
    pub fn new(forge: &Forge) -> Self {
        Self { forge: forge.clone() }
    }

    /// The token's user, its scopes and those it lacks.
    pub async fn token_report(&self) -> Result<TokenReport, ForgeError> {
        let transport = self.forge.transport();
        let user: User = transport.get(&["user"], &[], "read the token's user").await?;
        let token: TokenSelf =
            transport.get(&["personal_access_tokens", "self"], &[], "read the token's scopes").await?;
        let missing = NEEDED_SCOPES
            .iter()
            .filter(|needed| !token.scopes.iter().any(|s| s == *needed))
            .map(|s| (*s).to_owned())
            .collect();
        Ok(TokenReport { login: Some(user.username), scopes: Some(token.scopes), missing })
    }

    /// Whether the token sees the project and may push to it (Developer or above).
    pub async fn repo_access(&self, repo: &ForgeRepo) -> Result<RepoAccess, ForgeError> {
        let what = format!("read {repo}");
        let id = repo.to_string();
        let project: Project = self.forge.transport().get(&project(&id, &[]), &[], &what).await?;
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
            web_url: project.web_url.unwrap_or_default(),
        })
    }

    /// The merge request from `head` into `base`: the open one, else the newest.
    pub async fn find_pull_request(
        &self,
        repo: &ForgeRepo,
        head: &str,
        base: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let what = format!("the merge requests from {head} into {base} of {repo}");
        let id = repo.to_string();
        let query = [("source_branch", head), ("target_branch", base), ("state", "all")];
        let found: Vec<MergeRequest> = self
            .forge
            .transport()
            .get_all(&project(&id, &["merge_requests"]), &query, &what, |page| page)
            .await?;
        Ok(crate::open_else_newest(found.into_iter().map(pull_request)))
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
        let id = repo.to_string();
        let opened: MergeRequest = self
            .forge
            .transport()
            .send(Method::POST, &project(&id, &["merge_requests"]), &body, &what)
            .await?;
        Ok(pull_request(opened))
    }

    pub async fn pull_request(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequest, ForgeError> {
        let what = format!("merge request !{number} of {repo}");
        let (id, iid) = (repo.to_string(), number.to_string());
        let found: MergeRequest =
            self.forge.transport().get(&project(&id, &["merge_requests", &iid]), &[], &what).await?;
        Ok(pull_request(found))
    }

    /// The people's notes on merge request `number`, every page: a note on the diff is a line
    /// comment; any other is a review, asking for changes when its author is a reviewer in the
    /// state `requested_changes`.
    pub async fn feedback(&self, repo: &ForgeRepo, number: u64) -> Result<PullRequestFeedback, ForgeError> {
        let transport = self.forge.transport();
        let (id, iid) = (repo.to_string(), number.to_string());
        // The notes before the reviewers: a review landing between the two reads is then read
        // with its author's verdict (read the other way, its note would read as a comment).
        let what = format!("the notes of merge request !{number} of {repo}");
        let query = [("sort", "asc"), ("order_by", "created_at")];
        let notes: Vec<Note> = transport
            .get_all(&project(&id, &["merge_requests", &iid, "notes"]), &query, &what, |page| page)
            .await?;
        let what = format!("the reviewers of merge request !{number} of {repo}");
        let reviewers: Vec<answers::Reviewer> = transport
            .get_all(&project(&id, &["merge_requests", &iid, "reviewers"]), &[], &what, |page| page)
            .await?;
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
        let items = notes.into_iter().filter(|n| !n.system).map(|note| feedback(note, &asking)).collect();
        Ok(PullRequestFeedback { items, reviewers })
    }

    /// The commit statuses of `sha` (pipeline jobs and external checks), every page, the newest
    /// of each name.
    pub async fn checks(&self, repo: &ForgeRepo, sha: &str) -> Result<Vec<Check>, ForgeError> {
        let what = format!("the statuses of {sha} in {repo}");
        let id = repo.to_string();
        let path = project(&id, &["repository", "commits", sha, "statuses"]);
        let statuses: Vec<CommitStatus> =
            self.forge.transport().get_all(&path, &[], &what, |page| page).await?;
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
        let (id, iid) = (repo.to_string(), number.to_string());
        let body = json!({ "sha": sha, "squash": method == MergeMethod::Squash });
        let path = project(&id, &["merge_requests", &iid, "merge"]);
        self.forge.transport().send_unread(Method::PUT, &path, &body, &what).await?;
        Ok(())
    }

    pub async fn issue(&self, repo: &ForgeRepo, number: u64) -> Result<Issue, ForgeError> {
        let what = format!("issue #{number} of {repo}");
        let (id, iid) = (repo.to_string(), number.to_string());
        let found: answers::Issue =
            self.forge.transport().get(&project(&id, &["issues", &iid]), &[], &what).await?;
        Ok(issue(found))
    }

    pub async fn labelled_issues(&self, repo: &ForgeRepo, label: &str) -> Result<Vec<Issue>, ForgeError> {
        let what = format!("the issues labelled {label:?} of {repo}");
        let id = repo.to_string();
        let query = [("labels", label), ("state", "opened"), ("order_by", "created_at"), ("sort", "desc")];
        let found: Vec<answers::Issue> =
            self.forge.transport().get_all(&project(&id, &["issues"]), &query, &what, |page| page).await?;
        Ok(found.into_iter().map(issue).collect())
    }

    pub async fn close_issue(&self, repo: &ForgeRepo, number: u64) -> Result<(), ForgeError> {
        let what = format!("close issue #{number} of {repo}");
        let (id, iid) = (repo.to_string(), number.to_string());
        let body = json!({ "state_event": "close" });
        self.forge
            .transport()
            .send_unread(Method::PUT, &project(&id, &["issues", &iid]), &body, &what)
            .await?;
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
        let (id, iid) = (repo.to_string(), number.to_string());
        let body = json!({ "body": body });
        self.forge
            .transport()
            .send_unread(Method::POST, &project(&id, &[on, &iid, "notes"]), &body, what)
            .await?;
        Ok(())
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
