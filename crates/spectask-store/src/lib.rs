//! spectask's durable store: embedded SQLite (the default) or PostgreSQL, behind one `Store`.
//!
//! Both backends run the same SQL through sqlx's `Any` driver (with `$N` placeholders, which SQLite
//! accepts too); only the schema migrations and a few statements differ, chosen by [`Backend`].
//! Every state change is written with its [`spectask_core::Event`] in one transaction, and every
//! update of a versioned record checks the version it read, so two writers cannot both move a
//! record from the same state: the loser gets [`StoreError::Conflict`].
//!
//! Codemap: one directory per concept, each with a module doc that names its parts.
//! - `database`: opening the database and its migrations (`migrations/{sqlite,postgres}/`), the
//!   connections (SQLite's writer and readers, each statement sent to one; counted round trips),
//!   write transactions (one writer at a time: SQLite's lock, an advisory lock on
//!   PostgreSQL so event seqs become visible in commit order), column codecs, the metrics census.
//! - `tasks`: SpecTasks and their transitions, listings, spec versions, reviews, prerequisites.
//! - `sessions`: work sessions and their threads (an editor's too), messages from people and
//!   between sessions, permission approvals, stalls.
//! - `scheduling`: admission (which waiting tasks start, under WIP limits), and a task's scheduling
//!   pass and the sessions it makes: the caller's pure decision, written in the transaction that
//!   reads the sessions it decides on.
//! - `jobs`: the job queue (queued with transitions, claimed under a lease, renewed, finished), a
//!   failed job's failure of its session and task, the task and recorder leases, the nodes.
//! - `events`: the outbox, its wake-ups, each node's tail, each client's follower, notifications.
//! - `history`: sessions' history and the recorder's batches, each task's coordination log, a
//!   task's snapshot (`state.json`).
//! - `spending`: the usage ledger, task budgets and daily budgets.
//! - `access`: users and API tokens, the dashboard's logins, session credentials, repository
//!   members, idempotency keys.
//! - `forge`: each task's pull request as last read, and the issues tasks were imported from.
//! - `repositories` (registered repositories and their settings), `error` (`StoreError`), and
//!   `testing` (feature `test-support`: fresh PostgreSQL schemas, bulk task seeding, round trips).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod access;
mod database;
mod error;
mod events;
mod forge;
mod history;
mod jobs;
mod repositories;
mod scheduling;
mod sessions;
mod spending;
mod tasks;
#[cfg(feature = "test-support")]
pub mod testing;

pub use access::credentials::SESSION_CREDENTIAL_PREFIX;
pub use access::idempotency::{IDEMPOTENCY_ABANDONED, IDEMPOTENCY_TTL, KeptAnswer, KeyClaim};
pub use access::login_sessions::{LOGIN_SESSION_PREFIX, LOGIN_SESSION_TTL, LoginSession};
pub use access::users::{API_TOKEN_PREFIX, ApiToken, LOCAL_USER, TokenKey, User, UserRole, check_user_name};
pub use database::census::Census;
pub use database::connect::DatabaseUrl;
pub use error::StoreError;
pub use events::follow::EventFollower;
pub use events::notifications::{
    Attempt, AttemptNext, Delivery, DeliveryStatus, DueDelivery, NotificationRecord,
};
pub use events::tail::{EventScope, EventTail, SharedEvent};
pub use events::wakeups::EventWakeups;
pub use forge::pull_requests::{FeedbackSeen, PullRequestReading};
pub use forge::task_issues::NewTaskIssue;
pub use forge::webhook_deliveries::WEBHOOK_DELIVERIES_KEPT;
pub use history::coordination::NewCoordination;
pub use history::entries::NewHistoryEntry;
pub use history::snapshot::{RestoredHistoryEntry, SNAPSHOT_FORMAT};
pub use jobs::nodes::TaskLeaseHolder;
pub use jobs::queue::{ClaimRun, JobClaim, JobOutcome, JobsSignal};
pub use repositories::SettingsChange;
pub use scheduling::admission::{Admission, WipLimits};
pub use scheduling::implementation::{
    CommitRecord, Decide, Schedule, Scheduling, SchedulingOutcome, SchedulingView, SessionMove,
};
pub use sessions::approvals::{Approval, ApprovalOption, DECIDED_KEPT, DECIDED_MAX_AGE, NewApproval};
pub use sessions::editor_threads::EditorOpening;
pub use sessions::mail::Completion;
pub use sessions::mail::{MessageOutcome, NewSessionMessage, PendingMessage};
pub use sessions::stalls::{PlanningStall, SessionStall};
pub use sessions::threads::ThreadFacts;
pub use sessions::work_sessions::NewWorkSession;
pub use spending::budgets::{BudgetCrossing, BudgetStanding, TaskBudget};
pub use spending::budgets_set::BudgetsSet;
pub use spending::daily_budgets::{DailyCrossing, DailyStanding};
pub use spending::holds::BudgetHoldRecord;
pub use spending::usage::{NewUsage, TaskUsage, UsageCensus};
pub use tasks::listing::{Page, SpecTaskFilter};
pub use tasks::prerequisites::{PrerequisiteEdge, Prerequisites, PrerequisitesView};
pub use tasks::reviews::NewSpecReview;
pub use tasks::spec_tasks::AppliedChange;
pub use tasks::spec_versions::NewSpecVersion;

use std::sync::Arc;

use database::pool::CountedPool;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The handle to the database. Cheap to clone; all clones share its connections.
#[derive(Clone, Debug)]
pub struct Store {
    pool: CountedPool,
    backend: Backend,
    url: DatabaseUrl,
    /// Woken after every commit that enqueued jobs (and, on PostgreSQL, by other nodes' commits).
    jobs_signal: Arc<tokio::sync::Notify>,
    /// Woken after every commit that appended events (and, on PostgreSQL, by other nodes' commits).
    events_feed: Arc<events::wakeups::EventFeed>,
    /// The node's event tail, started by its first reader (`events/tail.rs`).
    event_tail: Arc<tokio::sync::OnceCell<events::tail::EventTail>>,
    /// Woken after every commit of this process that appended history entries (the recorder's).
    history_signal: Arc<tokio::sync::Notify>,
    /// Set by every commit that created or moved a SpecTask (and, on PostgreSQL, by other nodes'
    /// wake-ups): admission may have something to do (see [`Store::take_admission_due`]).
    admission_due: Arc<std::sync::atomic::AtomicBool>,
    /// SQLite allows one writer at a time: writers in this process queue here instead of spinning
    /// on `SQLITE_BUSY`. PostgreSQL serialises event-writing transactions with an advisory lock.
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the store: ends its event streams, stops its listener for other nodes' events (which
    /// has a connection of its own) and closes its pools, waiting for connections in use to be
    /// returned. Every clone of the store is closed with it.
    pub async fn close(&self) {
        self.stop_listening().await;
        self.pool.close().await;
    }
}
