//! Agent profiles: `[agents.<name>]` tables of the configuration file, merged over built-in presets.
//!
//! Parsing is pure; [`Profiles::availability`] (in `availability`) is the only function that looks
//! at the machine (PATH and environment variables).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use spectask_sandbox::{Network, SandboxMode, SandboxSettings};

mod availability;
mod presets;

pub use availability::Availability;

/// The placeholder in a profile's arguments for a loopback port chosen at each start (see
/// `instance.rs`, which fills it in).
pub const LOOPBACK_PORT: &str = "{loopback_port}";

/// How spectask answers `session/request_permission` for threads of this profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionPolicy {
    /// Allow when every location of the tool call lies inside the worktree, otherwise reject.
    #[default]
    Auto,
    /// Reject everything.
    Deny,
    /// Hold the request open as a pending approval until someone resolves it.
    Ask,
}

/// What spectask does when a session's agent has been silent for the stall time (`stall_after_seconds`):
/// the session is marked stalled in every case; the mark goes when the agent speaks again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StallPolicy {
    /// Mark it and tell a person; the turn goes on.
    #[default]
    Notify,
    /// Cancel the turn and prompt the thread again.
    Interrupt,
    /// Cancel the turn and fail the session with the reason.
    Fail,
}

impl StallPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            StallPolicy::Notify => "notify",
            StallPolicy::Interrupt => "interrupt",
            StallPolicy::Fail => "fail",
        }
    }
}

/// The HTTP provider of an `llm` profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmProvider {
    Openai,
    Anthropic,
}

/// One profile as written in the configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProfileKind {
    /// An ACP agent program (Zed's `agent_servers` shape).
    Acp {
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        #[serde(default)]
        permission_policy: PermissionPolicy,
        /// The OS sandbox: `workspace-write` (default), `read-only` or `off`.
        #[serde(default)]
        sandbox: SandboxMode,
        /// Readable paths besides the system and the repository (`~/` is the agent's home).
        /// Unset: the preset's of the same name.
        sandbox_read: Option<Vec<String>>,
        /// Writable paths besides the workspace (the agent's own state and cache directories).
        /// Unset: the preset's of the same name.
        sandbox_write: Option<Vec<String>>,
        /// `restricted` (TCP connect to `connect_ports` only) or `any`. Unset: the preset's.
        network: Option<Network>,
        /// Unset: the preset's.
        connect_ports: Option<Vec<u16>>,
        /// The agent's session mode in which it asks spectask before every edit and command; set
        /// after `session/new` when the agent reports modes. Unset: the preset's.
        approval_mode: Option<String>,
        /// The model the agent is set to use, for pricing its tokens (`[prices."<model>"]`) when
        /// it reports no cost itself. Unset: such costs stay unknown.
        #[serde(default)]
        model: Option<String>,
        /// What spectask does when the agent goes silent: `notify` (default), `interrupt` or `fail`.
        #[serde(default)]
        on_stall: StallPolicy,
    },
    /// A plain LLM over HTTP (used by planners, not spawned as a process).
    Llm {
        provider: LlmProvider,
        base_url: Option<String>,
        model: String,
        api_key_env: Option<String>,
        #[serde(default)]
        permission_policy: PermissionPolicy,
    },
}

/// Credentials an agent needs, as far as spectask knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CredentialHint {
    /// Any one of these variables is enough.
    pub env_any_of: Vec<String>,
    /// The login step that also works, e.g. "log in with `codex login`".
    pub login: Option<String>,
}

impl CredentialHint {
    /// The message naming what to set, e.g. "set OPENAI_API_KEY or CODEX_API_KEY, or log in with …".
    pub fn advice(&self) -> String {
        let vars = self.env_any_of.join(" or ");
        match (vars.is_empty(), &self.login) {
            (true, None) => "configure the agent's credentials".to_owned(),
            (true, Some(login)) => login.clone(),
            (false, None) => format!("set {vars}"),
            (false, Some(login)) => format!("set {vars}, or {login}"),
        }
    }
}

