//! spectask's domain: SpecTasks, WorkSessions, their lifecycles and the events that record them.
//!
//! This crate does no IO. It reads no clock and generates no ids: callers pass both in. Every status
//! change of a SpecTask or a WorkSession goes through [`lifecycle`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod agent;
pub mod budget;
pub mod coordination;
pub mod event;
pub mod history;
pub mod ids;
pub mod issue;
pub mod job;
pub mod json_number;
pub mod lifecycle;
pub mod notification;
pub mod prerequisite;
pub mod pull_request;
pub mod repository;
pub mod review;
pub mod spec_task;
pub mod spec_version;
pub mod sse;
pub mod usage;
pub mod work_session;

pub use agent::{EditorMcpServer, EditorThread, Thread, ThreadStatus};
pub use budget::{
    BUDGET_PAUSE, Budget, BudgetDefaults, BudgetLevel, BudgetScope, BudgetUse, budget_day, budget_day_start,
};
pub use coordination::{CoordinationEvent, CoordinationKind};
pub use event::{Event, EventKind};
pub use history::{HistoryEntry, HistoryFile};
pub use ids::{IdError, RepositoryId, ShortId, SpecReviewId, SpecTaskId, ThreadId, WorkSessionId, slugify};
pub use issue::TaskIssue;
pub use job::{Job, JobKind, JobStatus};
pub use lifecycle::{
    Failure, PAUSED_BY, SpecTaskCommand, SpecTaskEffect, SpecTaskState, Transition, TransitionError,
    WorkSessionCommand, WorkSessionEffect, WorkSessionState,
};
pub use notification::{Notification, NotificationKind};
pub use prerequisite::{HoldBefore, Prerequisite};
pub use pull_request::{
    CheckState, PullRequestCheck, PullRequestReview, PullRequestState, ReviewVerdict, TaskPullRequest,
};
pub use repository::{HookPolicy, MergePolicy, PullRequestMerge, Repository, TaskBranchPolicy};
pub use review::{LineComment, ReviewDecision, SpecDocument, SpecReview};
pub use spec_task::{Complexity, NewSpecTask, Priority, SpecTask, SpecTaskStatus, TaskKind, derive_title};
pub use spec_version::{SpecDocuments, SpecVersion};
pub use usage::{ContextFill, Money, Price, PriceTable, TokenCounts, UsagePart, UsageTotals};
pub use work_session::{PlanTaskRef, WorkSession, WorkSessionPhase, WorkSessionStatus};

/// Every timestamp in the domain: UTC with millisecond precision as stored.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Parses a closed set of lower-case names (a status, a kind …) and names the allowed values on error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// Implements `as_str`, `Display`, `FromStr` and `ALL` for a fieldless enum with snake_case names.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::ParseEnumError {
                        what: $what,
                        value: s.to_owned(),
                        expected: [$($name),+].join(", "),
                    }),
                }
            }
        }
    };
}
pub(crate) use named_enum;
