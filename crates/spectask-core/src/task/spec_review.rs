//! SpecReview: a person's decision on one version of a SpecTask's spec.

use serde::{Deserialize, Serialize};

use crate::ids::{SpecReviewId, SpecTaskId};
use crate::{Timestamp, named_enum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    RequestChanges,
    Reject,
}
named_enum!(ReviewDecision, "review decision", {
    Approve => "approve",
    RequestChanges => "request_changes",
    Reject => "reject",
});

/// One of the three spec documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpecDocument {
    Requirements,
    Design,
    Tasks,
}
named_enum!(SpecDocument, "spec document", {
    Requirements => "requirements",
    Design => "design",
    Tasks => "tasks",
});

impl SpecDocument {
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Requirements => "requirements.md",
            Self::Design => "design.md",
            Self::Tasks => "tasks.md",
        }
    }
}

/// A comment anchored to a line of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineComment {
    pub document: SpecDocument,
    /// 1-based line number, or none for a comment on the whole document.
    #[serde(default, deserialize_with = "crate::wire::json_number::optional_integral")]
    #[schema(minimum = 1)]
    pub line: Option<u32>,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecReview {
    pub id: SpecReviewId,
    pub spec_task_id: SpecTaskId,
    /// The spec version reviewed.
    pub version: u32,
    pub decision: ReviewDecision,
    pub comments: String,
    pub line_comments: Vec<LineComment>,
    pub reviewer: String,
    pub created_at: Timestamp,
}
