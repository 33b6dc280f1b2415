//! What every step may use: the node's store, agents and configuration, and the state this node
//! keeps across steps: approved plans parsed once ([`plans`]), the sessions whose turns run here
//! ([`session_watch`]), what sessions starting together are told of each other ([`standings`]) and
//! how many open their threads at once ([`start_gate`]), the sessions whose changes git stages
//! after their completion ([`staging`]), jobs handed to the engine ([`handed`]),
//! task leases held ([`leases`]), requests to the history recorder ([`recorder_handle`]) and the
//! one writer per repository of what this node commits to its design-docs branch
//! ([`design_docs_writer`]).
//!
//! The foundation of the orchestrator's layers (see the crate's doc): it imports no other room.

pub(crate) mod design_docs_writer;
pub(crate) mod handed;
mod leases;
pub(crate) mod plans;
mod recorder_handle;
mod session_watch;
mod staging;
mod standings;
mod start_gate;

use std::sync::Arc;
use std::time::Duration;

use spectask_agent::{AgentRuntime, Profiles};
use spectask_core::JobKind;
use spectask_store::Store;

pub use self::recorder_handle::RecorderHandle;
pub(crate) use self::staging::{Staged, StagedTeller};
pub(crate) use self::standings::Standing;
use crate::config::OrchestratorConfig;

/// What every step may use.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub store: Store,
    pub profiles: Arc<Profiles>,
    pub runtime: AgentRuntime,
    pub config: Arc<OrchestratorConfig>,
    /// Approved plans parsed on this node (see [`plans::approved`]).
    pub plans: Arc<plans::Plans>,
    /// Repositories this process registered already (see `repos::open`).
    pub registered: Arc<crate::repos::Registry>,
    /// The sessions whose turns run on this node, told of their transitions (see [`session_watch`]).
    pub sessions: Arc<session_watch::SessionWatch>,
    /// What a task's sessions are told of each other, read once for those starting together (see
    /// [`standings`]).
    pub standings: Arc<standings::Standings>,
    /// How many sessions open their threads at once (see [`start_gate`]).
    pub start_gate: Arc<start_gate::StartGate>,
    /// The completed sessions whose changes git stages on this node (see [`staging`]).
    pub staging: Arc<staging::Staging>,
    /// Requests to this node's recorder to record everything now (see [`RecorderHandle`]).
    pub recorder: RecorderHandle,
    /// Told how the engine reacts (the server's metrics); `None`: nobody listens.
    pub observer: Option<Arc<dyn EngineObserver>>,
    /// Where steps hand the jobs they claimed for this node; `None` when no engine runs them (a
    /// step run on its own, in tests), and steps then claim nothing.
    pub handed: Option<Arc<handed::HandedJobs>>,
    /// The task leases this node took (see `agents::lease`).
    pub leases: Arc<leases::HeldLeases>,
    /// This node's writers to the design-docs branches (see [`design_docs_writer`]).
    pub design_docs: Arc<design_docs_writer::Writers>,
}

/// What the engine reports as it works, for whoever measures it (`GET /metrics`).
pub trait EngineObserver: Send + Sync + std::fmt::Debug {
    /// This node claimed a job of `kind` `waited` after it became due: how long the orchestrator
    /// took to react to the change that queued it (a session completed, a person approved …).
    fn job_claimed(&self, kind: JobKind, waited: Duration);

    /// Admitting waiting tasks failed (a busy database, say); it is tried again shortly.
    fn admission_failed(&self, _error: &spectask_store::StoreError) {}
}
