//! The spec linter: errors and warnings as `file:line: level: message`.
//!
//! Rules for requirements.md: a criterion without `shall`, with several, not EARS-shaped (a condition
//! with no comma or `then` before the system, or an upper-case condition keyword after `shall`), or
//! naming no system is an error, and so is a duplicate criterion id; vague words, a system missing from a non-empty glossary, and a requirement with
//! no criteria are warnings. Rules for tasks.md: duplicate ids, unknown dependencies and dependency
//! cycles are errors; broken markers and parent/child marker mismatches are warnings. A task with no
//! requirement reference is a warning, except checkpoint and documentation tasks, parents whose
//! sub-tasks carry references, and spec-kit tasks (spec-kit does not reference EARS criteria). Across
//! documents: a reference to an unknown criterion is an error, a requirement no task covers a warning.
//! design.md alone: a missing required section is a warning; with requirements.md, a correctness
//! property validating an unknown criterion is an error.

mod design;
mod plan;
mod requirements;

use std::collections::HashSet;

use serde::Serialize;

use crate::json::DocumentKind;
use crate::plan::TaskPlan;
use crate::requirements::{RequirementsDoc, parse_requirements};

/// The documents of one spec; any may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecFiles<'a> {
    pub requirements: Option<&'a str>,
    pub design: Option<&'a str>,
    pub tasks: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding. Displays as `file:line: level: message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.level, self.message)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.level == Level::Error)
    }
}

/// Collects diagnostics for one file.
pub(crate) struct Sink<'a> {
    file: &'a str,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(crate) fn error(&mut self, line: u32, message: String) {
        self.push(line, Level::Error, message);
    }

    pub(crate) fn warning(&mut self, line: u32, message: String) {
        self.push(line, Level::Warning, message);
    }

    fn push(&mut self, line: u32, level: Level, message: String) {
        self.diagnostics.push(Diagnostic { file: self.file.to_owned(), line, level, message });
    }
}

/// Every requirement and criterion id of `doc`: what references may name.
fn known_ids(doc: &RequirementsDoc) -> HashSet<&str> {
    doc.requirements.iter().map(|r| r.id.as_str()).chain(doc.criteria().map(|c| c.id.as_str())).collect()
}

/// Lints a spec: each document alone, then the references between requirements and tasks.
/// Diagnostics name the files `requirements.md`, `design.md` and `tasks.md`.
pub fn lint_spec(files: &SpecFiles<'_>) -> LintReport {
    lint_named(files, ["requirements.md", "design.md", "tasks.md"])
}

/// Lints one document on its own, choosing its kind from the file name (or its content); diagnostics
/// carry `file_name`.
pub fn lint_file(file_name: &str, text: &str) -> LintReport {
    let mut files = SpecFiles::default();
    match DocumentKind::detect(file_name, text) {
        DocumentKind::Requirements => files.requirements = Some(text),
        DocumentKind::Design => files.design = Some(text),
        DocumentKind::Tasks => files.tasks = Some(text),
    }
    lint_named(&files, [file_name; 3])
}

fn lint_named(files: &SpecFiles<'_>, [req_name, design_name, tasks_name]: [&str; 3]) -> LintReport {
    let mut report = LintReport::default();
    let requirements = files.requirements.map(parse_requirements);
    let plan = files.tasks.map(TaskPlan::parse);
    if let Some(doc) = &requirements {
        requirements::lint(doc, &mut Sink { file: req_name, diagnostics: &mut report.diagnostics });
    }
    if let Some(text) = files.design {
        design::lint(text, &mut Sink { file: design_name, diagnostics: &mut report.diagnostics });
    }
    if let Some(plan) = &plan {
        plan::lint(plan, &mut Sink { file: tasks_name, diagnostics: &mut report.diagnostics });
    }
    if let (Some(doc), Some(text)) = (&requirements, files.design) {
        design::unknown_references(
            text,
            doc,
            &mut Sink { file: design_name, diagnostics: &mut report.diagnostics },
        );
    }
    if let (Some(doc), Some(plan)) = (&requirements, &plan) {
        let mut tasks_sink = Sink { file: tasks_name, diagnostics: &mut report.diagnostics };
        plan::unknown_references(plan, doc, &mut tasks_sink);
        let mut req_sink = Sink { file: req_name, diagnostics: &mut report.diagnostics };
        plan::uncovered_requirements(plan, doc, &mut req_sink);
    }
    let order = |file: &str| [req_name, design_name, tasks_name].iter().position(|n| *n == file);
    report.diagnostics.sort_by_key(|d| (order(&d.file), d.line));
    report
}
