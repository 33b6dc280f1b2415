//! Agent profiles: `[agents.<name>]` tables of the configuration file, merged over built-in presets.
//!
//! Parsing is pure; [`Profiles::availability`] is the only function that looks at the machine (PATH
//! and environment variables).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

    /// An ACP profile running `command args…` with no extra environment.
    pub fn acp(name: &str, command: impl Into<String>, args: Vec<String>) -> Self {
        AgentProfile {
            name: name.to_owned(),
            kind: ProfileKind::Acp {
                command: command.into(),
                args,
                env: BTreeMap::new(),
                permission_policy: PermissionPolicy::Auto,
            },
            credentials: CredentialHint::default(),
            requires: None,
        }
    }
}

/// Errors of the profile layer.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("invalid agent profiles: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("unknown agent profile {name:?}; known profiles: {known}")]
    Unknown { name: String, known: String },
}

/// Availability of one profile on this machine, for `GET /api/v1/agents`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Availability {
    pub name: String,
    /// `acp` or `llm`.
    pub kind: &'static str,
    /// The command, for ACP profiles.
    pub command: Option<String>,
    /// Where the command was found on PATH (or as given, when it is a path).
    pub command_path: Option<PathBuf>,
    pub command_found: bool,
    /// `None` when spectask does not know which credentials the agent needs.
    pub credentials_present: Option<bool>,
    /// What to do when credentials are missing.
    pub credentials_advice: Option<String>,
    /// Command found and credentials not known to be missing.
    pub available: bool,
    /// What the agent needs besides credentials (see [`AgentProfile::requires`]).
    pub requires: Option<String>,
}

/// The set of profiles: presets overridden by the configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profiles {
    profiles: BTreeMap<String, AgentProfile>,
}

#[derive(Deserialize)]
struct ProfilesFile {
    #[serde(default)]
    agents: BTreeMap<String, ProfileKind>,
}

impl Profiles {
    /// Only the built-in presets.
    pub fn presets() -> Self {
        let mut profiles = BTreeMap::new();
        for profile in presets() {
            profiles.insert(profile.name.clone(), profile);
        }
        Profiles { profiles }
    }

    /// Parses `[agents.<name>]` tables (other tables of the file are ignored) over the presets.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let file: ProfilesFile = toml::from_str(text)?;
        let mut profiles = Self::presets();
        for (name, kind) in file.agents {
            let preset = profiles.profiles.get(&name).filter(|_| matches!(kind, ProfileKind::Acp { .. }));
            let credentials = match (&kind, preset) {
                (ProfileKind::Llm { api_key_env: Some(var), .. }, _) => {
                    CredentialHint { env_any_of: vec![var.clone()], login: None }
                }
                (_, Some(preset)) => preset.credentials.clone(),
                _ => CredentialHint::default(),
            };
            let requires = preset.and_then(|p| p.requires.clone());
            profiles.insert(AgentProfile { name, kind, credentials, requires });
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

    /// Every profile's availability, looking at `path_var` (PATH) and `lookup_env`.
    pub fn availability(
        &self,
        path_var: Option<&str>,
        lookup_env: impl Fn(&str) -> Option<String>,
    ) -> Vec<Availability> {
        self.profiles.values().map(|profile| availability_of(profile, path_var, &lookup_env)).collect()
    }
}

fn availability_of(
    profile: &AgentProfile,
    path_var: Option<&str>,
    lookup_env: &impl Fn(&str) -> Option<String>,
) -> Availability {
    let (kind, command, command_path) = match &profile.kind {
        ProfileKind::Acp { command, .. } => ("acp", Some(command.clone()), find_on_path(command, path_var)),
        ProfileKind::Llm { .. } => ("llm", None, None),
    };
    let command_found = kind == "llm" || command_path.is_some();
    let hint = &profile.credentials;
    let credentials_present = (!hint.env_any_of.is_empty())
        .then(|| hint.env_any_of.iter().any(|var| lookup_env(var).is_some_and(|value| !value.is_empty())));
    // An agent with a login step may be logged in already: missing variables do not make it unavailable.
    let credentials_ok = credentials_present.unwrap_or(true) || hint.login.is_some();
    Availability {
        name: profile.name.clone(),
        kind,
        command,
        command_path,
        command_found,
        credentials_advice: (credentials_present == Some(false)).then(|| hint.advice()),
        credentials_present,
        available: command_found && credentials_ok,
        requires: profile.requires.clone(),
    }
}

/// Resolves `command` like a shell would: a path containing `/` as is, else the first PATH entry.
pub fn find_on_path(command: &str, path_var: Option<&str>) -> Option<PathBuf> {
    if command.contains('/') {
        let path = Path::new(command);
        return is_executable(path).then(|| path.to_path_buf());
    }
    std::env::split_paths(path_var?).map(|dir| dir.join(command)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn preset(name: &str, command: &str, args: &[&str], credentials: CredentialHint) -> AgentProfile {
    let mut profile = AgentProfile::acp(name, command, args.iter().map(|a| (*a).to_owned()).collect());
    profile.credentials = credentials;
    profile
}

fn creds(vars: &[&str], login: Option<&str>) -> CredentialHint {
    CredentialHint {
        env_any_of: vars.iter().map(|v| (*v).to_owned()).collect(),
        login: login.map(str::to_owned),
    }
}

/// The built-in presets. `scripted` runs `spectask agent scripted`, which echoes every prompt unless the
/// configuration adds `--script FILE` to its args.
fn presets() -> Vec<AgentProfile> {
    vec![
        preset(
            "claude",
            "npx",
            &["-y", "@agentclientprotocol/claude-agent-acp"],
            creds(&["ANTHROPIC_API_KEY"], Some("log in with `claude /login`")),
        ),
        preset(
            "codex",
            "codex-acp",
            &[],
            creds(&["OPENAI_API_KEY", "CODEX_API_KEY"], Some("log in with `codex login`")),
        ),
        preset(
            "gemini",
            "gemini",
            &["--acp"],
            creds(&["GEMINI_API_KEY"], Some("log in with `gemini` (Google login)")),
        ),
        AgentProfile {
            requires: Some("Qwen Code needs Node.js 22 or newer; check with `node --version`".to_owned()),
            ..preset("qwen", "qwen", &["--acp"], CredentialHint::default())
        },
        preset("goose", "goose", &["acp"], CredentialHint::default()),
        preset("opencode", "opencode", &["acp"], CredentialHint::default()),
        preset("scripted", "spectask", &["agent", "scripted"], CredentialHint::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn availability_names_missing_variables() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("codex-acp");
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let list = Profiles::presets().availability(Some(&path), |_| None);
        let codex = list.iter().find(|a| a.name == "codex").unwrap();
        assert!(codex.command_found);
        assert_eq!(codex.credentials_present, Some(false));
        let advice = codex.credentials_advice.as_deref().unwrap();
        assert!(advice.starts_with("set OPENAI_API_KEY or CODEX_API_KEY, or log in with `codex login`"));
        let gemini = list.iter().find(|a| a.name == "gemini").unwrap();
        assert!(!gemini.command_found && !gemini.available);
        let with_key =
            Profiles::presets().availability(Some(&path), |v| (v == "CODEX_API_KEY").then(|| "k".to_owned()));
        let codex = with_key.iter().find(|a| a.name == "codex").unwrap();
        assert_eq!(codex.credentials_present, Some(true));
        assert!(codex.available);
    }
}
