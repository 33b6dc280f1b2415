//! A spec version: the three documents a planner produced for a SpecTask, kept forever.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::SpecTaskId;
use crate::task::spec_review::SpecDocument;

/// requirements.md, design.md and tasks.md as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDocuments {
    pub requirements: String,
    pub design: String,
    pub tasks: String,
}

impl SpecDocuments {
    /// Whether no document has any text: a version in which the planner only asked questions.
    pub fn is_empty(&self) -> bool {
        [&self.requirements, &self.design, &self.tasks].iter().all(|d| d.trim().is_empty())
    }

    pub fn get(&self, document: SpecDocument) -> &str {
        match document {
            SpecDocument::Requirements => &self.requirements,
            SpecDocument::Design => &self.design,
            SpecDocument::Tasks => &self.tasks,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpecVersion {
    pub spec_task_id: SpecTaskId,
    /// 1 for the first spec, +1 for each revision.
    pub version: u32,
    pub documents: SpecDocuments,
    /// The agent profile that wrote it.
    pub planner: String,
    /// Token usage of the calls that produced it, as the planner reported it.
    pub usage: serde_json::Value,
    /// Lint findings left in it (`file:line: level[CODE]: message`).
    pub lint: Vec<String>,
    /// What the planner asks the person; their answers come back with the review.
    pub questions: Vec<String>,
    /// The planner's own consistency check of the three documents: what it left inconsistent
    /// across them (`file:line: what`).
    pub consistency: Vec<String>,
    pub created_at: Timestamp,
}

impl SpecVersion {
    /// The planner asked questions instead of writing the documents: the answers come first.
    pub fn is_questions_only(&self) -> bool {
        !self.questions.is_empty() && self.documents.is_empty()
    }
}
