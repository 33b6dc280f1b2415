//! The fake forges of `tools/fake-forge`, for tests (feature `test-support`): stateful fakes of
//! GitHub's, GitLab's and Forgejo's REST APIs over one state. GitHub's is behind Stoplight Prism,
//! which holds every request and answer to GitHub's OpenAPI description (`@octokit/openapi`);
//! Forgejo's behind another Prism, holding them to Forgejo's Swagger description (the one the
//! `forgejo-api` crate ships). GitLab publishes no description in a package registry: its fake is
//! written from GitLab's REST documentation. One per test process, shared by its tests (each test
//! registers its own repositories and tokens); it ends when the process does. [`OnFake`] is a
//! repository there, with a token of exactly the documented scopes and a connection to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use crate::{Forge, ForgeClient, ForgeRepo, Forges, NewPullRequest};

/// The fake's addresses: each forge's API, and its own admin API.
#[derive(Debug)]
pub struct FakeForge {
    /// GitHub's API base URL spectask is given (`api_url`): every request goes through Prism.
    pub api: String,
    /// GitLab's root (its API is under `/api/v4`).
    pub gitlab: String,
    /// Forgejo's root through its Prism (its API is under `/api/v1`).
    pub forgejo: String,
    /// The fake's own address, for the test's admin calls (not validated).
    pub admin: String,
    _launcher: Mutex<Child>,
}

impl FakeForge {
    /// The `api_url` of the forge of `kind` (`github`, `gitlab` or `forgejo`).
    pub fn api_url(&self, kind: &str) -> String {
        match kind {
            "gitlab" => format!("{}/api/v4", self.gitlab),
            "forgejo" => format!("{}/api/v1", self.forgejo),
            _ => self.api.clone(),
        }
    }
}

/// The fake of this test process, started at first use (Prism loads the descriptions in seconds).
///
/// # Panics
/// When the fake's packages are not installed, or it does not start.
pub fn fake_forge() -> &'static FakeForge {
    static FAKE: OnceLock<FakeForge> = OnceLock::new();
    FAKE.get_or_init(start)
}

/// Where the fake forge's sources are.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/fake-forge")
}

fn start() -> FakeForge {
    let dir = tools_dir();
    assert!(
        dir.join("node_modules/@stoplight/prism-cli").is_dir(),
        "the fake forge's packages are not installed: run `npm ci` in {} (scripts/test does)",
        dir.display()
    );
    let mut launcher = Command::new("node")
        .arg(dir.join("start.mjs"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the fake forge (node)");
    let stdout = launcher.stdout.take().expect("the launcher's stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the fake forge's addresses");
    let addresses: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("the fake forge did not start ({e}): {line:?}"));
    let address =
        |key: &str| addresses[key].as_str().unwrap_or_else(|| panic!("{key} address: {line}")).to_owned();
    FakeForge {
        api: address("api"),
        gitlab: address("gitlab"),
        forgejo: address("forgejo"),
        admin: address("admin"),
        _launcher: Mutex::new(launcher),
    }
}

/// The forges each test runs on.
pub const FORGES: [&str; 3] = ["github", "gitlab", "forgejo"];

/// The scopes docs/forges.md says a token of the forge of `kind` needs.
pub fn documented_scopes(kind: &str) -> Vec<&'static str> {
    match kind {
        "gitlab" => vec!["api"],
        "forgejo" => vec!["write:repository", "write:issue"],
        _ => vec!["repo"],
    }
}

/// A repository `acme/<name>` (on GitLab in a subgroup, `acme/web/<name>`) on the fake forge of
/// `kind`, backed by a bare repository whose `feature` branch is one commit ahead of `main`, and a
/// connection to it.
pub struct OnFake {
    pub forge: Forge,
    pub repo: ForgeRepo,
    /// The tip of `feature`.
    pub head: String,
    /// The bare repository the fake serves it from.
    pub bare: PathBuf,
    /// The token registered on the fake for the repository (the connection's, unless another
    /// was given).
    pub token: String,
    fake: &'static FakeForge,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl OnFake {
    pub async fn new(kind: &str, name: &str) -> Self {
        Self::with_token(kind, name, None).await
    }

    /// [`OnFake::new`], the connection given `token` instead of the registered one.
    pub async fn with_token(kind: &str, name: &str, token: impl Into<Option<&str>>) -> Self {
        Self::make(kind, name, token.into(), false).await
    }

    /// [`OnFake::new`] with the connection to the fake itself, not through Prism: the same routes,
    /// faster, unvalidated (for a benchmark).
    pub async fn direct(kind: &str, name: &str) -> Self {
        Self::make(kind, name, None, true).await
    }

