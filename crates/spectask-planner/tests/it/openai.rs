//! The OpenAI-compatible path: generation, repair rounds, retries and failures.

use std::time::{Duration, Instant};

use spectask_planner::{LlmPlanner, PlannerError, Provider};

use crate::fake::{Canned, FakeServer, Step, cut_before, openai_stream, openai_stream_finishing};
use crate::fixtures::{
    DESIGN, REQUIREMENTS, TASKS, answer, good_answer, tasks_citing_unknown_criterion,
};
use crate::{jwt_request, test_config};

fn planner(server: &FakeServer) -> LlmPlanner {
    LlmPlanner::new(test_config(Provider::OpenAi, &server.url)).expect("planner")
}

#[tokio::test]
async fn a_good_spec_in_one_call_is_returned_with_its_usage() {
    let server = FakeServer::start(vec![Canned::stream(openai_stream(
        &good_answer(),
        (1200, 800),
    ))])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert_eq!(draft.requirements, REQUIREMENTS);
    assert_eq!(draft.design, DESIGN);
    assert_eq!(draft.tasks, TASKS);
    assert!(!draft.has_lint_errors);
    assert_eq!(
        draft.lint,
        Vec::<String>::new(),
        "the fixture is a clean spec"
    );
    assert_eq!(draft.calls.len(), 1);
    let call = &draft.calls[0];
    assert_eq!(
        (call.provider, call.model.as_str()),
        (Provider::OpenAi, "test-model")
    );
    assert_eq!(
        (
            call.input_tokens,
            call.output_tokens,
            call.attempt,
            call.round
        ),
        (1200, 800, 1, 0)
    );
    assert_eq!((draft.input_tokens(), draft.output_tokens()), (1200, 800));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer test-key"));
    assert_eq!(request.body["model"], "test-model");
    assert_eq!(request.body["stream"], true);
    assert_eq!(request.body["stream_options"]["include_usage"], true);
    assert_eq!(request.body["max_tokens"], 4000);
    assert_eq!(request.roles(), ["system", "user"]);
    let text = request.all_text();
    for needle in [
        "Add JWT authentication to the API",
        "Title: JWT authentication",
        "# Demo API",
        "name = \"demo-api\"",
        "src/main.rs",
        "WHEN <trigger>, THE <System_Name> SHALL <response>",
        "=== tasks.md ===",
    ] {
        assert!(text.contains(needle), "request lacks {needle:?}");
    }
}

#[tokio::test]
async fn lint_errors_are_quoted_back_in_a_repair_round() {
    let bad = answer(REQUIREMENTS, DESIGN, &tasks_citing_unknown_criterion());
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&bad, (100, 50))),
        Canned::stream(openai_stream(&good_answer(), (300, 60))),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert_eq!(draft.tasks, TASKS, "the repaired tasks.md is returned");
    assert!(!draft.has_lint_errors, "{:?}", draft.lint);
    let rounds: Vec<u32> = draft.calls.iter().map(|c| c.round).collect();
    assert_eq!(rounds, [0, 1]);
    assert_eq!((draft.input_tokens(), draft.output_tokens()), (400, 110));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let repair = &requests[1];
    assert_eq!(repair.roles(), ["system", "user", "assistant", "user"]);
    assert!(
        repair.all_text().contains("_Requirements: 2.1, 2.2, 9.9_"),
        "the bad answer is sent back"
    );
    let quoted = repair.last_message();
    assert!(quoted.contains("tasks.md:"), "{quoted}");
    assert!(quoted.contains("error"), "{quoted}");
    assert!(quoted.contains("9.9"), "{quoted}");
}

