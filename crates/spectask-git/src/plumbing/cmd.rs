//! Running the `git` program. Every read and write of a repository goes through here, so git
//! itself applies the repository's formats (reftable, SHA-256, split and sparse index), its
//! attributes and filters (eol, Git LFS), its permissions (`core.sharedRepository`), its fsync
//! settings and its hooks.
//!
//! A [`Git`] names where git runs: a directory (the main working tree, found as git finds it), or
//! a linked worktree by its admin directory and its working tree. A task's worktree is always run
//! with both named (`GIT_DIR`, `GIT_WORK_TREE`): the `.git` file inside it is writable to the task's
//! agent, which could point it at another repository.
//!
//! Git runs in a clean room. Its environment is built, never inherited: `PATH`, `HOME` and
//! `TMPDIR` from spectask's process and nothing else of it (no token or secret the server was
//! given), `LC_ALL=C` (its messages are matched in a few places), no terminal prompt, no system
//! configuration and, as the global one, spectask's own ([`OWN_CONFIG`]), and [`POLICY`] as
//! command-line configuration, which outranks anything a repository's own configuration says: no
//! fsmonitor command, no signing program, and no hooks
//! except where spectask runs the repository's own on purpose ([`Git::with_repository_hooks`]).
//! spectask's own commands take literal pathspecs (its paths are never patterns); the hooks it
//! runs on purpose do not inherit that.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use backon::BlockingRetryable;

use crate::error::GitError;
use crate::plumbing::retry::LOCK_FILE_RETRY;

/// What git is given of spectask's own environment: where programs are, the home directory (SSH
/// and git-lfs look there) and where temporary files go. Nothing else reaches it.
const PASSED_THROUGH: &[&str] = &["PATH", "HOME", "TMPDIR"];

/// Configuration every git command runs with, given as command-line configuration
/// (`GIT_CONFIG_COUNT`): it outranks the repository's own `.git/config`, which spectask does not
/// write and a repository registered by path brings with it.
///
/// - No fsmonitor: it is a command git would run on every status and add.
/// - No hooks (`core.hooksPath` names no directory): a hook is a program from the repository. The
///   repository's `pre-commit` and `commit-msg` run only where spectask runs them on purpose.
/// - No signing, which would run a program the repository names.
/// - No maintenance after each commit or merge, which the writer would wait for: it runs in the
///   background (`maintenance.rs`).
/// - No transport that runs a command (`ext::`), `file://` only where a person named it (not
///   through a submodule's URL), and no submodule fetched or checked out on the way.
///
/// Git LFS's filters follow it, as [`RemoteTrust`] says (no global configuration is read, where
/// `git lfs install` would have put them).
pub(crate) const POLICY: &[(&str, &str)] = &[
    ("core.fsmonitor", "false"),
    ("protocol.ext.allow", "never"),
    ("protocol.file.allow", "user"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("core.hooksPath", NO_HOOKS),
    ("maintenance.auto", "false"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
];

/// spectask's own configuration of a repository, in its git directory, read by every git command
/// spectask runs there as git's global configuration (which the repository's own outranks):
/// written at registration. It names the identity spectask commits under and takes in the server
/// user's `~/.gitconfig` (the operator's identity and credential helpers); [`POLICY`] outranks
/// both.
pub(crate) const OWN_CONFIG: &str = "spectask/gitconfig";

/// A `core.hooksPath` that holds no hook: git looks for `/dev/null/<hook>` and finds nothing.
const NO_HOOKS: &str = "/dev/null";

/// How long a clone, fetch or push may take before it is killed: a remote that stops answering
/// (a silent `git://` server, a stuck SSH connection) holds nothing longer than this.
pub(crate) const TRANSFER_TIME_LIMIT: Duration = Duration::from_secs(600);

/// Configuration of a command that reaches a remote: HTTP that moves less than 1 KiB/s for a
/// minute gives up. Where redirects are followed is [`RemoteTrust`].
const TRANSFER_POLICY: &[(&str, &str)] = &[("http.lowSpeedLimit", "1024"), ("http.lowSpeedTime", "60")];

/// How far git trusts what a repository's remote, and the content it serves, lead it to. Who may
/// use the repository decides it (the caller, which knows them): a member's URL met the operator's
/// checks (no loopback, private or link-local address), and what the remote answers, or what a
/// member's agent commits, could lead past them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RemoteTrust {
    /// A repository only the operator and administrators ever used: git's defaults. An HTTP
    /// redirect is followed on the first request (a moved repository, a forge's answer to a URL
    /// without `.git`), Git LFS objects are fetched at checkout, and a task's worktree checks out
    /// the submodules `.gitmodules` names.
    #[default]
    Operator,
    /// A repository a member owns or may use, or ever did: no redirect is followed (an answer
    /// that redirects fails the transfer), Git LFS files are checked out as their pointers
    /// (git-lfs would fetch from the `lfs.url` the repository's `.lfsconfig` names, and from
    /// whatever addresses the LFS server's answer names), and no submodule is checked out
    /// (`.gitmodules` names URLs no policy judged).
    Member,
}

impl RemoteTrust {
    /// `http.followRedirects` of a transfer.
    fn follow_redirects(self) -> &'static str {
        match self {
            RemoteTrust::Operator => "initial",
            RemoteTrust::Member => "false",
        }
    }

    /// The Git LFS filters of every command: as `git lfs install` sets them, or as `git lfs
    /// install --skip-smudge` does (a checkout writes the pointer and fetches nothing).
    fn lfs_filters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            RemoteTrust::Operator => LFS_FILTERS,
            RemoteTrust::Member => LFS_FILTERS_SKIPPING,
        }
    }
}

