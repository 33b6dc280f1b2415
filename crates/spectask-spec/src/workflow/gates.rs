//! The gates of a workflow template, as lint findings.

use super::{Template, Workflow};
use crate::design::{component_key, parse_design, squash};
use crate::lint::{Code, Diagnostic, LintReport, SpecFiles};
use crate::plan::Plan;
use crate::text::scan;

/// Adds the gates' findings about `files`, each naming its document as in `names` (the first
/// document, design, tasks).
pub(super) fn check(template: &Template, files: &SpecFiles<'_>, names: [&str; 3], report: &mut LintReport) {
    let out = &mut report.diagnostics;
    let [first, design, tasks] = names;
    if let Some(text) = files.requirements {
        requirements_sections(template, first, text, out);
    }
    if let Some(text) = files.design {
        design_sections(template, design, text, out);
        if let (Workflow::DesignFirst, Some(requirements)) = (template.base, files.requirements) {
            components_without_requirement(design, text, requirements, out);
        }
    }
    if let Some(text) = files.tasks {
        first_task(template, tasks, text, out);
        if template.base == Workflow::Bugfix {
            first_task_runs_first(template, tasks, text, out);
        }
    }
}

/// A bugfix's reproduction test must fail before the fix is there: every later top-level task
/// waits for the first, so none runs beside it.
fn first_task_runs_first(template: &Template, file: &str, text: &str, out: &mut Vec<Diagnostic>) {
    let plan = Plan::parse(text);
    let graph = plan.dependency_graph();
    let mut top = plan.tasks().iter().filter(|t| t.parent.is_none());
    let Some(first) = top.next() else { return };
    for task in top {
        let mut seen = vec![task.index];
        let mut waits = false;
        while let Some(at) = seen.pop() {
            for &dep in graph.prerequisites(at) {
                if dep == first.index {
                    waits = true;
                    break;
                }
                seen.push(dep);
            }
            if waits {
                break;
            }
        }
        if !waits {
            out.push(Diagnostic::new(
                file,
                task.line,
                Code::FirstTaskGate,
                format!(
                    "the {} workflow runs its first task (the test that reproduces the bug) before the \
                     rest: task {} would run beside it (drop the `(P)` marks, or make its `_Depends:` \
                     name the first task)",
                    template.name,
                    task.label()
                ),
            ));
        }
    }
}

/// Each section the template asks of the first document, found as a heading.
fn requirements_sections(template: &Template, file: &str, text: &str, out: &mut Vec<Diagnostic>) {
    let headings: Vec<String> = scan(text)
        .iter()
        .filter(|l| !l.hidden && l.text.trim_start().starts_with('#'))
        .map(|l| comparable(l.text.trim_start_matches('#')))
        .collect();
    for wanted in &template.gates.requirements_sections {
        let key = comparable(wanted);
        if !headings.iter().any(|h| h.contains(&key)) {
            out.push(Diagnostic::new(
                file,
                1,
                Code::MissingTemplateSection,
                format!("the {} workflow asks for a \"{wanted}\" section", template.name),
            ));
        }
    }
}

fn design_sections(template: &Template, file: &str, text: &str, out: &mut Vec<Diagnostic>) {
    let design = parse_design(text);
    for wanted in &template.gates.design_sections {
        if design.section(wanted).is_none() {
            out.push(Diagnostic::new(
                file,
                1,
                Code::MissingTemplateSection,
                format!("the {} workflow asks for a \"{wanted}\" section", template.name),
            ));
        }
    }
}

/// The plan's first task (with its sub-tasks and details) must contain each word set.
fn first_task(template: &Template, file: &str, text: &str, out: &mut Vec<Diagnostic>) {
    if template.gates.first_task_words.is_empty() {
        return;
    }
    let plan = Plan::parse(text);
    let Some(first) = plan.tasks().iter().find(|t| t.parent.is_none()) else { return };
    let mut words = vec![first.title.clone()];
    words.extend(first.details.iter().cloned());
    for &child in &first.children {
        if let Some(task) = plan.tasks().get(child) {
            words.push(task.title.clone());
            words.extend(task.details.iter().cloned());
        }
    }
    let said = words.join(" ").to_lowercase();
    let missing: Vec<&str> = template
        .gates
        .first_task_words
        .iter()
        .filter(|set| !set.split('|').any(|w| said.contains(&w.trim().to_lowercase())))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.push(Diagnostic::new(
            file,
            first.line,
            Code::FirstTaskGate,
            format!(
                "the {} workflow's first task must say {} (for a bugfix: write a test that fails \
                 because of the bug)",
                template.name,
                missing
                    .iter()
                    .map(|m| format!("\"{}\"", m.replace('|', "\" or \"")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
}

/// In a design-first spec, every component the design names is wanted by some requirement.
fn components_without_requirement(file: &str, design: &str, requirements: &str, out: &mut Vec<Diagnostic>) {
    let said = squash(requirements);
    for section in parse_design(design).components() {
        let name = component_key(&section.title);
        if !name.is_empty() && !said.contains(&name) {
            out.push(Diagnostic::new(
                file,
                section.line,
                Code::ComponentWithoutRequirement,
                format!("no requirement mentions the component \"{}\"", section.title.trim()),
            ));
        }
    }
}

/// Lower case, `_` and `-` as spaces, `behaviour` as `behavior`, spaces collapsed.
fn comparable(text: &str) -> String {
    let text = text.to_lowercase().replace(['_', '-', '`', '*'], " ").replace("behaviour", "behavior");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
