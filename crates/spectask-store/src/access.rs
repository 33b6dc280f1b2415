//! Access: who calls spectask, and what they may reach.
//!
//! [`users`] are the people, with their API tokens kept as keyed hashes; [`login_sessions`] are the
//! dashboard's logins, traded for a token. [`credentials`] are what a work session's agent presents
//! to reach its own task's coordination API, kept as hashes too. [`repository_members`] are who
//! may use a repository and change its settings: its owner and the members the owner adds.
//! [`idempotency`] keys make a person's repeated request (a double click, a retry) answer once.

pub(crate) mod credentials;
pub(crate) mod idempotency;
pub(crate) mod login_sessions;
pub(crate) mod repository_members;
pub(crate) mod users;
