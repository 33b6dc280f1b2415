//! GitLab's answers, as far as spectask reads them (docs.gitlab.com/api: users, personal access
//! tokens, projects, merge requests, notes, commits, issues). Fields GitLab may leave out or send
//! as `null` are `Option` or defaulted.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct User {
    pub username: String,
}

/// `GET /personal_access_tokens/self`.
#[derive(Debug, Deserialize)]
pub(super) struct TokenSelf {
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Project {
    pub default_branch: Option<String>,
    pub web_url: Option<String>,
    pub permissions: Option<Permissions>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Permissions {
    pub project_access: Option<Access>,
    pub group_access: Option<Access>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Access {
    pub access_level: u32,
}

#[derive(Debug, Deserialize)]
pub(super) struct MergeRequest {
    pub iid: u64,
    pub web_url: String,
    /// `opened`, `closed`, `locked` or `merged`.
    pub state: String,
    /// The head of the source branch.
    pub sha: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Note {
    pub id: u64,
    pub body: String,
    pub author: User,
    /// GitLab's own notes ("added 1 commit", "approved this merge request").
    #[serde(default)]
    pub system: bool,
    /// `DiffNote` for a comment on the diff; `null` or `DiscussionNote` otherwise.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub position: Option<Position>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Position {
    pub new_path: Option<String>,
    pub new_line: Option<u64>,
    pub old_path: Option<String>,
    pub old_line: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Reviewer {
    pub user: User,
    /// `unreviewed`, `reviewed`, `requested_changes`, `approved` or `unapproved`.
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommitStatus {
    pub id: u64,
    pub name: String,
    /// `created`, `pending`, `running`, `success`, `failed`, `canceled`, `skipped`, `manual`, …
    pub status: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub allow_failure: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Issue {
    pub iid: u64,
    pub title: String,
    pub description: Option<String>,
    pub web_url: String,
    /// `opened` or `closed`.
    pub state: String,
}
