//! Lint rules for tasks.md, alone and against requirements.md.

use std::collections::{HashMap, HashSet};

use super::{Code, Sink, known_ids, quoted};
use crate::plan::{ParseWarningKind, Plan, PlanTask, PlanTaskState};
use crate::requirements::RequirementsDoc;

pub(super) fn lint(plan: &Plan, sink: &mut Sink<'_>) {
    for warning in plan.warnings() {
        let code = match warning.kind {
            ParseWarningKind::UnknownMarker => Code::UnknownMarker,
            ParseWarningKind::MalformedCheckbox => Code::MalformedCheckbox,
        };
        sink.report(code, warning.line, warning.message.clone());
    }
    if plan.tasks().is_empty() {
        sink.report(Code::NoTasks, 1, "no tasks found".to_owned());
    }
    let mut first: HashMap<&str, u32> = HashMap::new();
    for task in plan.tasks() {
        let Some(id) = task.id.as_deref() else {
            continue;
        };
        match first.get(id) {
            Some(line) => {
                sink.report(
                    Code::DuplicateTaskId,
                    task.line,
                    format!("duplicate task id {id} (first on line {line})"),
                );
            }
            None => {
                first.insert(id, task.line);
            }
        }
    }
    // A plan that references no requirement anywhere (a hand-written list) is not asked to.
    let references = plan.tasks().iter().any(|t| !t.requirements.is_empty() || !t.free_references.is_empty());
    for task in plan.tasks() {
        if references && !has_reference(plan, task) && !exempt_from_references(task) {
            sink.report(
                Code::TaskWithoutReference,
                task.line,
                format!("{} has no requirement reference", name(task)),
            );
        }
        done_parent_open_child(plan, task, sink);
    }
    let graph = plan.dependency_graph();
    for (index, id) in graph.unknown_dependencies() {
        let task = &plan.tasks()[*index];
        sink.report(
            Code::UnknownDependency,
            task.line,
            format!("{} depends on unknown task {id}", name(task)),
        );
    }
    for cycle in graph.cycles() {
        let line = cycle
            .first()
            .and_then(|label| plan.tasks().iter().find(|t| t.label() == *label))
            .map_or(1, |t| t.line);
        sink.report(Code::DependencyCycle, line, format!("dependency cycle: {}", cycle.join(" -> ")));
    }
}

/// `task 2.1`, or `task "Its title"` for a task written without an id.
fn name(task: &PlanTask) -> String {
    match &task.id {
        Some(id) => format!("task {id}"),
        None => format!("task {}", quoted(&task.title)),
    }
}

fn has_reference(plan: &Plan, task: &PlanTask) -> bool {
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

/// A parent ticked done while a required (non-optional) sub-task is not. The reverse, an unticked parent
/// whose required sub-tasks are all done, is how Kiro writes plans (it never ticks parents) and counts as
/// done (see [`Plan::completion`]): no finding.
fn done_parent_open_child(plan: &Plan, task: &PlanTask, sink: &mut Sink<'_>) {
    if task.state != PlanTaskState::Done || task.marker.is_none() {
        return;
    }
    let open = task
        .children
        .iter()
        .map(|&c| &plan.tasks()[c])
        .find(|c| !c.optional && c.state != PlanTaskState::Done);
    if let Some(child) = open {
        let (parent, child_name) = (name(task), name(child));
        sink.report(
            Code::DoneParentOpenChild,
            task.line,
            format!("{parent} is done but its sub-{child_name} is {}", child.state),
        );
    }
}

pub(super) fn unknown_references(plan: &Plan, doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    let known = known_ids(doc);
    for task in plan.tasks() {
        for reference in task.requirements.iter().filter(|r| !known.contains(r.as_str())) {
            let what = if reference.contains('.') { "criterion" } else { "requirement" };
            sink.report(
                Code::UnknownReference,
                task.line,
                format!("{} references unknown {what} {reference}", name(task)),
            );
        }
    }
}

pub(super) fn uncovered_requirements(plan: &Plan, doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    // Every dotted prefix of every reference: `2.3` covers requirement `2`.
    let covered: HashSet<&str> = plan
        .tasks()
        .iter()
        .flat_map(|t| &t.requirements)
        .flat_map(|r| r.match_indices('.').map(|(at, _)| &r[..at]).chain(std::iter::once(r.as_str())))
        .collect();
    for requirement in doc.requirements.iter().filter(|r| !covered.contains(r.id.as_str())) {
        sink.report(
            Code::UncoveredRequirement,
            requirement.line,
            format!("requirement {} is not covered by any task", requirement.id),
        );
    }
}
