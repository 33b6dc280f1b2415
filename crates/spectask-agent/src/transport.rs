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
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, watch};

use crate::fault::{FaultKind, FaultLatch, StderrTail, kill_group};

/// Lines in flight from the agent's stdout to the protocol engine.
const INCOMING_LINES: usize = 64;

pub(crate) type LineSink = Pin<Box<dyn Sink<String, Error = io::Error> + Send>>;
pub(crate) type LineStream = BoxStream<'static, io::Result<String>>;

/// A running agent process.
pub(crate) struct Spawned {
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
}

pub(crate) fn spawn(spec: &SpawnSpec<'_>) -> io::Result<Spawned> {
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

    tokio::spawn(read_stderr(BufReader::new(stderr), stderr_tail, spec.stderr_tail_bytes));
    let (tx, rx) = mpsc::channel(INCOMING_LINES);
    tokio::spawn(read_stdout(
        BufReader::new(stdout),
        tx,
        spec.max_line_bytes,
        latch.clone(),
        raw_initialize.clone(),
        spec.update_credits.clone(),
    ));

    let (exited_tx, exited) = watch::channel(false);
    let reaper_latch = latch.clone();
    let reaper_stopping = stopping.clone();
    tokio::spawn(async move {
        let status = child.wait().await;
        // Whatever the agent left behind in its group (npx → node …) goes with it.
        kill_group(pid);
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
    Ok(Spawned { pid, sink: Box::pin(sink), stream: rx.boxed(), raw_initialize, latch, exited, stopping })
}

/// The result of reading one bounded line.
enum LineRead {
    Line,
    Eof,
    TooLong,
}

/// Reads up to `\n` into `buf` (without it), refusing lines over `max` bytes.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    buf.clear();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() { LineRead::Eof } else { LineRead::Line });
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if buf.len() + take > max {
            let fit = max - buf.len();
            buf.extend_from_slice(&available[..fit]);
            reader.consume(fit);
            return Ok(LineRead::TooLong);
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(if done { take + 1 } else { take });
        if done {
            return Ok(LineRead::Line);
        }
    }
}

async fn read_stdout<R: AsyncBufRead + Unpin>(
    mut reader: R,
    mut tx: mpsc::Sender<io::Result<String>>,
    max_line_bytes: usize,
    latch: FaultLatch,
    raw_initialize: Arc<OnceLock<serde_json::Value>>,
    update_credits: Arc<Semaphore>,
) {
    let mut buf = Vec::new();
    loop {
        match read_bounded_line(&mut reader, &mut buf, max_line_bytes).await {
            Ok(LineRead::Eof) | Err(_) => return,
            Ok(LineRead::TooLong) => {
                latch.trip(FaultKind::LineTooLong { limit: max_line_bytes });
                return;
            }
            Ok(LineRead::Line) => {}
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value = match serde_json::from_slice::<serde_json::Value>(&buf) {
            Ok(value @ serde_json::Value::Object(_)) => value,
            _ => {
                let line: String = String::from_utf8_lossy(&buf).chars().take(200).collect();
                latch.trip(FaultKind::Garbage { line });
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
        let line = String::from_utf8_lossy(&buf).into_owned();
        // A full channel blocks here, and so the agent's writes: back-pressure, not buffering.
        if tx.send(Ok(line)).await.is_err() {
            return;
        }
    }
}

async fn read_stderr<R: AsyncBufRead + Unpin>(mut reader: R, tail: Arc<StderrTail>, max: usize) {
    let mut buf = Vec::new();
    loop {
        match read_bounded_line(&mut reader, &mut buf, max).await {
            Ok(LineRead::Line) => {
                let line = String::from_utf8_lossy(&buf);
                tracing::debug!(target: "spectask_agent::stderr", "{line}");
                tail.push(&line);
            }
            Ok(LineRead::TooLong) => {
                // The rest of the long line arrives with the next read; keep what fits.
                tail.push(&String::from_utf8_lossy(&buf));
            }
            Ok(LineRead::Eof) | Err(_) => break,
        }
    }
    tail.close();
}
