//! The spec crate's integration tests, one binary: each module is one concern over the documents in
//! `tests/fixtures/` and `tests/golden/`. Select one with its module path, e.g.
//! `cargo test -p spectask-spec --test it lint::`.

mod deps;
mod golden;
mod json;
mod lint;
mod lossless;
mod plan;
mod real_world;
mod requirements;
mod traps;
