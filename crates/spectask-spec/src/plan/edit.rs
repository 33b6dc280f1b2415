//! Lossless marker edits: ticking a task rewrites its marker character and nothing else. A task written
//! as a heading has no marker to edit (`SpecError::NoCheckbox`).
//!
//! Setting a task to the state its known marker already shows changes nothing, so a Kiro `[-]` stays
//! `[-]` and a spec-kit `[X]` stays `[X]`. Otherwise the marker becomes `x` (done), `~` (in progress)
//! or ` ` (pending), also for an unknown marker. Known markers are one byte, so an edit changes
//! exactly one byte; an unknown multi-byte marker (`[✓]`) is replaced as a whole character.

use super::{Plan, PlanTask, PlanTaskState};
use crate::SpecError;

impl Plan {
    /// Sets the marker of the task with this id. The id must name exactly one task.
    pub fn set_marker(&mut self, task_id: &str, state: PlanTaskState) -> Result<(), SpecError> {
        let index = self.index_of(task_id)?;
        self.set_marker_at(index, state)
    }

    /// Sets the marker of the task at this index (see [`PlanTask::index`]).
    pub fn set_marker_at(&mut self, index: usize, state: PlanTaskState) -> Result<(), SpecError> {
        let task = self.tasks.get_mut(index).ok_or(SpecError::UnknownTaskIndex(index))?;
        let (Some(old), Some(offset)) = (task.marker, task.marker_offset) else {
            return Err(SpecError::NoCheckbox(task.label()));
        };
        if task.state == state && PlanTaskState::from_marker(old).is_some() {
            return Ok(());
        }
        let marker = state.marker();
        self.source.replace_range(offset..offset + old.len_utf8(), marker.encode_utf8(&mut [0; 4]));
        let shift = old.len_utf8() as isize - 1;
        task.marker = Some(marker);
        task.state = state;
        if shift != 0 {
            for later in self.tasks.iter_mut() {
                if let Some(at) = later.marker_offset.as_mut().filter(|at| **at > offset) {
                    *at = at.saturating_add_signed(-shift);
                }
            }
        }
        Ok(())
    }

    /// Sets the marker of every task that has one and is not optional (what one session
    /// implementing the whole plan finishes); headings without a checkbox stay as they are.
    pub fn set_all_markers(&mut self, state: PlanTaskState) {
        let indices: Vec<usize> =
            self.tasks.iter().filter(|t| t.marker.is_some() && !t.optional).map(|t| t.index).collect();
        for index in indices {
            // Every index was just read from the plan and has a marker: nothing can refuse the edit.
            let _ = self.set_marker_at(index, state);
        }
    }

    /// The index of the only task with this id.
    pub fn index_of(&self, task_id: &str) -> Result<usize, SpecError> {
        let matches: Vec<&PlanTask> =
            self.tasks.iter().filter(|t| t.id.as_deref() == Some(task_id)).collect();
        match matches.as_slice() {
            [] => Err(SpecError::UnknownTask(task_id.to_owned())),
            [task] => Ok(task.index),
            several => Err(SpecError::AmbiguousTask {
                id: task_id.to_owned(),
                lines: several.iter().map(|t| t.line).collect(),
            }),
        }
    }
}

/// Parses `text`, sets one task's marker and returns the new text: the same bytes except the marker.
pub fn set_marker(text: &str, task_id: &str, state: PlanTaskState) -> Result<String, SpecError> {
    let mut plan = Plan::parse(text);
    plan.set_marker(task_id, state)?;
    Ok(plan.into_text())
}

/// Parses `text` and sets the marker of every task that has one and is not optional (what one
/// session implementing the whole plan finishes); headings without a checkbox stay as they are.
pub fn set_all_markers(text: &str, state: PlanTaskState) -> String {
    let mut plan = Plan::parse(text);
    plan.set_all_markers(state);
    plan.into_text()
}

/// A plan task to add at the end of a plan (a converge round's, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPlanTask {
    pub title: String,
    /// Detail lines, written as bullets under the task.
    pub details: Vec<String>,
    /// Criterion or requirement ids, written as its `_Requirements:_` line.
    pub requirements: Vec<String>,
}

