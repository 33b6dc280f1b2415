//! A spec version: the three documents a planner produced for a SpecTask, kept forever.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::SpecTaskId;
use crate::review::SpecDocument;

/// requirements.md, design.md and tasks.md as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDocuments {
    pub requirements: String,
    pub design: String,
    pub tasks: String,
}

impl SpecDocuments {
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
    pub created_at: Timestamp,
}