#[tokio::test]
async fn after_the_repair_rounds_the_best_draft_is_returned_flagged() {
    let bad = answer(REQUIREMENTS, DESIGN, &tasks_citing_unknown_criterion());
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&bad, (1, 1))),
        Canned::stream(openai_stream(&bad, (1, 1))),
        Canned::stream(openai_stream(&bad, (1, 1))),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert!(draft.has_lint_errors);
    assert!(
        draft
            .lint
            .iter()
            .any(|d| d.starts_with("tasks.md:") && d.contains("9.9")),
        "{:?}",
        draft.lint
    );
    assert_eq!(draft.calls.len(), 3, "one answer and two repair rounds");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_failing_repair_call_keeps_the_draft_it_was_repairing() {
    let bad = answer(REQUIREMENTS, DESIGN, &tasks_citing_unknown_criterion());
    let failure = || Canned::status(503, "unavailable");
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&bad, (10, 10))),
        failure(),
        failure(),
        failure(),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft kept");

    assert!(draft.has_lint_errors);
    assert_eq!(draft.tasks, tasks_citing_unknown_criterion());
    assert_eq!(draft.calls.len(), 1);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_missing_document_is_asked_for_and_merged() {
    let without_tasks = format!(
        "=== requirements.md ===\n{REQUIREMENTS}\n=== design.md ===\n{DESIGN}\n=== end ===\n"
    );
    let only_tasks = format!("Here is the missing file.\n\n=== tasks.md ===\n{TASKS}=== end ===\n");
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&without_tasks, (1, 1))),
        Canned::stream(openai_stream(&only_tasks, (1, 1))),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert_eq!(
        (draft.requirements.as_str(), draft.tasks.as_str()),
        (REQUIREMENTS, TASKS)
    );
    let repair = server.requests()[1].last_message();
    assert!(repair.contains("`=== tasks.md ===`"), "{repair}");
}

#[tokio::test]
async fn a_document_cut_off_by_the_token_limit_is_dropped_and_asked_for_again() {
    let cut_tasks: String = TASKS.lines().take(3).map(|l| format!("{l}\n")).collect();
    let cut = format!(
        "=== requirements.md ===\n{REQUIREMENTS}=== design.md ===\n{DESIGN}=== tasks.md ===\n{cut_tasks}"
    );
    let rest = format!("=== tasks.md ===\n{TASKS}=== end ===\n");
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream_finishing(&cut, (100, 4000), "length")),
        Canned::stream(openai_stream(&rest, (200, 90))),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert_eq!(draft.tasks, TASKS, "the cut tasks.md is not taken");
    assert_eq!(draft.design, DESIGN);
    assert_eq!(draft.calls.len(), 2);
    let repair = server.requests()[1].last_message();
    assert!(
        repair.contains("length limit and stopped inside tasks.md"),
        "{repair}"
    );
    assert!(repair.contains("only the missing documents"), "{repair}");
}

#[tokio::test]
async fn an_answer_that_never_has_all_documents_is_an_error() {
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream("I cannot help with that.", (1, 1))),
        Canned::stream(openai_stream("Still no.", (1, 1))),
        Canned::stream(openai_stream("No.", (1, 1))),
    ])
    .await;
    let err = planner(&server)
        .generate(&jwt_request())
        .await
        .expect_err("no documents");
    assert!(
        matches!(&err, PlannerError::IncompleteAnswer { missing, rounds: 2, .. }
            if missing == "requirements.md, design.md, tasks.md"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_truncated_stream_is_retried() {
    let server = FakeServer::start(vec![
        Canned::stream(cut_before(openai_stream(&good_answer(), (5, 5)), "[DONE]")),
        Canned::stream(openai_stream(&good_answer(), (7, 9))),
    ])
    .await;
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert_eq!(server.requests().len(), 2);
    assert_eq!(draft.calls.len(), 1);
    assert_eq!(
        (draft.calls[0].attempt, draft.calls[0].output_tokens),
        (2, 9)
    );
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
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");
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
    let err = planner(&server)
        .generate(&jwt_request())
        .await
        .expect_err("stalled");

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "read timeout of 300ms not applied"
    );
    assert_eq!(server.requests().len(), 3);
    let PlannerError::Request {
        attempts,
        status,
        reason,
        body_excerpt,
        ..
    } = &err
    else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*attempts, *status), (3, Some(200)));
    assert!(reason.contains("read timeout"), "{reason}");
    assert!(
        body_excerpt.contains("Acceptance Criteria"),
        "the tail of the stream: {body_excerpt}"
    );
}

