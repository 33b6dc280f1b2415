//! Planners of kind `llm`: a Kiro-style spec (requirements.md, design.md, tasks.md) written by a
//! chat model over HTTP, OpenAI-compatible or Anthropic, streamed, retried and linted.

mod anthropic;
mod client;
mod config;
mod error;
mod extract;
mod lint;
mod openai;
mod planner;
mod prompt;
mod retry;
mod sse;

pub use config::{Backoff, LlmPlannerConfig, Provider, Timeouts};
pub use error::PlannerError;
pub use planner::{CallUsage, LlmPlanner, PlanRequest, SpecDraft};
pub use prompt::{RepoContext, ReviewComments};