const LFS_FILTERS: &[(&str, &str)] = &[
    ("filter.lfs.clean", "git-lfs clean -- %f"),
    ("filter.lfs.smudge", "git-lfs smudge -- %f"),
    ("filter.lfs.process", "git-lfs filter-process"),
    ("filter.lfs.required", "true"),
];

const LFS_FILTERS_SKIPPING: &[(&str, &str)] = &[
    ("filter.lfs.clean", "git-lfs clean -- %f"),
    ("filter.lfs.smudge", "git-lfs smudge --skip -- %f"),
    ("filter.lfs.process", "git-lfs filter-process --skip"),
    ("filter.lfs.required", "true"),
];

/// SSH without prompts (no password or passphrase asked), a host seen first accepted and
/// remembered, a connection given 30 s to open and dropped after a minute of silence.
const SSH_COMMAND: &str = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=30 \
                           -o ServerAliveInterval=15 -o ServerAliveCountMax=4";

/// Where a git command runs.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    cwd: PathBuf,
    /// A linked worktree's admin directory and working tree, when named explicitly.
    worktree: Option<(PathBuf, PathBuf)>,
    /// Reads only: git does not refresh the index on the side (`GIT_OPTIONAL_LOCKS=0`).
    read_only: bool,
    /// An index of spectask's own instead of the worktree's (`GIT_INDEX_FILE`).
    index: Option<PathBuf>,
    /// The repository's own hooks run (its `core.hooksPath`, or `hooks/`), in an environment
    /// without spectask's literal pathspecs.
    repository_hooks: bool,
    /// Configuration after [`POLICY`] (a transfer's credential helper and limits).
    extra_config: Vec<(String, String)>,
    /// Variables of spectask's own environment a transfer needs besides [`PASSED_THROUGH`]
    /// (`SSH_AUTH_SOCK`), and variables set for it.
    extra_env: Vec<(String, String)>,
    /// Killed, with everything it started, once it has run this long.
    time_limit: Option<Duration>,
    /// What the repository's remote and content may lead git to.
    trust: RemoteTrust,
}

impl Git {
    /// git in `dir`, finding its repository as git does (a main working tree, or a trusted one).
    pub(crate) fn at(dir: &Path) -> Git {
        Git {
            cwd: dir.to_path_buf(),
            worktree: None,
            read_only: false,
            index: None,
            repository_hooks: false,
            extra_config: Vec::new(),
            extra_env: Vec::new(),
            time_limit: None,
            trust: RemoteTrust::Operator,
        }
    }

