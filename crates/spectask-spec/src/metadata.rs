//! `spec-metadata.json`: the record of a spec's versions, agents and approvals, and the implementation
//! task list that implementation reads.
//!
//! Callers supply ids, titles and timestamps (as RFC 3339 strings); the task list is derived from a
//! parsed plan with [`SpecMetadata::implementation_tasks_from`].

use serde::{Deserialize, Serialize};

use crate::SpecError;
use crate::plan::Plan;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecMetadata {
    /// The SpecTask's id.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub versions: Vec<SpecVersion>,
    #[serde(default)]
    pub agents: Vec<Agent>,
    #[serde(default)]
    pub approvals: Vec<Approval>,
    #[serde(default)]
    pub implementation_tasks: Vec<PlanTaskEntry>,
}

/// One generated version of the three documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecVersion {
    /// 1, 2, … (a revision after request-changes is the next number).
    pub version: u32,
    pub created_at: String,
    /// Who wrote it: an agent profile name or a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The design-docs commit holding this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// An agent that worked on the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// `planner` or `implementer`.
    pub role: String,
    /// The agent profile name from the config.
    pub profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approve,
    RequestChanges,
    Reject,
}

/// A review decision on one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub version: u32,
    pub decision: ApprovalDecision,
    pub by: String,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One plan task as implementation sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTaskEntry {
    /// Position in the plan, 0-based (the `index` of a WorkSession's plan task).
    pub index: u32,
    pub id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    #[serde(default)]
    pub optional: bool,
    /// Criterion or requirement ids the task implements.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Indexes of the tasks it directly depends on (see [`crate::plan::deps`]).
    #[serde(default)]
    pub depends_on: Vec<u32>,
}

impl SpecMetadata {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> SpecMetadata {
        SpecMetadata {
            id: id.into(),
            title: title.into(),
            versions: Vec::new(),
            agents: Vec::new(),
            approvals: Vec::new(),
            implementation_tasks: Vec::new(),
        }
    }

    /// Every task of the plan in document order, with its direct dependencies.
    pub fn implementation_tasks_from(plan: &Plan) -> Vec<PlanTaskEntry> {
        let graph = plan.dependency_graph();
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        plan.tasks()
            .iter()
            .map(|task| PlanTaskEntry {
                index: index(task.index),
                id: task.id.clone(),
                title: task.title.clone(),
                parent: task.parent.map(index),
                optional: task.optional,
                requirements: task.requirements.clone(),
                depends_on: graph.depends_on(task.index).iter().map(|&d| index(d)).collect(),
            })
            .collect()
    }

    pub fn from_json(text: &str) -> Result<SpecMetadata, SpecError> {
        serde_json::from_str(text).map_err(|e| SpecError::InvalidMetadata(e.to_string()))
    }

    /// Pretty JSON with a trailing newline, as committed to the design-docs branch.
    pub fn to_json(&self) -> Result<String, SpecError> {
        let mut json =
            serde_json::to_string_pretty(self).map_err(|e| SpecError::InvalidMetadata(e.to_string()))?;
        json.push('\n');
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_task_list_and_round_trips() {
        let plan = Plan::parse(
            "- [ ] 1. A\n  - [ ] 1.1 B\n    - _Requirements: 1.1, 1.2_\n  - [ ]* 1.2 C\n- [ ] 2. D\n  - _Depends: 1.1_\n",
        );
        let mut meta = SpecMetadata::new("7f3a", "User authentication");
        meta.versions.push(SpecVersion {
            version: 1,
            created_at: "2026-01-01T00:00:00Z".into(),
            author: Some("planner".into()),
            commit: None,
            summary: None,
        });
        meta.approvals.push(Approval {
            version: 1,
            decision: ApprovalDecision::Approve,
            by: "ana".into(),
            at: "2026-01-02T00:00:00Z".into(),
            comment: None,
        });
        meta.implementation_tasks = SpecMetadata::implementation_tasks_from(&plan);
        let tasks: Vec<_> = meta
            .implementation_tasks
            .iter()
            .map(|t| (t.index, t.id.as_deref(), t.parent, t.requirements.len(), t.depends_on.clone()))
            .collect();
        assert_eq!(
            tasks,
            [
                (0, Some("1"), None, 0, vec![]),
                (1, Some("1.1"), Some(0), 2, vec![]),
                (2, Some("1.2"), Some(0), 0, vec![1]),
                (3, Some("2"), None, 0, vec![1])
            ]
        );
        let json = meta.to_json().unwrap_or_default();
        assert!(json.contains("\"decision\": \"approve\""), "{json}");
        assert_eq!(SpecMetadata::from_json(&json), Ok(meta));
        assert!(SpecMetadata::from_json("{}").is_err());
    }
}
