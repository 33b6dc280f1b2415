//! Every route that names a repository — by id, path, cwd or URL — resolves it here, in one way:
//! canonicalised (symlinks, `..`, a linked worktree, a path inside `.git`, the same remote under
//! another spelling) to one registered repository, judged by the operator's policy and admitted
//! for the caller before any git command runs.
//!
//! - `resolve`: a reference (`registered`), a directory (`holding`), or a registration's target.
//! - `access`: owner and members.
//! - `policy`: the operator's `[repositories]` rules (roots, URL schemes, hosts).
//! - `locate`: the main working tree holding a path, from the filesystem alone.
//! - `remote_url`: URLs taken apart, and their identity.

pub(crate) mod access;
pub(crate) mod locate;
pub mod policy;
pub(crate) mod remote_url;
pub(crate) mod resolve;

pub use policy::RepositoryPolicy;