    /// git in the linked worktree at `work_tree`, whose admin directory is `admin`
    /// (`<git-dir>/worktrees/<name>`).
    fn worktree(admin: &Path, work_tree: &Path) -> Git {
        Git { worktree: Some((admin.to_path_buf(), work_tree.to_path_buf())), ..Git::at(work_tree) }
    }

    /// The same place, trusting the remote and content as `trust` says.
    pub(crate) fn trusting(&self, trust: RemoteTrust) -> Git {
        Git { trust, ..self.clone() }
    }

    /// The linked worktree at `work_tree` of the same repository (its admin directory `admin`),
    /// trusted as this place is.
    pub(crate) fn linked(&self, admin: &Path, work_tree: &Path) -> Git {
        Git::worktree(admin, work_tree).trusting(self.trust)
    }

    /// Another checkout of the same repository, at `dir`, trusted as this place is.
    pub(crate) fn checkout_at(&self, dir: &Path) -> Git {
        Git::at(dir).trusting(self.trust)
    }

    /// The same place, for commands that only read: they take no optional lock (a `git status`
    /// does not write the index behind an agent's back).
    pub(crate) fn reading(&self) -> Git {
        Git { read_only: true, ..self.clone() }
    }

    /// The same place with `index` as its index: what is staged there leaves the worktree's own
    /// index as it was.
    pub(crate) fn with_index(&self, index: &Path) -> Git {
        Git { index: Some(index.to_path_buf()), ..self.clone() }
    }

    /// The same place, where the repository's own hooks run: `git hook run` of a hook spectask
    /// runs on purpose, and the reading of where they are.
    pub(crate) fn with_repository_hooks(&self) -> Git {
        Git { repository_hooks: true, ..self.clone() }
    }

    /// The same place, with `config` after [`POLICY`] and `env` besides the clean room's.
    pub(crate) fn with(&self, config: Vec<(String, String)>, env: Vec<(String, String)>) -> Git {
        let mut git = self.clone();
        git.extra_config.extend(config);
        git.extra_env.extend(env);
        git
    }

    /// The same place, for a command that reaches a remote: bounded in time
    /// ([`TRANSFER_TIME_LIMIT`]) and in stalls ([`TRANSFER_POLICY`], [`SSH_COMMAND`]), and given
    /// the SSH agent of spectask's process, if it has one; following the remote's redirects as
    /// its [`RemoteTrust`] says.
    pub(crate) fn transfer(&self) -> Git {
        self.transfer_within(TRANSFER_TIME_LIMIT)
    }

    /// [`Git::transfer`], killed after `limit`.
    fn transfer_within(&self, limit: Duration) -> Git {
        let mut config: Vec<(String, String)> =
            TRANSFER_POLICY.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        config.push(("http.followRedirects".to_owned(), self.trust.follow_redirects().to_owned()));
        let mut env = vec![("GIT_SSH_COMMAND".to_owned(), SSH_COMMAND.to_owned())];
        if let Ok(agent) = std::env::var("SSH_AUTH_SOCK") {
            env.push(("SSH_AUTH_SOCK".to_owned(), agent));
        }
        Git { time_limit: Some(limit), ..self.with(config, env) }
    }

    /// spectask's own configuration of the repository git runs in, its "global" configuration
    /// ([`OWN_CONFIG`] in its common git directory: `<git-dir>/worktrees/<name>/../..` of a linked
    /// worktree, `<dir>/.git` of a main one). Where there is none (a clone's parent directory),
    /// git reads none.
    fn own_config(&self) -> PathBuf {
        self.common_dir().join(OWN_CONFIG)
    }

    /// The common git directory of the repository git runs in: `<git-dir>/worktrees/<name>/../..`
    /// of a linked worktree, `<dir>/.git` of a main one.
    pub(crate) fn common_dir(&self) -> PathBuf {
        match &self.worktree {
            Some((admin, _)) => {
                admin.parent().and_then(Path::parent).map_or_else(|| admin.join("../.."), Path::to_path_buf)
            }
            None => self.cwd.join(".git"),
        }
    }

