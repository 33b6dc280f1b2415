//! A repository on the fake forge and a server connected to it: what the forge tests share.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_forge::{FakeForge, FakeForgeExt, fake_forge};
use crate::git_http::GitHttp;
use crate::implementation::git;
use crate::planning::wait_for_status;
use crate::support::{CoderConfig, Server, coder_data, git_repo, json, stderr};

/// The scripted agent's answers: a changelog first, then what a review or a failing check asks.
pub const CHANGELOG: &str = "[[rule]]\nmatch = \"*check `test` failed: 1 test failed*\"\nsteps = [\n  { write_file = { path = \"FIXED.md\", content = \"fixed\\n\" } },\n  { message = \"Fixed the test.\" },\n]\n\n[[rule]]\nmatch = \"*reviewer asked for changes*CHANGELOG.md:2*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\\n- Added a changelog.\\n- Dated it.\\n\" } },\n  { message = \"Dated the change.\" },\n]\n\n[[rule]]\nmatch = \"*reviewer asked for changes*CHANGELOG.md:1*\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\\n- Added a changelog.\\n\" } },\n  { message = \"Listed the change.\" },\n]\n\n[[rule]]\nmatch = \"*Your task: Add notes*\"\nsteps = [\n  { write_file = { path = \"NOTES.md\", content = \"notes\\n\" } },\n  { message = \"Added NOTES.md.\" },\n]\n\n[[rule]]\nmatch = \"*Your task: *\"\nsteps = [\n  { write_file = { path = \"CHANGELOG.md\", content = \"# Changes\\n\" } },\n  { message = \"Added CHANGELOG.md.\" },\n]\n";

/// A repository `acme/<name>` on the fake forge of `kind` (`github`, `gitlab`, `forgejo`; on GitLab
/// in a subgroup, `acme/web/<name>`), backed by a bare repository served over smart HTTP, and a
/// server configured with a forge connection to it whose token has `grant`.
pub struct OnForge {
    pub kind: &'static str,
    pub repo: String,
    pub bare: PathBuf,
    pub url: String,
    pub token: String,
    pub server: Server,
    pub fake: &'static FakeForge,
    _http: GitHttp,
}

impl OnForge {
    pub fn start(kind: &'static str, dir: &Path, name: &str, grant: &str) -> Self {
        Self::start_with(kind, dir, name, grant, "")
    }

    /// [`OnForge::start`] with `orchestrator` lines in the configuration's `[orchestrator]`.
    pub fn start_with(kind: &'static str, dir: &Path, name: &str, grant: &str, orchestrator: &str) -> Self {
        Self::start_configured(kind, dir, name, grant, orchestrator, "poll_seconds = 0.2\n")
    }

    /// [`OnForge::start_with`] with `forge` lines in the connection's `[forges.fake]`.
    pub fn start_configured(
        kind: &'static str,
        dir: &Path,
        name: &str,
        grant: &str,
        orchestrator: &str,
        forge: &str,
    ) -> Self {
        let fake = fake_forge();
        let source = git_repo(dir, "source");
        // GitLab's groups nest: its repository is in a subgroup.
        let owner = if kind == "gitlab" { "acme/web" } else { "acme" };
        let bare = dir.join("remote").join(owner).join(format!("{name}.git"));
        git(dir, &["clone", "-q", "--bare", source.to_str().unwrap(), bare.to_str().unwrap()]);
        git(&bare, &["config", "http.receivepack", "true"]);
        let http = GitHttp::serve(&dir.join("remote"));
        let url = format!("{}/{owner}/{name}.git", http.base);
        let repo = format!("{owner}/{name}");
        // Tokens are per test: the fake is shared by the test process.
        let token = format!("ghp_{}_{}", name, std::process::id());
        fake.add_repo(kind, owner, name, &bare);
        let scopes = spectask_forge::testing::documented_scopes(kind);
        fake.add_token(&token, "spectask-bot", &scopes, &repo, grant);

        let config = CoderConfig { orchestrator, ..CoderConfig::default() };
        let (data, _) = coder_data(dir, CHANGELOG, &config);
        let token_file = dir.join("forge-token");
        std::fs::write(&token_file, format!("{token}\n")).unwrap();
        let host = http.base.trim_start_matches("http://");
        let api_url = fake.api_url(kind);
        let forge = format!(
            "\n[forges.fake]\nkind = \"{kind}\"\nhost = \"{host}\"\napi_url = \"{api_url}\"\ntoken_file = \"{}\"\n{forge}",
            token_file.display()
        );
        let config = data.join("config.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&forge);
        std::fs::write(&config, text).unwrap();
        let server = Server::start(&data, None);
        Self { kind, repo, bare, url, token, server, fake, _http: http }
    }

    /// The page of issue `number` as the forge shows it.
    pub fn issue_url(&self, number: u64) -> String {
        let host = self.url.trim_start_matches("http://").split('/').next().unwrap_or_default();
        let issues = if self.kind == "gitlab" { "-/issues" } else { "issues" };
        format!("https://{host}/{}/{issues}/{number}", self.repo)
    }

    /// An admin call on this repository: `/_fake/repos/<owner>/<name><path>`, a nested owner
    /// encoded as one segment.
    pub fn act(&self, method: &str, path: &str, body: Value) -> Value {
        let (owner, name) = self.repo.rsplit_once('/').unwrap();
        let owner = owner.replace('/', "%2F");
        self.fake.admin(method, &format!("/_fake/repos/{owner}/{name}{path}"), body)
    }

    /// `repo add URL --merge-policy pull_request --json`, which must succeed; the clone's path.
    pub fn add(&self) -> PathBuf {
        self.add_with(&[])
    }

    /// [`OnForge::add`] with more `repo add` arguments.
    pub fn add_with(&self, extra: &[&str]) -> PathBuf {
        let mut args = vec!["repo", "add", self.url.as_str(), "--merge-policy", "pull_request", "--json"];
        args.extend_from_slice(extra);
        let added = self.server.task_like(&args);
        assert!(added.status.success(), "{}", stderr(&added));
        let added = json(&added);
        assert_eq!(added["merge_policy"], "pull_request", "{added}");
        PathBuf::from(added["path"].as_str().unwrap())
    }

    /// A coding-session task in `clone`, approved once in review: its id and handle.
    pub fn approved_task(&self, clone: &Path, title: &str) -> (String, String) {
        let id = self.server.coding_session(clone, title, title);
        let task = wait_for_status(&self.server, &id, "implementation_review");
        let approved = self.server.task(&["approve", &id]);
        assert!(approved.status.success(), "{}", stderr(&approved));
        (id, task["handle"].as_str().unwrap().to_owned())
    }

    /// A task approved in `clone` whose pull request is open: its id, branch and pull request number.
    pub fn opened(&self, clone: &Path, title: &str) -> (String, String, u64) {
        let (id, handle) = self.approved_task(clone, title);
        let task = self
            .wait_for_pr(&id, "the pull request was not opened", |t| t["pull_request"]["number"].is_u64());
        (id, format!("spectask/{handle}"), task["pull_request"]["number"].as_u64().unwrap_or_default())
    }

    /// Waits until the task's `pull_request` satisfies `done`; the task.
    pub fn wait_for_pr(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let task = self.server.task_json(&["show", id, "--json"]);
            if done(&task) {
                return task;
            }
            assert!(
                Instant::now() < deadline && task["status"] != "failed",
                "{what}: {task:#}\nrequests: {:#?}",
                self.fake.requests()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
