//! The MCP crate's integration tests, one binary: the session tools through a real MCP client
//! (`tools`). A module is selected by its path, e.g. `cargo test --test it tools::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tools;
