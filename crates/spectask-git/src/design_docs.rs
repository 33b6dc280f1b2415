//! The design-docs branch: where its files live (`layout`), its forward-only writes (`write`) and
//! the spec hand-off that commits an approved spec (`hand_off`). `read` reads it at its tip, down to
//! the index `spectask recover` rebuilds the database from; `archive` packs a task's documents.

mod archive;
pub(crate) mod hand_off;
pub(crate) mod layout;
pub(crate) mod read;
pub(crate) mod write;
