//! `terminal/*`: commands run for agents inside the worktree, each in its own process group, with an
//! explicit environment, a time limit and a bounded output buffer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use agent_client_protocol::v1::schema::{CreateTerminalRequest, EnvVariable};
use spectask_sandbox::Confinement;
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

use super::ConfinementError;
use super::fs::confine;
use crate::config::TerminalLimits;
use crate::process::fault::kill_group;
use crate::process::record::{LiveGroup, ProcessRecord};

/// How a terminal's command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: Option<u32>,
    pub signal: Option<String>,
}

impl ExitInfo {
    fn from_status(status: Option<std::process::ExitStatus>) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match status {
            Some(status) => ExitInfo {
                code: status.code().and_then(|c| u32::try_from(c).ok()),
                signal: status.signal().map(signal_name),
            },
            None => ExitInfo { code: None, signal: Some("unknown".to_owned()) },
        }
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        9 => "SIGKILL".to_owned(),
        15 => "SIGTERM".to_owned(),
        2 => "SIGINT".to_owned(),
        other => format!("signal {other}"),
    }
}

/// Output kept from the end, truncated from the start at a UTF-8 boundary.
#[derive(Debug)]
struct OutputBuffer {
    bytes: Vec<u8>,
    limit: usize,
    truncated: bool,
}

impl OutputBuffer {
    fn push(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        if self.bytes.len() > self.limit {
            let mut cut = self.bytes.len() - self.limit;
            // Skip UTF-8 continuation bytes so the kept output starts on a character.
            while cut < self.bytes.len() && (self.bytes[cut] & 0b1100_0000) == 0b1000_0000 {
                cut += 1;
            }
            self.bytes.drain(..cut);
            self.truncated = true;
        }
    }
}

/// How a check command ended, and its output (the end of it when `truncated`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRun {
    pub exit: ExitInfo,
    pub output: String,
    pub truncated: bool,
    pub timed_out: bool,
}

impl CheckRun {
    /// Exited with status 0.
    pub fn passed(&self) -> bool {
        !self.timed_out && self.exit.code == Some(0)
    }
}

/// One running or finished command.
#[derive(Debug)]
pub struct TerminalProc {
    session: String,
    pid: u32,
    output: Mutex<OutputBuffer>,
    exit: watch::Receiver<Option<ExitInfo>>,
    /// Killed for running past its time limit.
    timed_out: watch::Receiver<bool>,
}

impl TerminalProc {
    /// Current output, whether it was truncated, and the exit status once the command ended.
    pub fn output(&self) -> (String, bool, Option<ExitInfo>) {
        let out = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        (String::from_utf8_lossy(&out.bytes).into_owned(), out.truncated, self.exit.borrow().clone())
    }

    /// Waits for the command to end (bounded by the terminal time limit).
    pub async fn wait(&self) -> ExitInfo {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(info) => info.clone().unwrap_or_else(|| ExitInfo::from_status(None)),
            Err(_) => ExitInfo::from_status(None),
        }
    }

    fn kill(&self) {
        if self.exit.borrow().is_none() {
            kill_group(self.pid);
        }
    }
}

/// The terminals of one agent instance.
#[derive(Debug)]
pub(crate) struct Terminals {
    limits: TerminalLimits,
    base_env: Vec<(String, String)>,
    /// The agent's sandbox: terminals run in the same one.
    confinement: Arc<Confinement>,
    /// Where each command's process group is recorded while it runs.
    record: Option<ProcessRecord>,
    map: Mutex<HashMap<String, Arc<TerminalProc>>>,
}

