//! One module per subcommand, each named after it: `spectask task …` is `task`, and so on.
//! `sessions` and `watch` serve `task sessions|spawn|say|finish` and `task watch`.
//! `serve` and `demo` start a node and live beside this module, not in it.

pub mod acp;
pub mod agent;
pub mod forge;
pub mod mcp;
pub mod recover;
pub mod repo;
pub mod sessions;
pub mod specs;
pub mod task;
pub mod users;
pub mod watch;
