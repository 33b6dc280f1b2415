//! A review task's report and the follow-up tasks made from its findings.

use serde::{Deserialize, Serialize};
use spectask_core::SpecTaskId;
use utoipa::ToSchema;

/// `GET /api/v1/spec-tasks/{id}/review-report`: the report as the design-docs branch holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewReportDto {
    pub spec_task_id: SpecTaskId,
    /// What was reviewed: a branch, or a commit range `A..B`.
    pub target: String,
    /// Where it lies on the design-docs branch: `specs/<task>/review.md`.
    pub path: String,
    /// The report as committed (Markdown).
    pub markdown: String,
    pub findings: Vec<FindingDto>,
}

/// One finding of a review.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDto {
    /// Its number in the report, from 1: what a follow-up names it by.
    pub number: u32,
    pub title: String,
    /// A path relative to the repository's root.
    pub file: String,
    /// A line of `file`, from 1.
    pub line: u32,
    /// `high`, `medium`, `low` or `info`.
    pub severity: String,
    pub detail: String,
}

/// `POST /api/v1/spec-tasks/{id}/follow-ups`: one new task for the chosen findings of a review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFollowUp {
    /// The findings' numbers in the report (`number`), at least one.
    #[serde(deserialize_with = "spectask_core::wire::json_number::integral_list")]
    #[schema(min_items = 1, max_items = 100)]
    pub findings: Vec<u32>,
    /// `feature` or `bugfix`.
    #[schema(pattern = r"^(feature|bugfix)$")]
    pub workflow: String,
}
