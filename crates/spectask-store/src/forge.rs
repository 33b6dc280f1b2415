//! What the store keeps from forges: the forge is the truth, the store a dated copy.
//!
//! [`pull_requests`] holds each task's pull request as last read, replaced by the next reading,
//! and which node reads it next. [`task_issues`] records the forge issue a task was imported from.
//! [`webhook_deliveries`] the webhook deliveries taken, so that a replay changes nothing.

pub(crate) mod pull_requests;
pub(crate) mod task_issues;
pub(crate) mod webhook_deliveries;
