//! What `task watch` shows: the task's phase, one progress bar per work session (from its live
//! plan) and coordination events as `HH:MM:SS message` lines. When stdout is not a terminal the
//! bars become plain lines, so logs and pipes see the same story.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use spectask_core::events::payload::{Payload, WorkSessionPlan};
use spectask_core::{SpecTaskStatus, WorkSessionCommand, WorkSessionStatus};

use crate::output::{outln, text};

/// Width of the session-name column of the bars.
const NAME_WIDTH: usize = 32;

pub struct View {
    /// `None` when stdout is not a terminal: every change is printed as a line instead.
    bars: Option<Bars>,
    sessions: HashMap<String, Session>,
    /// What the task waited for at the last `attention` frame, one line each.
    waiting: Vec<String>,
    /// The phase line without what the task waits for.
    phase: String,
}

struct Bars {
    multi: MultiProgress,
    phase: ProgressBar,
}

struct Session {
    name: String,
    /// The session's bar (terminal only).
    bar: Option<ProgressBar>,
}

impl View {
    pub fn new(handle: &str) -> Self {
        let bars = std::io::stdout().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
            let phase = multi.add(ProgressBar::new_spinner());
            phase.set_style(style("{spinner} {prefix:.bold} {wide_msg}", ProgressStyle::default_spinner));
            phase.set_prefix(handle.to_owned());
            phase.enable_steady_tick(Duration::from_millis(120));
            Bars { multi, phase }
        });
        Self { bars, sessions: HashMap::new(), waiting: Vec::new(), phase: String::new() }
    }

    /// Shows one event of the task (the `data` of a server-sent event), its payload read as its
    /// kind's. Fails when stdout is gone.
    pub fn show(&mut self, event: &Value, payload: &Payload) -> std::io::Result<()> {
        let session_id = text(event, "work_session_id");
        match payload {
            Payload::SpecTaskCreated(created) => self.phase(event, created.status, ""),
            Payload::SpecTaskTransitioned(moved) => {
                let reason = moved.failure.as_ref().map_or("", |f| f.reason.as_str());
                self.phase(event, moved.to, reason)
            }
            Payload::SpecReviewRecorded(review) => {
                let by = match review.reviewer.as_str() {
                    "" => String::new(),
                    reviewer => format!(" by {reviewer}"),
                };
                let (version, decision) = (review.version, review.decision);
                self.line(event, &format!("review of spec v{version}: {decision}{by}"))
            }
            Payload::CoordinationRecorded(recorded) => self.line(event, &recorded.message),
            Payload::WorkSessionCreated(created) => {
                self.session_created(&session_id, &created.name);
                Ok(())
            }
            Payload::WorkSessionTransitioned(moved) => {
                if let WorkSessionCommand::Interrupt { reason } = &moved.command
                    && moved.to == WorkSessionStatus::Interrupted
                    && !reason.is_empty()
                {
                    // Why it stopped (a person's pause, a budget reached) is worth a line of its own.
                    self.line(event, &format!("session {}: {reason}", self.name(&session_id)))?;
                }
                self.session_status(event, &session_id, moved.to)
            }
            Payload::WorkSessionPlan(plan) => self.session_plan(event, &session_id, plan),
            _ => Ok(()),
        }
    }

    /// Shows what the task waits for (an `attention` frame's list): a line for each new item,
    /// one when nothing waits any more, and the first item beside the phase.
    pub fn attention(&mut self, list: &Value) -> std::io::Result<()> {
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let lines: Vec<String> = items
            .iter()
            .map(|item| format!("{}: {} {}", text(item, "label"), text(item, "text"), text(item, "action")))
            .collect();
        let now = chrono::Local::now().format("%H:%M:%S");
        for line in lines.iter().filter(|line| !self.waiting.contains(line)) {
            self.print(&format!("{now} {line}"))?;
        }
        if lines.is_empty() && !self.waiting.is_empty() {
            self.print(&format!("{now} nothing waits for you any more"))?;
        }
        self.waiting = lines;
        self.draw_phase();
        Ok(())
    }

    /// The phase line, with what the task waits for first.
    fn draw_phase(&self) {
        if let Some(bars) = &self.bars {
            match self.waiting.first() {
                Some(first) => bars.phase.set_message(format!("{} · {first}", self.phase)),
                None => bars.phase.set_message(self.phase.clone()),
            }
        }
    }

    /// Stops drawing (the bars stay on screen as they last were).
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            bars.phase.finish();
        }
    }

    fn phase(&mut self, event: &Value, status: SpecTaskStatus, reason: &str) -> std::io::Result<()> {
        let detail = if reason.is_empty() { String::new() } else { format!(": {reason}") };
        self.phase = format!("phase {status}{detail}");
        self.draw_phase();
        self.line(event, &format!("phase {status}{detail}"))
    }

    fn session_created(&mut self, id: &str, name: &str) {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.multi.add(ProgressBar::new(0));
            bar.set_style(style(
                "  {prefix} [{bar:24.cyan/blue}] {pos}/{len} {wide_msg}",
                ProgressStyle::default_bar,
            ));
            bar.set_prefix(format!("{:<NAME_WIDTH$}", clip(name)));
            bar.set_message("pending");
            bar
        });
        self.sessions.insert(id.to_owned(), Session { name: name.to_owned(), bar });
    }

    fn session_status(&mut self, event: &Value, id: &str, status: WorkSessionStatus) -> std::io::Result<()> {
        let name = self.name(id);
        let Some(session) = self.sessions.get(id) else {
            return self.line(event, &format!("session {name}: {status}"));
        };
        let Some(bar) = &session.bar else {
            return self.line(event, &format!("session {name}: {status}"));
        };
        match status {
            WorkSessionStatus::Completed => {
                let total = bar.length().unwrap_or(0).max(1);
                bar.set_length(total);
                bar.set_position(total);
                bar.finish_with_message("done");
            }
            WorkSessionStatus::Failed | WorkSessionStatus::Cancelled => {
                bar.abandon_with_message(status.to_string())
            }
            _ => bar.set_message(status.to_string()),
        }
        Ok(())
    }

    fn session_plan(&mut self, event: &Value, id: &str, plan: &WorkSessionPlan) -> std::io::Result<()> {
        let total = plan.entries.len() as u64;
        let done = (plan.done as u64).min(total);
        let current = plan.current.clone().unwrap_or_default();
        let bar = self.sessions.get(id).and_then(|s| s.bar.as_ref());
        match bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(if current.is_empty() { "running".to_owned() } else { current });
                Ok(())
            }
            None => {
                let now = if current.is_empty() { String::new() } else { format!(", now: {current}") };
                self.line(event, &format!("session {}: {done}/{total} done{now}", self.name(id)))
            }
        }
    }

    fn name(&self, id: &str) -> String {
        match self.sessions.get(id) {
            Some(session) => session.name.clone(),
            // Its short id: the random tail, not the timestamp head every session of a minute shares.
            None => id
                .parse::<spectask_core::WorkSessionId>()
                .map(|id| id.short().to_string())
                .unwrap_or_else(|_| id.to_owned()),
        }
    }

    /// `HH:MM:SS text`, the time being the event's, in local time.
    fn line(&self, event: &Value, message: &str) -> std::io::Result<()> {
        let at = chrono::DateTime::parse_from_rfc3339(&text(event, "at"))
            .map(|at| at.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
            .unwrap_or_else(|_| "--:--:--".to_owned());
        self.print(&format!("{at} {message}"))
    }

    /// One line above the bars (or on its own without them).
    fn print(&self, line: &str) -> std::io::Result<()> {
        match &self.bars {
            Some(bars) => bars.multi.suspend(|| outln!("{line}")),
            None => outln!("{line}"),
        }
    }
}

fn style(template: &str, fallback: fn() -> ProgressStyle) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| fallback()).progress_chars("=> ")
}

/// A name cut to the column width.
fn clip(name: &str) -> String {
    if name.chars().count() <= NAME_WIDTH {
        return name.to_owned();
    }
    let mut clipped: String = name.chars().take(NAME_WIDTH - 1).collect();
    clipped.push('…');
    clipped
}