    /// # Panics
    /// When the fake forge or git fails.
    async fn make(kind: &str, name: &str, token: Option<&str>, direct: bool) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let fake = fake_forge();
        let name = format!("{name}-{kind}-{}", COUNT.fetch_add(1, Ordering::Relaxed));
        let dir = tempfile::tempdir().expect("set up the fake forge");
        let work = dir.path().join("work");
        git(dir.path(), &["init", "-q", "-b", "main", work.to_str().expect("set up the fake forge")]);
        let commit = |file: &str| {
            std::fs::write(work.join(file), format!("{file}\n")).expect("set up the fake forge");
            git(&work, &["add", file]);
            git(&work, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", file]);
        };
        commit("a.txt");
        git(&work, &["switch", "-q", "-c", "feature"]);
        commit("b.txt");
        let head = git(&work, &["rev-parse", "HEAD"]);
        let bare = dir.path().join("remote.git");
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().expect("set up the fake forge"),
                bare.to_str().expect("set up the fake forge"),
            ],
        );

        let owner = if kind == "gitlab" { "acme/web" } else { "acme" };
        let repo = ForgeRepo { owner: owner.to_owned(), name: name.clone() };
        let registered = format!("tok-{name}-{}", std::process::id());
        // The process's TLS provider, as the connection's client installs it.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let register = json!({ "forge": kind, "owner": owner, "name": name, "git_dir": bare });
        admin(&http, &fake.admin, "POST", "/_fake/repos", register).await;
        let body = json!({
            "token": registered,
            "login": "spectask-bot",
            "scopes": documented_scopes(kind),
            "grants": { repo.to_string(): "write" },
        });
        admin(&http, &fake.admin, "POST", "/_fake/tokens", body).await;

        let token_file = dir.path().join("token");
        std::fs::write(&token_file, format!("{}\n", token.unwrap_or(&registered)))
            .expect("set up the fake forge");
        let api_url = match (direct, kind) {
            (true, "gitlab") => format!("{}/api/v4", fake.admin),
            (true, "forgejo") => format!("{}/api/v1", fake.admin),
            (true, _) => fake.admin.clone(),
            (false, _) => fake.api_url(kind),
        };
        let config = format!(
            "[forges.fake]\nkind = \"{kind}\"\nhost = \"forge.invalid\"\napi_url = \"{api_url}\"\ntoken_file = \"{}\"\n",
            token_file.display()
        );
        let forge = Forges::from_toml(&config)
            .expect("set up the fake forge")
            .named("fake")
            .cloned()
            .expect("set up the fake forge");
        Self { forge, repo, head, bare, token: registered, fake, http, _dir: dir }
    }

    pub fn client(&self) -> ForgeClient {
        ForgeClient::new(&self.forge)
    }

    /// An admin call, which must succeed; its JSON answer.
    ///
    /// # Panics
    /// When the call fails.
    pub async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        admin(&self.http, &self.fake.admin, method, path, body).await
    }

    /// An admin call on this repository: `/_fake/repos/<owner>/<name><path>`.
    pub async fn act(&self, method: &str, path: &str, body: Value) -> Value {
        let owner = self.repo.owner.replace('/', "%2F");
        self.admin(method, &format!("/_fake/repos/{owner}/{}{path}", self.repo.name), body).await
    }

    /// A commit status of `feature`'s tip (a status on GitHub, a job on GitLab).
    pub async fn status(&self, context: &str, state: &str) {
        self.act("POST", &format!("/statuses/{}", self.head), json!({ "state": state, "context": context }))
            .await;
    }

    /// A check run of `feature`'s tip.
    pub async fn check_run(&self, name: &str, conclusion: &str) {
        let body = json!({ "head_sha": self.head, "name": name, "conclusion": conclusion });
        self.act("POST", "/check-runs", body).await;
    }

    /// Sets the token's rate limits (see the fake's `/_fake/tokens/:token/limits`).
    pub async fn limits(&self, limits: &Value) {
        self.admin("POST", &format!("/_fake/tokens/{}/limits", self.token), limits.clone()).await;
    }

    /// A pull request from `feature` into `main`, opened through the client: its number.
    pub async fn open_pull_request(&self) -> u64 {
        self.open_pull_request_from("feature").await
    }

    /// A pull request from `head` into `main`, opened through the client: its number.
    ///
    /// # Panics
    /// When the forge refuses it.
    pub async fn open_pull_request_from(&self, head: &str) -> u64 {
        let new = NewPullRequest {
            title: format!("Add b from {head}"),
            body: "b".into(),
            head: head.into(),
            base: "main".into(),
            draft: false,
        };
        self.client().open_pull_request(&self.repo, &new).await.expect("set up the fake forge").number
    }

    /// The API requests the fake answered about this repository, in order.
    pub async fn requests_of_repo(&self) -> Vec<Value> {
        let all = self.admin("GET", "/_fake/requests", Value::Null).await;
        let plain = format!("/{}/", self.repo);
        let encoded = format!("/{}", self.repo.to_string().replace('/', "%2F"));
        all.as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["path"].as_str().is_some_and(|p| {
                    p.contains(&plain) || p.ends_with(&format!("/{}", self.repo)) || p.contains(&encoded)
                })
            })
            .cloned()
            .collect()
    }
}

/// A call of the fake's admin API at `base`, which must succeed; its JSON answer.
async fn admin(http: &reqwest::Client, base: &str, method: &str, path: &str, body: Value) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("set up the fake forge");
    let answer = http
        .request(method.clone(), format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("set up the fake forge");
    let status = answer.status();
    let text = answer.text().await.expect("set up the fake forge");
    assert!(status.is_success(), "{method} {path} on the fake forge: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
