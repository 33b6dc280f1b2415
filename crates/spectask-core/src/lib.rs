//! spectask's domain: SpecTasks, WorkSessions, their lifecycles and the events that record them.
//!
//! This crate does no IO. It reads no clock and generates no ids: callers pass both in. Every status
//! change of a SpecTask or a WorkSession goes through [`lifecycle`], and every effect it asks for
//! becomes a [`job`].
//!
//! Codemap: [`task`] (the SpecTask, its spec versions and reviews, prerequisites, pull request and
//! issue), [`session`] (the WorkSession, its thread, history and coordination), [`events`] (the
//! outbox and notifications), [`spending`] (usage and budgets), [`repository`], [`ids`], and
//! [`wire`] (the SSE parser, JSON numbers). The types are re-exported here: import them from the
//! crate root.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod events;
pub mod ids;
pub mod job;
pub mod lifecycle;
pub mod repository;
pub mod session;
pub mod spending;
pub mod task;
pub mod wire;

pub use events::event::{Event, EventKind};
pub use events::notification::{Notification, NotificationKind};
pub use events::payload::EventPayload;
pub use ids::{IdError, RepositoryId, ShortId, SpecReviewId, SpecTaskId, ThreadId, WorkSessionId, slugify};
pub use job::{Job, JobKind, JobStatus};
pub use lifecycle::{
    Failure, PAUSED_BY, SpecTaskCommand, SpecTaskEffect, SpecTaskState, Transition, TransitionError,
    WorkSessionCommand, WorkSessionEffect, WorkSessionState,
};
pub use repository::{HookPolicy, MergePolicy, PullRequestMerge, Repository, TaskBranchPolicy};
pub use session::coordination::{
    CoordinationData, CoordinationEvent, CoordinationKind, ImplementationDecision, ReviewEntry,
};
pub use session::history::{HistoryEntry, HistoryFile};
pub use session::thread::{EditorMcpServer, EditorThread, Thread, ThreadStatus};
pub use session::work_session::{
    PlanTaskRef, WorkSession, WorkSessionPhase, WorkSessionStanding, WorkSessionStatus,
};
pub use spending::amount::AmountError;
pub use spending::budget::{
    BUDGET_PAUSE, Budget, BudgetDefaults, BudgetHold, BudgetLevel, BudgetScope, BudgetUse, budget_day,
    budget_day_start,
};
pub use spending::meter::TurnMeter;
pub use spending::usage::{ContextFill, Money, Price, PriceTable, TokenCounts, UsagePart, UsageTotals};
pub use task::attention::{AttentionKind, BudgetHolder};
pub use task::issue::TaskIssue;
pub use task::prerequisite::{HoldBefore, Prerequisite, PrerequisiteHold};
pub use task::pull_request::{
    CheckState, PullRequestCheck, PullRequestReview, PullRequestState, ReviewVerdict, TaskPullRequest,
};
pub use task::spec_review::{LineComment, ReviewDecision, SpecDocument, SpecReview};
pub use task::spec_task::{
    Complexity, DEFAULT_WORKFLOW, NewSpecTask, Priority, REVIEW_WORKFLOW, SpecTask, SpecTaskStatus, TaskKind,
    derive_title,
};
pub use task::spec_version::{SpecDocuments, SpecVersion};

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
