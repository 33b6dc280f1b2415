//! Revisions: the previous version and the reviewer's comments go to the model; the next comes back.

use spectask_core::{LineComment, SpecDocument};
use spectask_planner::{LlmPlanner, Provider, ReviewComments, SpecDraft};

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
    let next = planner.revise(&previous(), &comments).await.expect("revision");

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
        "design.md line 5 (`A login endpoint issues HS256 tokens; a middleware checks them on protected routes.`): RS256, not HS256",
    ] {
        assert!(sent.contains(needle), "revision request lacks {needle:?}:\n{sent}");
    }
}
