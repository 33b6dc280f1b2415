//! The state every handler shares.

use spectask_store::Store;

/// Cheap to clone: the store is a pool handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// This server process's name among the nodes sharing a database.
    pub node: String,
}
