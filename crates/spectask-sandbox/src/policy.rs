//! The policy of one sandboxed agent: which paths it may read, which it may write, which devices it
//! may open and which TCP ports it may connect to. Computed by spectask, applied by the launcher.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SandboxError;
use crate::settings::{Network, SandboxMode, SandboxSettings, expand};

/// System locations every agent may read and execute (those that exist). The home directories,
/// `/tmp`, `/var` and `/mnt` are not among them.
pub const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    "/nix/store",
    "/proc",
    "/sys",
    "/run/systemd/resolve",
];

/// Home paths every agent may read (when they exist): git's own configuration, so that git works in
/// the worktree (git refuses to run when a configuration file exists but cannot be read).
pub const HOME_READ: &[&str] = &["~/.gitconfig", "~/.config/git"];

/// Device files: opened for reading and writing (`/dev/null`, `/dev/tty`, ptys), never created.
pub const DEVICES: &[&str] = &["/dev"];

/// Where an agent works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The agent's working directory: the task's worktree.
    pub worktree: PathBuf,
    /// Readable besides the worktree: the repository (its main checkout and git directory).
    pub read: Vec<PathBuf>,
    /// For a planning agent, the folder it writes the spec to: then the only writable part of the
    /// worktree, whatever the sandbox mode.
    pub output: Option<PathBuf>,
}

impl Workspace {
    /// A workspace that is only a worktree (probes, tests).
    pub fn worktree(path: impl Into<PathBuf>) -> Self {
        Workspace { worktree: path.into(), read: Vec::new(), output: None }
    }

    /// The writable part of the workspace under `mode`.
    pub fn writable(&self, mode: SandboxMode) -> Option<&Path> {
        match (&self.output, mode) {
            (Some(output), _) => Some(output),
            (None, SandboxMode::WorkspaceWrite) => Some(&self.worktree),
            (None, _) => None,
        }
    }
}

/// The rules the launcher applies (all paths absolute and existing when computed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Read, list and execute beneath these.
    pub read: Vec<PathBuf>,
    /// Everything beneath these: create, write, truncate, remove, rename.
    pub write: Vec<PathBuf>,
    /// Open existing files beneath these for reading and writing, with ioctl (device files).
    pub devices: Vec<PathBuf>,
    /// TCP connect only to these ports; `None` allows any.
    pub connect_ports: Option<Vec<u16>>,
}

/// What the policy of one agent is made of.
#[derive(Clone, Copy, Debug)]
pub struct PolicyInputs<'a> {
    pub settings: &'a SandboxSettings,
    pub workspace: &'a Workspace,
    /// The agent's `HOME`.
    pub home: Option<&'a Path>,
    /// The agent's `PATH`: its directories are readable and executable.
    pub path_var: Option<&'a str>,
    /// The agent's program, as found on PATH: its installation is readable.
    pub program: Option<&'a Path>,
    /// The agent's arguments: files they name by absolute path (a script, a configuration) are
    /// readable.
    pub args: &'a [String],
    /// The agent's private temporary directory (writable).
    pub tmp: &'a Path,
}

/// Computes the policy. Declared writable directories that do not exist yet are created (they are
/// the agent's own state and cache); other missing paths are left out.
pub fn build(inputs: PolicyInputs<'_>) -> Result<Policy, SandboxError> {
    let home = inputs.home.and_then(|h| h.canonicalize().ok());
    let mut policy = Policy::default();
    let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    read.extend(HOME_READ.iter().filter_map(|p| expand(p, home.as_deref())));
    read.extend(declared(&inputs.settings.read, home.as_deref())?);
    read.push(inputs.workspace.worktree.clone());
    read.extend(inputs.workspace.read.iter().cloned());
    if let Some(path_var) = inputs.path_var {
        read.extend(
            std::env::split_paths(path_var).filter(|d| d.is_absolute()).filter(|d| !holds_home(d, &home)),
        );
    }
    if let Some(program) = inputs.program {
        read.extend(installation(program, &home));
    }
    // A file an argument names (an agent's entry script), and the package it is part of.
    for file in inputs.args.iter().map(PathBuf::from).filter(|p| p.is_absolute() && p.is_file()) {
        read.extend(package_of(&file, &home));
        read.push(file);
    }
    let mut write = declared(&inputs.settings.write, home.as_deref())?;
    for dir in &write {
        std::fs::create_dir_all(dir).map_err(|source| SandboxError::Io {
            what: "create the declared directory",
            path: dir.clone(),
            source,
        })?;
    }
    write.push(inputs.tmp.to_path_buf());
    write.extend(inputs.workspace.writable(inputs.settings.mode).map(Path::to_path_buf));
    policy.read = existing(read);
    policy.write = existing(write);
    policy.devices = existing(DEVICES.iter().map(PathBuf::from).collect());
    policy.connect_ports = match inputs.settings.network {
        Network::Any => None,
        Network::Restricted => {
            let mut ports = inputs.settings.connect_ports.clone();
            ports.sort_unstable();
            ports.dedup();
            Some(ports)
        }
    };
    Ok(policy)
}

