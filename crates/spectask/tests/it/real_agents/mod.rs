//! Interoperability with real coding agents from npm: each is installed at a pinned version
//! (`tests/agents/package-lock.json`), pointed at a fake model server on loopback that speaks its
//! vendor's API and scripts one turn (read a file, write a file, run a command, answer), and driven
//! through spectask's real orchestrator, sandboxed, to a committed work session. A test fails,
//! never skips, when its agent cannot be installed or misbehaves.

mod anthropic;
mod chat;
mod check;
mod escape;
mod gemini;
pub(crate) mod install;
mod openai;
mod policy;
mod server;
mod sessions;
mod turn;
