//! The Anthropic Messages path: streaming events, headers, usage and its failure modes.

use spectask_planner::{LlmPlanner, PlannerError, Provider};

use crate::fake::{Canned, FakeServer, anthropic_event, anthropic_stream, cut_before};
use crate::fixtures::{DESIGN, REQUIREMENTS, TASKS, good_answer};
use crate::{jwt_request, test_config};

fn planner(server: &FakeServer) -> LlmPlanner {
    LlmPlanner::new(test_config(Provider::Anthropic, &server.url)).expect("planner")
}

#[tokio::test]
async fn a_good_spec_streams_from_the_messages_api() {
    let server = FakeServer::start(vec![Canned::stream(anthropic_stream(&good_answer(), (900, 700)))]).await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!((draft.requirements.as_str(), draft.design.as_str()), (REQUIREMENTS, DESIGN));
    assert_eq!(draft.tasks, TASKS);
    assert!(!draft.has_lint_errors, "{:?}", draft.lint);
    let call = &draft.calls[0];
    assert_eq!((call.provider, call.input_tokens, call.output_tokens), (Provider::Anthropic, 900, 700));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some("test-key"));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.body["model"], "test-model");
    assert_eq!(request.body["stream"], true);
    assert_eq!(request.body["max_tokens"], 4000);
    assert_eq!(request.roles(), ["user"], "the system prompt is a top-level field");
    let system = request.body["system"].as_str().expect("system prompt");
    assert!(system.contains("## Testing Strategy"), "{system}");
    assert!(request.last_message().contains("Add JWT authentication to the API"));
}

#[tokio::test]
async fn an_overloaded_error_event_mid_stream_is_retried() {
    let mut failing = cut_before(anthropic_stream(&good_answer(), (1, 1)), "message_delta");
    failing.push(anthropic_event(
        "error",
        &serde_json::json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } }),
    ));
    let server = FakeServer::start(vec![
        Canned::stream(failing),
        Canned::stream(anthropic_stream(&good_answer(), (3, 4))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");
    assert_eq!(draft.calls[0].attempt, 2);
    assert_eq!(draft.tasks, TASKS);
}

#[tokio::test]
async fn a_stream_without_message_stop_is_retried_then_reported() {
    let truncated = || Canned::stream(cut_before(anthropic_stream(&good_answer(), (1, 1)), "message_stop"));
    let server = FakeServer::start(vec![truncated(), truncated(), truncated()]).await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("truncated");
    let PlannerError::Request { provider, attempts, reason, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*provider, *attempts), (Provider::Anthropic, 3));
    assert!(reason.contains("message_stop"), "{reason}");
}

#[tokio::test]
async fn overloaded_status_529_is_retried() {
    let server = FakeServer::start(vec![
        Canned::status(529, r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#),
        Canned::stream(anthropic_stream(&good_answer(), (3, 4))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");
    assert_eq!(draft.calls[0].attempt, 2);
}

#[tokio::test]
async fn a_redirect_is_not_followed_with_the_api_key() {
    let elsewhere = FakeServer::start(vec![Canned::stream(anthropic_stream(&good_answer(), (1, 1)))]).await;
    let server = FakeServer::start(vec![
        Canned::status(307, "").header("location", &format!("{}/v1/messages", elsewhere.url)),
    ])
    .await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("a redirect fails the call");
    let PlannerError::Request { attempts, status, reason, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*attempts, *status), (1, Some(307)), "{err}");
    assert!(reason.contains("follows no redirect"), "{reason}");
    assert!(elsewhere.requests().is_empty(), "the key went to {:?}", elsewhere.requests());
}