fn declared(paths: &[String], home: Option<&Path>) -> Result<Vec<PathBuf>, SandboxError> {
    paths
        .iter()
        .map(|p| {
            expand(p, home).ok_or_else(|| {
                SandboxError::Policy(format!("{p:?} names the home directory, but HOME is not set"))
            })
        })
        .collect()
}

/// Canonical, existing, deduplicated; a path beneath another one of the list is kept (rights on
/// nested rules add up, and a write rule beneath a read rule must stay).
fn existing(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = paths.iter().filter_map(|p| p.canonicalize().ok()).collect();
    out.sort();
    out.dedup();
    out
}

/// Whether granting `dir` would grant the home directory or a parent of it (`~/bin` on PATH is fine,
/// `~` or `/` is not).
fn holds_home(dir: &Path, home: &Option<PathBuf>) -> bool {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir == Path::new("/") || home.as_ref().is_some_and(|home| home.starts_with(&dir))
}

/// The installation of the agent's program: for `<prefix>/bin/<program>` the prefix (so that
/// `~/.nvm/versions/node/v22/bin/npx` can load `lib/node_modules`), else the program's directory;
/// both for the path found on PATH and for the file it resolves to, and the `node_modules` tree it
/// is in. Never the home directory.
fn installation(program: &Path, home: &Option<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in [Some(program.to_path_buf()), program.canonicalize().ok()].into_iter().flatten() {
        let Some(dir) = path.parent() else { continue };
        let prefix = match (dir.file_name(), dir.parent()) {
            (Some(name), Some(prefix)) if name == "bin" && !holds_home(prefix, home) => prefix,
            _ => dir,
        };
        if !holds_home(prefix, home) {
            found.push(prefix.to_path_buf());
        }
        // A package run from `node_modules` (`node_modules/.bin/x` resolves into it) loads its
        // dependencies from anywhere in that tree: its outermost `node_modules` directory.
        let modules =
            path.ancestors().filter(|a| a.file_name() == Some(std::ffi::OsStr::new("node_modules")));
        if let Some(modules) = modules.last().filter(|m| !holds_home(m, home)) {
            found.push(modules.to_path_buf());
        }
    }
    found
}

