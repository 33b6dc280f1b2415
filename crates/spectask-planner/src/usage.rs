//! What each HTTP call to the model used, recorded in a draft and in the errors that end a run.

use serde::{Deserialize, Serialize};

use crate::config::Provider;

/// The tokens one HTTP call used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallUsage {
    pub provider: Provider,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The attempt (1-based) that succeeded; earlier attempts failed and reported no usage.
    pub attempt: u32,
    /// 0 for the first answer, then 1, 2 … for the repair rounds.
    pub round: u32,
}
