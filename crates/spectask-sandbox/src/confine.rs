//! The sandbox of one agent instance: decided once when the instance starts (from the profile, the
//! workspace, the kernel and the runtime's settings) and used for the agent and every terminal.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::SandboxError;
use crate::kernel::LandlockSupport;
use crate::launcher::Launcher;
use crate::policy::find_on_path;
use crate::policy::{Policy, PolicyInputs, Workspace, build};
use crate::settings::{SandboxMode, SandboxSettings};

/// The runtime's sandbox settings (one per server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxConfig {
    /// How to start the launcher; without one, sandboxed profiles are refused.
    pub launcher: Option<Launcher>,
    /// `[sandbox] allow_without_landlock`: on a kernel without Landlock, run sandboxed profiles
    /// unconfined (logged for every agent) instead of refusing them.
    pub allow_without_landlock: bool,
    /// What the kernel supports, detected once.
    pub landlock: LandlockSupport,
    /// TCP ports every sandboxed agent may connect to besides its profile's: spectask's own server,
    /// which the MCP server an agent launches for its coordination tools talks to.
    pub connect_ports: Vec<u16>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            launcher: None,
            allow_without_landlock: false,
            landlock: LandlockSupport::detect(),
            connect_ports: Vec::new(),
        }
    }
}

impl SandboxConfig {
    /// What spectask says at start about the sandbox.
    pub fn startup_message(&self) -> (bool, String) {
        match (&self.landlock, self.allow_without_landlock) {
            (LandlockSupport::Available { abi }, _) => {
                let gaps = self.landlock.gaps();
                let mut message = format!("agents run in a Landlock sandbox (kernel ABI {abi})");
                if !gaps.is_empty() {
                    message.push_str(&format!("; on this kernel {}", gaps.join("; ")));
                }
                (gaps.is_empty(), message)
            }
            (LandlockSupport::Unavailable { reason }, false) => {
                (false, format!("{reason}: agents of sandboxed profiles will be refused"))
            }
            (LandlockSupport::Unavailable { reason }, true) => (
                false,
                format!("{reason}: agents of sandboxed profiles run UNCONFINED (allow_without_landlock)"),
            ),
        }
    }
}

/// What an instance's sandbox is, for `agent probe` and the logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SandboxReport {
    /// The profile's mode.
    pub mode: SandboxMode,
    /// Whether the kernel confines the agent.
    pub enforced: bool,
    pub landlock: LandlockSupport,
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    /// `None`: any port.
    pub connect_ports: Option<Vec<u16>>,
    /// What people should know (sandbox off, unconfined, partial enforcement).
    pub warnings: Vec<String>,
}

#[derive(Debug)]
enum State {
    Confined { launcher: Launcher, policy: Arc<Policy>, tmp: tempfile::TempDir },
    Unconfined { why: String },
}

/// The sandbox of one agent instance (its private temporary directory goes with it).
#[derive(Debug)]
pub struct Confinement {
    mode: SandboxMode,
    landlock: LandlockSupport,
    state: State,
}

