//! Integration tests: the runtime against the scripted agent, through a real subprocess and ACP.

#![allow(clippy::unwrap_used)]

mod approval;
mod auth;
mod confinement;
mod faults;
mod permissions;
mod pool;
mod relay;
mod resume;
mod sandbox;
mod sessions;
mod support;
mod teardown;
