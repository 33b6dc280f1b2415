//! The orchestrator's integration tests, one binary: the engine loop through its public API
//! (`engine`) and the history recorder against a real repository and store (`recorder`), on SQLite
//! and PostgreSQL. A module is selected by its path, e.g. `cargo test --test it recorder::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod recorder;
