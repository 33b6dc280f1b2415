//! One work session per real agent, through the orchestrator and sandboxed (the presets' defaults):
//! the agent reads the README, writes `hello.txt`, runs `cat hello.txt` and answers; spectask
//! commits the file with trailers and records the session.
//!
//! - Claude Code (`@zed-industries/claude-agent-acp`, the last release that runs on Node.js 20)
//!   reads, writes and runs with its own system calls, asking spectask before the write.
//! - Codex (`@zed-industries/codex-acp`) runs commands and applies patches itself, in its own
//!   Landlock sandbox nested in spectask's.
//! - Gemini CLI reads and writes through ACP's `fs` methods, so through spectask's confinement.
//! - OpenCode (`opencode-ai`, a native binary) reads, writes and runs itself, asking spectask before
//!   the write and the command; its ACP layer talks to its own server on a loopback port spectask
//!   picks and opens.
//! - Qwen Code (`@qwen-code/qwen-code`, on Node.js 22 from the registry) asks spectask before the
//!   write and the command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::install::{node_modules, node22_bin};
use super::server::FakeModel;
use super::turn::{ANSWER, GREETING};
use super::{anthropic, chat, gemini, openai};
use crate::crash_restart::wait_for;
use crate::implementation::{git, sessions};
use crate::support::{Server, git_repo, http_json, stderr};

/// Claude Code's profile: the preset's `npx @agentclientprotocol/claude-agent-acp` needs Node.js 22.
pub(super) const CLAUDE: &str = "command = \"claude-agent-acp\"\n\
     env = { HOME = \"HOME_DIR\", ANTHROPIC_BASE_URL = \"MODEL_URL\", ANTHROPIC_API_KEY = \"sk-ant-test\" }";

/// Codex's profile; its model provider is in `~/.codex/config.toml` ([`codex_home`]).
pub(super) const CODEX: &str = "env = { HOME = \"HOME_DIR\", OPENAI_API_KEY = \"sk-test\" }";

/// Gemini CLI's profile.
pub(super) const GEMINI: &str =
    "env = { HOME = \"HOME_DIR\", GEMINI_API_KEY = \"test\", GOOGLE_GEMINI_BASE_URL = \"MODEL_URL\" }";

/// OpenCode's profile: its model provider in `OPENCODE_CONFIG_CONTENT` ([`opencode`]), which
/// OpenCode composes with the preset's `OPENCODE_PERMISSION` (ask before edits and commands). No
/// fetch of the models catalogue: the fake's model is defined in the config.
pub(super) const OPENCODE: &str = "env = { HOME = \"HOME_DIR\", OPENCODE_DISABLE_MODELS_FETCH = \"1\", \
     OPENCODE_CONFIG_CONTENT = 'PROVIDER_JSON' }";

/// [`OPENCODE`] with its provider: the Anthropic Messages API (`@ai-sdk/anthropic`, bundled in
/// OpenCode) at the fake `model_url`, with its one model.
pub(super) fn opencode(model_url: &str) -> String {
    let config = serde_json::json!({
        "model": "fake/fake-model",
        "small_model": "fake/fake-model",
        "share": "disabled",
        "provider": { "fake": {
            "npm": "@ai-sdk/anthropic",
            "name": "Fake",
            "options": { "baseURL": format!("{model_url}/v1"), "apiKey": "sk-ant-test" },
            "models": { "fake-model": {
                "name": "Fake model", "tool_call": true, "limit": { "context": 200_000, "output": 8192 }
            } }
        } }
    });
    OPENCODE.replace("PROVIDER_JSON", &config.to_string())
}

/// Qwen Code's profile: Node.js 22 first on its `PATH` (the machine's is 20), the fake OpenAI
/// Chat Completions server as its model.
pub(super) fn qwen() -> String {
    let path = std::env::join_paths([node22_bin(), node_modules().join(".bin")]).unwrap();
    let path = format!("{}:{}", path.to_str().unwrap(), std::env::var("PATH").unwrap_or_default());
    format!(
        "env = {{ HOME = \"HOME_DIR\", PATH = \"{path}\", OPENAI_BASE_URL = \"MODEL_URL/v1\", \
         OPENAI_API_KEY = \"sk-test\", OPENAI_MODEL = \"fake-model\" }}"
    )
}

