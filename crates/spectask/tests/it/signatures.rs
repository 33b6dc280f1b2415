//! Who a review is recorded as is who made it: the authenticated user, or on a server without
//! users the operating-system user running it; a request cannot name another reviewer.

use std::ffi::OsStr;
use std::time::Duration;

use crate::crash_restart::wait_for;
use crate::repo_owners::{GREETING, greeting_task, user, wait_as};
use crate::support::{Server, git_repo, http_as, scripted_coder_data};

/// The reviewer of the task's implementation review decisions, in order.
fn reviewers(server: &Server, token: Option<&str>, id: &str) -> Vec<String> {
    let (status, body) =
        http_as(&server.url, token, "GET", &format!("/api/v1/spec-tasks/{id}/coordination-log"), None);
    assert_eq!(status, 200, "{body}");
    let log: serde_json::Value = serde_json::from_str(&body).unwrap();
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "review_decision" && e["data"]["reviewer"].is_string())
        .map(|e| e["data"]["reviewer"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_review_is_signed_by_who_made_it_never_by_a_name_in_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), GREETING);
    let server = Server::spawn_with(&["serve".to_owned()], &data, &[("USER", OsStr::new("ops-person"))]);

    // Open server: the operating-system user running it.
    let open = server.coding_session(&repo, "Add a greeting", "Add a greeting");
    wait_for(&server, &open, "implementation_review", Duration::from_secs(60));
    assert!(server.task(&["approve", &open]).status.success());
    assert_eq!(reviewers(&server, None, &open), ["ops-person"]);

    // With users: the token's user; a `reviewer` in the request is refused as an unknown field.
    let token = user(&data, "alice");
    let id = greeting_task(&server, &token, repo.to_str().unwrap());
    wait_as(&server, &token, &id, "implementation_review");
    let approve = format!("/api/v1/spec-tasks/{id}/approve-implementation");
    let forged = r#"{"comments": "fine", "reviewer": "bob"}"#;
    let (status, body) = http_as(&server.url, Some(&token), "POST", &approve, Some(forged));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("reviewer"), "the refusal names the field: {body}");
    let (status, body) =
        http_as(&server.url, Some(&token), "POST", &approve, Some(r#"{"comments": "fine"}"#));
    assert_eq!(status, 200, "{body}");
    assert_eq!(reviewers(&server, Some(&token), &id), ["alice"]);
    server.stop();
}