impl Terminals {
    pub(crate) fn new(
        limits: TerminalLimits,
        mut base_env: Vec<(String, String)>,
        confinement: Arc<Confinement>,
        record: Option<ProcessRecord>,
    ) -> Self {
        base_env.extend(confinement.env());
        Terminals { limits, base_env, confinement, record, map: Mutex::new(HashMap::new()) }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<TerminalProc>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the command of `request` for `session`; its cwd (default `root`) must lie inside `root`.
    pub(crate) fn create(
        &self,
        session: &str,
        root: &Path,
        request: &CreateTerminalRequest,
    ) -> Result<(String, PathBuf, Arc<TerminalProc>), ConfinementError> {
        let cwd = confine(root, request.cwd.as_deref().unwrap_or(root))?;
        if !cwd.is_dir() {
            return Err(ConfinementError::NotAFile(cwd));
        }
        let limit = request
            .output_byte_limit
            .and_then(|l| usize::try_from(l).ok())
            .map_or(self.limits.output_byte_limit, |l| l.min(self.limits.output_byte_limit));
        let proc = self.spawn(
            session,
            &cwd,
            (&request.command, &request.args),
            &request.env,
            limit,
            self.limits.time_limit,
        )?;
        let id = format!("term-{}", uuid::Uuid::now_v7());
        self.map().insert(id.clone(), proc.clone());
        Ok((id, cwd, proc))
    }

    /// Runs the repository's check command (`sh -c command`) in `cwd`, in the agent's sandbox and
    /// environment, and waits for it: killed (its whole group) after `time_limit`, output kept up
    /// to `output_limit` bytes from the end.
    pub(crate) async fn run_check(
        &self,
        cwd: &Path,
        command: &str,
        time_limit: Duration,
        output_limit: usize,
    ) -> Result<CheckRun, ConfinementError> {
        let args = ["-c".to_owned(), command.to_owned()];
        let proc = self.spawn("", cwd, ("sh", &args), &[], output_limit, time_limit)?;
        let exit = proc.wait().await;
        let (output, truncated, _) = proc.output();
        let timed_out = *proc.timed_out.borrow();
        Ok(CheckRun { exit, output, truncated, timed_out })
    }

    /// Starts `program args` in `cwd` through the sandbox launcher, in its own process group, with
    /// the terminals' environment plus `env`; killed after `time_limit`.
    fn spawn(
        &self,
        session: &str,
        cwd: &Path,
        (program, args): (&str, &[String]),
        env: &[EnvVariable],
        limit: usize,
        time_limit: Duration,
    ) -> Result<Arc<TerminalProc>, ConfinementError> {
        let spawn_error = |message: String| ConfinementError::Spawn { command: program.to_owned(), message };
        let (wrapped, wrapped_args) =
            self.confinement.wrap(program, args).map_err(|e| spawn_error(e.to_string()))?;
        let mut command = tokio::process::Command::new(wrapped);
        command
            .args(wrapped_args)
            .current_dir(cwd)
            .env_clear()
            .envs(self.base_env.iter().map(|(k, v)| (k, v)))
            .envs(env.iter().map(|e| (&e.name, &e.value)))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| spawn_error(e.to_string()))?;
        let pid = child.id().ok_or_else(|| spawn_error("exited at once".to_owned()))?;
        let recorded = self.record.as_ref().and_then(|record| record.started(pid));
        let (exit_tx, exit_rx) = watch::channel(None);
        let (timed_out_tx, timed_out_rx) = watch::channel(false);
        let proc = Arc::new(TerminalProc {
            session: session.to_owned(),
            pid,
            output: Mutex::new(OutputBuffer { bytes: Vec::new(), limit, truncated: false }),
            exit: exit_rx,
            timed_out: timed_out_rx,
        });
        let readers: Vec<_> = [child.stdout.take().map(Pipe::Out), child.stderr.take().map(Pipe::Err)]
            .into_iter()
            .flatten()
            .map(|pipe| tokio::spawn(read_into(pipe, proc.clone())))
            .collect();
        // Killed whole if this task is dropped with the command running (the runtime ending) too.
        let group = LiveGroup::new(pid, recorded);
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status.ok(),
                () = tokio::time::sleep(time_limit) => {
                    let _ = timed_out_tx.send(true);
                    kill_group(pid);
                    child.wait().await.ok()
                }
            };
            // Whatever the command left behind in its group goes too (and releases the pipes).
            drop(group);
            for reader in readers {
                let _ = tokio::time::timeout(Duration::from_secs(1), reader).await;
            }
            let _ = exit_tx.send(Some(ExitInfo::from_status(status)));
        });
        Ok(proc)
    }

    /// The terminal `id` of `session`.
    pub(crate) fn get(&self, session: &str, id: &str) -> Result<Arc<TerminalProc>, ConfinementError> {
        self.map()
            .get(id)
            .filter(|proc| proc.session == session)
            .cloned()
            .ok_or_else(|| ConfinementError::UnknownTerminal(id.to_owned()))
    }

    pub(crate) fn kill(&self, session: &str, id: &str) -> Result<(), ConfinementError> {
        self.get(session, id)?.kill();
        Ok(())
    }

    /// Kills the command if still running and forgets the terminal.
    pub(crate) fn release(&self, session: &str, id: &str) -> Result<(), ConfinementError> {
        let proc = self.get(session, id)?;
        proc.kill();
        self.map().remove(id);
        Ok(())
    }

    /// Releases every terminal of `session`, or of every session when `None`.
    pub(crate) fn release_all(&self, session: Option<&str>) {
        let mut map = self.map();
        map.retain(|_, proc| {
            let release = session.is_none_or(|s| proc.session == s);
            if release {
                proc.kill();
            }
            !release
        });
    }
}

enum Pipe {
    Out(tokio::process::ChildStdout),
    Err(tokio::process::ChildStderr),
}

async fn read_into(pipe: Pipe, proc: Arc<TerminalProc>) {
    let mut buf = vec![0u8; 8192];
    let mut reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = match pipe {
        Pipe::Out(out) => Box::new(out),
        Pipe::Err(err) => Box::new(err),
    };
    while let Ok(n) = reader.read(&mut buf).await {
        if n == 0 {
            break;
        }
        proc.output.lock().unwrap_or_else(PoisonError::into_inner).push(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_truncates_from_the_start_at_a_char_boundary() {
        let mut out = OutputBuffer { bytes: Vec::new(), limit: 4, truncated: false };
        out.push("aé€".as_bytes()); // 1 + 2 + 3 bytes
        assert!(out.truncated);
        assert_eq!(String::from_utf8(out.bytes.clone()).unwrap(), "€");
        out.push(b"xy");
        assert_eq!(String::from_utf8(out.bytes).unwrap(), "xy");
    }
}
