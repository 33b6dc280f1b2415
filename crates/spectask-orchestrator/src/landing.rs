//! Landing: what follows an implementation until its work lands on the default branch, or goes to
//! the forge as a pull request, and the forge around it.
//!
//! [`decision`] records a person's decision of the implementation review with the move it makes.
//! [`finish`] writes the summary a person reviews, starts the sessions that address requested
//! changes, and merges the task branch (or keeps it) with IMPLEMENTATION_COMPLETE.md; its
//! `integrate` takes a moved default branch in before review. For a repository whose merge policy
//! is `pull_request`, [`pull_requests`] hands the task off as a pull request and each node's
//! watcher reads it back. The same watcher takes labelled forge [`issues`] up as new tasks.
//! [`converge`] compares the spec with what was built and proposes plan tasks for the gaps.

pub mod converge;
pub mod decision;
pub(crate) mod finish;
mod issues;
pub(crate) mod pull_requests;

pub use self::issues::{TakeUp, take_up};
