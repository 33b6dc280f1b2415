//! Jobs: the durable work items the orchestrator carries out. Every effect of a transition is
//! enqueued as a job in the same transaction, so no effect lives only in memory.

use serde::{Deserialize, Serialize};

use crate::ids::{SpecTaskId, WorkSessionId};
use crate::lifecycle::{SpecTaskEffect, WorkSessionEffect};
use crate::{ParseEnumError, Timestamp, named_enum};

/// What a job does: one effect of a SpecTask or WorkSession transition, or a scheduling pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobKind {
    SpecTask(SpecTaskEffect),
    WorkSession(WorkSessionEffect),
    /// Re-plan which of a task's sessions may run (after a spawn, a completion …).
    AdvanceImplementation,
}

const ADVANCE: &str = "advance_implementation";

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SpecTask(e) => e.as_str(),
            Self::WorkSession(e) => e.as_str(),
            Self::AdvanceImplementation => ADVANCE,
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobKind {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == ADVANCE {
            return Ok(Self::AdvanceImplementation);
        }
        s.parse().map(Self::SpecTask).or_else(|_| s.parse().map(Self::WorkSession)).map_err(
            |_: ParseEnumError| ParseEnumError {
                what: "job kind",
                value: s.to_owned(),
                expected: SpecTaskEffect::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .chain(WorkSessionEffect::ALL.iter().map(|e| e.as_str()))
                    .chain([ADVANCE])
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}
named_enum!(JobStatus, "job status", {
    Queued => "queued",
    Running => "running",
    Done => "done",
    Failed => "failed",
});

/// A job as stored. A `running` job belongs to the node `lease_owner` while that node's lease
/// holds; once it lapses, any node may take the job over.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    pub status: JobStatus,
    /// How many times it was claimed (the current attempt included).
    pub attempts: u32,
    pub next_run_at: Timestamp,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_kind_round_trips_through_its_name_and_names_are_unique() {
        let kinds: Vec<JobKind> = SpecTaskEffect::ALL
            .iter()
            .map(|e| JobKind::SpecTask(*e))
            .chain(WorkSessionEffect::ALL.iter().map(|e| JobKind::WorkSession(*e)))
            .chain([JobKind::AdvanceImplementation])
            .collect();
        let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        for kind in &kinds {
            assert_eq!(kind.as_str().parse::<JobKind>().unwrap(), *kind);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
        assert!("nope".parse::<JobKind>().unwrap_err().to_string().contains("advance_implementation"));
    }
}
