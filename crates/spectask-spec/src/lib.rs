//! Kiro-style spec documents: parse, validate and edit `requirements.md`, `design.md`, `tasks.md` and
//! `progress.md`, in the dialects real repositories use (Kiro generations 1 and 2, cc-sdd, spec-kit).
//!
//! **Architecture invariant:** this crate does no IO. It reads no files, no clock and no environment;
//! callers pass text in and get text or data back. Edits are lossless: a parsed task plan keeps the
//! original bytes, and ticking a task changes the marker character and nothing else.
//!
//! Code map:
//! - `text`: line scanning shared by the parsers (line endings, BOM, tabs, and the hidden regions:
//!   front matter, code fences, HTML comments).
//! - [`plan`]: `tasks.md` / `progress.md` ([`Plan`]); `plan::edit` the one-byte marker edits;
//!   [`plan::deps`] the dependency rules and [`DepGraph`].
//! - [`requirements`] and [`ears`]: `requirements.md`, criteria ids and EARS patterns.
//! - [`design`]: `design.md` sections, looked up by name for agent prompts.
//! - [`feature_spec`]: spec-kit's `spec.md` (user stories, `FR-`/`SC-` items, open questions).
//! - [`lint`]: findings with stable codes over one document, a whole spec or a spec folder.
//! - [`json`]: the `specs parse --json` shapes; [`metadata`]: `spec-metadata.json`;
//!   [`progress`]: rendering `progress.md` and updating its Status block.
//! - [`steering`]: the repository's steering documents, selected and rendered for prompts.
//! - [`analyze`]: contradictions and gaps across the three documents, before review.
//! - [`adopt`]: a Kiro, cc-sdd or spec-kit folder taken up as a spec version, byte for byte.
//! - [`workflow`]: workflow templates (feature, design-first, bugfix, review, a repository's own)
//!   and their gates; [`review`]: a review task's findings and report.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod adopt;
pub mod analyze;
pub mod design;
pub mod ears;
pub mod feature_spec;
pub mod json;
pub mod lint;
pub mod metadata;
pub mod plan;
pub mod progress;
pub mod requirements;
pub mod review;
pub mod steering;
mod text;
pub mod workflow;

pub use adopt::{AdoptError, AdoptedSpec, adopt_folder, title_of_folder};
pub use analyze::{AnalysisFinding, AnalysisKind, analyze};
pub use design::{DesignDoc, DesignSection, parse_design};
pub use ears::{Ears, EarsPattern, EarsProblem, classify};
pub use feature_spec::{FeatureSpec, parse_feature_spec};
pub use json::{DocumentKind, parse_to_json};
pub use lint::{Code, Diagnostic, Level, LintReport, SpecFiles, lint_documents, lint_file, lint_spec};
pub use metadata::{Agent, Approval, ApprovalDecision, PlanTaskEntry, SpecMetadata, SpecVersion};
pub use plan::deps::DepGraph;
pub use plan::edit::{NewPlanTask, append_tasks, set_all_markers, set_marker};
pub use plan::{
    Checklist, ChecklistItem, ParseWarning, ParseWarningKind, Plan, PlanSummary, PlanTask, PlanTaskState,
    parse_plan,
};
pub use progress::{
    ProgressStatus, read_progress_status, render_progress, set_current_tasks, update_progress_status,
};
pub use requirements::{
    Criterion, GlossaryEntry, Requirement, RequirementsDoc, RequirementsSummary, parse_requirements,
};
pub use review::{Finding, FindingError, Severity, parse_findings, render_finding, render_report};
pub use steering::rules::SteeringRules;
pub use steering::{STEERING_DIRS, STEERING_FILES, steering_section};
pub use workflow::{DocumentGuidance, Template, TemplateError, Workflow};

/// Everything that can go wrong when editing a spec document or ordering its tasks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("no task with id {0:?}")]
    UnknownTask(String),
    #[error("no task at index {0}")]
    UnknownTaskIndex(usize),
    #[error("task {0} is written as a heading and has no checkbox to tick")]
    NoCheckbox(String),
    #[error("task id {id:?} is ambiguous: it appears on lines {lines:?}")]
    AmbiguousTask { id: String, lines: Vec<u32> },
    #[error("dependency cycle: {}", .0.join(" -> "))]
    DependencyCycle(Vec<String>),
    #[error("invalid spec-metadata.json: {0}")]
    InvalidMetadata(String),
}
