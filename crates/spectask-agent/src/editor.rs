//! Editor support (`spectask acp`), in one place. An editor (Zed) launches `spectask acp`, which
//! speaks ACP to it as an agent; each of its threads is a work session, whose turns run on a node
//! and are relayed back to the editor.
//!
//! - [`acp_agent`]: the `spectask acp` side: spectask as the editor's ACP agent, over the server's API.
//! - [`turns`]: on a node, editor prompts waiting for (or running) their turn, with their relay.
//! - [`relay`]: on a node, threads an editor holds: the agent's updates and requests go to the editor.

pub mod acp_agent;
pub mod relay;
pub mod turns;
