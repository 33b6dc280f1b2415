//! Revisions: the previous version and the reviewer's comments go to the model; the next comes back.

use spectask_core::{LineComment, SpecDocument};
use spectask_planner::{LlmPlanner, PlanRequest, Provider, ReviewComments, SpecDraft};

use crate::fake::{Canned, FakeServer, openai_stream};
use crate::fixtures::{DESIGN, REQUIREMENTS, TASKS, answer};
use crate::test_config;

fn previous() -> SpecDraft {
    SpecDraft {
        requirements: REQUIREMENTS.to_owned(),
        design: DESIGN.to_owned(),
        tasks: TASKS.to_owned(),
        calls: Vec::new(),
        lint: Vec::new(),
        has_lint_errors: false,
        questions: Vec::new(),
        consistency: Vec::new(),
    }
}

#[tokio::test]
async fn a_revision_sends_the_previous_version_and_the_comments() {
    let revised_design = DESIGN.replace("HS256", "RS256");
    let server = FakeServer::start(vec![Canned::stream(openai_stream(
        &answer(REQUIREMENTS, &revised_design, TASKS),
        (2000, 900),
    ))])
    .await;
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, &server.url)).expect("planner");
    let comments = ReviewComments {
        overall: "Use asymmetric keys so other services can verify tokens.".to_owned(),
        line_comments: vec![LineComment {
            document: SpecDocument::Design,
            line: Some(5),
            comment: "RS256, not HS256".to_owned(),
        }],
    };
    let request = PlanRequest {
        steering: "# Steering documents\n\nTokens expire in an hour.\n".to_owned(),
        ..PlanRequest::default()
    };
    let next = planner.revise(&request, &previous(), &comments).await.expect("revision");

    assert_eq!(next.design, revised_design);
    assert_eq!(next.requirements, REQUIREMENTS);
    assert_eq!((next.calls.len(), next.input_tokens()), (1, 2000));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = requests[0].last_message();
    for needle in [
        "=== requirements.md ===",
        "THE Auth_Service SHALL return a signed token",
        "A login endpoint issues HS256 tokens",
        "- [ ] 2.1 Add the token check middleware",
        "Use asymmetric keys so other services can verify tokens.",
        "# Steering documents\n\nTokens expire in an hour.",
        "design.md line 5 (`A login endpoint issues HS256 tokens; a middleware checks them on protected routes.`): RS256, not HS256",
    ] {
        assert!(sent.contains(needle), "revision request lacks {needle:?}:\n{sent}");
    }
}

/// A first answer with only questions is a version without documents; the answers then drive the
/// first draft, asked with the change request as a first draft is.
#[tokio::test]
async fn questions_alone_come_back_as_a_version_and_their_answers_drive_the_first_draft() {
    let asking = "=== questions.md ===\n1. Which key type?\n2. How long do tokens live?\n=== end ===\n";
    let server = FakeServer::start(vec![
        Canned::stream(openai_stream(asking, (1000, 40))),
        Canned::stream(openai_stream(&answer(REQUIREMENTS, DESIGN, TASKS), (1500, 900))),
    ])
    .await;
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, &server.url)).expect("planner");
    let request = PlanRequest {
        prompt: "Add JWT authentication".to_owned(),
        title: "JWT".to_owned(),
        ..PlanRequest::default()
    };
    let asked = planner.generate(&request).await.expect("questions");
    assert!(asked.is_questions_only(), "{asked:#?}");
    assert_eq!(asked.questions, ["Which key type?", "How long do tokens live?"]);
    assert_eq!((asked.requirements.as_str(), asked.lint.len(), asked.has_lint_errors), ("", 0, false));
    assert_eq!(server.requests().len(), 1, "no repair round for questions");

    let comments = ReviewComments {
        overall: "Answers to the planner's questions:\n\n2. How long do tokens live?\n   Answer: One hour"
            .to_owned(),
        line_comments: Vec::new(),
    };
    let first = planner.revise(&request, &asked, &comments).await.expect("first draft");
    assert!(!first.is_questions_only());
    assert_eq!(first.requirements, REQUIREMENTS);
    let sent = server.requests()[1].last_message();
    for needle in [
        "# Change request",
        "Add JWT authentication",
        "You asked these before writing the spec:\n\n1. Which key type?\n2. How long do tokens live?",
        "Answer: One hour",
    ] {
        assert!(sent.contains(needle), "first draft request lacks {needle:?}:\n{sent}");
    }
    assert!(!sent.contains("# Spec under review"), "{sent}");
}

/// A revision answered with questions alone keeps the version under review: its documents stay,
/// the questions come with them.
#[tokio::test]
async fn a_revision_that_only_asks_keeps_the_documents_under_review() {
    let asking = "=== questions.md ===\n1. Which key type?\n=== end ===\n";
    let server = FakeServer::start(vec![Canned::stream(openai_stream(asking, (800, 30)))]).await;
    let planner = LlmPlanner::new(test_config(Provider::OpenAi, &server.url)).expect("planner");
    let comments = ReviewComments { overall: "Use asymmetric keys.".to_owned(), line_comments: Vec::new() };
    let next = planner.revise(&PlanRequest::default(), &previous(), &comments).await.expect("revision");

    assert!(!next.is_questions_only(), "{next:#?}");
    assert_eq!((next.requirements.as_str(), next.design.as_str()), (REQUIREMENTS, DESIGN));
    assert_eq!(next.tasks, TASKS);
    assert_eq!(next.questions, ["Which key type?"]);
    assert_eq!((next.calls.len(), next.input_tokens()), (1, 800));
}
