//! Landlock, through the `landlock` crate: what the running kernel supports, and applying a
//! [`Policy`] to the calling thread (the launcher's only thread, right before it execs).
//!
//! Rights are requested as of Landlock ABI 7 (the ABI spectask is tested on) in best-effort mode:
//! an older kernel enforces what it knows, which [`LandlockSupport::gaps`] names.

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, LandlockStatus, NetPort,
    PathBeneath, PathFd, RestrictSelf, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use serde::Serialize;

use crate::SandboxError;
use crate::policy::Policy;

/// The ABI whose rights spectask asks for.
const TESTED_ABI: ABI = ABI::V7;

/// Landlock on the running kernel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LandlockSupport {
    Available { abi: u8 },
    Unavailable { reason: String },
}

impl LandlockSupport {
    /// Asks the kernel (one system call, no restriction applied).
    pub fn detect() -> Self {
        match RestrictSelf::default().no_new_privs(false).apply() {
            Ok(status) => match status.landlock {
                LandlockStatus::Available { effective_abi, kernel_abi } => LandlockSupport::Available {
                    abi: kernel_abi.and_then(|v| u8::try_from(v).ok()).unwrap_or(effective_abi as u8),
                },
                LandlockStatus::NotEnabled => LandlockSupport::Unavailable {
                    reason: "Landlock is built into this kernel but not enabled (add it to the lsm= boot parameter)"
                        .to_owned(),
                },
                LandlockStatus::NotImplemented => LandlockSupport::Unavailable {
                    reason: "this kernel has no Landlock (Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK)".to_owned(),
                },
            },
            Err(error) => LandlockSupport::Unavailable { reason: format!("cannot query Landlock: {error}") },
        }
    }

    /// What this kernel's ABI cannot enforce of what spectask asks for.
    pub fn gaps(&self) -> Vec<&'static str> {
        let LandlockSupport::Available { abi } = self else { return Vec::new() };
        let mut gaps = Vec::new();
        if *abi < 2 {
            gaps.push("moving files between directories is not restricted (needs Landlock ABI 2)");
        }
        if *abi < 3 {
            gaps.push("truncating files is not restricted (needs Landlock ABI 3)");
        }
        if *abi < 4 {
            gaps.push("network connections are not restricted (needs Landlock ABI 4)");
        }
        if *abi < 5 {
            gaps.push("device ioctls are not restricted (needs Landlock ABI 5)");
        }
        if *abi < 6 {
            gaps.push("signals and abstract unix sockets reach outside the sandbox (needs Landlock ABI 6)");
        }
        gaps
    }
}

fn landlock_error(error: impl std::fmt::Display) -> SandboxError {
    SandboxError::Landlock(error.to_string())
}

fn rule(path: &std::path::Path, access: BitFlags<AccessFs>) -> Result<PathBeneath<PathFd>, SandboxError> {
    let fd = PathFd::new(path).map_err(landlock_error)?;
    // Directory-only rights on a file are an error: keep the file rights then.
    let access = if path.is_dir() { access } else { access & AccessFs::from_file(TESTED_ABI) };
    Ok(PathBeneath::new(fd, access))
}

/// Restricts the calling thread (and what it execs) to `policy`; sets `no_new_privs`. Fails when the
/// kernel enforces nothing.
pub fn restrict_self(policy: &Policy) -> Result<(), SandboxError> {
    let all = AccessFs::from_all(TESTED_ABI);
    let read = AccessFs::from_read(TESTED_ABI);
    let device = read | AccessFs::WriteFile | AccessFs::Truncate | AccessFs::IoctlDev;
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(landlock_error)?
        .scope(Scope::from_all(TESTED_ABI))
        .map_err(landlock_error)?;
    if policy.connect_ports.is_some() {
        ruleset = ruleset.handle_access(AccessNet::ConnectTcp).map_err(landlock_error)?;
    }
    let mut created = ruleset.create().map_err(landlock_error)?;
    for (paths, access) in [(&policy.read, read), (&policy.write, all), (&policy.devices, device)] {
        for path in paths {
            created = created.add_rule(rule(path, access)?).map_err(landlock_error)?;
        }
    }
    for port in policy.connect_ports.iter().flatten() {
        created = created.add_rule(NetPort::new(*port, AccessNet::ConnectTcp)).map_err(landlock_error)?;
    }
    let status = created.restrict_self().map_err(landlock_error)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced => Ok(()),
        RulesetStatus::NotEnforced => Err(SandboxError::NotEnforced(format!("{:?}", status.landlock))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_kernel_has_landlock_with_network_and_scopes() {
        // The machines spectask is built and tested on run kernel 6.18 (ABI 7): a failure here means
        // the sandbox tests below would not test anything.
        let support = LandlockSupport::detect();
        assert!(matches!(support, LandlockSupport::Available { abi } if abi >= 6), "{support:?}");
        assert!(support.gaps().is_empty());
        let old = LandlockSupport::Available { abi: 3 };
        assert_eq!(old.gaps().len(), 3);
        assert!(LandlockSupport::Unavailable { reason: "x".into() }.gaps().is_empty());
    }

    #[test]
    fn a_restricted_thread_writes_only_its_writable_paths() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (inside, outside) = (base.join("inside"), base.join("outside"));
        std::fs::create_dir_all(&inside).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "s").unwrap();
        let policy = Policy {
            read: vec!["/usr".into(), "/etc".into()],
            write: vec![inside.clone()],
            devices: vec!["/dev".into()],
            connect_ports: Some(vec![]),
        };
        // Landlock restricts the calling thread only: a thread of its own keeps the test process free.
        let (wrote_inside, wrote_outside, read_outside, connected) = std::thread::spawn(move || {
            restrict_self(&policy).unwrap();
            (
                std::fs::write(inside.join("ok"), "x").is_ok(),
                std::fs::write(outside.join("no"), "x").map_err(|e| e.kind()),
                std::fs::read(outside.join("secret")).map_err(|e| e.kind()),
                std::net::TcpStream::connect("127.0.0.1:9").map_err(|e| e.kind()),
            )
        })
        .join()
        .unwrap();
        assert!(wrote_inside);
        assert_eq!(wrote_outside.unwrap_err(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(read_outside.unwrap_err(), std::io::ErrorKind::PermissionDenied);
        assert_eq!(connected.unwrap_err(), std::io::ErrorKind::PermissionDenied);
        assert!(!base.join("outside/no").exists());
    }
}
