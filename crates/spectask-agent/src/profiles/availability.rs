//! What a profile needs from this machine: its command on PATH and its credentials in the
//! environment. The only part of the profiles that looks at the machine.

use std::path::PathBuf;

use serde::Serialize;
use spectask_sandbox::{SandboxMode, find_on_path};

use super::{AgentProfile, ProfileKind, Profiles};

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
    /// The OS sandbox mode of an ACP profile.
    pub sandbox: Option<SandboxMode>,
    /// What people should know before using the profile (e.g. its sandbox is off).
    pub warnings: Vec<String>,
}

impl Profiles {
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
        sandbox: profile.sandbox().map(|s| s.mode),
        warnings: profile.warnings(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
