//! The forge clients against the fake forges of `tools/fake-forge` (GitHub's and Forgejo's held
//! to their published descriptions by Prism): every page read, the forge's rate limits waited
//! for, conditional requests, the forge's own word on a refused token, and tokens with exactly
//! the scopes the documentation names. Each test runs on each forge's stand-in.

use serde_json::json;
use spectask_forge::{CheckState, ForgeError, MergeMethod, PullRequestState, RequestOutcome, Verdict};

use spectask_forge::testing::{FORGES, OnFake};

/// More checks of a head than one page holds, the failing one on the last page: the reading has
/// every one of them.
#[tokio::test(flavor = "multi_thread")]
async fn every_check_of_the_head_is_read_to_the_last_page() {
    for kind in FORGES {
        let fake = OnFake::new(kind, "checks").await;
        let number = fake.open_pull_request().await;
        // One more than a page: GitHub's and GitLab's hold 100, Forgejo's 50.
        let count = if kind == "forgejo" { 60 } else { 101 };
        for i in 0..count {
            let failed = i == count - 1;
            fake.status(&format!("ci/{i:03}"), if failed { "failure" } else { "success" }).await;
        }
        if kind == "github" {
            // And as many check runs, apart from statuses.
            for i in 0..count {
                fake.check_run(&format!("run-{i:03}"), if i == count - 1 { "failure" } else { "success" })
                    .await;
            }
        }
        let read = fake.client().read_pull_request(&fake.repo, number).await.unwrap();
        let failed: Vec<&str> =
            read.checks.iter().filter(|c| c.state == CheckState::Failed).map(|c| c.name.as_str()).collect();
        let all = if kind == "github" { 2 * count } else { count };
        assert_eq!(
            read.checks.len(),
            all,
            "{kind}: {:?}",
            read.checks.iter().map(|c| &c.name).collect::<Vec<_>>()
        );
        let last = format!("ci/{:03}", count - 1);
        assert!(failed.contains(&last.as_str()), "{kind}: {failed:?}");
        if kind == "github" {
            assert!(failed.contains(&format!("run-{:03}", count - 1).as_str()), "{failed:?}");
        }
    }
}

/// More reviews (GitLab: notes) than one page holds, the change request on the last page: the
/// reading has it, and the reviewer's verdict.
#[tokio::test(flavor = "multi_thread")]
async fn feedback_is_read_to_the_last_page() {
    for kind in FORGES {
        let fake = OnFake::new(kind, "feedback").await;
        let number = fake.open_pull_request().await;
        let before = if kind == "forgejo" { 50 } else { 100 };
        for i in 0..before {
            if kind == "gitlab" {
                fake.act(
                    "POST",
                    &format!("/pulls/{number}/comments"),
                    json!({ "login": "bob", "body": format!("note {i}") }),
                )
                .await;
            } else {
                let review = json!({ "login": format!("bob{i}"), "state": "COMMENTED", "body": format!("looked {i}") });
                fake.act("POST", &format!("/pulls/{number}/reviews"), review).await;
            }
        }
        let review = json!({
            "login": "alice",
            "state": "CHANGES_REQUESTED",
            "body": "Not yet.",
            "comments": [{ "path": "b.txt", "line": 1, "body": "Say more." }],
        });
        fake.act("POST", &format!("/pulls/{number}/reviews"), review).await;
        let said = fake.client().feedback(&fake.repo, number).await.unwrap();
        let asked: Vec<&str> = said
            .items
            .iter()
            .filter(|f| matches!(f.kind, spectask_forge::FeedbackKind::Review { changes_requested: true }))
            .map(|f| f.body.as_str())
            .collect();
        assert_eq!(asked, ["Not yet."], "{kind}: {} items", said.items.len());
        assert!(said.items.iter().any(|f| f.body == "Say more."), "{kind}: the line comment");
        let alice = said.reviewers.iter().find(|r| r.login == "alice");
        assert_eq!(alice.map(|r| r.verdict), Some(Verdict::ChangesRequested), "{kind}");
    }
}

/// A review that lands on GitLab while its merge request's feedback is read (its note and its
/// reviewer's verdict come from two endpoints) is read whole: its note asks for changes, as its
/// author's verdict says.
#[tokio::test(flavor = "multi_thread")]
async fn a_gitlab_review_landing_while_feedback_is_read_keeps_its_verdict() {
    let fake = OnFake::new("gitlab", "landing").await;
    let number = fake.open_pull_request().await;
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "Not yet.",
        "at_next_notes_read": true,
    });
    fake.act("POST", &format!("/pulls/{number}/reviews"), review).await;
    let said = fake.client().feedback(&fake.repo, number).await.unwrap();
    let alice: Vec<_> = said.items.iter().filter(|f| f.author == "alice").map(|f| &f.kind).collect();
    assert_eq!(
        alice,
        [&spectask_forge::FeedbackKind::Review { changes_requested: true }],
        "the note read with its verdict: {said:?}"
    );
}