/// A named, resolved profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentProfile {
    pub name: String,
    pub kind: ProfileKind,
    pub credentials: CredentialHint,
    /// What the agent needs on the machine besides credentials (a runtime version, say), told to
    /// whoever finds it unavailable or sees it fail to start.
    pub requires: Option<String>,
}

impl AgentProfile {
    /// The profile's permission policy.
    pub fn permission_policy(&self) -> PermissionPolicy {
        match &self.kind {
            ProfileKind::Acp { permission_policy, .. } | ProfileKind::Llm { permission_policy, .. } => {
                *permission_policy
            }
        }
    }

    /// The sandbox of an ACP profile (`None` for an `llm` profile, which runs no process).
    pub fn sandbox(&self) -> Option<SandboxSettings> {
        match &self.kind {
            ProfileKind::Acp { sandbox, sandbox_read, sandbox_write, network, connect_ports, .. } => {
                Some(SandboxSettings {
                    mode: *sandbox,
                    read: sandbox_read.clone().unwrap_or_default(),
                    write: sandbox_write.clone().unwrap_or_default(),
                    network: network.unwrap_or_default(),
                    connect_ports: connect_ports.clone().unwrap_or_default(),
                })
            }
            ProfileKind::Llm { .. } => None,
        }
    }

    /// What people should know before using this profile.
    pub fn warnings(&self) -> Vec<String> {
        match self.sandbox() {
            Some(settings) if settings.mode == SandboxMode::Off => vec![
                "sandbox is off: the agent runs with your full rights and can write anywhere you can"
                    .to_owned(),
            ],
            Some(settings) if settings.network == Network::Any => {
                vec!["network = \"any\": the agent may connect anywhere".to_owned()]
            }
            _ => Vec::new(),
        }
    }

    /// The session mode spectask selects so that the agent asks before every edit and command.
    pub fn approval_mode(&self) -> Option<&str> {
        match &self.kind {
            ProfileKind::Acp { approval_mode, .. } => approval_mode.as_deref(),
            ProfileKind::Llm { .. } => None,
        }
    }

    /// What spectask does when the agent goes silent (an `llm` profile runs no session).
    pub fn on_stall(&self) -> StallPolicy {
        match &self.kind {
            ProfileKind::Acp { on_stall, .. } => *on_stall,
            ProfileKind::Llm { .. } => StallPolicy::Notify,
        }
    }

    /// The model the profile names (an `llm` profile's, or what an ACP profile declares).
    pub fn model(&self) -> Option<&str> {
        match &self.kind {
            ProfileKind::Acp { model, .. } => model.as_deref(),
            ProfileKind::Llm { model, .. } => Some(model),
        }
    }

    /// An ACP profile running `command args…` with no extra environment, sandboxed
    /// (`workspace-write`, nothing declared, no network).
    pub fn acp(name: &str, command: impl Into<String>, args: Vec<String>) -> Self {
        AgentProfile {
            name: name.to_owned(),
            kind: ProfileKind::Acp {
                command: command.into(),
                args,
                env: BTreeMap::new(),
                permission_policy: PermissionPolicy::Auto,
                sandbox: SandboxMode::WorkspaceWrite,
                sandbox_read: None,
                sandbox_write: None,
                network: None,
                connect_ports: None,
                approval_mode: None,
                model: None,
                on_stall: StallPolicy::Notify,
            },
            credentials: CredentialHint::default(),
            requires: None,
        }
    }

    /// This profile with the sandbox mode `mode` (for profiles built in code).
    pub fn with_sandbox(mut self, mode: SandboxMode) -> Self {
        if let ProfileKind::Acp { sandbox, .. } = &mut self.kind {
            *sandbox = mode;
        }
        self
    }

