//! The task leases this node holds, so that a lease taken moments ago is not written again
//! (`implementation::agents::lease` takes them, the engine renews them).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use spectask_core::SpecTaskId;

/// The task leases this node took, each with the moment it surely holds until (taken before the
/// write that took it, plus its length; the engine's renewals only lengthen it).
#[derive(Debug, Default)]
pub(crate) struct HeldLeases(Mutex<HashMap<SpecTaskId, Instant>>);

impl HeldLeases {
    /// Whether this node holds the task's lease for at least `left` more.
    pub(crate) fn fresh(&self, task: SpecTaskId, left: Duration) -> bool {
        let held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(&task).is_some_and(|until| *until > Instant::now() + left)
    }

    /// The lease is held until `until`.
    pub(crate) fn hold_until(&self, task: SpecTaskId, until: Instant) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(task, until);
    }

    /// The lease is given up (or was found another node's).
    pub(crate) fn forget(&self, task: SpecTaskId) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(&task);
    }

    /// Every lease is given up (the node stops).
    pub(crate) fn forget_all(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}