/// A review that lands on GitHub while its pull request's feedback is read, between the reviews
/// and the line comments (two endpoints), is not read in part: its comment waits with it for the
/// next reading, which has both. Read apart, they went back to the agent as two requests, the
/// review's without the line it is about.
#[tokio::test(flavor = "multi_thread")]
async fn a_github_review_landing_while_feedback_is_read_is_read_whole() {
    let fake = OnFake::new("github", "landing").await;
    let number = fake.open_pull_request().await;
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "And the date.",
        "comments": [{ "path": "CHANGELOG.md", "line": 2, "body": "Date it." }],
        "after_next_reviews_read": true,
    });
    fake.act("POST", &format!("/pulls/{number}/reviews"), review).await;
    let client = fake.client();
    let first = client.feedback(&fake.repo, number).await.unwrap();
    assert!(first.items.iter().all(|f| f.author != "alice"), "neither part read: {first:?}");
    let second = client.feedback(&fake.repo, number).await.unwrap();
    let bodies: Vec<&str> =
        second.items.iter().filter(|f| f.author == "alice").map(|f| f.body.as_str()).collect();
    assert_eq!(bodies, ["And the date.", "Date it."], "both read: {second:?}");
}

/// A list longer than spectask reads fails the reading with the reason, never read in part.
#[tokio::test(flavor = "multi_thread")]
async fn a_list_past_the_bound_fails_the_reading_naming_it() {
    for kind in FORGES {
        let fake = OnFake::new(kind, "bound").await;
        let number = fake.open_pull_request().await;
        fake.act("POST", "/page-cap", json!({ "cap": 1 })).await;
        for i in 0..=spectask_forge::MAX_PAGES {
            fake.status(&format!("ci/{i:03}"), "success").await;
        }
        let err = fake.client().read_pull_request(&fake.repo, number).await.unwrap_err();
        assert!(matches!(err, ForgeError::TooLong { .. }), "{kind}: {err}");
        assert!(err.to_string().contains("runs past 50 pages"), "{kind}: {err}");
    }
}

/// A forge refusing for its rate limit is not asked again before the time it named: the refusal
/// names the time, the next request is held without reaching the forge, and after it the forge
/// is asked again. GitHub's spent primary quota, its secondary limit, GitLab's and Forgejo's 429.
#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_forge_is_not_asked_before_the_reset() {
    let cases = [
        ("github", json!({ "remaining": 0, "reset_in": 3 })),
        ("github", json!({ "refuse_for": 3, "mode": "secondary" })),
        ("gitlab", json!({ "refuse_for": 3 })),
        ("forgejo", json!({ "refuse_for": 3 })),
    ];
    for (kind, limits) in cases {
        let fake = OnFake::new(kind, "limited").await;
        let number = fake.open_pull_request().await;
        fake.limits(&limits).await;
        let client = fake.client();
        let seen = fake.requests_of_repo().await;
        let err = client.pull_request(&fake.repo, number).await.unwrap_err();
        let until = err.rate_limited_until().unwrap_or_else(|| panic!("{kind} {limits}: {err}"));
        let text = err.to_string();
        assert!(text.contains(&format!("rate-limited until {}", until.format("%H:%M"))), "{text}");
        let wait = until - chrono::Utc::now();
        assert!(
            wait > chrono::Duration::seconds(1) && wait <= chrono::Duration::seconds(4),
            "{kind} {limits}: {wait}"
        );
        // Held: the forge is not asked.
        let held = client.read_pull_request(&fake.repo, number).await.unwrap_err();
        assert_eq!(held.rate_limited_until(), Some(until), "{kind}: {held}");
        assert_eq!(fake.requests_of_repo().await.len(), seen.len() + 1, "{kind}: one request, refused");
        assert!(fake.forge.usage().count(RequestOutcome::Held) >= 1, "{kind}");
        assert_eq!(fake.forge.usage().limited_until, Some(until));

        tokio::time::sleep((until - chrono::Utc::now()).to_std().unwrap_or_default()).await;
        let read = client.read_pull_request(&fake.repo, number).await.unwrap();
        assert_eq!(read.pull_request.number, number);
        let after = fake.requests_of_repo().await;
        let asked_again = &after[seen.len() + 1..];
        let first_again =
            asked_again.first().map(|r| r["at"].as_i64().unwrap_or_default()).unwrap_or_default();
        assert!(
            first_again >= until.timestamp_millis() - 1000,
            "{kind}: asked again at {first_again}, before {until}"
        );
    }
}