/// The package a file belongs to, which the program that runs it loads more of: the outermost
/// `node_modules` it is in, the Python virtual environment (the folder holding `pyvenv.cfg`), or
/// else the nearest folder with a `package.json` or `pyproject.toml`. Never the home directory or
/// a folder holding it.
fn package_of(file: &Path, home: &Option<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in [Some(file.to_path_buf()), file.canonicalize().ok()].into_iter().flatten() {
        let modules =
            path.ancestors().filter(|a| a.file_name() == Some(std::ffi::OsStr::new("node_modules")));
        let venv = path.ancestors().skip(1).find(|a| a.join("pyvenv.cfg").is_file());
        let project = || {
            path.ancestors()
                .skip(1)
                .find(|a| a.join("package.json").is_file() || a.join("pyproject.toml").is_file())
        };
        let package = modules.last().or(venv).or_else(project);
        if let Some(package) = package.filter(|p| !holds_home(p, home)) {
            found.push(package.to_path_buf());
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_inside_a_package_makes_the_package_readable() {
        let d = dirs();
        let home = d.base.join("home");
        let modules = d.base.join("opt/agents/node_modules");
        let venv = d.base.join("venv");
        let checkout = home.join("src/agent");
        for dir in
            [modules.join("@acme/agent/dist"), venv.join("lib/site-packages/agent"), checkout.join("dist")]
        {
            std::fs::create_dir_all(dir).unwrap();
        }
        let files = [
            modules.join("@acme/agent/dist/cli.js"),
            venv.join("lib/site-packages/agent/__main__.py"),
            checkout.join("dist/cli.js"),
            home.join("loose.js"),
        ];
        for file in &files {
            std::fs::write(file, "").unwrap();
        }
        std::fs::write(venv.join("pyvenv.cfg"), "").unwrap();
        std::fs::write(checkout.join("package.json"), "{}").unwrap();
        std::fs::write(home.join("package.json"), "{}").unwrap();
        let args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let workspace = Workspace { worktree: d.base.join("repo"), read: Vec::new(), output: None };
        let policy = build(PolicyInputs {
            settings: &SandboxSettings::default(),
            workspace: &workspace,
            home: Some(&home),
            path_var: None,
            program: None,
            args: &args,
            tmp: &d.base.join("tmp"),
        })
        .unwrap();
        for readable in [&modules, &venv, &checkout, &files[3]] {
            assert!(policy.read.contains(readable), "{} in {:#?}", readable.display(), policy.read);
        }
        assert!(!policy.read.contains(&home), "never the home: {:#?}", policy.read);
    }

    struct Dirs {
        _dir: tempfile::TempDir,
        base: PathBuf,
    }

    fn dirs() -> Dirs {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        for d in [
            "home/.npm-cache",
            "home/.ssh",
            "home/.nvm/v22/bin",
            "home/.nvm/v22/lib",
            "repo/.git-worktrees/t1",
            "tmp",
        ] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(base.join("home/.gitconfig"), "[user]\n").unwrap();
        std::fs::write(base.join("home/.nvm/v22/bin/npx"), "").unwrap();
        Dirs { _dir: dir, base }
    }

    fn build_in(d: &Dirs, settings: &SandboxSettings, workspace: &Workspace) -> Policy {
        let home = d.base.join("home");
        let path_var = format!("/usr/bin:{}:{}", home.join(".nvm/v22/bin").display(), home.display());
        let program = home.join(".nvm/v22/bin/npx");
        build(PolicyInputs {
            settings,
            workspace,
            home: Some(&home),
            path_var: Some(&path_var),
            program: Some(&program),
            args: &[
                home.join(".gitconfig").display().to_string(),
                "-v".into(),
                home.join(".ssh").display().to_string(),
            ],
            tmp: &d.base.join("tmp"),
        })
        .unwrap()
    }

    #[test]
    fn implementation_writes_the_worktree_and_reads_the_repository_but_not_the_home() {
        let d = dirs();
        let settings = SandboxSettings {
            write: vec!["~/.npm-cache".into(), "~/.new-state".into()],
            connect_ports: vec![443, 443, 80],
            ..Default::default()
        };
        let worktree = d.base.join("repo/.git-worktrees/t1");
        let workspace =
            Workspace { worktree: worktree.clone(), read: vec![d.base.join("repo")], output: None };
        let policy = build_in(&d, &settings, &workspace);
        let home = d.base.join("home");
        assert_eq!(
            policy.write,
            [home.join(".new-state"), home.join(".npm-cache"), worktree.clone(), d.base.join("tmp")]
        );
        assert!(home.join(".new-state").is_dir(), "declared writable directories are created");
        assert!(policy.read.contains(&d.base.join("repo")) && policy.read.contains(&worktree));
        assert!(
            policy.read.contains(&home.join(".gitconfig")) && policy.read.contains(&home.join(".nvm/v22"))
        );
        assert!(policy.read.contains(&PathBuf::from("/usr")) && policy.read.contains(&PathBuf::from("/etc")));
        // Neither the home directory (on PATH here) nor anything holding it is readable; a file named
        // in the arguments is, a directory is not.
        assert!(!policy.read.iter().any(|p| home.starts_with(p)), "{:#?}", policy.read);
        assert!(!policy.read.contains(&home.join(".ssh")));
        assert_eq!(policy.devices, [PathBuf::from("/dev")]);
        assert_eq!(policy.connect_ports, Some(vec![80, 443]));
    }

    #[test]
    fn planning_writes_only_its_output_and_read_only_writes_no_worktree() {
        let d = dirs();
        let worktree = d.base.join("repo/.git-worktrees/t1");
        let output = worktree.join(".spectask/spec");
        std::fs::create_dir_all(&output).unwrap();
        let planning = Workspace { worktree: worktree.clone(), read: vec![], output: Some(output.clone()) };
        let policy = build_in(&d, &SandboxSettings::default(), &planning);
        assert_eq!(policy.write, [output, d.base.join("tmp")]);
        assert_eq!(policy.connect_ports, Some(vec![]));

        let read_only =
            SandboxSettings { mode: SandboxMode::ReadOnly, network: Network::Any, ..Default::default() };
        let policy = build_in(&d, &read_only, &Workspace::worktree(&worktree));
        assert_eq!(policy.write, [d.base.join("tmp")]);
        assert!(policy.read.contains(&worktree));
        assert_eq!(policy.connect_ports, None);
    }

    #[test]
    fn a_program_in_node_modules_reads_the_whole_tree() {
        let d = dirs();
        let modules = d.base.join("agents/node_modules");
        let package = modules.join("@vendor/agent/dist");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::create_dir_all(modules.join(".bin")).unwrap();
        std::fs::write(package.join("index.js"), "").unwrap();
        std::os::unix::fs::symlink(package.join("index.js"), modules.join(".bin/agent")).unwrap();
        let found = installation(&modules.join(".bin/agent"), &Some(d.base.join("home")));
        assert_eq!(found, [modules.join(".bin"), modules.clone(), package, modules]);
    }

    #[test]
    fn a_home_path_without_home_is_an_error() {
        let settings = SandboxSettings { read: vec!["~/.x".into()], ..Default::default() };
        let tmp = tempfile::tempdir().unwrap();
        let workspace = Workspace::worktree(tmp.path());
        let inputs = PolicyInputs {
            settings: &settings,
            workspace: &workspace,
            home: None,
            path_var: None,
            program: None,
            args: &[],
            tmp: tmp.path(),
        };
        assert!(matches!(build(inputs), Err(SandboxError::Policy(_))));
    }
}
