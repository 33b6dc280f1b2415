//! End-to-end tests: the real `spectask` binary, a real server process, real git repositories.

mod demo;
mod specs;
mod support;
mod tasks;