/// An unchanged pull request read again costs requests the forge answers 304, from none of
/// GitHub's quota: every request of the second reading is conditional, on GitHub and GitLab
/// (Forgejo's API sends no ETag).
#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_pull_request_is_read_again_by_304s() {
    for kind in ["github", "gitlab"] {
        let fake = OnFake::new(kind, "etags").await;
        let number = fake.open_pull_request().await;
        fake.status("ci/test", "success").await;
        let client = fake.client();
        let first = client.read_pull_request(&fake.repo, number).await.unwrap();
        let quota = fake.forge.usage().quota;
        let seen = fake.requests_of_repo().await.len();
        let again = client.read_pull_request(&fake.repo, number).await.unwrap();
        assert_eq!(again, first, "{kind}: the kept answers stand for the same reading");
        let requests = fake.requests_of_repo().await;
        let second: Vec<u64> =
            requests[seen..].iter().map(|r| r["status"].as_u64().unwrap_or_default()).collect();
        assert!(!second.is_empty() && second.iter().all(|s| *s == 304), "{kind}: {second:?}");
        if kind == "github" {
            let remaining = |q: Option<spectask_forge::Quota>| q.map(|q| q.remaining);
            assert_eq!(remaining(fake.forge.usage().quota), remaining(quota), "304s cost no quota");
        }
        // A change is read: the next reading of the head's checks answers anew.
        fake.status("ci/lint", "failure").await;
        let changed = client.read_pull_request(&fake.repo, number).await.unwrap();
        assert!(
            changed.checks.iter().any(|c| c.name == "ci/lint" && c.state == CheckState::Failed),
            "{kind}"
        );
    }
}

/// A token the forge refuses is reported in the forge's own words.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_named_by_the_forges_own_answer() {
    for kind in FORGES {
        let fake = OnFake::with_token(kind, "badtoken", "not-a-token").await;
        let err = fake.client().token_report().await.unwrap_err();
        assert!(matches!(err, ForgeError::Unauthorized { .. }), "{kind}: {err}");
        assert!(err.to_string().contains("refused the token (HTTP 401)"), "{kind}: {err}");
        assert!(err.to_string().contains("Bad credentials"), "{kind}: {err}");
    }
}

/// A token with exactly the scopes docs/forges.md names does all spectask does: its report,
/// the repository's access, a pull request opened, read, commented on and merged, an issue
/// read, commented on and closed.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_the_documented_scopes_does_the_work() {
    for kind in FORGES {
        let fake = OnFake::new(kind, "scopes").await;
        let client = fake.client();
        let report = client.token_report().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(report.missing.is_empty(), "{kind}: {report:?}");
        // Forgejo's documented scopes do not read the user; nothing needs it.
        assert_eq!(report.login.is_some(), kind != "forgejo", "{kind}: {report:?}");
        let access = client.repo_access(&fake.repo).await.unwrap();
        assert!(access.push && access.web_url.ends_with(&fake.repo.to_string()), "{kind}: {access:?}");
        let number = fake.open_pull_request().await;
        client.comment_on_pull_request(&fake.repo, number, "Pushed.").await.unwrap();
        let issue =
            fake.act("POST", "/issues", json!({ "title": "Add c", "body": "Please." })).await["number"]
                .as_u64()
                .unwrap();
        assert_eq!(client.issue(&fake.repo, issue).await.unwrap().title, "Add c");
        client.comment_on_issue(&fake.repo, issue, "On it.").await.unwrap();
        client.close_issue(&fake.repo, issue).await.unwrap();
        let read = client.read_pull_request(&fake.repo, number).await.unwrap();
        client
            .merge_pull_request(&fake.repo, number, MergeMethod::Merge, &read.pull_request.head_sha)
            .await
            .unwrap();
        assert_eq!(
            client.pull_request(&fake.repo, number).await.unwrap().state,
            PullRequestState::Merged,
            "{kind}"
        );
    }
}

/// Forgejo answers `"state": ""` for a head without any status (a repository without CI): no
/// checks, and the reading goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_forgejo_head_without_status_has_no_checks() {
    let fake = OnFake::new("forgejo", "nostatus").await;
    let number = fake.open_pull_request().await;
    let read = fake.client().read_pull_request(&fake.repo, number).await.unwrap();
    assert!(read.checks.is_empty(), "{:?}", read.checks);
    assert_eq!(read.pull_request.state, PullRequestState::Open);
}

/// A branch whose first pull request was closed and a second opened: the open one is found, and
/// again once the first is reopened and the second closed.
#[tokio::test(flavor = "multi_thread")]
async fn the_open_pull_request_from_a_branch_is_the_one_found() {
    for kind in FORGES {
        let fake = OnFake::new(kind, "reopened").await;
        let first = fake.open_pull_request().await;
        fake.act("POST", &format!("/pulls/{first}/close"), json!({})).await;
        let second = fake.open_pull_request().await;
        let client = fake.client();
        let found = client.find_pull_request(&fake.repo, "feature", "main").await.unwrap();
        assert_eq!(found.map(|p| (p.number, p.state)), Some((second, PullRequestState::Open)), "{kind}");
        fake.act("POST", &format!("/pulls/{second}/close"), json!({})).await;
        fake.act("POST", &format!("/pulls/{first}/reopen"), json!({})).await;
        let found = client.find_pull_request(&fake.repo, "feature", "main").await.unwrap();
        assert_eq!(found.map(|p| (p.number, p.state)), Some((first, PullRequestState::Open)), "{kind}");
    }
}