/// `text` with `tasks` appended as open top-level tasks numbered on from the plan's highest
/// top-level number; every byte before them stays as it was.
pub fn append_tasks(text: &str, tasks: &[NewPlanTask]) -> String {
    let plan = Plan::parse(text);
    let last = plan.top_tasks().filter_map(|t| t.id.as_deref()?.parse::<u32>().ok()).max().unwrap_or(0);
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for (n, task) in (last + 1..).zip(tasks) {
        out.push_str(&format!("- [ ] {n}. {}\n", task.title.trim()));
        for detail in &task.details {
            out.push_str(&format!("  - {}\n", detail.trim()));
        }
        if !task.requirements.is_empty() {
            out.push_str(&format!("  - _Requirements: {}_\n", task.requirements.join(", ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_tasks_are_numbered_on_and_keep_what_was_written() {
        let text = "# Plan\n\n- [x] 1. A\n  - [x] 1.1 B\n- [x] 2. C\n  - _Requirements: 1.1_";
        let added = NewPlanTask {
            title: "Implement criterion 1.2".into(),
            details: vec!["WHEN x THE S SHALL y".into()],
            requirements: vec!["1.2".into()],
        };
        let out = append_tasks(text, &[added.clone(), NewPlanTask { requirements: vec![], ..added }]);
        assert_eq!(
            out,
            format!(
                "{text}\n- [ ] 3. Implement criterion 1.2\n  - WHEN x THE S SHALL y\n  - _Requirements: 1.2_\n\
                 - [ ] 4. Implement criterion 1.2\n  - WHEN x THE S SHALL y\n"
            )
        );
        let plan = Plan::parse(&out);
        assert_eq!(plan.task("3").map(|t| t.requirements.clone()), Some(vec!["1.2".to_owned()]));
    }

    #[test]
    fn setting_all_markers_ticks_every_task_but_optional_ones_and_keeps_the_rest() {
        let text = "# Tasks\n\n- [ ] 1. A\n  - [~] 1.1 B\n  - [ ]* 1.2 C\n- [x] 2. D\n\ntrailing [ ] text\n";
        assert_eq!(
            set_all_markers(text, PlanTaskState::Done),
            "# Tasks\n\n- [x] 1. A\n  - [x] 1.1 B\n  - [ ]* 1.2 C\n- [x] 2. D\n\ntrailing [ ] text\n"
        );
    }

    #[test]
    fn ticking_changes_one_byte_and_keeps_crlf() {
        let text = "- [ ] 1. A\r\n  - [-] 1.1 B\r\n";
        assert_eq!(
            set_marker(text, "1", PlanTaskState::Done).as_deref(),
            Ok("- [x] 1. A\r\n  - [-] 1.1 B\r\n")
        );
        assert_eq!(set_marker(text, "1.1", PlanTaskState::InProgress).as_deref(), Ok(text));
        assert_eq!(
            set_marker(text, "1.1", PlanTaskState::Pending).as_deref(),
            Ok("- [ ] 1. A\r\n  - [ ] 1.1 B\r\n")
        );
    }

    #[test]
    fn unknown_and_ambiguous_ids_are_errors() {
        assert_eq!(
            set_marker("- [ ] 1. A\n", "2", PlanTaskState::Done),
            Err(SpecError::UnknownTask("2".into()))
        );
        assert_eq!(
            set_marker("- [ ] 1. A\n- [ ] 1. B\n", "1", PlanTaskState::Done),
            Err(SpecError::AmbiguousTask { id: "1".into(), lines: vec![1, 2] })
        );
    }

    #[test]
    fn a_multi_byte_unknown_marker_is_replaced_and_later_offsets_follow() {
        let mut plan = Plan::parse("- [✓] 1. A\n- [ ] 2. B\n");
        assert_eq!(plan.tasks()[0].state, PlanTaskState::Pending);
        plan.set_marker("1", PlanTaskState::Done).ok();
        plan.set_marker("2", PlanTaskState::Done).ok();
        assert_eq!(plan.text(), "- [x] 1. A\n- [x] 2. B\n");
    }
}
