//! The store's errors. Database details stay here: the HTTP layer shows only the kind of failure.

use spectask_core::TransitionError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no {entity} matches {reference:?}")]
    NotFound { entity: &'static str, reference: String },
    #[error("{entity} id {reference:?} is ambiguous: it matches {}", candidates.join(", "))]
    Ambiguous { entity: &'static str, reference: String, candidates: Vec<String> },
    #[error("{reference:?} is not a valid {entity} id: {reason}")]
    InvalidReference { entity: &'static str, reference: String, reason: &'static str },
    #[error("{entity} {id} was changed by someone else since version {expected}; reload it and try again")]
    Conflict { entity: &'static str, id: String, expected: i64 },
    /// Input the store refuses, with a message naming what is wrong (a taken user name …).
    #[error("{0}")]
    InvalidInput(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("invalid database url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("cannot prepare the database directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the operating system gave no random bytes for a credential: {0}")]
    Randomness(String),
    /// A change the records' state refuses (prerequisites once implementation started, a cycle);
    /// `code` names it in the API's error.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// Something that may be had once is had already (a forge issue taken up as a task).
    #[error("{0} is taken up already")]
    Taken(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}