#[tokio::test]
async fn a_stalled_response_head_times_out_and_is_retried() {
    let mut slow = Canned::stream(openai_stream(&good_answer(), (1, 1)));
    slow.head_delay = Duration::from_secs(3);
    let server = FakeServer::start(vec![
        slow,
        Canned::stream(openai_stream(&good_answer(), (2, 2))),
    ])
    .await;
    let started = Instant::now();
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");
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
    let draft = planner(&server)
        .generate(&jwt_request())
        .await
        .expect("draft");

    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited only {:?}",
        started.elapsed()
    );
    assert_eq!(draft.calls[0].attempt, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_persistent_server_error_names_status_url_and_body_after_max_attempts() {
    let failure = || Canned::status(500, r#"{"error":{"message":"upstream exploded"}}"#);
    let server = FakeServer::start(vec![failure(), failure(), failure(), failure()]).await;
    let err = planner(&server)
        .generate(&jwt_request())
        .await
        .expect_err("500s");

    assert_eq!(server.requests().len(), 3, "max_attempts is 3");
    assert_eq!(server.unused(), 1);
    let url = format!("{}/v1/chat/completions", server.url);
    let PlannerError::Request {
        provider,
        url: failed_url,
        attempts,
        status,
        body_excerpt,
        ..
    } = &err
    else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!(
        (*provider, failed_url, *attempts, *status),
        (Provider::OpenAi, &url, 3, Some(500))
    );
    assert!(body_excerpt.contains("upstream exploded"), "{body_excerpt}");
    let message = err.to_string();
    assert!(
        message.contains(&url) && message.contains("status 500"),
        "{message}"
    );
    assert!(
        message.contains("upstream exploded") && message.starts_with("openai "),
        "{message}"
    );
}

#[tokio::test]
async fn a_client_error_status_is_not_retried() {
    let server = FakeServer::start(vec![
        Canned::status(401, r#"{"error":{"message":"invalid api key"}}"#),
        Canned::stream(openai_stream(&good_answer(), (1, 1))),
    ])
    .await;
    let err = planner(&server)
        .generate(&jwt_request())
        .await
        .expect_err("401");
    assert!(
        matches!(
            err,
            PlannerError::Request {
                status: Some(401),
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, &url)).expect("planner");
    let err = planner.generate(&jwt_request()).await.expect_err("refused");
    let PlannerError::Request {
        attempts,
        status,
        reason,
        ..
    } = &err
    else {
        panic!("expected a request error, got {err:?}");
    };
    assert_eq!((*attempts, *status), (3, None));
    assert!(reason.contains("cannot connect"), "{reason}");
}

#[test]
fn planner_and_its_futures_can_move_across_threads() {
    fn is_send_sync<T: Send + Sync>(_: &T) {}
    fn is_send<T: Send>(_: T) {}
    let planner =
        LlmPlanner::new(test_config(Provider::OpenAi, "http://127.0.0.1:9")).expect("planner");
    is_send_sync(&planner);
    let request = jwt_request();
    is_send(planner.generate(&request));
}

#[test]
fn https_endpoints_get_a_tls_client_without_a_network_call() {
    let config = test_config(Provider::OpenAi, "https://api.openai.com");
    assert!(
        LlmPlanner::new(config).is_ok(),
        "the rustls crypto provider is installed"
    );
    let config = test_config(Provider::Anthropic, "https://api.anthropic.com");
    assert!(LlmPlanner::new(config).is_ok());
}

#[test]
fn configs_that_cannot_work_are_refused() {
    let mut config = test_config(Provider::OpenAi, "ftp://127.0.0.1:9");
    assert!(matches!(
        LlmPlanner::new(config.clone()),
        Err(PlannerError::InvalidConfig(_))
    ));
    config.base_url = "http://127.0.0.1:9/v1".to_owned();
    config.max_attempts = 0;
    assert!(matches!(
        LlmPlanner::new(config.clone()),
        Err(PlannerError::InvalidConfig(_))
    ));
    config.max_attempts = 1;
    config.model = " ".to_owned();
    assert!(matches!(
        LlmPlanner::new(config),
        Err(PlannerError::InvalidConfig(_))
    ));
}
