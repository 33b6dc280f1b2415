//! `spectask task watch ID`: a live view of one SpecTask, driven by the server's event stream
//! (`GET /api/v1/events?spec_task=ID&attention=true`), until the task ends or Ctrl-C. The task's
//! history is replayed first; a dropped connection is resumed with `Last-Event-ID`. What the task
//! waits for (its `attention` frames) is a line whenever it changes, in the dashboard's words.

mod view;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use spectask_core::events::payload::Payload;
use spectask_core::wire::sse::SseParser;
use spectask_core::{EventKind, SpecTaskStatus};

use crate::client::{ApiClient, StreamOpening};
use crate::commands::task::encode;
use crate::output::{errln, outln, text};
use view::View;

/// How long the server may stay unreachable before watching gives up.
const GIVE_UP: Duration = Duration::from_secs(60);
/// Pause before reconnecting.
const RECONNECT: Duration = Duration::from_millis(500);
/// The exit code after Ctrl-C (128 + SIGINT).
const INTERRUPTED: u8 = 130;

/// How a watched task ended.
struct TaskEnd {
    status: String,
    reason: String,
}

/// Watches task `id`; exits 0 when it is done, 1 when it ended otherwise (failed, rejected,
/// cancelled). With `json`, prints every event as one JSON line instead of the live view.
pub async fn watch(client: &ApiClient, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let task = client.get(&format!("/spec-tasks/{}", encode(id)), &[]).await?;
    let task_id = text(&task, "id");
    let handle = text(&task, "handle");
    let mut view = (!json).then(|| View::new(&handle));
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut last_seq = 0;
    let mut unreachable_since: Option<Instant> = None;
    let ended = 'watch: loop {
        let query = [
            ("spec_task", task_id.clone()),
            ("after", last_seq.to_string()),
            // The live view also shows what the task waits for; `--json` is the events alone.
            ("attention", (!json).to_string()),
        ];
        let mut response = match client.open_stream("/events", &query, last_seq).await? {
            StreamOpening::Stream(response) => {
                unreachable_since = None;
                response
            }
            StreamOpening::Unreachable(err) => {
                let since = *unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > GIVE_UP {
                    return Err(err.context(format!("stopped watching task {handle}")));
                }
                tokio::select! {
                    () = tokio::time::sleep(RECONNECT) => continue 'watch,
                    _ = &mut interrupt => break 'watch None,
                }
            }
        };
        let mut parser = SseParser::default();
        loop {
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk,
                _ = &mut interrupt => break 'watch None,
            };
            // The end of the body or a broken connection: resume after the last event seen.
            let Ok(Some(chunk)) = chunk else { break };
            for message in parser.feed(&chunk)? {
                if message.event.as_deref() == Some("attention") {
                    let list: Value =
                        serde_json::from_str(&message.data).context("an attention frame is not JSON")?;
                    if let Some(view) = &mut view {
                        view.attention(&list)?;
                    }
                    continue;
                }
                let event: Value = serde_json::from_str(&message.data)
                    .with_context(|| format!("event {} is not JSON", message.id.unwrap_or_default()))?;
                last_seq = event["seq"].as_i64().unwrap_or(last_seq);
                let payload = payload_of(&event);
                match (&mut view, &payload) {
                    (Some(view), Some(payload)) => view.show(&event, payload)?,
                    (Some(_), None) => {}
                    (None, _) => outln!("{}", serde_json::to_string(&event)?)?,
                }
                if let Some(ended) = ended(client, &task_id, payload.as_ref()).await? {
                    break 'watch Some(ended);
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RECONNECT) => {}
            _ = &mut interrupt => break 'watch None,
        }
    };
    if let Some(view) = &view {
        view.finish();
        // What the task used, once it ended.
        if ended.is_some() {
            let task = client.get(&format!("/spec-tasks/{task_id}"), &[]).await?;
            // Timed like every line of the view above it.
            let now = chrono::Local::now().format("%H:%M:%S");
            let usage = crate::usage_text::usage(&task["usage"]);
            if !usage.is_empty() {
                outln!("{now} usage: {usage}")?;
            }
            let budget = crate::usage_text::budget(&task["budget"]);
            if !budget.is_empty() {
                outln!("{now} budget: {budget}")?;
            }
        }
    }
    Ok(match ended {
        None => ExitCode::from(INTERRUPTED),
        Some(TaskEnd { status, .. }) if status == "done" => {
            if !json {
                outln!("task {handle} is done")?;
            }
            ExitCode::SUCCESS
        }
        Some(TaskEnd { status, reason }) => {
            let reason = if reason.is_empty() { String::new() } else { format!(": {reason}") };
            errln!("spectask: task {handle} ended {status}{reason}");
            ExitCode::FAILURE
        }
    })
}

/// The event's payload, read as its kind's; `None` for a kind this client does not know.
fn payload_of(event: &Value) -> Option<Payload> {
    let kind: EventKind = event["kind"].as_str()?.parse().ok()?;
    Payload::read(kind, &event["payload"]).ok()
}

/// Whether the event of `payload` ended the task. A `failed` task may still be retried, so a
/// failure seen in the replayed history ends the watch only when the task is failed now.
async fn ended(
    client: &ApiClient,
    task_id: &str,
    payload: Option<&Payload>,
) -> anyhow::Result<Option<TaskEnd>> {
    let Some(Payload::SpecTaskTransitioned(moved)) = payload else { return Ok(None) };
    let status = moved.to.to_string();
    match moved.to {
        SpecTaskStatus::Done | SpecTaskStatus::Rejected | SpecTaskStatus::Cancelled => {
            Ok(Some(TaskEnd { status, reason: String::new() }))
        }
        SpecTaskStatus::Failed => {
            let task = client.get(&format!("/spec-tasks/{task_id}"), &[]).await?;
            let still_failed = text(&task, "status") == "failed";
            Ok(still_failed.then(|| TaskEnd { status, reason: text(&task["failure"], "reason") }))
        }
        _ => Ok(None),
    }
}
