//! The server's integration tests, one binary: the router end to end, each module one concern
//! (`api`, `auth`, `events`, `endpoints` …), most on SQLite and PostgreSQL. Select one with its
//! module path, e.g. `cargo test -p spectask-server --test it events::`. `support` makes the
//! router's state, for these tests and the benchmarks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod auth;
mod compression;
mod coordination;
mod endpoints;
mod events;
mod fuzz;
mod idempotency;
mod isolation;
mod openapi;
mod repository_references;
mod security;
mod support;