    /// The directory git runs in.
    pub(crate) fn dir(&self) -> &Path {
        &self.cwd
    }

    /// The command, ready to run: `git <args>` in this place.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        // By its path: started with `posix_spawn`, not a fork of this whole process (`program`).
        let mut command = Command::new(crate::plumbing::program::git());
        command.current_dir(&self.cwd).env_clear();
        for name in PASSED_THROUGH {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.own_config());
        let policy = POLICY
            .iter()
            .filter(|(key, _)| !(self.repository_hooks && *key == "core.hooksPath"))
            .chain(self.trust.lfs_filters())
            .map(|(key, value)| (*key, *value));
        let extra = self.extra_config.iter().map(|(key, value)| (key.as_str(), value.as_str()));
        let mut count = 0;
        for (key, value) in policy.chain(extra) {
            command
                .env(format!("GIT_CONFIG_KEY_{count}"), key)
                .env(format!("GIT_CONFIG_VALUE_{count}"), value);
            count += 1;
        }
        command.env("GIT_CONFIG_COUNT", count.to_string());
        if !self.repository_hooks {
            command.env("GIT_LITERAL_PATHSPECS", "1");
        }
        for (name, value) in &self.extra_env {
            command.env(name, value);
        }
        if self.read_only {
            command.env("GIT_OPTIONAL_LOCKS", "0");
        }
        if let Some((admin, work_tree)) = &self.worktree {
            command.env("GIT_DIR", admin).env("GIT_WORK_TREE", work_tree);
        }
        if let Some(index) = &self.index {
            command.env("GIT_INDEX_FILE", index);
        }
        command.args(args);
        command
    }

    /// Runs `git <args>` with `input` on its standard input (none when `None`) and returns what it
    /// printed, whatever its exit status; an error only when git could not be run.
    pub(crate) fn output(&self, args: &[&str], input: Option<&[u8]>) -> Result<Output, GitError> {
        match self.time_limit {
            Some(limit) if input.is_none() => run_limited(self.command(args), args, limit),
            _ => run_command(self.command(args), args, input),
        }
    }

    /// Runs `git <args>` and returns its standard output; [`GitError::Command`] with git's message
    /// when it fails.
    pub(crate) fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        self.run_with_input(args, None)
    }

    /// Like [`Git::run`], with `input` on git's standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
        let output = self.output(args, input)?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        Err(failure(args, &output))
    }

    /// [`Git::run`] with its output as text, trailing whitespace removed.
    pub(crate) fn text(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.run(args)?;
        Ok(String::from_utf8_lossy(&out).trim_end().to_owned())
    }

    /// Like [`Git::run_with_input`], run again while another git process holds a lock git needs
    /// (an agent's `git status` holding the index's) or moved a ref git was about to update (a
    /// push moving a tracking ref a fetch read), as [`LOCK_FILE_RETRY`] allows.
    pub(crate) fn run_waiting(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
        (|| self.run_with_input(args, input))
            .retry(LOCK_FILE_RETRY)
            .when(GitError::is_lock_held)
            .notify(|e, wait| tracing::debug!(error = %e, ?wait, "a git lock file is held; retrying"))
            .call()
            .map_err(GitError::lock_held_named)
    }

    /// Whether `git <args>` succeeds (exit 0) or fails plainly (exit 1), as `merge-base
    /// --is-ancestor` and `diff --quiet` answer; any other exit is an error.
    pub(crate) fn yes_no(&self, args: &[&str]) -> Result<bool, GitError> {
        let output = self.output(args, None)?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(failure(args, &output)),
        }
    }
}

/// Runs a prepared git `command` with `input` on its standard input (none when `None`) and returns
/// what it printed, whatever its exit status; an error only when git could not be run.
pub(crate) fn run_command(
    mut command: Command,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<Output, GitError> {
    command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let spawn_err = |source| GitError::Spawn { op: describe(args), source };
    let mut child = command.spawn().map_err(spawn_err)?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Written from another thread: git may fill its output pipe before reading all of it.
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().map_err(spawn_err)?;
        // A command that stops reading early (it failed) closes the pipe: its status says why.
        let _ = writer.join();
        return Ok(output);
    }
    child.wait_with_output().map_err(spawn_err)
}

