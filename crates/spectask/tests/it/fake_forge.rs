//! The fake GitHub of `tools/fake-forge`: a stateful fake of GitHub's REST API behind Stoplight
//! Prism, which holds every request spectask makes and every answer the fake gives to GitHub's
//! official OpenAPI description (`@octokit/openapi`). One per test process, shared by its tests
//! (each test registers its own repositories and tokens); it ends when this process does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use crate::support::{http, http_as};

/// The fake's two addresses: the API through the validating proxy, and its own admin API.
pub struct FakeGitHub {
    /// The API base URL spectask is given (`api_url`): every request goes through Prism.
    pub api: String,
    /// The fake's own address, for the test's admin calls (not validated).
    pub admin: String,
    _launcher: Mutex<Child>,
}

/// The fake of this test process, started at first use (Prism loads the description in ~15 s).
pub fn fake_github() -> &'static FakeGitHub {
    static FAKE: OnceLock<FakeGitHub> = OnceLock::new();
    FAKE.get_or_init(start)
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/fake-forge")
}

fn start() -> FakeGitHub {
    let dir = tools_dir();
    assert!(
        dir.join("node_modules/@stoplight/prism-cli").is_dir(),
        "the fake GitHub's packages are not installed: run `npm ci` in {} (scripts/test does)",
        dir.display()
    );
    let mut launcher = Command::new("node")
        .arg(dir.join("start.mjs"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the fake GitHub (node)");
    let stdout = launcher.stdout.take().expect("the launcher's stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the fake GitHub's addresses");
    let addresses: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("the fake GitHub did not start ({e}): {line:?}"));
    FakeGitHub {
        api: addresses["api"].as_str().expect("api address").to_owned(),
        admin: addresses["admin"].as_str().expect("admin address").to_owned(),
        _launcher: Mutex::new(launcher),
    }
}

impl FakeGitHub {
    /// An admin call, which must succeed; its JSON answer.
    pub fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, text) = http(&self.admin, method, path, Some(&body.to_string()));
        assert!((200..300).contains(&status), "{method} {path} on the fake GitHub: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Serves the bare repository `git_dir` as `owner/name`.
    pub fn add_repo(&self, owner: &str, name: &str, git_dir: &Path) {
        let body = json!({ "owner": owner, "name": name, "git_dir": git_dir });
        self.admin("POST", "/_fake/repos", body);
    }

    /// A classic token of `login` with `scopes` and `grant` (`read`, `write`, `admin`) on `repo`.
    pub fn add_token(&self, token: &str, login: &str, scopes: &[&str], repo: &str, grant: &str) {
        let body = json!({ "token": token, "login": login, "scopes": scopes, "grants": { repo: grant } });
        self.admin("POST", "/_fake/tokens", body);
    }

    /// The pull requests of `repo` (`owner/name`), read through the validated API with `token`.
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
}
