//! The agent's operating-system process: how it is started and read, how it fails, and the record
//! of the process groups a node started.
//!
//! - `transport`: the agent process and the size-limited line transport spectask reads it through.
//! - [`fault`]: typed faults (exit, stall, garbage, oversize, flood) with the agent's stderr tail.
//! - [`record`]: the process groups a node started, so that its next run stops what a crash left.

pub mod fault;
pub mod record;
pub(crate) mod transport;
