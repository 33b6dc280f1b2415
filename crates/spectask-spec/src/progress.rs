//! `progress.md`: the plan's checklist plus a `### Status` block, in-place updates of that block,
//! and reading it back.
//!
//! The checklist copies each task line from the plan (marker, optional star, id and title as written),
//! re-indented two spaces per level, so the same parser and the same one-byte marker edits work on it.
//! Detail lines are not copied: requirement references and explicit dependencies are read from
//! `tasks.md`, progress.md only tracks markers.

use crate::plan::{Plan, PlanTask, PlanTaskState};
use crate::text::{heading, scan};

/// The values of the `### Status` block. `None` is written as `none`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgressStatus {
    /// `2.1 Create data models`.
    pub current_task: Option<String>,
    pub agent_session: Option<String>,
    /// A timestamp as the caller formats it (`2025-10-08 10:30 UTC`).
    pub started: Option<String>,
}

const FIELDS: [&str; 3] = ["Current Task", "Agent Session", "Started"];

impl ProgressStatus {
    fn values(&self) -> [&str; 3] {
        [&self.current_task, &self.agent_session, &self.started].map(|v| v.as_deref().unwrap_or("none"))
    }
}

/// Renders a progress.md for `plan`: its tasks in tree order, and the plan's section headings (as
/// level-4 headings) when the tasks span several, so spec-kit phases survive.
pub fn render_progress(plan: &Plan, status: &ProgressStatus) -> String {
    let mut out = String::from("# Implementation Progress\n\n## Phase: Implementation\n\n### Tasks\n");
    let sections = plan.top_tasks().map(|t| &t.section).collect::<Vec<_>>();
    let several_sections = sections.windows(2).any(|pair| pair[0] != pair[1]);
    let mut current_section = None;
    for task in plan.top_tasks() {
        if several_sections && current_section != Some(&task.section) {
            current_section = Some(&task.section);
            let title = task.section.as_deref().unwrap_or("Tasks");
            out.push_str(&format!("\n#### {title}\n\n"));
        }
        render_task(plan, task, 0, &mut out);
    }
    out.push_str("\n### Status\n");
    for (field, value) in FIELDS.iter().zip(status.values()) {
        out.push_str(&format!("**{field}**: {value}\n"));
    }
    out
}

fn render_task(plan: &Plan, task: &PlanTask, depth: usize, out: &mut String) {
    out.push_str(&"  ".repeat(depth));
    match task.marker_offset {
        Some(offset) => out.push_str(task_line(plan.text(), offset).trim_start()),
        // A heading task (`## 1. Setup`) becomes a checkbox here, marked with its rolled-up state.
        None => {
            let id = task.id.as_deref().map(|id| format!("{id}. ")).unwrap_or_default();
            out.push_str(&format!("- [{}] {id}{}", task.state.marker(), task.title));
        }
    }
    out.push('\n');
    for &child in &task.children {
        render_task(plan, &plan.tasks()[child], depth + 1, out);
    }
}

/// The line of `text` that holds byte `offset`, without its line ending.
fn task_line(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let start = if start == 0 && text.starts_with('\u{feff}') { 3 } else { start };
    let end = text[offset..].find(['\n', '\r']).map_or(text.len(), |i| offset + i);
    &text[start..end]
}

/// Rewrites the `**Current Task**:`, `**Agent Session**:` and `**Started**:` lines of the Status block,
/// keeping every other byte (line endings included). Missing lines are added to the block, and a
/// missing block is appended.
pub fn update_progress_status(text: &str, status: &ProgressStatus) -> String {
    let lines = scan(text);
    let eol = line_ending(text);
    let values = status.values();
    let Some(block) =
        lines.iter().position(|l| !l.hidden && heading(l.text).is_some_and(|(_, t)| t == "Status"))
    else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with(['\n', '\r']) {
            out.push_str(eol);
        }
        out.push_str(&format!("{eol}### Status{eol}"));
        for (field, value) in FIELDS.iter().zip(values) {
            out.push_str(&format!("**{field}**: {value}{eol}"));
        }
        return out;
    };
    let end = lines[block + 1..]
        .iter()
        .position(|l| !l.hidden && heading(l.text).is_some())
        .map_or(lines.len(), |p| block + 1 + p);
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    let mut seen = [false; 3];
    let mut insert_at = lines[block].start + lines[block].text.len();
    for line in &lines[block + 1..end] {
        let Some(field) = FIELDS.iter().position(|f| line.text.starts_with(&format!("**{f}**:"))) else {
            if !line.text.trim().is_empty() && seen.iter().any(|&s| s) {
                insert_at = line.start + line.text.len();
            }
            continue;
        };
        seen[field] = true;
        let value_start = line.start + FIELDS[field].len() + 5;
        out.push_str(&text[copied..value_start]);
        out.push(' ');
        out.push_str(values[field]);
        copied = line.start + line.text.len();
        insert_at = copied;
    }
    let missing: String =
        (0..3).filter(|&f| !seen[f]).map(|f| format!("{eol}**{}**: {}", FIELDS[f], values[f])).collect();
    if insert_at < copied {
        insert_at = copied;
    }
    out.push_str(&text[copied..insert_at]);
    out.push_str(&missing);
    out.push_str(&text[insert_at..]);
    out
}

