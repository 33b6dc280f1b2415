//! spectask's git layer: the one crate that reads and writes git repositories (PRODUCT.md §4).
//!
//! Everything here is synchronous (libgit2 is); async callers wrap calls in `spawn_blocking`.

mod error;
mod repository;

pub use error::GitError;
pub use repository::{RepositoryInfo, inspect_repository};
