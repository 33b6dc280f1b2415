//! The fake forge of `tools/fake-forge`: stateful fakes of GitHub's, GitLab's and Forgejo's REST
//! APIs over one state. GitHub's is behind Stoplight Prism, which holds every request spectask
//! makes and every answer the fake gives to GitHub's official OpenAPI description
//! (`@octokit/openapi`); Forgejo's behind another Prism, holding them to Forgejo's Swagger
//! description (the one the `forgejo-api` crate ships). GitLab publishes no description in a
//! package registry: its fake is written from GitLab's REST documentation. One per test process,
//! shared by its tests (each test registers its own repositories and tokens); it ends when this
//! process does.

use serde_json::{Value, json};
pub use spectask_forge::testing::{FakeForge, fake_forge};

use crate::implementation::wait_for_state;
use crate::support::{http, http_as};

/// The test's calls of the fake's admin API, and what GitHub's shows.
pub trait FakeForgeExt {
    fn admin(&self, method: &str, path: &str, body: Value) -> Value;
    fn add_repo(&self, forge: &str, owner: &str, name: &str, git_dir: &std::path::Path);
    fn add_token(&self, token: &str, login: &str, scopes: &[&str], repo: &str, grant: &str);
    fn pulls(&self, repo: &str, token: &str) -> Vec<Value>;
    fn requests(&self) -> Vec<Value>;
    fn wait_for_reads(&self, path: &str, more: usize);
}

impl FakeForgeExt for FakeForge {
    /// An admin call, which must succeed; its JSON answer.
    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, text) = http(&self.admin, method, path, Some(&body.to_string()));
        assert!((200..300).contains(&status), "{method} {path} on the fake forge: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Serves the bare repository `git_dir` as `owner/name` on `forge` (`github`, `gitlab`,
    /// `forgejo`).
    fn add_repo(&self, forge: &str, owner: &str, name: &str, git_dir: &std::path::Path) {
        let body = json!({ "forge": forge, "owner": owner, "name": name, "git_dir": git_dir });
        self.admin("POST", "/_fake/repos", body);
    }

    /// A classic token of `login` with `scopes` and `grant` (`read`, `write`, `admin`) on `repo`.
    fn add_token(&self, token: &str, login: &str, scopes: &[&str], repo: &str, grant: &str) {
        let body = json!({ "token": token, "login": login, "scopes": scopes, "grants": { repo: grant } });
        self.admin("POST", "/_fake/tokens", body);
    }

    /// The pull requests of `repo` (`owner/name`) on GitHub, read through the validated API with
    /// `token`.
    fn pulls(&self, repo: &str, token: &str) -> Vec<Value> {
        let path = format!("/repos/{repo}/pulls?state=all&per_page=100");
        let (status, text) = http_as(&self.api, Some(token), "GET", &path, None);
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str::<Value>(&text).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// Every API request the fake received (through Prism) for paths under `/repos/{owner}/{name}`
    /// or `/user`, in order: method, path, status.
    fn requests(&self) -> Vec<Value> {
        let (status, text) = http(&self.admin, "GET", "/_fake/requests", None);
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<Value>(&text).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// Waits until the fake has answered `more` further GETs of `path`: spectask's poller read it
    /// again, so whatever those readings could change has had its chance.
    fn wait_for_reads(&self, path: &str, more: usize) {
        let reads = |requests: &[Value]| {
            requests.iter().filter(|r| r["method"] == "GET" && r["path"] == path).count()
        };
        let until = reads(&self.requests()) + more;
        wait_for_state(&format!("{more} more reads of {path}"), || {
            let requests = self.requests();
            let last = &requests[requests.len().saturating_sub(40)..];
            if reads(&requests) >= until { Ok(()) } else { Err(format!("the last requests: {last:#?}")) }
        });
    }
}
