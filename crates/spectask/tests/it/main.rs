//! End-to-end tests: the real `spectask` binary, a real server process, real git repositories.

mod demo;
mod fake_llm;
mod history;
mod http;
mod implementation;
mod planning;
mod recover;
mod repos;
mod specs;
mod support;
mod tasks;