/// Fills Qwen Code's home: its OpenAI-compatible authentication chosen, no update check, no usage
/// statistics.
pub(super) fn qwen_home(home: &Path) {
    let settings = serde_json::json!({
        "security": { "auth": { "selectedType": "openai" } },
        "general": { "disableAutoUpdate": true, "disableUpdateNag": true },
        "privacy": { "usageStatisticsEnabled": false },
        "telemetry": { "enabled": false },
    });
    std::fs::create_dir_all(home.join(".qwen")).unwrap();
    std::fs::write(home.join(".qwen/settings.json"), settings.to_string()).unwrap();
}

/// Fills Codex's home: a model provider pointing at the fake OpenAI server `model_url`.
pub(super) fn codex_home(model_url: &str) -> impl FnOnce(&Path) + use<> {
    let config = format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"fake\"\n\n[model_providers.fake]\nname = \"fake\"\n\
         base_url = \"{model_url}/v1\"\nenv_key = \"OPENAI_API_KEY\"\nwire_api = \"responses\"\n"
    );
    move |home: &Path| {
        std::fs::create_dir_all(home.join(".codex")).unwrap();
        std::fs::write(home.join(".codex/config.toml"), config).unwrap();
    }
}

/// A task created on a server whose implementation agent is the profile under test.
pub(super) struct Started {
    pub server: Server,
    pub repo: PathBuf,
    pub id: String,
    _dir: tempfile::TempDir,
}

/// A finished run: the task (up for review) and its one work session.
struct Run {
    started: Started,
    task: Value,
    session: Value,
}

impl Started {
    pub fn history(&self, session: &Value, file: &str) -> String {
        let id = session["id"].as_str().unwrap();
        let history = http_json(&self.server.url, &format!("/api/v1/work-sessions/{id}/history"));
        let entries = history["entries"].as_array().unwrap().iter();
        entries.filter(|e| e["file"] == file).filter_map(|e| e["content"].as_str()).collect()
    }

    /// `hello.txt` in the task's worktree, if the agent wrote it.
    pub fn written(&self) -> Option<String> {
        let worktrees = std::fs::read_dir(self.repo.join(".git-worktrees")).ok()?;
        worktrees.flatten().find_map(|w| std::fs::read_to_string(w.path().join("hello.txt")).ok())
    }
}

impl Run {
    fn history(&self, file: &str) -> String {
        self.started.history(&self.session, file)
    }
}

/// Creates a coding session on the profile `[agents.<profile>]` (`kind = "acp"`, its `HOME` a fresh
/// directory that `home` may fill, connecting to `model`'s port only, under `policy`; `table` adds
/// TOML lines, where HOME_DIR and MODEL_URL are replaced).
pub(super) fn start(
    profile: &str,
    model: &FakeModel,
    policy: &str,
    table: &str,
    home: impl FnOnce(&Path),
) -> Started {
    start_checked(profile, model, policy, table, home, None)
}

