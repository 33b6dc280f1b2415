//! What a `review_decision` entry of the coordination log carries in its `data`, typed: a
//! reviewer's decision (a person's, or a pull request's reviewers and checks), the review's own
//! decision to send merge conflicts back, or a round's summary. Stored as the JSON it always was
//! (`{"decision": "request_changes", "comments": …, "source": "pull_request", "number": …}`), so
//! every entry ever written reads back; [`ReviewEntry::data`] is the one place that writes it and
//! [`ReviewEntry::of`] the one that reads it.

use serde::{Deserialize, Serialize};

use super::{CoordinationEvent, CoordinationKind};

/// The `data` of a `review_decision` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReviewEntry {
    /// A decision (its `decision` says which).
    Decision(ImplementationDecision),
    /// A step of the review that decides nothing (its `step` says which).
    Step(ReviewStep),
}

/// A decision of the implementation review (a person's spec review is `task::spec_review`'s).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ImplementationDecision {
    Approve(ReviewerDecision),
    RequestChanges(ReviewerDecision),
    /// The review's own: merging the default branch conflicts, and the task's agent resolves it.
    ResolveConflicts(MergeConflicts),
}

/// What a reviewer decided with, and where the decision came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerDecision {
    #[serde(default)]
    pub comments: String,
    /// Who decided: a person's signature, or the pull request's reviewers (and `CI`).
    #[serde(default)]
    pub reviewer: String,
    /// `None`: a person, through the API.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DecisionSource>,
}

/// Where a decision that is not a person's came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum DecisionSource {
    /// Feedback on the task's pull request, sent back to its agent.
    PullRequest {
        number: u64,
        #[serde(default)]
        answers: FixAnswers,
    },
}

/// What a fix round on a pull request answers: the reviewers who asked for changes, the checks
/// that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixAnswers {
    #[serde(default)]
    pub reviewers: Vec<String>,
    #[serde(default)]
    pub checks: Vec<String>,
}

/// Merging the default branch into the task branch conflicts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeConflicts {
    pub step: ConflictStep,
    /// The conflicting files.
    #[serde(default, rename = "conflicts")]
    pub files: Vec<String>,
    /// The default branch's tip merged (empty when it had none).
    #[serde(default)]
    pub onto: String,
    #[serde(default)]
    pub default_branch: String,
}

/// When merging the default branch conflicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStep {
    /// Bringing the task branch up to date before the person's review.
    Integrate,
    /// Merging the approved task branch: the default branch moved after the review.
    Merge,
}

/// A step of the implementation review that decides nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ReviewStep {
    /// The implementation summary of review round `round` (from 1), for the reviewer.
    Summarize { round: usize, summary: String },
}

impl ReviewEntry {
    /// The entry `event` is, when it is a review decision entry in a shape this build knows.
    pub fn of(event: &CoordinationEvent) -> Option<ReviewEntry> {
        if event.kind != CoordinationKind::ReviewDecision {
            return None;
        }
        ReviewEntry::deserialize(&event.data).ok()
    }

    /// The decision, when the entry is one.
    pub fn decision(&self) -> Option<&ImplementationDecision> {
        match self {
            ReviewEntry::Decision(decision) => Some(decision),
            ReviewEntry::Step(_) => None,
        }
    }

    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        // A map of strings, numbers and lists: nothing here fails to serialise.
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl ImplementationDecision {
    /// The verdict of a reviewer who asked for changes.
    pub fn changes_requested(&self) -> Option<&ReviewerDecision> {
        match self {
            ImplementationDecision::RequestChanges(verdict) => Some(verdict),
            _ => None,
        }
    }

    /// The verdict of a reviewer (approval or changes asked), not the review's own decision.
    pub fn by_reviewer(&self) -> Option<&ReviewerDecision> {
        match self {
            ImplementationDecision::Approve(verdict) | ImplementationDecision::RequestChanges(verdict) => {
                Some(verdict)
            }
            ImplementationDecision::ResolveConflicts(_) => None,
        }
    }

    /// The word the log and its messages use: `approve`, `request_changes`, `resolve_conflicts`.
    pub fn word(&self) -> &'static str {
        match self {
            ImplementationDecision::Approve(_) => "approve",
            ImplementationDecision::RequestChanges(_) => "request_changes",
            ImplementationDecision::ResolveConflicts(_) => "resolve_conflicts",
        }
    }
}

impl From<ImplementationDecision> for ReviewEntry {
    fn from(decision: ImplementationDecision) -> Self {
        ReviewEntry::Decision(decision)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ids::SpecTaskId;

    fn entry(data: serde_json::Value) -> Option<ReviewEntry> {
        let event = CoordinationEvent {
            spec_task_id: SpecTaskId::from_uuid(uuid::Uuid::nil()),
            seq: 1,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: String::new(),
            data,
            at: chrono::DateTime::UNIX_EPOCH,
        };
        ReviewEntry::of(&event)
    }

    /// Every shape the log has held reads back, and writes back as it was.
    #[test]
    fn every_stored_shape_reads_and_writes_back() {
        let shapes = [
            json!({ "decision": "approve", "comments": "", "reviewer": "alice" }),
            json!({ "decision": "request_changes", "comments": "rename s.txt", "reviewer": "local" }),
            json!({
                "decision": "request_changes",
                "comments": "On PR #7 …",
                "reviewer": "bob, CI",
                "source": "pull_request",
                "number": 7,
                "answers": { "reviewers": ["bob"], "checks": ["ci/test"] },
            }),
            json!({
                "decision": "resolve_conflicts",
                "step": "merge",
                "conflicts": ["a.txt", "b.txt"],
                "onto": "0123456789abcdef",
                "default_branch": "main",
            }),
            json!({ "step": "summarize", "round": 2, "summary": "# Task\n" }),
        ];
        for data in shapes {
            let read = entry(data.clone()).unwrap_or_else(|| panic!("{data} reads"));
            assert_eq!(read.data(), data);
        }
    }

    #[test]
    fn reads_what_each_reader_asks() {
        let pr = entry(json!({
            "decision": "request_changes", "comments": "fix it", "reviewer": "bob",
            "source": "pull_request", "number": 7,
        }))
        .unwrap();
        let verdict = pr.decision().and_then(ImplementationDecision::changes_requested).unwrap();
        assert_eq!(verdict.comments, "fix it");
        // A pull request's decision written before it said what it answers.
        assert_eq!(
            verdict.source,
            Some(DecisionSource::PullRequest { number: 7, answers: FixAnswers::default() })
        );
        let person = entry(json!({ "decision": "request_changes", "comments": "x" })).unwrap();
        assert_eq!(person.decision().and_then(ImplementationDecision::by_reviewer).unwrap().source, None);
        let conflicts = entry(json!({ "decision": "resolve_conflicts", "step": "integrate" })).unwrap();
        assert!(matches!(
            conflicts.decision(),
            Some(ImplementationDecision::ResolveConflicts(MergeConflicts {
                step: ConflictStep::Integrate,
                ..
            }))
        ));
        assert_eq!(entry(json!({ "decision": "shrug" })), None);
        assert_eq!(entry(json!({ "step": "merge" })), None);
    }
}
