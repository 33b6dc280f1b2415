//! The spec linter: findings with stable codes ([`Code`]), as `file:line: level[CODE]: message`.
//!
//! Each document is linted alone (`requirements`, `design`, `plan`, `feature_spec`, and every one
//! for git's conflict markers, `conflicts`), then the
//! references between them (`plan::unknown_references`, `design::unknown_references`,
//! `plan::uncovered_requirements`). The report holds every occurrence; [`LintReport::grouped`] is the
//! view people read: one finding per kind per file, with the count and the first lines.
//!
//! Which findings exist, and why each has its level, is the catalogue in `codes`.

mod codes;
mod conflicts;
mod design;
mod feature_spec;
mod plan;
mod report;
mod requirements;

pub use codes::Code;
pub use report::{Diagnostic, Level, LintReport};

use std::collections::HashSet;

use crate::json::DocumentKind;
use crate::plan::Plan;
use crate::requirements::{RequirementsDoc, parse_requirements};

/// The documents of one spec; any may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecFiles<'a> {
    pub requirements: Option<&'a str>,
    pub design: Option<&'a str>,
    pub tasks: Option<&'a str>,
}

/// Collects the findings about one file.
pub(crate) struct Sink<'a> {
    file: &'a str,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(crate) fn report(&mut self, code: Code, line: u32, message: String) {
        self.diagnostics.push(Diagnostic::new(self.file, line, code, message));
    }
}

/// Every requirement and criterion id of `doc`: what references may name.
fn known_ids(doc: &RequirementsDoc) -> HashSet<&str> {
    doc.requirements.iter().map(|r| r.id.as_str()).chain(doc.criteria().map(|c| c.id.as_str())).collect()
}

/// A short quoted form of a title for messages: at most 48 characters.
pub(crate) fn quoted(text: &str) -> String {
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(48).collect();
    if chars.next().is_some() { format!("\"{}…\"", short.trim_end()) } else { format!("\"{short}\"") }
}

/// Lints a spec: each document alone, then the references between requirements, design and tasks.
/// Findings name the files `requirements.md`, `design.md` and `tasks.md`.
pub fn lint_spec(files: &SpecFiles<'_>) -> LintReport {
    lint_named(files, ["requirements.md", "design.md", "tasks.md"])
}

/// Lints one document on its own, its kind chosen from the file name (or else its content); findings
/// carry `file_name`.
pub fn lint_file(file_name: &str, text: &str) -> LintReport {
    lint_documents(&[(file_name, text)])
}

/// Lints the documents of one spec folder, given as (path, text); findings carry the paths. Kinds come
/// from the paths: a Kiro or cc-sdd folder's `requirements.md` (or `bugfix.md`), `design.md` and
/// `tasks.md` are linted together, references included; a spec-kit `spec.md` on its own; spec-kit's
/// plan.md, research.md, data-model.md, quickstart.md, constitution.md and checklists have no rules.
/// A single document whose name says nothing is sniffed from its content; in a folder of several,
/// such documents (README.md, notes) are skipped.
pub fn lint_documents(documents: &[(&str, &str)]) -> LintReport {
    let kind_of = |&(path, text): &(&str, &str)| match documents.len() {
        1 => Some(DocumentKind::detect(path, text)),
        _ => DocumentKind::from_file_name(path),
    };
    let mut slots: [Option<(&str, &str)>; 3] = [None; 3];
    let mut alone: Vec<(&str, &str, DocumentKind)> = Vec::new();
    for document in documents {
        let slot = match kind_of(document) {
            Some(DocumentKind::Requirements) => 0,
            Some(DocumentKind::Design) => 1,
            Some(DocumentKind::Tasks) => 2,
            Some(kind) => {
                alone.push((document.0, document.1, kind));
                continue;
            }
            None => continue,
        };
        match slots[slot] {
            None => slots[slot] = Some(*document),
            Some(_) => alone.push((document.0, document.1, DocumentKind::detect(document.0, document.1))),
        }
    }
    let files = SpecFiles {
        requirements: slots[0].map(|(_, t)| t),
        design: slots[1].map(|(_, t)| t),
        tasks: slots[2].map(|(_, t)| t),
    };
    let names = slots.map(|s| s.map_or("", |(p, _)| p));
    let mut report = lint_named(&files, names);
    for (path, text, kind) in alone {
        let mut sink = Sink { file: path, diagnostics: &mut report.diagnostics };
        conflicts::lint(text, &mut sink);
        match kind {
            DocumentKind::Requirements => requirements::lint(&parse_requirements(text), &mut sink),
            DocumentKind::Design => design::lint(text, &mut sink),
            DocumentKind::Tasks => plan::lint(&Plan::parse(text), &mut sink),
            DocumentKind::FeatureSpec => feature_spec::lint(text, &mut sink),
            DocumentKind::Supporting => {}
        }
    }
    let order: Vec<&str> = documents.iter().map(|(p, _)| *p).collect();
    report.normalise(&order);
    report
}

pub(crate) fn lint_named(
    files: &SpecFiles<'_>,
    [req_name, design_name, tasks_name]: [&str; 3],
) -> LintReport {
    let mut report = LintReport::default();
    let requirements = files.requirements.map(parse_requirements);
    let plan = files.tasks.map(Plan::parse);
    let diagnostics = &mut report.diagnostics;
    for (text, file) in
        [(files.requirements, req_name), (files.design, design_name), (files.tasks, tasks_name)]
    {
        if let Some(text) = text {
            conflicts::lint(text, &mut Sink { file, diagnostics });
        }
    }
    if let Some(doc) = &requirements {
        requirements::lint(doc, &mut Sink { file: req_name, diagnostics });
    }
    if let Some(text) = files.design {
        design::lint(text, &mut Sink { file: design_name, diagnostics });
        if let Some(doc) = &requirements {
            design::unknown_references(text, doc, &mut Sink { file: design_name, diagnostics });
        }
    }
    if let Some(plan) = &plan {
        plan::lint(plan, &mut Sink { file: tasks_name, diagnostics });
        if let Some(doc) = &requirements {
            plan::unknown_references(plan, doc, &mut Sink { file: tasks_name, diagnostics });
            plan::uncovered_requirements(plan, doc, &mut Sink { file: req_name, diagnostics });
        }
    }
    report.normalise(&[req_name, design_name, tasks_name]);
    report
}