impl Confinement {
    /// Decides how `profile`'s agent runs in `workspace`. `env` is the agent's environment (for
    /// `HOME` and `PATH`), `command` and `args` its command line.
    pub fn prepare(
        profile: &str,
        settings: &SandboxSettings,
        workspace: &Workspace,
        env: &[(String, String)],
        (command, args): (&str, &[String]),
        config: &SandboxConfig,
    ) -> Result<Self, SandboxError> {
        let landlock = config.landlock.clone();
        let unconfined = |why: String| Confinement {
            mode: settings.mode,
            landlock: landlock.clone(),
            state: State::Unconfined { why },
        };
        if settings.mode == SandboxMode::Off {
            return Ok(unconfined(
                "the profile sets sandbox = \"off\": the agent runs with your full rights".to_owned(),
            ));
        }
        if let LandlockSupport::Unavailable { reason } = &config.landlock {
            if !config.allow_without_landlock {
                return Err(SandboxError::Unavailable {
                    profile: profile.to_owned(),
                    reason: reason.clone(),
                });
            }
            return Ok(unconfined(format!(
                "{reason}; running unconfined because allow_without_landlock is set"
            )));
        }
        let launcher = config
            .launcher
            .clone()
            .ok_or_else(|| SandboxError::NoLauncher { profile: profile.to_owned() })?;
        let var = |name: &str| env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let tmp = tempfile::Builder::new().prefix("spectask-agent-").tempdir().map_err(|source| {
            SandboxError::Io {
                what: "create the private temporary directory in",
                path: std::env::temp_dir(),
                source,
            }
        })?;
        let program = find_on_path(command, var("PATH"));
        let mut settings = settings.clone();
        settings.connect_ports.extend(&config.connect_ports);
        let mut policy = build(PolicyInputs {
            settings: &settings,
            workspace,
            home: var("HOME").map(Path::new),
            path_var: var("PATH"),
            program: program.as_deref(),
            args,
            tmp: tmp.path(),
        })?;
        // spectask's own binary (the launcher) is readable and executable wherever it is installed:
        // the agent starts the session's coordination tools from it (`spectask mcp`). Without it,
        // a spectask outside the agent's PATH and the system folders left the agent with no tools.
        if launcher.program.is_absolute()
            && launcher.program.is_file()
            && !policy.read.contains(&launcher.program)
        {
            policy.read.push(launcher.program.clone());
        }
        Ok(Confinement {
            mode: settings.mode,
            landlock,
            state: State::Confined { launcher, policy: Arc::new(policy), tmp },
        })
    }

    /// No sandbox at all (instances whose profile is `off`, in-crate tests).
    pub fn off() -> Self {
        Confinement {
            mode: SandboxMode::Off,
            landlock: LandlockSupport::Unavailable { reason: "not asked".to_owned() },
            state: State::Unconfined { why: "sandbox off".to_owned() },
        }
    }

    /// Whether the kernel confines the agent.
    pub fn is_enforced(&self) -> bool {
        matches!(self.state, State::Confined { .. })
    }

    /// The program and arguments that start `command args` in this sandbox.
    pub fn wrap(&self, command: &str, args: &[String]) -> Result<(OsString, Vec<OsString>), SandboxError> {
        match &self.state {
            State::Confined { launcher, policy, .. } => {
                Ok((launcher.program.clone().into_os_string(), launcher.arguments(policy, command, args)?))
            }
            State::Unconfined { .. } => Ok((command.into(), args.iter().map(OsString::from).collect())),
        }
    }

    /// Variables the sandbox sets for the agent and its terminals: `TMPDIR` (the private directory).
    pub fn env(&self) -> Vec<(String, String)> {
        match &self.state {
            State::Confined { tmp, .. } => vec![("TMPDIR".to_owned(), tmp.path().display().to_string())],
            State::Unconfined { .. } => Vec::new(),
        }
    }

    /// Whether the policy lets the agent write `path` (canonical) although it is outside the
    /// worktree (a declared path, the private temporary directory).
    pub fn allows_write(&self, path: &Path) -> bool {
        match &self.state {
            State::Confined { policy, .. } => policy.write.iter().any(|w| path.starts_with(w)),
            State::Unconfined { .. } => true,
        }
    }

