//! History: what happened, kept in the database first and then committed to git.
//!
//! [`entries`] appends sessions' history durably, and [`batches`] is what the recorder needs to
//! commit it to the design-docs branch, one recorder per repository at a time. [`coordination`] is
//! each task's ordered log of what its sessions did and said, recorded as history too. [`snapshot`]
//! turns a task's rows into the JSON of its `state.json`, and writes them back for `spectask
//! recover`: the database is a cache of git.

pub(crate) mod batches;
pub(crate) mod coordination;
pub(crate) mod entries;
pub(crate) mod snapshot;
