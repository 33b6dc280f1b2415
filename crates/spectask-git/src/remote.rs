//! Repositories by URL. `transfer` clones, fetches and pushes them with git's own credentials;
//! `sync` keeps a clone's design-docs and task branches level with the remote's, for nodes that
//! share no disk.

pub(crate) mod sync;
pub(crate) mod task_push;
pub(crate) mod transfer;