/// Runs a prepared git `command` as [`run_command`] does, without input, killing it and every
/// process it started (its process group: `git-remote-https`, `ssh`) once it has run for `limit`.
fn run_limited(mut command: Command, args: &[&str], limit: Duration) -> Result<Output, GitError> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use wait_timeout::ChildExt;

    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let spawn_err = |source| GitError::Spawn { op: describe(args), source };
    let mut child = command.spawn().map_err(spawn_err)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let status = match child.wait_timeout(limit).map_err(spawn_err)? {
        Some(status) => status,
        None => {
            let group = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            let _ = child.kill();
            let _ = child.wait();
            return Err(GitError::Command {
                op: describe(args),
                status: "killed".to_owned(),
                message: format!("no end within {} s: stopped", limit.as_secs()),
            });
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Output { status, stdout, stderr })
}

/// The error of a git command that failed, with its message.
pub(crate) fn failure(args: &[&str], output: &Output) -> GitError {
    let mut message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if message.is_empty() {
        message = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    }
    let status = match output.status.code() {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_owned(),
    };
    GitError::Command { op: describe(args), status, message }
}

/// `git <args>`, for messages: the first few arguments.
fn describe(args: &[&str]) -> String {
    let mut shown: Vec<&str> = args.iter().copied().take(6).collect();
    if args.len() > shown.len() {
        shown.push("…");
    }
    format!("git {}", shown.join(" "))
}

/// Splits `-z` output into its NUL-terminated fields.
pub(crate) fn nul_fields(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|b| *b == 0).filter(|field| !field.is_empty())
}

/// A field of git's output as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remote that accepts the connection and never answers holds a clone no longer than its
    /// limit: git and the processes it started are killed, and the error says so.
    #[test]
    fn a_silent_remote_is_given_up_at_the_time_limit() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("git://{}/silent.git", listener.local_addr().unwrap());
        let held = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let clone = Git::at(dir.path())
            .trusting(RemoteTrust::Member)
            .transfer_within(Duration::from_secs(2))
            .run(&["clone", "--", &url, "x"]);
        let err = clone.expect_err("the clone cannot succeed");
        assert!(err.to_string().contains("no end within 2 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
        drop(held.join());
    }

    /// Nothing of spectask's environment reaches git but what the clean room passes through.
    #[test]
    fn git_sees_only_the_clean_room() {
        let dir = tempfile::tempdir().unwrap();
        let command = Git::at(dir.path()).command(["var", "-l"]);
        let names: Vec<String> = command
            .get_envs()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for name in &names {
            let known = PASSED_THROUGH.contains(&name.as_str())
                || name.starts_with("GIT_CONFIG_")
                || ["LC_ALL", "GIT_TERMINAL_PROMPT", "GIT_LITERAL_PATHSPECS"].contains(&name.as_str());
            assert!(known, "{name} reaches git");
        }
        let hooks = Git::at(dir.path()).with_repository_hooks().command(["var", "-l"]);
        assert!(
            !hooks.get_envs().any(|(k, _)| k == "GIT_LITERAL_PATHSPECS"),
            "hooks take pathspecs as patterns"
        );
    }

    /// A URL that would run a command (`ext::`) runs nothing, whatever the repository's or the
    /// user's configuration allows.
    #[test]
    fn a_transport_that_runs_a_command_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let git = Git::at(dir.path());
        git.run(&["init", "-q"]).unwrap();
        git.run(&["config", "protocol.ext.allow", "always"]).unwrap();
        let url = format!("ext::sh -c touch% {}", marker.display());
        let fetched = git.transfer().run(&["fetch", "--quiet", &url]);
        assert!(fetched.is_err(), "fetched from {url}");
        assert!(!marker.exists(), "the transport's command ran");
    }
}
