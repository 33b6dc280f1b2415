//! How a step failed: worth another attempt, failed for good, waiting for a time, or interrupted.

/// How a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a network or server error, a busy repository, an agent that died …).
    #[error("{0}")]
    Retry(String),
    /// Will fail again (a missing profile, a rewritten design-docs branch …).
    #[error("{0}")]
    Fatal(String),
    /// Cannot go on before `until`, which someone else named (a forge's rate limit): the job runs
    /// again then, the attempt not counted.
    #[error("{reason}")]
    Wait { reason: String, until: spectask_core::Timestamp },
    /// The node is shutting down.
    #[error("interrupted")]
    Interrupted,
}

impl From<spectask_store::StoreError> for JobError {
    /// What names nothing that exists, or data that cannot be read, will not heal by retrying; a
    /// record changed under the step (a conflict, a transition no longer legal) is worth another
    /// attempt, which reads it again; so is the database being unreachable or busy.
    fn from(err: spectask_store::StoreError) -> Self {
        use spectask_store::StoreError as E;
        match err {
            E::NotFound { .. }
            | E::Ambiguous { .. }
            | E::InvalidReference { .. }
            | E::InvalidInput(_)
            | E::Corrupt(_)
            | E::InvalidUrl { .. }
            | E::Taken(_)
            | E::Refused { .. }
            | E::Migrate(_) => JobError::Fatal(err.to_string()),
            E::Conflict { .. } | E::Transition(_) | E::Database(_) | E::DataDir { .. } | E::Randomness(_) => {
                JobError::Retry(err.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use spectask_store::StoreError;

    use super::*;

    #[test]
    fn store_errors_that_cannot_heal_fail_the_step_and_the_rest_retry() {
        let missing = StoreError::NotFound { entity: "work session", reference: "x".into() };
        assert!(matches!(JobError::from(missing), JobError::Fatal(m) if m.contains("work session")));
        assert!(matches!(JobError::from(StoreError::Corrupt("bad row".into())), JobError::Fatal(_)));
        let conflict = StoreError::Conflict { entity: "spec task", id: "t".into(), expected: 3 };
        assert!(matches!(JobError::from(conflict), JobError::Retry(_)));
        let busy = StoreError::DataDir { path: "d".into(), source: std::io::Error::other("busy") };
        assert!(matches!(JobError::from(busy), JobError::Retry(_)));
    }
}
