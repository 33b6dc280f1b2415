//! Requests an agent sends that spectask does not serve, such as a vendor's own methods
//! (`craft/drainMidTurnQueue` on every turn): each is answered "method not found" (-32601), counted
//! per method and logged once per method, never once per call.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use agent_client_protocol::{Error as AcpError, ErrorCode};

/// Distinct methods counted by name; past this many, the rest are counted together.
const MAX_METHODS: usize = 64;
/// The name the rest are counted under.
const OTHERS: &str = "(other methods)";

/// Counts of the requests answered "method not found", per method.
#[derive(Debug, Default)]
pub(crate) struct UnservedCounts(Mutex<BTreeMap<String, u64>>);

impl UnservedCounts {
    /// Counts one request of `method` and returns its answer.
    pub(crate) fn answer(&self, method: &str) -> AcpError {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let key = if counts.contains_key(method) || counts.len() < MAX_METHODS { method } else { OTHERS };
        let count = counts.entry(key.to_owned()).or_insert(0);
        *count += 1;
        if *count == 1 {
            tracing::info!(
                method,
                "the agent sent a request spectask does not serve; answered method not found \
                 (further ones are only counted)"
            );
        }
        AcpError::new(ErrorCode::METHOD_NOT_FOUND, format!("spectask does not serve {method}"))
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_method_and_bounds_the_names() {
        let unserved = UnservedCounts::default();
        for _ in 0..3 {
            assert_eq!(unserved.answer("craft/drainMidTurnQueue").code, ErrorCode::METHOD_NOT_FOUND);
        }
        for i in 0..MAX_METHODS + 5 {
            unserved.answer(&format!("_vendor/m{i}"));
        }
        let counts = unserved.counts();
        assert_eq!(counts["craft/drainMidTurnQueue"], 3);
        assert_eq!(counts.len(), MAX_METHODS + 1);
        assert_eq!(counts[OTHERS], 6);
    }
}
