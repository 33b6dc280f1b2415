//! Jobs and the nodes that run them: the engine's durable work, shared by every node.
//!
//! [`queue`] holds the jobs that transitions enqueue; a node claims due jobs under a lease, renews
//! it while they run and finishes them. [`failure`] fails a job's session and task in the write
//! that records the job's failure for good. [`leases`] are the other holds a node takes: a task's
//! agent instance and a repository's recorder. [`nodes`] records each node's API address and takes,
//! renews and releases its task leases.

pub(crate) mod failure;
pub(crate) mod leases;
pub(crate) mod nodes;
pub(crate) mod queue;
