//! A repository on the fake forge, a token for it with exactly the documented scopes, and the
//! connection to it: what the tests share.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use spectask_forge::testing::{FakeForge, fake_forge};
use spectask_forge::{Forge, ForgeClient, ForgeRepo, Forges, NewPullRequest};

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
    fake: &'static FakeForge,
    /// The token registered on the fake for the repository.
    token: String,
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
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let fake = fake_forge();
        let name = format!("{name}-{kind}-{}", COUNT.fetch_add(1, Ordering::Relaxed));
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        git(dir.path(), &["init", "-q", "-b", "main", work.to_str().unwrap()]);
        let commit = |file: &str| {
            std::fs::write(work.join(file), format!("{file}\n")).unwrap();
            git(&work, &["add", file]);
            git(&work, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", file]);
        };
        commit("a.txt");
        git(&work, &["switch", "-q", "-c", "feature"]);
        commit("b.txt");
        let head = git(&work, &["rev-parse", "HEAD"]);
        let bare = dir.path().join("remote.git");
        git(dir.path(), &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);

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
        std::fs::write(&token_file, format!("{}\n", token.into().unwrap_or(&registered))).unwrap();
        let config = format!(
            "[forges.fake]\nkind = \"{kind}\"\nhost = \"forge.invalid\"\napi_url = \"{}\"\ntoken_file = \"{}\"\n",
            fake.api_url(kind),
            token_file.display()
        );
        let forge = Forges::from_toml(&config).unwrap().named("fake").cloned().unwrap();
        Self { forge, repo, head, fake, token: registered, http, _dir: dir }
    }

    pub fn client(&self) -> ForgeClient {
        ForgeClient::new(&self.forge)
    }

    /// An admin call, which must succeed; its JSON answer.
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
        let new = NewPullRequest {
            title: "Add b".into(),
            body: "b".into(),
            head: "feature".into(),
            base: "main".into(),
            draft: false,
        };
        self.client().open_pull_request(&self.repo, &new).await.unwrap().number
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
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let answer = http.request(method.clone(), format!("{base}{path}")).json(&body).send().await.unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert!(status.is_success(), "{method} {path} on the fake forge: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
