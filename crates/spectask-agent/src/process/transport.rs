//! The agent process and the line transport spectask controls: stdout lines are size-limited and must
//! be JSON objects, stderr goes to a bounded tail, and the child is reaped by a task of its own.
//!
//! The crate's own `AcpAgent` transport cannot limit line sizes or detect garbage, so the process is
//! spawned here and fed to the connection through `Lines::new(sink, stream)`.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use futures::channel::mpsc;
use futures::stream::BoxStream;
use futures::{Sink, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::sync::{Semaphore, watch};
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};

use crate::process::fault::{FaultKind, FaultLatch, StderrTail, kill_group};
use crate::process::record::{LiveGroup, ProcessRecord};

/// Lines in flight from the agent's stdout to the protocol engine.
const INCOMING_LINES: usize = 64;

pub(crate) type LineSink = Pin<Box<dyn Sink<String, Error = io::Error> + Send>>;
pub(crate) type LineStream = BoxStream<'static, io::Result<String>>;

/// A running agent process.
pub(crate) struct AgentProcess {
    pub(crate) pid: u32,
    pub(crate) sink: LineSink,
    pub(crate) stream: LineStream,
    /// The raw `result` of the initialize response, with fields the typed schema drops.
    pub(crate) raw_initialize: Arc<OnceLock<serde_json::Value>>,
    pub(crate) latch: FaultLatch,
    /// Becomes `true` once the process is reaped.
    pub(crate) exited: watch::Receiver<bool>,
    /// Set before a requested shutdown, so the exit is not reported as a fault.
    pub(crate) stopping: Arc<AtomicBool>,
}

/// What to run and the limits to enforce on it.
pub(crate) struct SpawnSpec<'a> {
    /// The program: the agent's command, or the sandbox launcher that execs it.
    pub(crate) program: &'a OsStr,
    pub(crate) args: &'a [OsString],
    pub(crate) env: &'a [(String, String)],
    pub(crate) cwd: &'a Path,
    pub(crate) max_line_bytes: usize,
    pub(crate) stderr_tail_bytes: usize,
    /// One credit per `session/update` line between the pipe and its handler (see [`read_stdout`]).
    pub(crate) update_credits: Arc<Semaphore>,
    /// Where the agent's process group is recorded while it runs.
    pub(crate) record: Option<&'a ProcessRecord>,
}

pub(crate) fn spawn(spec: &SpawnSpec<'_>) -> io::Result<AgentProcess> {
    let mut child = tokio::process::Command::new(spec.program)
        .args(spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.cwd)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| io::Error::other("agent exited at once"))?;
    let recorded = spec.record.and_then(|record| record.started(pid));
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        kill_group(pid);
        return Err(io::Error::other("agent pipes missing"));
    };
    let stderr_tail = Arc::new(StderrTail::new(spec.stderr_tail_bytes));
    let latch = FaultLatch::new(pid, stderr_tail.clone());
    let raw_initialize = Arc::new(OnceLock::new());
    let stopping = Arc::new(AtomicBool::new(false));

    tokio::spawn(read_stderr(stderr, stderr_tail, spec.stderr_tail_bytes));
    let (tx, rx) = mpsc::channel(INCOMING_LINES);
    tokio::spawn(read_stdout(
        stdout,
        tx,
        spec.max_line_bytes,
        latch.clone(),
        raw_initialize.clone(),
        spec.update_credits.clone(),
    ));

    let (exited_tx, exited) = watch::channel(false);
    let reaper_latch = latch.clone();
    let reaper_stopping = stopping.clone();
    // Killed whole if this task is dropped with the agent running (the runtime ending) too.
    let group = LiveGroup::new(pid, recorded);
    tokio::spawn(async move {
        let status = child.wait().await;
        // Whatever the agent left behind in its group (npx → node …) goes with it.
        drop(group);
        if !reaper_stopping.load(Ordering::SeqCst) {
            match status {
                Ok(status) => reaper_latch.trip(FaultKind::from_exit(status)),
                Err(_) => reaper_latch.trip(FaultKind::ProcessExited { code: None, signal: None }),
            }
        }
        let _ = exited_tx.send(true);
    });

    let sink = futures::sink::unfold(stdin, |mut stdin, line: String| async move {
        stdin.write_all(line.as_bytes()).await?;
        stdin.write_all(b"\n").await?;
        stdin.flush().await?;
        Ok::<_, io::Error>(stdin)
    });
    Ok(AgentProcess {
        pid,
        sink: Box::pin(sink),
        stream: rx.boxed(),
        raw_initialize,
        latch,
        exited,
        stopping,
    })
}

async fn read_stdout<R: AsyncRead + Unpin>(
    reader: R,
    mut tx: mpsc::Sender<io::Result<String>>,
    max_line_bytes: usize,
    latch: FaultLatch,
    raw_initialize: Arc<OnceLock<serde_json::Value>>,
    update_credits: Arc<Semaphore>,
) {
    let mut lines = FramedRead::new(reader, LinesCodec::new_with_max_length(max_line_bytes));
    while let Some(next) = lines.next().await {
        let line = match next {
            Ok(line) => line,
            Err(LinesCodecError::MaxLineLengthExceeded) => {
                latch.trip(FaultKind::LineTooLong { limit: max_line_bytes });
                return;
            }
            Err(LinesCodecError::Io(error)) if error.kind() == io::ErrorKind::InvalidData => {
                latch.trip(FaultKind::Garbage { line: "a line that is not UTF-8".to_owned() });
                return;
            }
            Err(LinesCodecError::Io(_)) => return,
        };
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            _ => {
                latch.trip(FaultKind::Garbage { line: line.chars().take(200).collect() });
                return;
            }
        };
        if let Some(result) = value.get("result").filter(|r| r.get("protocolVersion").is_some()) {
            let _ = raw_initialize.set(result.clone());
        }
        if value.get("method").and_then(serde_json::Value::as_str) == Some("session/update") {
            // The protocol engine queues lines without bound while a handler waits, so updates are
            // counted here: the update handler returns the credit once the event is in its thread's
            // channel. No credit, no read: the pipe fills and the agent blocks (back-pressure).
            match update_credits.acquire().await {
                Ok(credit) => credit.forget(),
                Err(_) => return,
            }
        }
        // A full channel blocks here, and so the agent's writes: back-pressure, not buffering.
        if tx.send(Ok(line)).await.is_err() {
            return;
        }
    }
}

async fn read_stderr<R: AsyncRead + Unpin>(reader: R, tail: Arc<StderrTail>, max: usize) {
    // A line over `max` is skipped to its end by the codec; the tail keeps only whole lines.
    let mut lines = FramedRead::new(reader, LinesCodec::new_with_max_length(max));
    while let Some(next) = lines.next().await {
        match next {
            Ok(line) => {
                tracing::debug!(target: "spectask_agent::stderr", "{line}");
                tail.push(&line);
            }
            Err(LinesCodecError::MaxLineLengthExceeded) => {
                tail.push("[a line over the stderr limit was cut]")
            }
            Err(LinesCodecError::Io(_)) => break,
        }
    }
    tail.close();
}
