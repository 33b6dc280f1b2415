//! spectask's agent runtime over ACP (Agent Client Protocol).
//!
//! - [`profiles`]: `[agents.<name>]` configuration and built-in presets.
//! - [`scripted`]: the scripted ACP agent used by tests and the offline demo.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod profiles;
pub mod scripted;
