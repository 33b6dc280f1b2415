//! The database itself: how the store opens it, talks to it and writes to it.
//!
//! [`connect`] parses URLs, sets up connections and runs the migrations; [`pool`] sends each
//! statement to the writer or the readers (SQLite's; PostgreSQL has one pool) and counts the round
//! trips. Every change goes through a transaction of [`write`](mod@write), which
//! takes writers one at a time. [`codec`] turns columns into domain values and back, and [`census`]
//! counts what the database holds, for `GET /metrics`.

pub(crate) mod census;
pub(crate) mod codec;
pub(crate) mod connect;
pub(crate) mod pool;
pub(crate) mod write;