/// `text` (a progress.md) with its `**Current Task**:` naming every plan task in progress (`1.1
/// Schema, 2. Docs`), or `none` when none is; the other status lines are kept as they are.
pub fn set_current_tasks(text: &str) -> String {
    let plan = Plan::parse(text);
    let current: Vec<String> = plan
        .tasks()
        .iter()
        .filter(|t| t.state == PlanTaskState::InProgress && t.children.is_empty())
        .map(|t| t.id.as_deref().map_or_else(|| t.title.clone(), |id| format!("{id} {}", t.title)))
        .collect();
    let status = ProgressStatus {
        current_task: (!current.is_empty()).then(|| current.join(", ")),
        ..read_progress_status(text)
    };
    update_progress_status(text, &status)
}

/// Reads the Status block back (`none` and missing lines read as `None`).
pub fn read_progress_status(text: &str) -> ProgressStatus {
    let lines = scan(text);
    let mut values: [Option<String>; 3] = Default::default();
    let mut in_block = false;
    for line in lines.iter().filter(|l| !l.hidden) {
        if let Some((_, title)) = heading(line.text) {
            in_block = title == "Status";
            continue;
        }
        let field = FIELDS.iter().position(|f| line.text.starts_with(&format!("**{f}**:")));
        if let (true, Some(field)) = (in_block, field) {
            let value = line.text[FIELDS[field].len() + 5..].trim();
            values[field] = (!value.is_empty() && value != "none").then(|| value.to_owned());
        }
    }
    let [current_task, agent_session, started] = values;
    ProgressStatus { current_task, agent_session, started }
}

/// The first line ending used in `text`, `\n` when there is none.
fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']).map(|i| &text.as_bytes()[i..]) {
        Some([b'\r', b'\n', ..]) => "\r\n",
        Some([b'\r', ..]) => "\r",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanTaskState;

    fn status(task: &str) -> ProgressStatus {
        ProgressStatus {
            current_task: Some(task.to_owned()),
            agent_session: Some("ses_abc123".to_owned()),
            started: Some("2025-10-08 10:30 UTC".to_owned()),
        }
    }

    #[test]
    fn the_current_task_names_the_tasks_in_progress() {
        let text = "### Tasks\n- [x] 1. Setup\n- [~] 2. Schema\n- [~] 3. Docs\n\n### Status\n**Current Task**: none\n**Agent Session**: s1\n**Started**: none\n";
        let set = set_current_tasks(text);
        assert!(set.contains("**Current Task**: 2 Schema, 3 Docs\n**Agent Session**: s1\n"), "{set}");
        let done = set_current_tasks(&set.replace("[~]", "[x]"));
        assert!(done.contains("**Current Task**: none\n"), "{done}");
    }

    #[test]
    fn renders_the_checklist_and_status_and_stays_parseable() {
        let plan = Plan::parse(
            "# Tasks\n- [x] 1. Setup\n- [-] 1.1 Schema\n  - _Requirements: 1.1_\n- [ ]* 2. Docs (P)\n",
        );
        let progress = render_progress(&plan, &status("1.1 Schema"));
        assert_eq!(
            progress,
            "# Implementation Progress\n\n## Phase: Implementation\n\n### Tasks\n- [x] 1. Setup\n  - [-] 1.1 Schema\n- [ ]* 2. Docs (P)\n\n### Status\n**Current Task**: 1.1 Schema\n**Agent Session**: ses_abc123\n**Started**: 2025-10-08 10:30 UTC\n"
        );
        let reparsed = Plan::parse(&progress);
        let states: Vec<_> =
            reparsed.tasks().iter().map(|t| (t.id.as_deref(), t.state, t.optional)).collect();
        assert_eq!(
            states,
            [
                (Some("1"), PlanTaskState::Done, false),
                (Some("1.1"), PlanTaskState::InProgress, false),
                (Some("2"), PlanTaskState::Pending, true)
            ]
        );
    }

    #[test]
    fn reads_back_what_it_writes() {
        let plan = Plan::parse("- [ ] 1. A\n");
        let written = update_progress_status(&render_progress(&plan, &status("1. A")), &status("1. A"));
        assert_eq!(read_progress_status(&written), status("1. A"));
        let empty = render_progress(&plan, &ProgressStatus::default());
        assert_eq!(read_progress_status(&empty), ProgressStatus::default());
    }

    #[test]
    fn updates_status_lines_in_place_keeping_crlf() {
        let text = "### Status\r\n**Current Task**: old\r\n**Agent Session**: s1\r\n**Started**: t0\r\n**Estimated Completion**: ~15 min\r\n";
        assert_eq!(
            update_progress_status(text, &status("2. Next")),
            "### Status\r\n**Current Task**: 2. Next\r\n**Agent Session**: ses_abc123\r\n**Started**: 2025-10-08 10:30 UTC\r\n**Estimated Completion**: ~15 min\r\n"
        );
    }

    #[test]
    fn adds_missing_lines_and_a_missing_block() {
        let updated = update_progress_status(
            "### Status\n**Current Task**: a\n\n## After\n",
            &ProgressStatus::default(),
        );
        assert_eq!(
            updated,
            "### Status\n**Current Task**: none\n**Agent Session**: none\n**Started**: none\n\n## After\n"
        );
        let appended = update_progress_status("- [ ] 1. A", &ProgressStatus::default());
        assert_eq!(
            appended,
            "- [ ] 1. A\n\n### Status\n**Current Task**: none\n**Agent Session**: none\n**Started**: none\n"
        );
    }
}
