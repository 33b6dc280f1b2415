//! The launcher: `<program> <args…> --policy <json> -- <command> <args…>` applies the policy to
//! itself, then execs the command, which keeps the launcher's pid, process group, stdio, working
//! directory and environment. In the `spectask` binary it is `spectask agent sandbox-exec`; the agent
//! crate's tests use the `spectask-sandbox` binary it builds around [`run`].
//!
//! Why a launcher rather than `Command::pre_exec`: the hook runs between fork and exec in a
//! multi-threaded process, where only async-signal-safe code may run (building a ruleset allocates
//! and opens files), and it needs `unsafe`. The launcher is a fresh single-threaded process.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use crate::policy::Policy;
use crate::{SandboxError, kernel};

/// Exit code of a launcher that could not confine itself (the command never ran).
pub const EXIT_NOT_CONFINED: u8 = 125;

/// How to start the launcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    pub program: PathBuf,
    /// Arguments before `--policy` (e.g. `agent sandbox-exec`).
    pub args: Vec<String>,
}

impl Launcher {
    /// The launcher subcommand of the `spectask` binary at `program`.
    pub fn spectask(program: impl Into<PathBuf>) -> Self {
        Launcher { program: program.into(), args: vec!["agent".to_owned(), "sandbox-exec".to_owned()] }
    }

    /// The arguments that run `command args` under `policy`.
    pub fn arguments(
        &self,
        policy: &Policy,
        command: &str,
        args: &[String],
    ) -> Result<Vec<OsString>, SandboxError> {
        let json = serde_json::to_string(policy).map_err(|e| SandboxError::Policy(e.to_string()))?;
        let mut out: Vec<OsString> = self.args.iter().map(OsString::from).collect();
        out.extend(["--policy".into(), json.into(), "--".into(), command.into()]);
        out.extend(args.iter().map(OsString::from));
        Ok(out)
    }
}

/// The launcher's side: parses `--policy <json> -- <command> <args…>` (what follows the launcher's
/// own arguments), confines itself and execs. Returns only on failure, with the message to print.
pub fn run(args: impl IntoIterator<Item = OsString>) -> String {
    let mut args = args.into_iter();
    let (flag, json, separator) = (args.next(), args.next(), args.next());
    let (Some(json), true) = (
        json,
        flag.as_deref() == Some(OsStr::new("--policy")) && separator.as_deref() == Some(OsStr::new("--")),
    ) else {
        return "usage: --policy <json> -- <command> [args…]".to_owned();
    };
    let command: Vec<OsString> = args.collect();
    match exec(&json.to_string_lossy(), &command) {
        Ok(never) => match never {},
        Err(error) => error,
    }
}

/// Applies the policy (JSON) to this process and execs `command`; on failure the message.
pub fn exec(policy_json: &str, command: &[OsString]) -> Result<std::convert::Infallible, String> {
    let policy: Policy = serde_json::from_str(policy_json).map_err(|e| format!("invalid policy: {e}"))?;
    let Some((program, args)) = command.split_first() else {
        return Err("no command to run".to_owned());
    };
    kernel::restrict_self(&policy).map_err(|e| e.to_string())?;
    let error = std::process::Command::new(program).args(args).exec();
    Err(format!("cannot run {}: {error}", program.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_carry_the_policy_then_the_command() {
        let launcher = Launcher::spectask("/usr/bin/spectask");
        let policy = Policy { write: vec!["/w".into()], connect_ports: Some(vec![443]), ..Policy::default() };
        let args = launcher.arguments(&policy, "npx", &["-y".into(), "agent".into()]).unwrap();
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[..3], ["agent", "sandbox-exec", "--policy"]);
        assert_eq!(args[4..], ["--", "npx", "-y", "agent"]);
        let back: Policy = serde_json::from_str(&args[3]).unwrap();
        assert_eq!(back, policy);
    }

    #[test]
    fn bad_launcher_arguments_are_refused_before_anything_runs() {
        assert!(run(["--nope".into()]).starts_with("usage:"));
        let message = run(["--policy".into(), "{".into(), "--".into(), "true".into()]);
        assert!(message.starts_with("invalid policy"), "{message}");
        let message = run(["--policy".into(), "{}".into(), "--".into()]);
        assert_eq!(message, "no command to run");
    }
}
