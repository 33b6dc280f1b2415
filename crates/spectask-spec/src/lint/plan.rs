//! Lint rules for tasks.md, alone and against requirements.md.

use std::collections::{HashMap, HashSet};

use super::{Sink, known_ids};
use crate::plan::{PlanTask, TaskPlan, TaskState};
use crate::requirements::RequirementsDoc;

pub(super) fn lint(plan: &TaskPlan, sink: &mut Sink<'_>) {
    for warning in plan.warnings() {
        sink.warning(warning.line, warning.message.clone());
    }
    if plan.tasks().is_empty() {
        sink.warning(1, "no tasks found".to_owned());
    }
    let mut first: HashMap<&str, u32> = HashMap::new();
    for task in plan.tasks() {
        let Some(id) = task.id.as_deref() else {
            continue;
        };
        match first.get(id) {
            Some(line) => sink.error(task.line, format!("duplicate task id {id} (first on line {line})")),
            None => {
                first.insert(id, task.line);
            }
        }
    }
    for task in plan.tasks() {
        if !has_reference(plan, task) && !exempt_from_references(task) {
            sink.warning(task.line, format!("task {} has no requirement reference", task.label()));
        }
        marker_mismatch(plan, task, sink);
    }
    let graph = plan.dependency_graph();
    for (index, id) in graph.unknown_dependencies() {
        let task = &plan.tasks()[*index];
        sink.error(task.line, format!("task {} depends on unknown task {id}", task.label()));
    }
    for cycle in graph.cycles() {
        let line = cycle
            .first()
            .and_then(|label| plan.tasks().iter().find(|t| t.label() == *label))
            .map_or(1, |t| t.line);
        sink.error(line, format!("dependency cycle: {}", cycle.join(" -> ")));
    }
}

fn has_reference(plan: &TaskPlan, task: &PlanTask) -> bool {
    !task.requirements.is_empty()
        || !task.free_references.is_empty()
        || task.children.iter().any(|&c| has_reference(plan, &plan.tasks()[c]))
}

/// Checkpoints, documentation tasks and spec-kit tasks need no requirement reference. A title is a
/// checkpoint or documentation title when it has one of the words checkpoint, docs, documentation,
/// readme or changelog, or starts with "document".
fn exempt_from_references(task: &PlanTask) -> bool {
    let title = task.title.to_lowercase();
    let mut words = title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    let first = words.next();
    task.is_spec_kit()
        || first == Some("document")
        || first
            .into_iter()
            .chain(words)
            .any(|w| matches!(w, "checkpoint" | "docs" | "documentation" | "readme" | "changelog"))
}

/// A done parent with a required child not done, or an unfinished parent whose required children are
/// all done. Optional children are left out.
fn marker_mismatch(plan: &TaskPlan, task: &PlanTask, sink: &mut Sink<'_>) {
    let required: Vec<&PlanTask> =
        task.children.iter().map(|&c| &plan.tasks()[c]).filter(|c| !c.optional).collect();
    if required.is_empty() {
        return;
    }
    let label = task.label();
    match required.iter().find(|c| c.state != TaskState::Done) {
        Some(child) if task.state == TaskState::Done => sink.warning(
            task.line,
            format!("task {label} is done but its sub-task {} is {}", child.label(), child.state),
        ),
        None if task.state != TaskState::Done => {
            sink.warning(task.line, format!("task {label} is {} but all its sub-tasks are done", task.state));
        }
        _ => {}
    }
}

pub(super) fn unknown_references(plan: &TaskPlan, doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    let known = known_ids(doc);
    for task in plan.tasks() {
        for reference in task.requirements.iter().filter(|r| !known.contains(r.as_str())) {
            let what = if reference.contains('.') { "criterion" } else { "requirement" };
            sink.error(task.line, format!("task {} references unknown {what} {reference}", task.label()));
        }
    }
}

pub(super) fn uncovered_requirements(plan: &TaskPlan, doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    // Every dotted prefix of every reference: `2.3` covers requirement `2`.
    let covered: HashSet<&str> = plan
        .tasks()
        .iter()
        .flat_map(|t| &t.requirements)
        .flat_map(|r| r.match_indices('.').map(|(at, _)| &r[..at]).chain(std::iter::once(r.as_str())))
        .collect();
    for requirement in doc.requirements.iter().filter(|r| !covered.contains(r.id.as_str())) {
        sink.warning(requirement.line, format!("requirement {} is not covered by any task", requirement.id));
    }
}
