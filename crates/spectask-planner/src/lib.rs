//! Planners of kind `llm`: a Kiro-style spec (requirements.md, design.md, tasks.md) written by a
//! chat model over HTTP, OpenAI-compatible or Anthropic, streamed, retried and linted.
//!
//! [`LlmPlanner::generate`] sends the format rules, the user's request and a bounded
//! [`RepoContext`]; it extracts the three documents from the answer, lints them with
//! `spectask_spec::lint_spec` and sends them back with the errors quoted for up to
//! `max_repair_rounds` rounds. [`LlmPlanner::revise`] does the same from a previous version and a
//! reviewer's [`ReviewComments`]. Every successful HTTP call is recorded in [`SpecDraft::calls`].
//!
//! Codemap: `config` (what to reach and the limits), `client` (one call: retries, timeouts,
//! stream reading) over `openai` / `anthropic` (request bodies, stream decoders) and
//! `spectask_core::wire::sse` (the event-stream parser);
//! `retry` (backoff, `Retry-After`); `prompt` (everything said to the model); `extract` (the
//! documents out of an answer); `lint`; `planner` (the generate / repair / revise loop); `usage`
//! (what each call used).
//!
//! Invariants: this crate reads no environment and no files (the caller passes the API key and the
//! repository context) and stores nothing; the only IO is HTTP to the configured base URL.
//!
//! ```no_run
//! # async fn plan() -> Result<(), spectask_planner::PlannerError> {
//! use spectask_planner::{LlmPlanner, LlmPlannerConfig, PlanRequest, Provider, RepoContext};
//!
//! let mut config = LlmPlannerConfig::new(Provider::OpenAi, "http://127.0.0.1:11434/v1", "qwen3");
//! config.api_key = std::env::var("OPENAI_API_KEY").ok();
//! let planner = LlmPlanner::new(config)?;
//! let draft = planner
//!     .generate(&PlanRequest {
//!         prompt: "Add JWT authentication".to_owned(),
//!         title: "JWT authentication".to_owned(),
//!         repo: RepoContext::default(),
//!         steering: String::new(),
//!         template: spectask_spec::Template::default(),
//!     })
//!     .await?;
//! if draft.has_lint_errors {
//!     eprintln!("{}", draft.lint.join("\n"));
//! }
//! # Ok(())
//! # }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

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
mod usage;

pub use config::{Backoff, LlmPlannerConfig, Provider, Timeouts};
pub use error::PlannerError;
pub use extract::{consistency_list, question_list};
pub use planner::{CallGuard, LlmPlanner, PlanRequest, SpecDraft};
pub use prompt::{RepoContext, ReviewComments, SYSTEM_RULES as SPEC_FORMAT_RULES};
pub use usage::CallUsage;
