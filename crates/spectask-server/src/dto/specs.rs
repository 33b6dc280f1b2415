//! The spec review loop on the wire: documents, versions, reviews.

use serde::{Deserialize, Serialize};
use spectask_core::{
    LineComment, ReviewDecision, SpecDocument, SpecReview, SpecTaskId, SpecVersion, Timestamp,
};
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
}

/// `POST /spec-tasks/{id}/request-changes`: what to change, in comments (not blank) or line
/// comments (at least one), or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesRequestBody {
    #[serde(default)]
    pub comments: String,
    #[serde(default)]
    pub line_comments: Vec<LineComment>,
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
}

impl From<&SpecVersion> for SpecVersionDto {
    fn from(v: &SpecVersion) -> Self {
        Self {
            version: v.version,
            planner: v.planner.clone(),
            created_at: v.created_at,
            usage: v.usage.clone(),
            lint: v.lint.clone(),
        }
    }
}
