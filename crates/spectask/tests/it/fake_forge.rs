//! The fake forge of `tools/fake-forge`: stateful fakes of GitHub's, GitLab's and Forgejo's REST
//! APIs over one state. GitHub's is behind Stoplight Prism, which holds every request spectask
//! makes and every answer the fake gives to GitHub's official OpenAPI description
//! (`@octokit/openapi`); Forgejo's behind another Prism, holding them to Forgejo's Swagger
//! description (the one the `forgejo-api` crate ships). GitLab publishes no description in a
//! package registry: its fake is written from GitLab's REST documentation. One per test process,
//! shared by its tests (each test registers its own repositories and tokens); it ends when this
//! process does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use crate::implementation::wait_for_state;
use crate::support::{http, http_as};

/// The fake's addresses: each forge's API, and its own admin API.
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

/// The fake of this test process, started at first use (Prism loads the description in ~15 s).
pub fn fake_forge() -> &'static FakeForge {
    static FAKE: OnceLock<FakeForge> = OnceLock::new();
    FAKE.get_or_init(start)
}

fn tools_dir() -> PathBuf {
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
    let addresses: Value = serde_json::from_str(line.trim())
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

impl FakeForge {
    /// An admin call, which must succeed; its JSON answer.
    pub fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, text) = http(&self.admin, method, path, Some(&body.to_string()));
        assert!((200..300).contains(&status), "{method} {path} on the fake forge: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Serves the bare repository `git_dir` as `owner/name` on `forge` (`github`, `gitlab`,
    /// `forgejo`).
    pub fn add_repo(&self, forge: &str, owner: &str, name: &str, git_dir: &Path) {
        let body = json!({ "forge": forge, "owner": owner, "name": name, "git_dir": git_dir });
        self.admin("POST", "/_fake/repos", body);
    }

    /// A classic token of `login` with `scopes` and `grant` (`read`, `write`, `admin`) on `repo`.
    pub fn add_token(&self, token: &str, login: &str, scopes: &[&str], repo: &str, grant: &str) {
        let body = json!({ "token": token, "login": login, "scopes": scopes, "grants": { repo: grant } });
        self.admin("POST", "/_fake/tokens", body);
    }

    /// The pull requests of `repo` (`owner/name`) on GitHub, read through the validated API with
    /// `token`.
    pub fn pulls(&self, repo: &str, token: &str) -> Vec<Value> {
        let path = format!("/repos/{repo}/pulls?state=all&per_page=100");
        let (status, text) = http_as(&self.api, Some(token), "GET", &path, None);
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str::<Value>(&text).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// Every API request the fake received (through Prism) for paths under `/repos/{owner}/{name}`
    /// or `/user`, in order: method, path, status.
    pub fn requests(&self) -> Vec<Value> {
        let (status, text) = http(&self.admin, "GET", "/_fake/requests", None);
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<Value>(&text).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default()
    }

    /// Waits until the fake has answered `more` further GETs of `path`: spectask's poller read it
    /// again, so whatever those readings could change has had its chance.
    pub fn wait_for_reads(&self, path: &str, more: usize) {
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
