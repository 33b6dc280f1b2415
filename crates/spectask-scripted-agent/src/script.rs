//! The script of the scripted agent: rules from prompt patterns to steps (format in [`super`]).

use std::path::{Path, PathBuf};

use agent_client_protocol::Error as AcpError;
use agent_client_protocol::v1::schema::{PlanEntryPriority, PlanEntryStatus, ToolCallStatus, ToolKind};
use serde::Deserialize;

pub use super::mcp::McpStep;

/// A parsed script.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// When set, the agent advertises a `type: env_var` auth method for this variable and answers
    /// `session/new` with -32000 until `authenticate` succeeded (it needs the variable set).
    pub auth_env: Option<String>,
    /// Advertise `loadSession` (history replay); when `false` only `session/resume` is offered.
    #[serde(default = "yes")]
    pub load_session: bool,
    /// Session modes offered in `session/new` (the first is current); none when empty.
    #[serde(default)]
    pub modes: Vec<String>,
    /// What rules are matched against: the latest prompt (default), or the whole conversation so
    /// far, as an agent that remembers it would (a bare "continue" then matches the task's rule again).
    #[serde(default)]
    pub match_on: MatchOn,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// What a script's rules are matched against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOn {
    #[default]
    Prompt,
    Conversation,
}

/// Steps to run when a prompt matches `pattern`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(rename = "match")]
    pub pattern: String,
    pub steps: Vec<Step>,
}

/// One scripted action.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    Message(String),
    Thought(String),
    Plan(Vec<PlanItem>),
    ToolCall(ToolCallStep),
    WriteFile {
        path: String,
        content: String,
    },
    ReadFile {
        path: String,
    },
    Run(RunStep),
    Permission {
        title: String,
        path: Option<String>,
        /// What the tool call does: by default an edit of `path` with a path, else a command.
        kind: Option<ToolKind>,
    },
    /// A `usage_update` (context fill, and the thread's cumulative cost when `cost` is set); the
    /// tokens are the turn's, reported with its answer.
    Usage {
        used: u64,
        size: u64,
        #[serde(default)]
        input: u64,
        #[serde(default)]
        output: u64,
        #[serde(default)]
        cached: u64,
        cost: Option<f64>,
        currency: Option<String>,
    },
    Sleep(u64),
    Crash(i32),
    /// End the turn at once with this stop reason (`end_turn`, `cancelled`, `refusal`, …).
    Stop(agent_client_protocol::v1::schema::StopReason),
    Hang,
    Garbage(String),
    Oversize(usize),
    PermissionFlood(u32),
    Mcp(McpStep),
    /// Written with the agent's own system calls ([`super::os_steps`]).
    OsWrite(super::os_steps::OsWriteStep),
    /// Read with the agent's own system calls ([`super::os_steps`]).
    OsRead {
        path: String,
    },
    /// Switch to this session mode on the agent's own initiative ([`super::modes`]).
    SwitchMode(String),
    /// Say the current session mode.
    ReportMode,
    /// Send a request of a method the client does not serve (as real agents send their vendor's
    /// own, `craft/drainMidTurnQueue` …) and say the error code it got.
    Vendor(String),
}

/// A plan entry of a `plan` step.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    pub content: String,
    pub status: PlanEntryStatus,
    #[serde(default = "medium")]
    pub priority: PlanEntryPriority,
}

fn yes() -> bool {
    true
}

fn medium() -> PlanEntryPriority {
    PlanEntryPriority::Medium
}

/// A `tool_call` step: a `tool_call` update, then a `tool_call_update` carrying a diff when `path` is set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallStep {
    pub id: String,
    pub title: String,
    #[serde(default = "edit")]
    pub kind: ToolKind,
    pub path: Option<String>,
    pub old_text: Option<String>,
    #[serde(default)]
    pub new_text: String,
    #[serde(default = "completed")]
    pub status: ToolCallStatus,
}

fn edit() -> ToolKind {
    ToolKind::Edit
}

fn completed() -> ToolCallStatus {
    ToolCallStatus::Completed
}

/// A `run` step: one command through the client's terminal.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunStep {
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    pub cwd: Option<String>,
    pub output_byte_limit: Option<u64>,
}

