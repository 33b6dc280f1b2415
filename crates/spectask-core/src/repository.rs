//! A registered git repository that SpecTasks work against.

use std::path::PathBuf;

use serde::Serialize;

use crate::Timestamp;
use crate::ids::RepositoryId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Repository {
    pub id: RepositoryId,
    /// Canonical path of the main worktree.
    pub path: PathBuf,
    pub default_branch: String,
    pub design_docs_branch: String,
    /// Why spectask stopped writing to the repository (for example a rewritten design-docs branch).
    pub attention: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