    /// Fills what this profile leaves unset from the preset of the same name (and adds the preset's
    /// environment variables it does not set).
    fn inherit(&mut self, preset: &AgentProfile) {
        let (
            ProfileKind::Acp {
                env, sandbox_read, sandbox_write, network, connect_ports, approval_mode, ..
            },
            ProfileKind::Acp {
                env: p_env,
                sandbox_read: p_read,
                sandbox_write: p_write,
                network: p_network,
                connect_ports: p_ports,
                approval_mode: p_mode,
                ..
            },
        ) = (&mut self.kind, &preset.kind)
        else {
            return;
        };
        // The preset's variables make the agent work (or ask before acting); the profile's win.
        for (name, value) in p_env {
            env.entry(name.clone()).or_insert_with(|| value.clone());
        }
        fill(sandbox_read, p_read);
        fill(sandbox_write, p_write);
        fill(network, p_network);
        fill(connect_ports, p_ports);
        fill(approval_mode, p_mode);
        self.credentials = preset.credentials.clone();
        self.requires.clone_from(&preset.requires);
    }
}

fn fill<T: Clone>(slot: &mut Option<T>, preset: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(preset);
    }
}

/// Errors of the profile layer.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("invalid agent profiles: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid agent profile {name:?}: {message}")]
    Agent { name: String, message: String },
    #[error("unknown agent profile {name:?}; known profiles: {known}")]
    Unknown { name: String, known: String },
    #[error("agent profile {name:?}: {message}")]
    Invalid { name: String, message: String },
}

/// The set of profiles: presets overridden by the configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profiles {
    profiles: BTreeMap<String, AgentProfile>,
}

#[derive(Deserialize)]
struct ProfilesFile {
    #[serde(default)]
    agents: BTreeMap<String, toml::Table>,
}

impl Profiles {
    /// Only the built-in presets.
    pub fn presets() -> Self {
        let mut profiles = BTreeMap::new();
        for profile in presets::all() {
            profiles.insert(profile.name.clone(), profile);
        }
        Profiles { profiles }
    }