    pub fn report(&self) -> SandboxReport {
        let mut warnings = Vec::new();
        let (read, write, connect_ports) = match &self.state {
            State::Confined { policy, .. } => {
                warnings.extend(self.landlock.gaps().into_iter().map(str::to_owned));
                (policy.read.clone(), policy.write.clone(), policy.connect_ports.clone())
            }
            State::Unconfined { why } => {
                warnings.push(why.clone());
                (Vec::new(), Vec::new(), None)
            }
        };
        SandboxReport {
            mode: self.mode,
            enforced: self.is_enforced(),
            landlock: self.landlock.clone(),
            read,
            write,
            connect_ports,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(landlock: LandlockSupport, allow: bool) -> SandboxConfig {
        SandboxConfig {
            launcher: Some(Launcher::spectask("/bin/spectask")),
            allow_without_landlock: allow,
            landlock,
            connect_ports: vec![7070],
        }
    }

    #[test]
    fn without_landlock_sandboxed_profiles_are_refused_unless_the_user_opts_out() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::worktree(dir.path());
        let missing = LandlockSupport::Unavailable { reason: "this kernel has no Landlock".into() };
        let settings = SandboxSettings::default();
        let err = Confinement::prepare(
            "claude",
            &settings,
            &workspace,
            &[],
            ("npx", &[]),
            &config(missing.clone(), false),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"claude\" runs sandboxed, but this kernel has no Landlock"), "{err}");
        assert!(err.contains("allow_without_landlock"), "{err}");

        let allowed = Confinement::prepare(
            "claude",
            &settings,
            &workspace,
            &[],
            ("npx", &[]),
            &config(missing.clone(), true),
        )
        .unwrap();
        assert!(!allowed.is_enforced());
        assert!(allowed.report().warnings[0].contains("running unconfined"));
        assert_eq!(allowed.wrap("npx", &["-y".into()]).unwrap().0, "npx");

        let off = SandboxSettings { mode: SandboxMode::Off, ..Default::default() };
        let off =
            Confinement::prepare("x", &off, &workspace, &[], ("npx", &[]), &config(missing, false)).unwrap();
        assert!(off.report().warnings[0].contains("sandbox = \"off\""));
        let (_, message) =
            config(LandlockSupport::Unavailable { reason: "no".into() }, false).startup_message();
        assert!(message.contains("will be refused"), "{message}");
    }

    #[test]
    fn a_confined_instance_runs_through_the_launcher_with_a_private_tmpdir() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::worktree(dir.path().canonicalize().unwrap());
        let confinement = Confinement::prepare(
            "scripted",
            &SandboxSettings::default(),
            &workspace,
            &[("PATH".into(), "/usr/bin".into())],
            ("sh", &[]),
            &config(LandlockSupport::Available { abi: 7 }, false),
        )
        .unwrap();
        assert!(confinement.is_enforced());
        let (program, args) = confinement.wrap("sh", &["-c".into(), "true".into()]).unwrap();
        assert_eq!(program, "/bin/spectask");
        assert_eq!(args[0], "agent");
        assert_eq!(args[args.len() - 3..], ["sh".into(), "-c".into(), "true".into()] as [OsString; 3]);
        let tmpdir = PathBuf::from(&confinement.env()[0].1);
        assert!(tmpdir.is_dir());
        assert!(
            confinement.allows_write(&tmpdir.join("x")) && !confinement.allows_write(Path::new("/etc/x"))
        );
        let report = confinement.report();
        assert!(report.write.contains(&workspace.worktree) && report.warnings.is_empty());
        assert_eq!(report.connect_ports, Some(vec![7070]), "spectask's own port is reachable");
        drop(confinement);
        assert!(!tmpdir.exists(), "the private temporary directory goes with the instance");
    }

    #[test]
    fn spectask_itself_is_readable_wherever_it_is_installed() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::worktree(dir.path().canonicalize().unwrap());
        let exe = std::env::current_exe().unwrap();
        let config = SandboxConfig {
            launcher: Some(Launcher::spectask(&exe)),
            ..config(LandlockSupport::Available { abi: 7 }, false)
        };
        let settings = SandboxSettings::default();
        let path = [("PATH".into(), "/usr/bin".into())];
        let confinement =
            Confinement::prepare("scripted", &settings, &workspace, &path, ("sh", &[]), &config).unwrap();
        assert!(confinement.report().read.contains(&exe), "{:?}", confinement.report().read);
    }
}
