//! The spec review loop on the wire: documents, versions, reviews.

use serde::{Deserialize, Serialize};
use spectask_core::{
    LineComment, ReviewDecision, SpecDocument, SpecReview, SpecTaskId, SpecVersion, Timestamp,
};
use spectask_spec::{SpecFiles, analyze};
use utoipa::{IntoParams, ToSchema};

use super::SpecTaskDto;

/// `POST /spec-tasks/{id}/approve-specs`, `/request-changes`, `/reject`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    #[serde(default)]
    pub comments: String,
    #[serde(default)]
    pub line_comments: Vec<LineComment>,
    /// Approve although the spec version has lint errors, for this reason (not blank), recorded with
    /// the review. Without it, such a version's approval is refused (409 `lint_errors`).
    #[serde(default)]
    #[schema(pattern = r"\S")]
    pub despite_lint: Option<String>,
}

/// The lint errors among a spec version's findings (`file:line: error[CODE]: …`): what makes a
/// plan unschedulable or a spec contradict itself, or breaks a gate of its workflow.
pub fn lint_errors(lint: &[String]) -> Vec<&str> {
    lint.iter().map(String::as_str).filter(|l| l.contains(": error[")).collect()
}

/// An approval of a version with lint `errors`: refused without a reason to override them (409
/// `lint_errors`, naming them and the override), else the comments with the override recorded.
pub fn gate_approval(
    errors: &[&str],
    despite: Option<&str>,
    comments: &str,
    route: &str,
) -> Result<String, crate::ApiError> {
    if errors.is_empty() {
        return Ok(comments.to_owned());
    }
    let listed: String = errors.iter().take(10).map(|e| format!("\n- {e}")).collect();
    let Some(reason) = despite.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(crate::ApiError::conflict(
            "lint_errors",
            format!(
                "the spec has {} lint error(s), so it cannot be approved as it is: ask for changes, or \
                 approve despite them with a reason ({route}):{listed}",
                errors.len()
            ),
        ));
    };
    let mut text = comments.trim().to_owned();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&format!("Approved despite {} lint error(s): {reason}{listed}", errors.len()));
    Ok(text)
}

/// A person's answer to one of the planner's questions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The question's number in the version's `questions` (1 for the first).
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "spectask_core::wire::json_number::integral")]
    pub question: u32,
    #[schema(pattern = r"\S")]
    pub answer: String,
}

/// `POST /spec-tasks/{id}/request-changes`: what to change, in comments (not blank), line
/// comments, answers to the planner's questions, or any of them together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesRequestBody {
    #[serde(default)]
    pub comments: String,
    #[serde(default)]
    pub line_comments: Vec<LineComment>,
    /// Answers to the reviewed version's questions, by their number (1 for the first).
    #[serde(default)]
    #[schema(max_items = 5)]
    pub answers: Vec<AnswerBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: String,
    /// The spec version reviewed.
    pub version: u32,
    pub decision: ReviewDecision,
    pub comments: String,
    pub line_comments: Vec<LineComment>,
    pub reviewer: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<&SpecReview> for ReviewDto {
    fn from(r: &SpecReview) -> Self {
        Self {
            id: r.id.to_string(),
            version: r.version,
            decision: r.decision,
            comments: r.comments.clone(),
            line_comments: r.line_comments.clone(),
            reviewer: r.reviewer.clone(),
            created_at: r.created_at,
        }
    }
}

/// The answer to a review: the task as it is now and the review recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewedDto {
    pub task: SpecTaskDto,
    pub review: ReviewDto,
}

/// `GET /spec-tasks/{id}/documents/{doc}?version=N`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// A spec version; default the latest.
    pub version: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDto {
    pub spec_task_id: SpecTaskId,
    pub document: SpecDocument,
    pub file_name: &'static str,
    pub version: u32,
    pub content: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpecVersionDto {
    pub version: u32,
    /// The planner profile that wrote it.
    pub planner: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// What the planner reported using (tokens and the like).
    pub usage: serde_json::Value,
    /// The linter's findings.
    pub lint: Vec<String>,
    /// What the planner asks the person before the next version; answered with request-changes.
    pub questions: Vec<String>,
    /// The planner asked its questions instead of writing the documents (they are empty): the
    /// answers, sent with request-changes, drive the first draft, and the version cannot be approved.
    pub questions_only: bool,
    /// Contradictions and gaps across the three documents: spectask's analysis
    /// (`spectask_spec::analyze`), then what the planner's own consistency check left (kind
    /// `planner`).
    pub analysis: Vec<AnalysisFindingDto>,
}

/// One finding of a spec version's analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisFindingDto {
    pub kind: AnalysisKind,
    /// `requirements.md`, `design.md` or `tasks.md` (the first names the workflow's first document).
    pub file: String,
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    Gap,
    Contradiction,
    Repetition,
    /// Found by the planner's own consistency check.
    Planner,
}

