//! The analysis of a spec before review: contradictions and gaps across its three documents that
//! the lint, which checks each document and the ids between them, does not report.
//!
//! - a **gap**: an acceptance criterion no plan task implements while its requirement's other
//!   criteria are (the lint's X002 names a requirement no task covers at all), or a design
//!   component no plan task names;
//! - a **contradiction**: two criteria with the same condition and system, one saying the system
//!   shall do something and the other that it shall not;
//! - a **repetition**: two criteria saying the same thing under two ids.
//!
//! A bugfix spec's current behaviour (the defect, under *Current Behavior*) is what the fix
//! changes: it is neither checked against the expected behaviour nor expected to be implemented.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::design::{component_key, parse_design, squash};
use crate::lint::SpecFiles;
use crate::plan::Plan;
use crate::requirements::{Criterion, Requirement, parse_requirements};

/// What kind of problem a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    Gap,
    Contradiction,
    Repetition,
}

impl AnalysisKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisKind::Gap => "gap",
            AnalysisKind::Contradiction => "contradiction",
            AnalysisKind::Repetition => "repetition",
        }
    }
}

/// One finding: its kind, where it is, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnalysisFinding {
    pub kind: AnalysisKind,
    /// `requirements.md`, `design.md` or `tasks.md`.
    pub file: &'static str,
    /// 1-based line in that document.
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for AnalysisFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.kind.as_str(), self.message)
    }
}

/// The contradictions and gaps across `files`, in document order (requirements, design, tasks).
pub fn analyze(files: &SpecFiles<'_>) -> Vec<AnalysisFinding> {
    let mut out = Vec::new();
    let Some(requirements) = files.requirements.map(parse_requirements) else { return out };
    let wanted: Vec<&Requirement> =
        requirements.requirements.iter().filter(|r| !is_current_behaviour(r)).collect();
    contradictions(&wanted, &mut out);
    if let Some(tasks) = files.tasks {
        let plan = Plan::parse(tasks);
        criteria_without_task(&wanted, &plan, &mut out);
        if let Some(design) = files.design {
            components_without_task(design, tasks, &mut out);
        }
    }
    out
}

/// A bugfix spec's defect: `## Current Behavior (Defect)`, or its British spelling.
fn is_current_behaviour(requirement: &Requirement) -> bool {
    requirement.title.as_deref().is_some_and(|t| t.to_lowercase().starts_with("current behavio"))
}

/// A criterion split at its first `shall`: what comes before it (condition and system) and the
/// response without `not`/`never`, each lower case with spaces collapsed.
fn sides(criterion: &Criterion) -> Option<(String, String)> {
    let text = criterion.text.to_lowercase().replace(['`', '*', ','], " ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "shall")?;
    let mut response = &words[at + 1..];
    while let Some(rest) = response.strip_prefix(&["not"]).or_else(|| response.strip_prefix(&["never"])) {
        response = rest;
    }
    Some((words[..at].join(" "), response.join(" ")))
}

fn contradictions(requirements: &[&Requirement], out: &mut Vec<AnalysisFinding>) {
    let mut seen: HashMap<(String, String), &Criterion> = HashMap::new();
    for criterion in requirements.iter().flat_map(|r| &r.criteria) {
        let Some(key) = sides(criterion) else { continue };
        match seen.get(&key) {
            Some(first) if first.ears.negated != criterion.ears.negated => out.push(AnalysisFinding {
                kind: AnalysisKind::Contradiction,
                file: "requirements.md",
                line: criterion.line,
                message: format!(
                    "criterion {} says the opposite of criterion {} (line {}): one says shall, the other shall not",
                    criterion.id, first.id, first.line
                ),
            }),
            Some(first) => out.push(AnalysisFinding {
                kind: AnalysisKind::Repetition,
                file: "requirements.md",
                line: criterion.line,
                message: format!("criterion {} repeats criterion {} (line {})", criterion.id, first.id, first.line),
            }),
            None => {
                seen.insert(key, criterion);
            }
        }
    }
}

/// Criteria no plan task names, in requirements some task implements in part (a task naming the
/// requirement itself implements all of its criteria).
fn criteria_without_task(requirements: &[&Requirement], plan: &Plan, out: &mut Vec<AnalysisFinding>) {
    let named: HashSet<&str> =
        plan.tasks().iter().flat_map(|t| &t.requirements).map(String::as_str).collect();
    for requirement in requirements {
        let in_part = requirement.criteria.iter().any(|c| named.contains(c.id.as_str()));
        if named.contains(requirement.id.as_str()) || !in_part {
            continue;
        }
        for criterion in requirement.criteria.iter().filter(|c| !named.contains(c.id.as_str())) {
            out.push(AnalysisFinding {
                kind: AnalysisKind::Gap,
                file: "requirements.md",
                line: criterion.line,
                message: format!(
                    "criterion {} is implemented by no plan task (tasks name other criteria of requirement {})",
                    criterion.id, requirement.id
                ),
            });
        }
    }
}

/// Design components no plan task names (in its title or details).
fn components_without_task(design: &str, tasks: &str, out: &mut Vec<AnalysisFinding>) {
    let said = squash(tasks);
    for component in parse_design(design).components() {
        let key = component_key(&component.title);
        if !key.is_empty() && !said.contains(&key) {
            out.push(AnalysisFinding {
                kind: AnalysisKind::Gap,
                file: "design.md",
                line: component.line,
                message: format!("no plan task names the component \"{}\"", component.title.trim()),
            });
        }
    }
}

#[cfg(test)]
mod tests;