/// Errors of the scripted agent.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read script {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid script {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("scripted agent connection failed: {0}")]
    Connection(AcpError),
}

/// The empty script: every prompt is echoed (what `spectask agent scripted` runs without `--script`).
impl Default for Script {
    fn default() -> Self {
        Script {
            auth_env: None,
            load_session: true,
            modes: Vec::new(),
            match_on: MatchOn::Prompt,
            rules: Vec::new(),
        }
    }
}

impl Script {
    /// Parses TOML, or JSON when the text starts with `{`.
    pub fn parse(text: &str, origin: &Path) -> Result<Self, ScriptError> {
        let parse_error = |message: String| ScriptError::Parse { path: origin.to_path_buf(), message };
        if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))
        } else {
            toml::from_str(text).map_err(|e| parse_error(e.to_string()))
        }
    }

    /// Reads and parses a script file.
    pub fn load(path: &Path) -> Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ScriptError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// The steps for `prompt`: the first matching rule, else an echo.
    pub(super) fn steps_for(&self, prompt: &str) -> Vec<Step> {
        self.rules
            .iter()
            .find(|rule| pattern_matches(&rule.pattern, prompt))
            .map(|rule| rule.steps.clone())
            .unwrap_or_else(|| vec![Step::Message(format!("echo: {prompt}"))])
    }
}

/// `*` and `?` glob over the whole text; a pattern without wildcards matches as a substring.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return text.contains(pattern);
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // reachable[j]: the pattern prefix processed so far matches t[..j].
    let mut reachable = vec![false; t.len() + 1];
    reachable[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            if !reachable[j] {
                continue;
            }
            match pc {
                '*' => next[j..].iter_mut().for_each(|r| *r = true),
                '?' if j < t.len() => next[j + 1] = true,
                c if j < t.len() && t[j] == c => next[j + 1] = true,
                _ => {}
            }
        }
        reachable = next;
    }
    reachable[t.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_and_substring_patterns() {
        assert!(pattern_matches("plan", "make a plan now"));
        assert!(!pattern_matches("plan", "nothing"));
        assert!(pattern_matches("make*now", "make a plan now"));
        assert!(!pattern_matches("make*", "please make"));
        assert!(pattern_matches("*a?c*", "xxabcxx"));
        assert!(pattern_matches("*", ""));
    }

    #[test]
    fn parses_every_step_kind_from_toml_and_json() {
        let script = Script::parse(
            r#"
            auth_env = "K"
            [[rule]]
            match = "x"
            steps = [
              { plan = [{ content = "a", status = "in_progress" }] },
              { message = "m" }, { thought = "t" },
              { tool_call = { id = "1", title = "e", path = "a", new_text = "n" } },
              { write_file = { path = "a", content = "c" } }, { read_file = { path = "a" } },
              { run = { command = "echo", args = ["x"] } }, { permission = { title = "p" } },
              { usage = { used = 1, size = 2 } }, { sleep = 5 }, { crash = 2 }, "hang",
              { garbage = "g" }, { oversize = 10 }, { permission_flood = 3 },
              { mcp = { tool = "send_message", arguments = { to_session = "2", text = "hi" } } },
              { mcp = { server = "spectask", tool = "read_coordination", until = "hi", timeout_ms = 5 } },
            ]
            "#,
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(script.rules[0].steps.len(), 17);
        let json =
            Script::parse(r#"{"rule":[{"match":"*","steps":["hang",{"sleep":1}]}]}"#, Path::new("s.json"))
                .unwrap();
        assert_eq!(json.rules[0].steps.len(), 2);
        let err = Script::parse("[[rule]]\nmatch = 1\n", Path::new("bad.toml")).unwrap_err();
        assert!(err.to_string().contains("bad.toml"), "{err}");
    }

    #[test]
    fn the_demo_script_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.toml");
        let script = Script::load(&path).unwrap();
        assert_eq!(script.rules.len(), 2);
        assert_eq!(script.steps_for("make a plan").len(), 6);
    }

    #[test]
    fn unmatched_prompt_echoes() {
        let steps = Script::default().steps_for("hi");
        assert!(Script::parse("", Path::new("empty.toml")).unwrap().load_session);
        assert!(matches!(&steps[..], [Step::Message(m)] if m == "echo: hi"));
    }
}