impl SpecVersionDto {
    /// The version of a spec whose first document is the file `requirements_file` (`bugfix.md` for
    /// a bugfix): the analysis names it so.
    pub(crate) fn of(v: &SpecVersion, requirements_file: &'static str) -> Self {
        Self {
            version: v.version,
            planner: v.planner.clone(),
            created_at: v.created_at,
            usage: v.usage.clone(),
            lint: v.lint.clone(),
            questions: v.questions.clone(),
            questions_only: v.is_questions_only(),
            analysis: analysis(v, requirements_file),
        }
    }
}

/// The analysis of a version's documents, derived from them whenever it is shown.
fn analysis(v: &SpecVersion, requirements_file: &'static str) -> Vec<AnalysisFindingDto> {
    let d = &v.documents;
    let files =
        SpecFiles { requirements: Some(&d.requirements), design: Some(&d.design), tasks: Some(&d.tasks) };
    let computed = analyze(&files).into_iter().map(|f| AnalysisFindingDto {
        kind: match f.kind {
            spectask_spec::AnalysisKind::Gap => AnalysisKind::Gap,
            spectask_spec::AnalysisKind::Contradiction => AnalysisKind::Contradiction,
            spectask_spec::AnalysisKind::Repetition => AnalysisKind::Repetition,
        },
        file: if f.file == "requirements.md" { requirements_file } else { f.file }.to_owned(),
        line: f.line,
        message: f.message,
    });
    let planner = v.consistency.iter().map(|item| planner_finding(item, requirements_file));
    computed.chain(planner).collect()
}

/// An item of the planner's consistency check (`file:line: what`, as asked). One that names no
/// document of the spec is kept whole, on the first document's line 1.
fn planner_finding(item: &str, requirements_file: &'static str) -> AnalysisFindingDto {
    let documents = [requirements_file, "requirements.md", "design.md", "tasks.md"];
    let located = item.split_once(':').and_then(|(file, rest)| {
        let file = file.trim().trim_matches('`').rsplit('/').next()?;
        let file = *documents.iter().find(|d| **d == file)?;
        let file = if file == "requirements.md" { requirements_file } else { file };
        let (line, message) = match rest.split_once(':') {
            Some((line, message)) if line.trim().parse::<u32>().is_ok() => {
                (line.trim().parse().ok()?, message)
            }
            // `tasks.md:3` alone: the line, and the item whole as what it says.
            None if rest.trim().parse::<u32>().is_ok() => (rest.trim().parse().ok()?, item),
            _ => (1, rest),
        };
        Some((file, line.max(1), message.trim()))
    });
    let (file, line, message) = located.unwrap_or((requirements_file, 1, item));
    AnalysisFindingDto {
        kind: AnalysisKind::Planner,
        file: file.to_owned(),
        line,
        message: message.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use spectask_core::SpecDocuments;

    use super::*;

    /// A bugfix spec's analysis names its first document `bugfix.md`, as its review shows it, and
    /// carries the planner's own consistency check.
    #[test]
    fn the_analysis_names_the_workflows_first_document() {
        let version = SpecVersion {
            spec_task_id: "01a213a7-4dad-7328-8ed4-29226b40f60a".parse().unwrap(),
            version: 1,
            documents: SpecDocuments {
                requirements: "### Requirement 1: Totals\n\n\
                    1. WHEN an invoice has a discount THE Invoice SHALL keep the cents\n\
                    2. WHEN an invoice has a discount THE Invoice SHALL round half up\n"
                    .to_owned(),
                design: "# Design\n".to_owned(),
                tasks: "- [ ] 1. Keep the cents\n  - _Requirements: 1.1_\n".to_owned(),
            },
            planner: "scripted".to_owned(),
            usage: serde_json::Value::Null,
            lint: Vec::new(),
            questions: Vec::new(),
            consistency: vec![
                "requirements.md:4: criterion 1.2 has no task".to_owned(),
                "`specs/x/design.md`: the cache is never built".to_owned(),
                "The two documents disagree on rounding".to_owned(),
                "tasks.md:0".to_owned(),
            ],
            created_at: chrono::Utc::now(),
        };
        let files = |first| {
            SpecVersionDto::of(&version, first).analysis.into_iter().map(|f| f.file).collect::<Vec<_>>()
        };
        assert_eq!(files("bugfix.md"), ["bugfix.md", "bugfix.md", "design.md", "bugfix.md", "tasks.md"]);
        assert_eq!(
            files("requirements.md"),
            ["requirements.md", "requirements.md", "design.md", "requirements.md", "tasks.md"]
        );
        // The planner's own check follows spectask's analysis, each item kept whole.
        let shown: Vec<(u32, String)> = SpecVersionDto::of(&version, "bugfix.md")
            .analysis
            .into_iter()
            .filter(|f| matches!(f.kind, AnalysisKind::Planner))
            .map(|f| (f.line, f.message))
            .collect();
        assert_eq!(
            shown,
            [
                (4, "criterion 1.2 has no task".to_owned()),
                (1, "the cache is never built".to_owned()),
                (1, "The two documents disagree on rounding".to_owned()),
                (1, "tasks.md:0".to_owned()),
            ]
        );
    }
}
