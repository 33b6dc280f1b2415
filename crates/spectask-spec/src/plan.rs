//! Task plans (`tasks.md`, `progress.md`): the parsed tree of checkbox tasks, the checklists that are not
//! part of the plan, and the source text they came from.
//!
//! Hierarchy comes from the task id when it has a parent prefix (`2.1` under `2`, `7.2.1` under `7.2`,
//! wherever they are indented), otherwise from indentation; nesting deeper than 16 levels is flattened
//! to 16. A numbered heading (`## 1. Setup`, `### Task 2: Parser`) is a task too when checkboxes under
//! it carry its id as their prefix (`- [ ] 1.1 …`; for a `Task N` heading, any checkbox under it): it
//! has no marker of its own, and its state is rolled up from its sub-tasks. Parents and children keep
//! their own markers as written; nothing is rolled up in the text ([`Plan::completion`] rolls up
//! for scheduling).

pub mod deps;
pub mod edit;
mod headings;
mod parse;
pub(crate) mod refs;

use serde::Serialize;

/// A task's progress, read from its checkbox marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanTaskState {
    /// `[ ]`, and any marker this crate does not know (reported as a warning); for a heading task, no
    /// sub-task started.
    Pending,
    /// `[~]`, `[-]` (Kiro) or `[/]`; for a heading task, some sub-tasks started or done.
    InProgress,
    /// `[x]` or `[X]`; for a heading task, every required sub-task done.
    Done,
}

impl PlanTaskState {
    /// The state a known marker character stands for.
    pub fn from_marker(marker: char) -> Option<PlanTaskState> {
        match marker {
            ' ' => Some(PlanTaskState::Pending),
            '~' | '-' | '/' => Some(PlanTaskState::InProgress),
            'x' | 'X' => Some(PlanTaskState::Done),
            _ => None,
        }
    }

    /// The marker character written when a task is set to this state.
    pub fn marker(self) -> char {
        match self {
            PlanTaskState::Pending => ' ',
            PlanTaskState::InProgress => '~',
            PlanTaskState::Done => 'x',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlanTaskState::Pending => "pending",
            PlanTaskState::InProgress => "in_progress",
            PlanTaskState::Done => "done",
        }
    }
}

impl std::fmt::Display for PlanTaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One checkbox task of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanTask {
    /// Position in the plan (document order), 0-based.
    pub index: usize,
    /// The id as written, without bold markers or a trailing dot: `2.1`, `7.2.1`, `0`, `T012`.
    pub id: Option<String>,
    pub title: String,
    pub state: PlanTaskState,
    /// The marker character as written (`' '`, `x`, `X`, `~`, `-`, `/`, or an unknown one); `None` for a
    /// task written as a heading, which has no checkbox.
    pub marker: Option<char>,
    /// `- [ ]* 2.2` (or `7.9*`): may be skipped.
    pub optional: bool,
    /// cc-sdd ` (P)` suffix or spec-kit `[P]` label.
    pub parallel: bool,
    /// spec-kit user-story label (`US1`).
    pub story: Option<String>,
    /// Criterion or requirement ids referenced by `_Requirements:_` or `**Validates: Requirements …**`,
    /// with same-requirement ranges (`1.1-1.4`) expanded.
    pub requirements: Vec<String>,
    /// Reference text that names no id (`_Requirements: 全要件の基盤_`).
    pub free_references: Vec<String>,
    /// Explicit dependencies as written (`_Depends: 1.2_`, "depends on T012").
    pub depends: Vec<String>,
    /// cc-sdd `_Boundary: …_`.
    pub boundary: Option<String>,
    /// Other detail lines under the task, bullet removed.
    pub details: Vec<String>,
    /// The nearest heading above the task (a spec-kit phase, for example).
    pub section: Option<String>,
    /// 1-based line of the checkbox.
    pub line: u32,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Byte offset of the marker character in the source (none for a heading task).
    #[serde(skip)]
    pub(crate) marker_offset: Option<usize>,
}

impl PlanTask {
    /// The id, or `#<index>` for a task written without one.
    pub fn label(&self) -> String {
        self.id.clone().unwrap_or_else(|| format!("#{}", self.index))
    }