/// [`start`] on a repository registered with `check` as its check command (`repo add --check`).
pub(super) fn start_checked(
    profile: &str,
    model: &FakeModel,
    policy: &str,
    table: &str,
    home: impl FnOnce(&Path),
    check: Option<&str>,
) -> Started {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    std::fs::write(repo.join("README.md"), "# app\nA todo list.\n").unwrap();
    git(&repo, &["add", "README.md"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "readme"]);
    let home_dir = dir.path().join("home");
    std::fs::create_dir_all(&home_dir).unwrap();
    home(&home_dir);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = format!(
        "[agents.{profile}]\nkind = \"acp\"\nconnect_ports = [{}]\npermission_policy = \"{policy}\"\n{}\n\n\
         [orchestrator]\ndefault_implementation_agent = \"{profile}\"\nmax_attempts = 1\n",
        model.port,
        table.replace("HOME_DIR", &home_dir.display().to_string()).replace("MODEL_URL", &model.url),
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    // The agents are found on PATH, as a user's are: the presets' commands and arguments apply.
    let server = Server::start_with_path(&data, &node_modules().join(".bin"));
    if let Some(check) = check {
        let added = server.task_like(&["repo", "add", repo.to_str().unwrap(), "--check", check]);
        assert!(added.status.success(), "{}", stderr(&added));
    }
    let id = server.coding_session(&repo, "Say hello", "Write hello.txt and show it");
    Started { server, repo, id, _dir: dir }
}

/// [`start`] under the `auto` policy, waiting until the task is up for review.
fn run(profile: &str, model: &FakeModel, table: &str, home: impl FnOnce(&Path)) -> Run {
    let started = start(profile, model, "auto", table, home);
    let task = wait_for(&started.server, &started.id, "implementation_review", Duration::from_secs(300));
    let session = sessions(&started.server, &started.id).into_iter().next().expect("the work session");
    Run { started, task, session }
}

/// The session completed; the model saw the README and the command's output (`results`, the tool
/// results it was sent); `hello.txt` is committed on the task branch with trailers, not in the main
/// checkout; the history holds the answer and the turn's end.
fn assert_completed(run: &Run, results: &[String]) {
    let activity = run.history("activity_log");
    assert_eq!(run.session["status"], "completed", "{:#}\n{activity}", run.session);
    assert_eq!(results.len(), 3, "{results:#?}\n{activity}");
    assert!(results[0].contains("A todo list."), "{results:#?}");
    assert!(results[2].contains(GREETING.trim()), "{results:#?}");
    let branch = format!("spectask/{}", run.task["handle"].as_str().unwrap());
    assert_eq!(git(&run.started.repo, &["show", &format!("{branch}:hello.txt")]), GREETING);
    let message = git(&run.started.repo, &["log", "-1", "--format=%B", &branch]);
    assert!(message.contains("Spec-Task:") && message.contains("Work-Session:"), "{message}");
    assert!(!run.started.repo.join("hello.txt").exists());
    assert_eq!(run.started.written().as_deref(), Some(GREETING));
    assert!(activity.contains("turn ended: end_turn"), "{activity}");
    assert!(run.history("conversation").contains(ANSWER), "{activity}");
}

#[test]
fn claude_code_completes_a_sandboxed_work_session() {
    let model = FakeModel::start(anthropic::router);
    let run = run("claude", &model, CLAUDE, |_| {});
    assert_completed(&run, &anthropic::tool_results(&model));
    let decisions = run.history("decisions");
    assert!(decisions.contains(": allowed (") && decisions.contains("[tool call toolu_1]"), "{decisions}");
    run.started.server.stop();
}

#[test]
fn codex_completes_a_sandboxed_work_session() {
    let model = FakeModel::start(openai::router);
    let run = run("codex", &model, CODEX, codex_home(&model.url));
    assert_completed(&run, &openai::tool_results(&model));
    run.started.server.stop();
}

#[test]
fn gemini_cli_completes_a_sandboxed_work_session() {
    let model = FakeModel::start(gemini::router);
    let run = run("gemini", &model, GEMINI, |_| {});
    assert_completed(&run, &gemini::tool_results(&model));
    // The write went through spectask's confinement; the log names it in the worktree.
    assert!(
        run.history("activity_log").contains("wrote hello.txt (21 bytes)"),
        "{}",
        run.history("activity_log")
    );
    run.started.server.stop();
}

#[test]
fn opencode_completes_a_sandboxed_work_session() {
    let model = FakeModel::start(anthropic::router);
    let run = run("opencode", &model, &opencode(&model.url), |_| {});
    assert_completed(&run, &anthropic::tool_results(&model));
    // The session's coordination tools (`spectask mcp`, started by the agent from spectask's own
    // binary, which lives outside the system folders here) reached OpenCode.
    let logs = run.started.repo.parent().unwrap().join("home/.local/share/opencode/log");
    let log: String = std::fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("{}: {e}", logs.display()))
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect();
    assert!(log.contains("message=loop") && !log.contains("\"server unavailable\" key=spectask"), "{log}");
    run.started.server.stop();
}

#[test]
fn qwen_code_completes_a_sandboxed_work_session() {
    let model = FakeModel::start(chat::router);
    let run = run("qwen", &model, &qwen(), qwen_home);
    assert_completed(&run, &chat::tool_results(&model));
    run.started.server.stop();
}
