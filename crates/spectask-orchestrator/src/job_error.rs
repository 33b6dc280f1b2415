//! How a step failed: worth another attempt, failed for good, waiting for a time, or interrupted.

/// What caused a failure: the error of a lower layer (git, the store, an agent, a forge …), kept
/// whole for whoever walks the chain.
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync>;

/// How a step failed. A failure's words (its `Display`) are what the job records; its
/// [`source`](std::error::Error::source), when a lower layer's error caused it, is that error.
#[derive(Debug, Clone)]
pub enum JobError {
    /// Worth another attempt (a network or server error, a busy repository, an agent that died …).
    Retry { reason: String, source: Option<Cause> },
    /// Will fail again (a missing profile, a rewritten design-docs branch …).
    Fatal { reason: String, source: Option<Cause> },
    /// Cannot go on before `until`, which someone else named (a forge's rate limit): the job runs
    /// again then, the attempt not counted.
    Wait { reason: String, until: spectask_core::Timestamp },
    /// The node is shutting down.
    Interrupted,
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry { reason, .. }
            | JobError::Fatal { reason, .. }
            | JobError::Wait { reason, .. } => f.write_str(reason),
            JobError::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// Written by hand rather than derived: the cause is shared (`Arc`), and its source is the lower
/// layer's error itself, not the `Arc` around it, so that callers can downcast it.
impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JobError::Retry { source, .. } | JobError::Fatal { source, .. } => {
                source.as_deref().map(|cause| cause as &(dyn std::error::Error + 'static))
            }
            JobError::Wait { .. } | JobError::Interrupted => None,
        }
    }
}

impl JobError {
    /// Worth another attempt, for `reason`.
    pub fn retry(reason: impl Into<String>) -> Self {
        JobError::Retry { reason: reason.into(), source: None }
    }

    /// Will fail again, for `reason`.
    pub fn fatal(reason: impl Into<String>) -> Self {
        JobError::Fatal { reason: reason.into(), source: None }
    }

    /// Worth another attempt because of `err`, whose words are the reason.
    pub fn retry_from(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        JobError::Retry { reason: err.to_string(), source: Some(std::sync::Arc::new(err)) }
    }

    /// Will fail again because of `err`, whose words are the reason.
    pub fn fatal_from(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        JobError::Fatal { reason: err.to_string(), source: Some(std::sync::Arc::new(err)) }
    }
}

/// Two failures are alike when they are of one kind, in the same words (their causes aside).
impl PartialEq for JobError {
    fn eq(&self, other: &Self) -> bool {
        use JobError as E;
        match (self, other) {
            (E::Retry { reason: a, .. }, E::Retry { reason: b, .. })
            | (E::Fatal { reason: a, .. }, E::Fatal { reason: b, .. }) => a == b,
            (E::Wait { reason: a, until: x }, E::Wait { reason: b, until: y }) => a == b && x == y,
            (E::Interrupted, E::Interrupted) => true,
            _ => false,
        }
    }
}

impl Eq for JobError {}

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
            | E::Migrate(_) => JobError::fatal_from(err),
            E::Conflict { .. } | E::Transition(_) | E::Database(_) | E::DataDir { .. } | E::Randomness(_) => {
                JobError::retry_from(err)
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
        assert!(
            matches!(JobError::from(missing), JobError::Fatal { reason: m, .. } if m.contains("work session"))
        );
        assert!(matches!(JobError::from(StoreError::Corrupt("bad row".into())), JobError::Fatal { .. }));
        let conflict = StoreError::Conflict { entity: "spec task", id: "t".into(), expected: 3 };
        assert!(matches!(JobError::from(conflict), JobError::Retry { .. }));
        let busy = StoreError::DataDir { path: "d".into(), source: std::io::Error::other("busy") };
        assert!(matches!(JobError::from(busy), JobError::Retry { .. }));
    }

    #[test]
    fn a_lower_layers_error_is_the_source_and_its_words_the_reason() {
        let err = JobError::from(StoreError::Corrupt("bad row".into()));
        let source = std::error::Error::source(&err).expect("the store's error");
        assert!(source.downcast_ref::<StoreError>().is_some());
        assert_eq!(err.to_string(), source.to_string());
        assert_eq!(err, JobError::fatal(source.to_string()));
    }
}
