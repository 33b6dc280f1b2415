//! End-to-end tests: the real `spectask` binary, a real server process, real git repositories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acp;
mod acp_prompt;
mod acp_sdk;
mod acp_spec;
mod acp_tools;
mod agent_runtime;
mod chaos;
mod checks;
mod contract;
mod coordination;
mod crash_restart;
mod demo;
mod failing_agent;
mod fake_llm;
mod history;
mod http;
mod implementation;
mod interactive;
mod merge_policy;
mod no_changes;
mod nodes;
mod planning;
mod real_agents;
mod recover;
mod repos;
mod resume;
mod sandbox;
mod specs;
mod support;
mod tasks;
mod unserved;
mod users;
mod watch;
mod wip;