    /// Whether the id is a spec-kit id (`T012`, `T-012`).
    pub fn is_spec_kit(&self) -> bool {
        self.id.as_deref().is_some_and(|id| id.starts_with('T'))
    }
}

/// A checkbox outside the plan: a validation or quality checklist item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub text: String,
    pub state: PlanTaskState,
    pub marker: char,
    pub line: u32,
}

/// The checklist items under one heading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub heading: String,
    /// 1-based line of the heading (0 when the items precede every heading).
    pub line: u32,
    pub items: Vec<ChecklistItem>,
}

/// Something odd but tolerated in the source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParseWarning {
    pub line: u32,
    pub kind: ParseWarningKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParseWarningKind {
    /// A checkbox with a character this crate does not know (`[?]`): read as a pending task.
    UnknownMarker,
    /// `[]` or `[  ]`: not read as a task.
    MalformedCheckbox,
}

/// Counts over a plan's tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub top_tasks: usize,
    pub sub_tasks: usize,
    pub done: usize,
    pub in_progress: usize,
    pub optional: usize,
}

/// A parsed task plan. It owns the source text; [`Plan::text`] returns it byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    source: String,
    tasks: Vec<PlanTask>,
    checklists: Vec<Checklist>,
    warnings: Vec<ParseWarning>,
}

/// Parses a task plan. Never fails: what is not understood is left alone (and reported as a warning
/// when it looks like a broken checkbox).
pub fn parse_plan(text: &str) -> Plan {
    Plan::parse(text)
}

impl Plan {
    pub fn parse(text: &str) -> Plan {
        let parsed = parse::parse(text);
        Plan {
            source: text.to_owned(),
            tasks: parsed.tasks,
            checklists: parsed.checklists,
            warnings: parsed.warnings,
        }
    }

    /// The document, exactly as parsed plus any marker edits.
    pub fn text(&self) -> &str {
        &self.source
    }

    pub fn into_text(self) -> String {
        self.source
    }

    /// Every task in document order; `tasks()[i].index == i`.
    pub fn tasks(&self) -> &[PlanTask] {
        &self.tasks
    }

    /// Tasks without a parent, in document order.
    pub fn top_tasks(&self) -> impl Iterator<Item = &PlanTask> {
        self.tasks.iter().filter(|t| t.parent.is_none())
    }

    /// The first task with this id.
    pub fn task(&self, id: &str) -> Option<&PlanTask> {
        self.tasks.iter().find(|t| t.id.as_deref() == Some(id))
    }

    pub fn checklists(&self) -> &[Checklist] {
        &self.checklists
    }

    pub fn warnings(&self) -> &[ParseWarning] {
        &self.warnings
    }

    pub fn summary(&self) -> PlanSummary {
        let mut summary = PlanSummary::default();
        for task in &self.tasks {
            if task.parent.is_some() {
                summary.sub_tasks += 1;
            } else {
                summary.top_tasks += 1;
            }
            match task.state {
                PlanTaskState::Done => summary.done += 1,
                PlanTaskState::InProgress => summary.in_progress += 1,
                PlanTaskState::Pending => {}
            }
            if task.optional {
                summary.optional += 1;
            }
        }
        summary
    }

    /// Whether each task counts as done: its marker says so, or it has non-optional children and they
    /// all count as done (Kiro does not tick parents).
    pub fn completion(&self) -> Vec<bool> {
        let mut done = vec![false; self.tasks.len()];
        for task in self.tasks.iter().rev() {
            let mut required = task.children.iter().filter(|&&c| !self.tasks[c].optional).peekable();
            let rolled_up = required.peek().is_some() && required.all(|&c| done[c]);
            done[task.index] = task.state == PlanTaskState::Done || rolled_up;
        }
        done
    }

    /// The tasks that can start now given the plan's own markers: not done (see
    /// [`Plan::completion`]), and every prerequisite done (see [`deps`] for the rules).
    pub fn ready_tasks(&self) -> Vec<usize> {
        let done = self.completion();
        self.dependency_graph().ready(|i| done.get(i).copied().unwrap_or(false))
    }
}
