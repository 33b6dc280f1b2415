//! The fake forges of `tools/fake-forge`, for tests (feature `test-support`): stateful fakes of
//! GitHub's, GitLab's and Forgejo's REST APIs over one state. GitHub's is behind Stoplight Prism,
//! which holds every request and answer to GitHub's OpenAPI description (`@octokit/openapi`);
//! Forgejo's behind another Prism, holding them to Forgejo's Swagger description (the one the
//! `forgejo-api` crate ships). GitLab publishes no description in a package registry: its fake is
//! written from GitLab's REST documentation. One per test process, shared by its tests (each test
//! registers its own repositories and tokens); it ends when the process does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

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
