//! Integration tests of spectask-git against real repositories in temporary directories.
#![allow(clippy::unwrap_used)]

mod changes;
mod crash;
mod design_docs;
mod inspect;
mod merge;
mod processes;
mod register;
mod remote;
mod remote_trust;
mod review;
mod shapes;
mod spec;
mod support;
mod task;
mod written_objects;