    /// Parses `[agents.<name>]` tables (other tables of the file are ignored) over the presets.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let file: ProfilesFile = toml::from_str(text)?;
        let mut profiles = Self::presets();
        for (name, mut table) in file.agents {
            // An acp profile named like a preset may leave out the command: the preset's, with its
            // arguments (what makes the agent work under spectask).
            if let Some(ProfileKind::Acp { command, args, .. }) =
                profiles.profiles.get(&name).map(|p| &p.kind)
                && table.get("kind").and_then(toml::Value::as_str) == Some("acp")
                && !table.contains_key("command")
            {
                table.insert("command".to_owned(), command.clone().into());
                table.entry("args").or_insert_with(|| args.clone().into());
            }
            let kind = ProfileKind::deserialize(toml::Value::Table(table))
                .map_err(|error| ProfileError::Agent { name: name.clone(), message: error.to_string() })?;
            let credentials = match &kind {
                ProfileKind::Llm { api_key_env: Some(var), .. } => {
                    CredentialHint { env_any_of: vec![var.clone()], login: None }
                }
                _ => CredentialHint::default(),
            };
            let mut profile = AgentProfile { name, kind, credentials, requires: None };
            if let Some(preset) = profiles.profiles.get(&profile.name) {
                profile.inherit(preset);
            }
            if let Some(settings) = profile.sandbox() {
                settings
                    .check()
                    .map_err(|message| ProfileError::Invalid { name: profile.name.clone(), message })?;
            }
            profiles.insert(profile);
        }
        Ok(profiles)
    }

    /// Adds or replaces one profile.
    pub fn insert(&mut self, profile: AgentProfile) {
        self.profiles.insert(profile.name.clone(), profile);
    }

    /// The profile named `name`, or an error listing the known names.
    pub fn get(&self, name: &str) -> Result<&AgentProfile, ProfileError> {
        self.profiles.get(name).ok_or_else(|| ProfileError::Unknown {
            name: name.to_owned(),
            known: self.names().collect::<Vec<_>>().join(", "),
        })
    }

    /// Profile names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_named_like_a_preset_inherits_its_command_args_and_env() {
        let profiles = Profiles::from_toml(
            r#"
            [agents.codex]
            kind = "acp"
            env = { OPENAI_API_KEY = "k" }

            [agents.claude]
            kind = "acp"
            command = "claude-agent-acp"
            env = { IS_SANDBOX = "0" }
            "#,
        )
        .unwrap();
        let ProfileKind::Acp { command, args, env, .. } = &profiles.get("codex").unwrap().kind else {
            panic!()
        };
        assert_eq!(command, "codex-acp");
        assert_eq!(args, &["-c", "features.use_legacy_landlock=true"]);
        assert_eq!(env.get("OPENAI_API_KEY").map(String::as_str), Some("k"));
        let ProfileKind::Acp { command, args, env, .. } = &profiles.get("claude").unwrap().kind else {
            panic!()
        };
        assert_eq!(
            (command.as_str(), args.len()),
            ("claude-agent-acp", 0),
            "its own command, not the preset's args"
        );
        assert_eq!(env.get("IS_SANDBOX").map(String::as_str), Some("0"), "the profile's variables win");
        let err = Profiles::from_toml("[agents.x]\nkind = \"acp\"\n").unwrap_err().to_string();
        assert!(err.contains("invalid agent profile \"x\"") && err.contains("command"), "{err}");
    }

    #[test]
    fn config_overrides_preset_and_keeps_its_credentials() {
        let profiles = Profiles::from_toml(
            r#"
            [agents.codex]
            kind = "acp"
            command = "/opt/codex-acp"
            env = { CODEX_HOME = "/tmp/codex" }
            permission_policy = "ask"

            [agents.planner]
            kind = "llm"
            provider = "openai"
            base_url = "http://localhost:11434/v1"
            model = "qwen3"
            api_key_env = "PLANNER_KEY"
            "#,
        )
        .unwrap();
        let codex = profiles.get("codex").unwrap();
        assert_eq!(codex.permission_policy(), PermissionPolicy::Ask);
        assert!(matches!(&codex.kind, ProfileKind::Acp { command, .. } if command == "/opt/codex-acp"));
        assert_eq!(codex.credentials.env_any_of, ["OPENAI_API_KEY", "CODEX_API_KEY"]);
        assert_eq!(profiles.get("planner").unwrap().credentials.env_any_of, ["PLANNER_KEY"]);
        assert!(profiles.get("gemini").is_ok());
    }

    #[test]
    fn the_qwen_preset_says_it_needs_node_22_and_keeps_saying_it_when_configured() {
        let needs = |profiles: &Profiles| profiles.get("qwen").unwrap().requires.clone().unwrap_or_default();
        assert!(needs(&Profiles::presets()).contains("Node.js 22 or newer"));
        let configured =
            Profiles::from_toml("[agents.qwen]\nkind = \"acp\"\ncommand = \"/opt/qwen\"\n").unwrap();
        assert!(needs(&configured).contains("Node.js 22"));
        let availability = configured.availability(Some(""), |_| None);
        let qwen = availability.iter().find(|a| a.name == "qwen").unwrap();
        assert!(!qwen.available && qwen.requires.as_deref().is_some_and(|r| r.contains("Node.js 22")));
        assert_eq!(Profiles::presets().get("codex").unwrap().requires, None);
    }

    #[test]
    fn unknown_profile_lists_known_names() {
        let err = Profiles::presets().get("nope").unwrap_err().to_string();
        assert!(err.contains("\"nope\""), "{err}");
        assert!(err.contains("claude, codex, gemini, goose, opencode, qwen, scripted"), "{err}");
    }

    #[test]
    fn bad_kind_is_a_parse_error() {
        assert!(Profiles::from_toml("[agents.x]\nkind = \"magic\"\n").is_err());
    }
}
