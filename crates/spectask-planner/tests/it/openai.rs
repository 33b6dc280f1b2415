//! The OpenAI-compatible path: one answer, repair rounds, missing and cut-off documents.

use spectask_planner::{LlmPlanner, PlannerError, Provider};

use crate::fake::{Canned, FakeServer, openai_stream, openai_stream_finishing};
use crate::fixtures::{DESIGN, REQUIREMENTS, TASKS, answer, good_answer, tasks_citing_unknown_criterion};
use crate::{jwt_request, test_config};

pub fn planner(server: &FakeServer) -> LlmPlanner {
    LlmPlanner::new(test_config(Provider::OpenAi, &server.url)).expect("planner")
}

#[tokio::test]
async fn a_good_spec_in_one_call_is_returned_with_its_usage() {
    let server = FakeServer::start(vec![Canned::stream(openai_stream(&good_answer(), (1200, 800)))]).await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!(draft.requirements, REQUIREMENTS);
    assert_eq!(draft.design, DESIGN);
    assert_eq!(draft.tasks, TASKS);
    assert!(!draft.has_lint_errors);
    assert_eq!(draft.lint, Vec::<String>::new(), "the fixture is a clean spec");
    assert_eq!(draft.calls.len(), 1);
    let call = &draft.calls[0];
    assert_eq!((call.provider, call.model.as_str()), (Provider::OpenAi, "test-model"));
    assert_eq!((call.input_tokens, call.output_tokens, call.attempt, call.round), (1200, 800, 1, 0));
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
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!(draft.tasks, TASKS, "the repaired tasks.md is returned");
    assert!(!draft.has_lint_errors, "{:?}", draft.lint);
    let rounds: Vec<u32> = draft.calls.iter().map(|c| c.round).collect();
    assert_eq!(rounds, [0, 1]);
    assert_eq!((draft.input_tokens(), draft.output_tokens()), (400, 110));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let repair = &requests[1];
    assert_eq!(repair.roles(), ["system", "user", "assistant", "user"]);
    assert!(repair.all_text().contains("_Requirements: 2.1, 2.2, 9.9_"), "the bad answer is sent back");
    let quoted = repair.last_message();
    assert!(quoted.contains("tasks.md:"), "{quoted}");
    assert!(quoted.contains("error"), "{quoted}");
    assert!(quoted.contains("9.9"), "{quoted}");
}

/// The consistency check comes with the documents it checked: a repaired answer that leaves the
/// section out (it found nothing left) drops the first answer's item, and the items it does list
/// are the draft's.
#[tokio::test]
async fn a_repaired_answer_carries_its_own_consistency_check() {
    let check =
        "=== consistency.md ===\n- tasks.md:9: criterion 9.9 is not in requirements.md\n=== end ===\n";
    let bad = answer(REQUIREMENTS, DESIGN, &tasks_citing_unknown_criterion()).replace("=== end ===\n", check);
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&bad, (100, 50))),
        Canned::stream(openai_stream(&good_answer(), (300, 60))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");
    assert_eq!(draft.tasks, TASKS);
    assert!(draft.consistency.is_empty(), "{:?}", draft.consistency);

    let kept = good_answer().replace(
        "=== end ===\n",
        "=== consistency.md ===\n- design.md:4: Cache is built by no task\n=== end ===\n",
    );
    let server = FakeServer::start(vec![Canned::stream(openai_stream(&kept, (100, 50)))]).await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");
    assert_eq!(draft.consistency, ["design.md:4: Cache is built by no task"]);
    assert_eq!(draft.tasks, TASKS, "the section is not part of tasks.md");
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
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert!(draft.has_lint_errors);
    assert!(draft.lint.iter().any(|d| d.starts_with("tasks.md:") && d.contains("9.9")), "{:?}", draft.lint);
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
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft kept");

    assert!(draft.has_lint_errors);
    assert_eq!(draft.tasks, tasks_citing_unknown_criterion());
    assert_eq!(draft.calls.len(), 1);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_missing_document_is_asked_for_and_merged() {
    let without_tasks =
        format!("=== requirements.md ===\n{REQUIREMENTS}\n=== design.md ===\n{DESIGN}\n=== end ===\n");
    let only_tasks = format!("Here is the missing file.\n\n=== tasks.md ===\n{TASKS}=== end ===\n");
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&without_tasks, (1, 1))),
        Canned::stream(openai_stream(&only_tasks, (1, 1))),
    ])
    .await;
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!((draft.requirements.as_str(), draft.tasks.as_str()), (REQUIREMENTS, TASKS));
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
    let draft = planner(&server).generate(&jwt_request()).await.expect("draft");

    assert_eq!(draft.tasks, TASKS, "the cut tasks.md is not taken");
    assert_eq!(draft.design, DESIGN);
    assert_eq!(draft.calls.len(), 2);
    let repair = server.requests()[1].last_message();
    assert!(repair.contains("length limit and stopped inside tasks.md"), "{repair}");
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
    let err = planner(&server).generate(&jwt_request()).await.expect_err("no documents");
    assert!(
        matches!(&err, PlannerError::IncompleteAnswer { missing, rounds: 2, .. }
            if missing == "requirements.md, design.md, tasks.md"),
        "{err:?}"
    );
    // Each call answered and spent its tokens: the error carries them, to be counted.
    let rounds: Vec<(u32, u64, u64)> =
        err.calls().iter().map(|c| (c.round, c.input_tokens, c.output_tokens)).collect();
    assert_eq!(rounds, [(0, 1, 1), (1, 1, 1), (2, 1, 1)], "{err:?}");
}

