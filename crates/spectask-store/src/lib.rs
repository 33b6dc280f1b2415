//! spectask's durable store: embedded SQLite (the default) or PostgreSQL, behind one `Store`.
//!
//! Both backends run the same SQL through sqlx's `Any` driver (with `$N` placeholders, which SQLite
//! accepts too); only the schema migrations and a few statements differ, chosen by [`Backend`].
//! Every state change is written with its [`spectask_core::Event`] in one transaction, and every
//! update of a versioned record checks the version it read, so two writers cannot both move a
//! record from the same state: the loser gets [`StoreError::Conflict`].
//!
//! Codemap, by file (each file's own docs say more):
//! - Writing: `write` (write transactions: one writer at a time on SQLite, an advisory lock on
//!   PostgreSQL so event seqs become visible in commit order), `connect` (URLs, settings, the
//!   migrations of `migrations/{sqlite,postgres}/`), `pool` (round trips counted for tests),
//!   `codec` (columns to domain values).
//! - Records: `spec_tasks` (transitions), `spec_task_listing` (a page and its count in two
//!   queries), `work_sessions`, `threads`, `spec_versions`, `reviews`, `repositories`,
//!   `repository_members`, `snapshot` (a task's rows as JSON, for `state.json`).
//! - The engine's queue: `jobs` (queued with transitions, claimed under a lease, renewed, finished),
//!   `job_failure` (a job failed for good fails its session and task in the same write),
//!   `admission` (which queued tasks start, under WIP limits and their `prerequisites`), `leases` (task and recorder
//!   leases), `nodes` (each node's API address), `scheduling` and `session_making` (the caller's
//!   pure decision written in the transaction that reads the sessions), `census` (`GET /metrics`).
//! - Events: `events` (appended with each change), `events_stream` (wake-ups after a commit,
//!   `NOTIFY` between nodes), `events_tail` (one reader per node, the newest events in a ring),
//!   `events_follow` (one client's cursor and scope).
//! - Sessions' traffic: `history` and `history_batches` (entries, then the recorder's batches),
//!   `coordination` (the per-task log), `messages` and `session_mail` (to and between sessions),
//!   `credentials` (session credentials, as hashes), `editor_threads`, `approvals` (permission
//!   requests any node lists and answers).
//! - People and forges: `users` (users and API tokens, HMAC-SHA256 under a `TokenKey`),
//!   `login_sessions` (the dashboard's logins), `pull_requests` (the forge's last reading),
//!   `task_issues`.
//! - `testing` (feature `test-support`): fresh PostgreSQL schemas, bulk task seeding, round trips.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod admission;
mod approvals;
mod budgets;
mod daily_budgets;
mod census;
mod codec;
mod connect;
mod coordination;
mod credentials;
mod editor_threads;
mod error;
mod events;
mod events_follow;
mod events_stream;
mod events_tail;
mod history;
mod history_batches;
mod job_failure;
mod jobs;
mod leases;
mod login_sessions;
mod messages;
mod nodes;
mod notifications;
mod pool;
mod prerequisites;
mod pull_requests;
mod repositories;
mod repository_members;
mod reviews;
mod scheduling;
mod session_mail;
mod session_making;
mod snapshot;
mod spec_task_listing;
mod spec_tasks;
mod spec_versions;
mod stalls;
mod task_issues;
#[cfg(feature = "test-support")]
pub mod testing;
mod threads;
mod usage;
mod users;
mod work_sessions;
mod write;

pub use admission::{Admission, WipLimits};
pub use approvals::{Approval, ApprovalOption, DECIDED_KEPT, DECIDED_MAX_AGE, NewApproval};
pub use budgets::{BudgetCrossing, BudgetStanding, TaskBudget};
pub use daily_budgets::{DailyCrossing, DailyStanding};
pub use census::Census;
pub use connect::DatabaseUrl;
pub use coordination::NewCoordination;
pub use credentials::SESSION_CREDENTIAL_PREFIX;
pub use editor_threads::EditorOpening;
pub use error::StoreError;
pub use events_follow::EventFollower;
pub use events_stream::EventWakeups;
pub use events_tail::{EventScope, EventTail, SharedEvent};
pub use history::NewHistoryEntry;
pub use jobs::{Claimed, JobClaim, JobOutcome, JobsSignal};
pub use login_sessions::{LOGIN_SESSION_PREFIX, LOGIN_SESSION_TTL, LoginSession};
pub use nodes::TaskLeaseHolder;
pub use notifications::{Attempt, AttemptNext, Delivery, DeliveryStatus, DueDelivery, NotificationRecord};
pub use prerequisites::{Prerequisites, PrerequisitesView};
pub use pull_requests::{FeedbackSeen, PullRequestReading};
pub use repositories::SettingsChange;
pub use reviews::NewSpecReview;
pub use scheduling::{CommitRecord, Decide, Schedule, Scheduled, Scheduling, SchedulingView, SessionMove};
pub use session_mail::Completion;
pub use session_mail::{MessageOutcome, NewSessionMessage, PendingMessage};
pub use snapshot::{RestoredHistoryEntry, SNAPSHOT_FORMAT};
pub use spec_task_listing::{Page, SpecTaskFilter};
pub use spec_tasks::Applied;
pub use spec_versions::NewSpecVersion;
pub use stalls::SessionStall;
pub use task_issues::NewTaskIssue;
pub use threads::ThreadFacts;
pub use usage::{NewUsage, TaskUsage, UsageCensus};
pub use users::{API_TOKEN_PREFIX, ApiToken, LOCAL_USER, TokenKey, User, check_user_name};
pub use work_sessions::NewWorkSession;

use std::sync::Arc;

use pool::CountedPool;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The handle to the database. Cheap to clone; all clones share one pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: CountedPool,
    backend: Backend,
    url: DatabaseUrl,
    /// Woken after every commit that enqueued jobs (and, on PostgreSQL, by other nodes' commits).
    jobs_signal: Arc<tokio::sync::Notify>,
    /// Woken after every commit that appended events (and, on PostgreSQL, by other nodes' commits).
    events_feed: Arc<events_stream::EventFeed>,
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
    /// has a connection of its own) and closes the pool, waiting for connections in use to be
    /// returned. Every clone of the store is closed with it.
    pub async fn close(&self) {
        self.stop_listening().await;
        self.pool.close().await;
    }
}
