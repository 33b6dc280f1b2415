//! Checking a draft with the spec linter, under its workflow template's gates.

use spectask_spec::{SpecFiles, Template};

use crate::extract::Documents;

/// The linter's verdict on one draft, as `file:line: level[CODE]: message` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LintOutcome {
    /// Every error occurrence: what a repair round quotes, one by one.
    pub errors: Vec<String>,
    /// All findings, one per kind per file (errors, warnings and notes), as reported with the draft.
    pub diagnostics: Vec<String>,
}

pub(crate) fn check(template: &Template, documents: &Documents) -> LintOutcome {
    let report = template.lint(&SpecFiles {
        requirements: Some(&documents.requirements),
        design: Some(&documents.design),
        tasks: Some(&documents.tasks),
    });
    LintOutcome {
        errors: report.errors().map(ToString::to_string).collect(),
        diagnostics: report.grouped().iter().map(ToString::to_string).collect(),
    }
}