#[tokio::test]
async fn a_call_failing_after_others_answered_carries_what_they_spent() {
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream("I cannot help with that.", (700, 30))),
        Canned::status(401, r#"{"error":{"message":"invalid api key"}}"#),
    ])
    .await;
    let err = planner(&server).generate(&jwt_request()).await.expect_err("401 on the repair");
    let PlannerError::AfterCalls { failure, calls } = &err else { panic!("{err:?}") };
    assert!(matches!(**failure, PlannerError::Request { status: Some(401), .. }), "{err:?}");
    assert_eq!(err.to_string(), failure.to_string(), "told as the failure itself");
    assert_eq!(calls.iter().map(|c| (c.input_tokens, c.output_tokens)).collect::<Vec<_>>(), [(700, 30)]);
}

#[tokio::test]
async fn a_guard_stops_the_planning_before_its_next_call() {
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream("I cannot help with that.", (700, 30))),
        Canned::stream(openai_stream(&good_answer(), (1, 1))),
    ])
    .await;
    let guarded = planner(&server).stop_when(Box::new(|calls| {
        let spent: u64 = calls.iter().map(|c| c.input_tokens + c.output_tokens).sum();
        (spent >= 500).then(|| format!("the budget of 500 tokens is reached (spent {spent})"))
    }));
    let err = guarded.generate(&jwt_request()).await.expect_err("stopped");
    let PlannerError::Stopped { reason, calls } = &err else { panic!("{err:?}") };
    assert_eq!(reason, "the budget of 500 tokens is reached (spent 730)");
    assert_eq!(calls.len(), 1, "{err:?}");
    assert_eq!(server.requests().len(), 1, "no repair call");
}

#[tokio::test]
async fn a_bugfix_spec_is_asked_for_by_its_rules_and_repaired_until_a_failing_test_comes_first() {
    let bugfix = "# Bugfix Analysis\n\n## Introduction\n\nExpired tokens pass.\n\n## Glossary\n\n\
- **Auth_Service**: checks tokens\n\n## Current Behavior (Defect)\n\n\
1.1 WHEN a token has expired THEN THE Auth_Service SHALL accept it\n\n## Expected Behavior\n\n\
2.1 WHEN a token has expired THEN THE Auth_Service SHALL reject it with 401\n\n\
## Unchanged Behavior (Regression Prevention)\n\n\
3.1 WHEN a token is valid THEN THE Auth_Service SHALL CONTINUE TO accept it\n";
    let fix_first = "# Implementation Plan\n\n- [ ] 1. Compare the expiry with the clock\n  - _Requirements: 2.1_\n\
- [ ] 2. Write a failing test for an expired token\n  - _Requirements: 1.1, 3.1_\n";
    let test_first = "# Implementation Plan\n\n- [ ] 1. Write a failing test for an expired token\n  \
- _Requirements: 1.1_\n- [ ] 2. Compare the expiry with the clock\n  - _Requirements: 2.1, 3.1_\n";
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(&answer(bugfix, DESIGN, fix_first), (100, 50))),
        Canned::stream(openai_stream(&answer(bugfix, DESIGN, test_first), (100, 50))),
    ])
    .await;
    let mut request = jwt_request();
    request.template = spectask_spec::Template::builtin(spectask_spec::Workflow::Bugfix);
    let draft = planner(&server).generate(&request).await.expect("draft");

    assert_eq!((draft.requirements.as_str(), draft.tasks.as_str()), (bugfix, test_first));
    assert!(!draft.has_lint_errors, "{:?}", draft.lint);
    let requests = server.requests();
    let system = requests[0].all_text();
    assert!(system.contains("## This spec's workflow: bugfix"), "the bugfix rules are sent");
    let repair = requests[1].last_message();
    assert!(repair.contains("tasks.md:3: error[W002]"), "{repair}");
}
