//! `[repositories]`: what users of a shared server may register. The operator (and users with
//! the `admin` role) may register anything; a member only paths under `roots`, and URLs of
//! `url_schemes` from `allow_hosts` (any public host when empty), never from `deny_hosts`.

use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;
use spectask_server::RepositoryPolicy;

/// The schemes a member may ask for: `file` (the server's own disk) is never one.
const SCHEMES: [&str; 4] = ["https", "ssh", "http", "git"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RepositoriesSection {
    /// Absolute directories members may register repositories under.
    #[serde(default)]
    roots: Vec<PathBuf>,
    /// Default `["https", "ssh"]`.
    url_schemes: Option<Vec<String>>,
    #[serde(default)]
    allow_hosts: Vec<String>,
    #[serde(default)]
    deny_hosts: Vec<String>,
}

impl RepositoriesSection {
    /// The policy, each root canonical (a root that does not exist is refused: it would admit
    /// nothing, or whatever is made there later).
    pub(super) fn policy(self, name: &str) -> anyhow::Result<RepositoryPolicy> {
        let mut policy = RepositoryPolicy::default();
        for root in self.roots {
            if !root.is_absolute() {
                anyhow::bail!("[repositories] roots: {} is not an absolute path (in {name})", root.display());
            }
            let canonical = root.canonicalize().with_context(|| {
                format!("[repositories] roots: cannot read {} (in {name})", root.display())
            })?;
            policy.roots.push(canonical);
        }
        if let Some(schemes) = self.url_schemes {
            for scheme in &schemes {
                if !SCHEMES.contains(&scheme.as_str()) {
                    anyhow::bail!(
                        "[repositories] url_schemes: {scheme:?} is not one of {} (in {name}); file:// is \
                         for administrators only",
                        SCHEMES.join(", ")
                    );
                }
            }
            policy.url_schemes = schemes;
        }
        for host in self.allow_hosts.iter().chain(&self.deny_hosts) {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            if bare.is_empty() || bare.contains(['/', ':', '@', '*', ' ']) {
                anyhow::bail!(
                    "[repositories] hosts: {host:?} is not a host name, an address or *.domain (in {name})"
                );
            }
        }
        policy.allow_hosts = self.allow_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        policy.deny_hosts = self.deny_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> anyhow::Result<RepositoryPolicy> {
        let section: RepositoriesSection = toml::from_str(text)?;
        section.policy("test")
    }

    #[test]
    fn roots_are_canonical_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("roots = [\"{}/.\"]\nallow_hosts = [\"Git.Example.com\"]", dir.path().display());
        let read = policy(&text).unwrap();
        assert_eq!(read.roots, [dir.path().canonicalize().unwrap()]);
        assert_eq!(read.url_schemes, ["https", "ssh"]);
        assert_eq!(read.allow_hosts, ["git.example.com"]);
        let err = policy("roots = [\"relative\"]").unwrap_err().to_string();
        assert!(err.contains("roots") && err.contains("relative"), "{err}");
        let err = policy("url_schemes = [\"file\"]").unwrap_err().to_string();
        assert!(err.contains("url_schemes") && err.contains("file"), "{err}");
        let err = policy("deny_hosts = [\"https://x\"]").unwrap_err().to_string();
        assert!(err.contains("hosts"), "{err}");
        assert!(policy("unknown = 1").is_err());
    }
}
