//! What the sandbox may have refused an agent that failed, read from the agent's own error output,
//! and the profile key that would allow it.
//!
//! The kernel refuses with `EACCES` (`Permission denied`); agents print it with the path or the
//! address (Node.js: `EACCES: permission denied, open '/x'` and `connect EACCES 127.0.0.1:4096`;
//! Python and shells: `Permission denied: '/x'`). Landlock's own audit records need the audit
//! subsystem and `CAP_AUDIT_READ`, which a user's spectask does not have, so the output is what is
//! read.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

/// One access the output says was refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    Path(PathBuf),
    Port(u16),
}

static NODE_PATH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"EACCES: permission denied, \w+ '([^']+)'").ok());
static NODE_PORT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"connect EACCES (?:[0-9.]+|\[[0-9a-fA-F:]+\]|[\w.-]+):(\d+)").ok());
static PLAIN_PATH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:Permission denied|EACCES)[^/\n]*'?(/[^'\s:,)]+)").ok());
static PATH_FIRST: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(/[^'\s:,)]+)'?: Permission denied").ok());

/// The refused paths and ports `output` names, in order, without repeats.
pub fn refusals(output: &str) -> Vec<Refusal> {
    let mut found = BTreeSet::new();
    if let Some(re) = NODE_PORT.as_ref() {
        for caps in re.captures_iter(output) {
            if let Some(port) = caps.get(1).and_then(|m| m.as_str().parse().ok()) {
                found.insert(Refusal::Port(port));
            }
        }
    }
    for re in [NODE_PATH.as_ref(), PLAIN_PATH.as_ref(), PATH_FIRST.as_ref()].into_iter().flatten() {
        for caps in re.captures_iter(output) {
            if let Some(path) = caps.get(1) {
                found.insert(Refusal::Path(PathBuf::from(path.as_str())));
            }
        }
    }
    found.into_iter().collect()
}

/// What to set in the profile to allow what `output` says was refused; `None` when it names nothing.
pub fn advice(output: &str) -> Option<String> {
    let refusals = refusals(output);
    if refusals.is_empty() {
        return None;
    }
    let mut paths = Vec::new();
    let mut ports = Vec::new();
    for refusal in refusals {
        match refusal {
            Refusal::Path(path) => paths.push(format!("{:?}", path.display().to_string())),
            Refusal::Port(port) => ports.push(port.to_string()),
        }
    }
    let mut parts = Vec::new();
    if !paths.is_empty() {
        parts.push(format!(
            "the sandbox refused {}: allow it in the profile with sandbox_read = [{}] (sandbox_write to \
             write there)",
            paths.join(", "),
            paths.join(", ")
        ));
    }
    if !ports.is_empty() {
        parts.push(format!(
            "the sandbox refused a connection to port {}: allow it with connect_ports = [{}], or network = \
             \"any\"",
            ports.join(", "),
            ports.join(", ")
        ));
    }
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_paths_and_ports_are_named_with_the_keys_to_set() {
        let output = "Error: EACCES: permission denied, open '/opt/agent/node_modules/x/cli.js'\n\
                      at Object.openSync\nError: connect EACCES 127.0.0.1:4096\n";
        assert_eq!(
            refusals(output),
            [Refusal::Path("/opt/agent/node_modules/x/cli.js".into()), Refusal::Port(4096)]
        );
        let advice = advice(output).unwrap();
        assert!(advice.contains(r#"sandbox_read = ["/opt/agent/node_modules/x/cli.js"]"#), "{advice}");
        assert!(
            advice.contains("connect_ports = [4096]") && advice.contains("network = \"any\""),
            "{advice}"
        );
    }

    #[test]
    fn python_and_shell_refusals_are_read_and_other_output_is_not() {
        let output = "PermissionError: [Errno 13] Permission denied: '/home/u/.cache/tool/x'\n\
                      sh: 1: cannot create /srv/out.txt: Permission denied\n";
        assert_eq!(
            refusals(output),
            [Refusal::Path("/home/u/.cache/tool/x".into()), Refusal::Path("/srv/out.txt".into())]
        );
        assert_eq!(advice("Error: model not found (404)"), None);
    }
}
