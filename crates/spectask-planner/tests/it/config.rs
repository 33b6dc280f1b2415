//! Building a planner: configs that cannot work, TLS, and thread safety.

use spectask_planner::{LlmPlanner, PlannerError, Provider};

use crate::{jwt_request, test_config};

#[test]
fn planner_and_its_futures_can_move_across_threads() {
    fn is_send_sync<T: Send + Sync>(_: &T) {}
    fn is_send<T: Send>(_: T) {}
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, "http://127.0.0.1:9")).expect("planner");
    is_send_sync(&planner);
    let request = jwt_request();
    is_send(planner.generate(&request));
}

#[test]
fn https_endpoints_get_a_tls_client_without_a_network_call() {
    let config = test_config(Provider::OpenAi, "https://api.openai.com");
    assert!(LlmPlanner::new(config).is_ok(), "the rustls crypto provider is installed");
    let config = test_config(Provider::Anthropic, "https://api.anthropic.com");
    assert!(LlmPlanner::new(config).is_ok());
}

#[test]
fn configs_that_cannot_work_are_refused() {
    let mut config = test_config(Provider::OpenAi, "ftp://127.0.0.1:9");
    assert!(matches!(LlmPlanner::new(config.clone()), Err(PlannerError::InvalidConfig(_))));
    config.base_url = "http://127.0.0.1:9/v1".to_owned();
    config.max_attempts = 0;
    assert!(matches!(LlmPlanner::new(config.clone()), Err(PlannerError::InvalidConfig(_))));
    config.max_attempts = 1;
    config.model = " ".to_owned();
    assert!(matches!(LlmPlanner::new(config), Err(PlannerError::InvalidConfig(_))));
}
