//! Integration tests: the planner against in-process fake OpenAI-compatible and Anthropic servers.

mod anthropic;
mod config;
mod fake;
mod fixtures;
mod openai;
mod retries;
mod revision;

use std::time::Duration;

use spectask_planner::{Backoff, LlmPlannerConfig, PlanRequest, Provider, RepoContext, Timeouts};

/// A config for `provider` at the fake server, with millisecond backoffs and a read timeout long
/// enough for a busy machine (the stall tests shorten it).
pub fn test_config(provider: Provider, server_url: &str) -> LlmPlannerConfig {
    let base_url = match provider {
        Provider::OpenAi => format!("{server_url}/v1"),
        Provider::Anthropic => server_url.to_owned(),
    };
    let mut config = LlmPlannerConfig::new(provider, base_url, "test-model");
    config.api_key = Some("test-key".to_owned());
    config.timeouts = Timeouts { connect: Duration::from_secs(2), read: Duration::from_secs(2) };
    config.backoff = Backoff {
        initial: Duration::from_millis(1),
        max: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    };
    config.max_attempts = 3;
    config.max_tokens = 4_000;
    config
}

pub fn jwt_request() -> PlanRequest {
    PlanRequest {
        prompt: "Add JWT authentication to the API".to_owned(),
        title: "JWT authentication".to_owned(),
        repo: RepoContext {
            file_tree: vec!["Cargo.toml".to_owned(), "README.md".to_owned(), "src/main.rs".to_owned()],
            files: vec![
                ("README.md".to_owned(), "# Demo API\nServes /items.\n".to_owned()),
                ("Cargo.toml".to_owned(), "[package]\nname = \"demo-api\"\n".to_owned()),
            ],
        },
        steering: String::new(),
        template: spectask_spec::Template::default(),
    }
}
