//! What a profile says about its sandbox: the mode, the paths it declares and the network it needs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `sandbox = "workspace-write" | "read-only" | "off"` on an ACP profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// The worktree (for a planning agent, its planning folder) is writable; the rest of the
    /// repository, the system and the declared paths are readable; the home directory is not.
    #[default]
    WorkspaceWrite,
    /// Like `workspace-write`, but the worktree is read-only: only a planning agent's folder (and
    /// the declared and temporary paths) can be written.
    ReadOnly,
    /// No sandbox: the agent runs with the user's full rights. Must be written explicitly.
    Off,
}

impl SandboxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::Off => "off",
        }
    }
}

/// `network = "restricted" | "any"`: TCP connect to `connect_ports` only, or anywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    #[default]
    Restricted,
    Any,
}

/// A profile's sandbox, resolved (preset values filled in).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SandboxSettings {
    pub mode: SandboxMode,
    /// Readable paths besides the system and the repository (`~/` is the agent's home).
    pub read: Vec<String>,
    /// Writable paths besides the workspace and the private temporary directory.
    pub write: Vec<String>,
    pub network: Network,
    /// TCP ports the agent may connect to when `network = "restricted"`.
    pub connect_ports: Vec<u16>,
}

impl SandboxSettings {
    /// Problems with the declared paths, e.g. `sandbox_write entry "cache" is neither absolute nor
    /// under ~/`.
    pub fn check(&self) -> Result<(), String> {
        for (key, paths) in [("sandbox_read", &self.read), ("sandbox_write", &self.write)] {
            for path in paths {
                let ok = path == "~" || path.starts_with("~/") || Path::new(path).is_absolute();
                if !ok || path.split('/').any(|part| part == "..") {
                    return Err(format!(
                        "{key} entry {path:?} must be an absolute path or start with ~/ (and contain no ..)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `~` and `~/…` under `home`; other paths as they are. `None` for a `~` path without a home.
pub fn expand(path: &str, home: Option<&Path>) -> Option<PathBuf> {
    match path.strip_prefix('~') {
        Some("") => home.map(Path::to_path_buf),
        Some(rest) if rest.starts_with('/') => home.map(|h| h.join(rest.trim_start_matches('/'))),
        _ => Some(PathBuf::from(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_networks_parse_from_their_config_names() {
        #[derive(Deserialize)]
        struct T {
            sandbox: SandboxMode,
            network: Network,
        }
        let t: T = toml::from_str("sandbox = \"read-only\"\nnetwork = \"any\"\n").unwrap();
        assert_eq!((t.sandbox, t.network), (SandboxMode::ReadOnly, Network::Any));
        assert!(toml::from_str::<T>("sandbox = \"none\"\nnetwork = \"any\"\n").is_err());
        assert_eq!(SandboxMode::default().as_str(), "workspace-write");
    }

    #[test]
    fn declared_paths_must_be_absolute_or_in_home() {
        let mut settings =
            SandboxSettings { write: vec!["~/.npm".into(), "/opt/cache".into()], ..Default::default() };
        assert!(settings.check().is_ok());
        settings.read = vec!["cache".into()];
        let err = settings.check().unwrap_err();
        assert!(err.contains("sandbox_read entry \"cache\""), "{err}");
        settings.read = vec!["~/../etc".into()];
        assert!(settings.check().is_err());
    }

    #[test]
    fn tilde_expands_to_the_agents_home() {
        let home = Path::new("/home/u");
        assert_eq!(expand("~/.npm", Some(home)), Some(PathBuf::from("/home/u/.npm")));
        assert_eq!(expand("~", Some(home)), Some(PathBuf::from("/home/u")));
        assert_eq!(expand("/etc/x", None), Some(PathBuf::from("/etc/x")));
        assert_eq!(expand("~/.npm", None), None);
        assert_eq!(expand("~other/x", Some(home)), Some(PathBuf::from("~other/x")));
    }
}
