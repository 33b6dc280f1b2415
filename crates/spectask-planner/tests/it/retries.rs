//! Failures of the HTTP call: truncated and broken streams, timeouts, rate limits, server errors.

use std::time::{Duration, Instant};

use spectask_planner::{LlmPlanner, PlannerError, Provider};

use crate::fake::{Canned, FakeServer, Step, cut_before, openai_stream};
use crate::fixtures::{DESIGN, good_answer};
use crate::openai::planner;
use crate::{jwt_request, test_config};

/// A planner whose read timeout (300ms) is far below the scripted stalls (3s).
fn stall_sensitive_planner(server: &FakeServer) -> LlmPlanner {
    let mut config = test_config(Provider::OpenAi, &server.url);
    config.timeouts.read = Duration::from_millis(300);
    LlmPlanner::new(config).expect("planner")
}

#[tokio::test]
async fn a_truncated_stream_is_retried() {
    let server = FakeServer::start(vec![
        Canned::stream(cut_before(openai_stream(&good_answer(), (5, 5)), "[DONE]")),
        Canned::stream(openai_stream(&good_answer(), (7, 9))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!(server.requests().len(), 2);
    assert_eq!(draft.calls.len(), 1);
    assert_eq!((draft.calls[0].attempt, draft.calls[0].output_tokens), (2, 9));
}

#[tokio::test]
async fn a_connection_broken_mid_stream_is_retried() {
    let mut broken = openai_stream(&good_answer(), (5, 5));
    broken.truncate(4);
    broken.push(Step::Abort);
    let server = FakeServer::start(vec![
        Canned::stream(broken),
        Canned::stream(openai_stream(&good_answer(), (7, 9))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");
    assert_eq!(draft.calls[0].attempt, 2);
    assert_eq!(draft.design, DESIGN);
}

#[tokio::test]
async fn a_stalled_stream_times_out_is_retried_then_fails() {
    let stalled = || {
        let mut steps = openai_stream(&good_answer(), (5, 5));
        steps.insert(3, Step::Sleep(Duration::from_secs(3)));
        Canned::stream(steps)
    };
    let server = FakeServer::start(vec![stalled(), stalled(), stalled()]).await;
    let started = Instant::now();
    let err = stall_sensitive_planner(&server).generate(&jwt_request()).await.expect_err("stalled");

    assert!(started.elapsed() < Duration::from_secs(3), "read timeout of 300ms not applied");
    assert_eq!(server.requests().len(), 3);
    let PlannerError::Request { attempts, status, reason, body_excerpt, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*attempts, *status), (3, Some(200)));
    assert!(reason.contains("read timeout"), "{reason}");
    assert!(body_excerpt.contains("Acceptance Criteria"), "the tail of the stream: {body_excerpt}");
}

#[tokio::test]
async fn a_stalled_response_head_times_out_and_is_retried() {
    let mut slow = Canned::stream(openai_stream(&good_answer(), (1, 1)));
    slow.head_delay = Duration::from_secs(3);
    let server = FakeServer::start(vec![slow, Canned::stream(openai_stream(&good_answer(), (2, 2)))]).await;
    let started = Instant::now();
    let draft = stall_sensitive_planner(&server).generate(&jwt_request()).await.expect("draft");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(draft.calls[0].attempt, 2);
}

#[tokio::test]
async fn rate_limiting_honours_retry_after_then_succeeds() {
    let server = FakeServer::start(vec![
        Canned::status(429, r#"{"error":{"message":"rate limited"}}"#).header("retry-after", "1"),
        Canned::stream(openai_stream(&good_answer(), (10, 20))),
    ])
    .await;
    let started = Instant::now();
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
    assert_eq!(draft.calls[0].attempt, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_persistent_server_error_names_status_url_and_body_after_max_attempts() {
    let failure = || Canned::status(500, r#"{"error":{"message":"upstream exploded"}}"#);
    let server = FakeServer::start(vec![failure(), failure(), failure(), failure()]).await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("500s");

    assert_eq!(server.requests().len(), 3, "max_attempts is 3");
    assert_eq!(server.unused(), 1);
    let url = format!("{}/v1/chat/completions", server.url);
    let PlannerError::Request { provider, url: failed_url, attempts, status, body_excerpt, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*provider, failed_url, *attempts, *status), (Provider::OpenAi, &url, 3, Some(500)));
    assert!(body_excerpt.contains("upstream exploded"), "{body_excerpt}");
    let message = err.to_string();
    assert!(message.contains(&url) && message.contains("status 500"), "{message}");
    assert!(message.contains("upstream exploded") && message.starts_with("openai "), "{message}");
}

#[tokio::test]
async fn a_client_error_status_is_not_retried() {
    let server = FakeServer::start(vec![
        Canned::status(401, r#"{"error":{"message":"invalid api key"}}"#),
        Canned::stream(openai_stream(&good_answer(), (1, 1))),
    ])
    .await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("401");
    assert!(matches!(err, PlannerError::Request { status: Some(401), attempts: 1, .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, &url)).expect("planner");
    let err = planner.generate(&jwt_request()).await.expect_err("refused");
    let PlannerError::Request { attempts, status, reason, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*attempts, *status), (3, None));
    assert!(reason.contains("cannot connect"), "{reason}");
}

#[tokio::test]
async fn a_server_refusing_max_tokens_gets_max_completion_tokens_on_the_next_attempt() {
    let refusal = r#"{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens"}}"#;
    let server = FakeServer::start(vec![
        Canned::status(400, refusal),
        Canned::stream(openai_stream(&good_answer(), (1, 1))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!(draft.calls[0].attempt, 2);
    let requests = server.requests();
    assert_eq!(requests[0].body["max_tokens"], 4000);
    assert_eq!(requests[1].body["max_completion_tokens"], 4000);
    assert!(requests[1].body.get("max_tokens").is_none(), "{}", requests[1].body);
}

#[tokio::test]
async fn an_event_past_the_stream_cap_fails_at_once_without_buffering_it() {
    // 5 MiB of one `data:` line, in 64 KiB chunks, never ended: past the parser's 4 MiB cap.
    let mut steps = vec![Step::Chunk("data: ".to_owned())];
    steps.extend((0..80).map(|_| Step::Chunk("x".repeat(64 * 1024))));
    let server = FakeServer::start(vec![Canned::stream(steps)]).await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("oversized event");

    assert_eq!(server.requests().len(), 1, "a broken stream is not retried");
    let PlannerError::Request { attempts, reason, .. } = &err else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!(*attempts, 1);
    assert_eq!(reason, "the event stream sent an event larger than 4194304 bytes");
}
