//! Pull requests people can trust, on each forge's stand-in: spectask never merges past a failing
//! check it did not read (every page of the head's checks is read), and a forge asking to wait
//! (its rate limit) is not asked again before the time it named, while the task stays where it
//! is and says what it waits for.

use serde_json::{Value, json};

use crate::fake_forge::FakeForgeExt;
use crate::forge_setup::OnForge;
use crate::implementation::{git, wait_until};
use crate::planning::wait_for_status;
use crate::support::http_json;

const FORGES: [&str; 3] = ["github", "gitlab", "forgejo"];

#[test]
fn on_github_a_failing_check_on_the_last_page_stops_the_merge() {
    no_merge_past_the_first_page("github");
}

#[test]
fn on_gitlab_a_failing_job_on_the_last_page_stops_the_merge() {
    no_merge_past_the_first_page("gitlab");
}

#[test]
fn on_forgejo_a_failing_status_on_the_last_page_stops_the_merge() {
    no_merge_past_the_first_page("forgejo");
}

/// The repository lets spectask merge, no failing check goes back to the agent (`check_rounds =
/// 0`), and the head has more checks than a page holds, all passing but the last: the reading
/// names the failing one, and the pull request is left open.
fn no_merge_past_the_first_page(kind: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let forge =
        OnForge::start_with(kind, dir.path(), &format!("paged-{kind}"), "write", "check_rounds = 0\n");
    let clone = forge.add_with(&["--pull-request-merge", "merge"]);
    let id = forge.server.coding_session(&clone, "Add a changelog", "Add a changelog");
    let task = wait_for_status(&forge.server, &id, "implementation_review");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    // The head's checks are there before the pull request is: no reading ever sees only some.
    let head = git(&clone, &["rev-parse", &branch]).trim().to_owned();
    let count = if kind == "forgejo" { 51 } else { 101 };
    for i in 0..count {
        let (failed, name) = (i == count - 1, format!("ci/{i:03}"));
        if kind == "github" {
            // Check runs on GitHub (its statuses page alike).
            let conclusion = if failed { "failure" } else { "success" };
            forge.act(
                "POST",
                "/check-runs",
                json!({ "head_sha": head, "name": name, "conclusion": conclusion }),
            );
        } else {
            let state = if failed { "failure" } else { "success" };
            forge.act("POST", &format!("/statuses/{head}"), json!({ "state": state, "context": name }));
        }
    }
    assert!(forge.server.task(&["approve", &id]).status.success());
    let opened =
        forge.wait_for_pr(&id, "the pull request was not opened", |t| t["pull_request"]["number"].is_u64());
    assert_eq!(opened["pull_request"]["head_sha"], head.as_str(), "{opened:#}");

    let log_path = format!("/api/v1/spec-tasks/{id}/coordination-log");
    let last = format!("ci/{:03}", count - 1);
    wait_until("the failing check on the last page is read", || {
        http_json(&forge.server.url, &log_path)
            .to_string()
            .contains(&format!("still fail after 0 rounds ({last})"))
    });
    let task = forge.server.task_json(&["show", &id, "--json"]);
    assert_eq!(task["status"], "pull_request", "{task:#}");
    assert_eq!(task["pull_request"]["state"], "open", "{task:#}");
    let checks = task["pull_request"]["checks"].as_array().cloned().unwrap_or_default();
    assert_eq!(checks.len(), count, "every check of the head");
    let log = http_json(&forge.server.url, &log_path).to_string();
    assert!(!log.contains("merged pull request"), "{log}");
    assert!(!git(&forge.bare, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md"), "not merged");
    forge.server.stop();
}

#[test]
fn a_rate_limited_forge_is_waited_for_and_the_task_says_until_when() {
    for kind in FORGES {
        rate_limited(kind);
    }
}

/// The forge refuses for its rate limit when the pull request is to be opened, and again while
/// it is read: no request reaches it before the time it named, the task stays where it is and
/// shows `rate-limited until HH:MM`, and the work goes on afterwards.
fn rate_limited(kind: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let forge = OnForge::start(kind, dir.path(), &format!("limited-{kind}"), "write");
    let clone = forge.add();
    let id = forge.server.coding_session(&clone, "Add a changelog", "Add a changelog");
    wait_for_status(&forge.server, &id, "implementation_review");
    // GitHub's quota spent until a reset 4 s ahead; GitLab's and Forgejo's 429 for 4 s.
    let limits = match kind {
        "github" => json!({ "remaining": 0, "reset_in": 4 }),
        _ => json!({ "refuse_for": 4 }),
    };
    let limit = || forge.fake.admin("POST", &format!("/_fake/tokens/{}/limits", forge.token), limits.clone());
    let ours = |requests: &[Value]| {
        let encoded = forge.repo.replace('/', "%2F");
        requests
            .iter()
            .filter(|r| {
                r["path"].as_str().is_some_and(|p| {
                    p.contains(&format!("{}/", forge.repo))
                        || p.contains(&encoded)
                        || p.ends_with(&forge.repo)
                })
            })
            .cloned()
            .collect::<Vec<Value>>()
    };

    // Opening waits, said on the task, which does not fail.
    limit();
    let seen = ours(&forge.fake.requests()).len();
    assert!(forge.server.task(&["approve", &id]).status.success());
    let log_path = format!("/api/v1/spec-tasks/{id}/coordination-log");
    wait_until("the wait is said on the task", || {
        http_json(&forge.server.url, &log_path).to_string().contains("the pull request waits for the forge")
    });
    let task = forge.server.task_json(&["show", &id, "--json"]);
    assert_eq!(task["status"], "pull_request", "{task:#}");
    let said = http_json(&forge.server.url, &log_path).to_string();
    assert!(said.contains("rate-limited until "), "{said}");
    let opened = forge.wait_for_pr(&id, "the pull request was not opened after the wait", |t| {
        t["pull_request"]["number"].is_u64()
    });
    assert_eq!(opened["status"], "pull_request");
    let requests = ours(&forge.fake.requests());
    assert_asked_once_then_after_the_wait(&requests[seen..], kind);

    // Reading waits too: the task shows until when, and stays.
    let seen = ours(&forge.fake.requests()).len();
    limit();
    let waiting = forge.wait_for_pr(&id, "the reading's wait is not shown", |t| {
        t["pull_request"]["check_error"].as_str().is_some_and(|e| e.contains("rate-limited until "))
    });
    assert_eq!(waiting["status"], "pull_request", "{waiting:#}");
    let shown = forge.server.task(&["show", &id]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("rate-limited until "), "{shown:?}");
    forge.wait_for_pr(&id, "the readings did not go on after the wait", |t| {
        t["pull_request"]["check_error"].is_null()
    });
    let requests = ours(&forge.fake.requests());
    assert_asked_once_then_after_the_wait(&requests[seen..], kind);

    // `/metrics` counts the connection's requests by how they ended, and GitHub's stated quota.
    let (status, metrics) = crate::support::http(&forge.server.url, "GET", "/api/v1/metrics", None);
    assert_eq!(status, 200, "{metrics}");
    let count = |outcome: &str| {
        let line = format!("spectask_forge_requests_total{{forge=\"fake\",outcome=\"{outcome}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(&line)).and_then(|n| n.trim().parse::<u64>().ok())
    };
    assert_eq!(count("rate_limited"), Some(2), "{kind}: {metrics}");
    assert!(count("answered").is_some_and(|n| n > 0), "{kind}: {metrics}");
    if kind == "github" {
        assert!(metrics.contains("spectask_forge_quota_limit{forge=\"fake\"} 5000"), "{metrics}");
        assert!(metrics.contains("spectask_forge_quota_remaining{forge=\"fake\"} "), "{metrics}");
    }
    assert!(metrics.contains("spectask_forge_waiting_until_seconds{forge=\"fake\"} 0"), "{kind}: {metrics}");
    forge.server.stop();
}

/// Of `requests` (in order, as the fake logs them), the first refused for the rate limit, and the
/// next not before the time the refusal named.
fn assert_asked_once_then_after_the_wait(requests: &[Value], kind: &str) {
    let refused = requests
        .iter()
        .position(|r| r["until"].is_i64())
        .unwrap_or_else(|| panic!("{kind}: no refusal among {requests:#?}"));
    let until = requests[refused]["until"].as_i64().unwrap_or_default();
    let next = requests.get(refused + 1).unwrap_or_else(|| panic!("{kind}: asked no more: {requests:#?}"));
    let at = next["at"].as_i64().unwrap_or_default();
    assert!(at >= until, "{kind}: asked again {} ms before the time named: {requests:#?}", until - at);
    assert!(next["until"].is_null(), "{kind}: refused again: {requests:#?}");
}

/// The review policy on GitHub (GitLab's and Forgejo's in `forge_loop`): a reviewer who asked for
/// changes holds a green pull request's merge until they approve, whatever their comments since,
/// and a repository asking for an approval (`--required-approvals 1`) has its merge wait for one;
/// each wait said in the task's log.
#[test]
fn on_github_a_merge_waits_for_the_reviewers_the_repository_asks() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "reviewed-merge", "write");
    let clone = gh.add_with(&["--pull-request-merge", "squash"]);
    let log = |id: &str| {
        http_json(&gh.server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log")).to_string()
    };
    let passed = |sha: &str| {
        let body = json!({ "head_sha": sha, "name": "test", "conclusion": "success" });
        gh.act("POST", "/check-runs", body);
    };

    // alice asks for changes; the fix comes back; she only comments: green, but not merged.
    let (first, branch, number) = gh.opened(&clone, "Add a changelog");
    let first_head = git(&gh.bare, &["rev-parse", &branch]).trim().to_owned();
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "Almost.",
        "comments": [{ "path": "CHANGELOG.md", "line": 1, "body": "List what changed." }],
    });
    gh.act("POST", &format!("/pulls/{number}/reviews"), review);
    let fixed = gh.wait_for_pr(&first, "the fix did not come back", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != first_head)
    });
    gh.act(
        "POST",
        &format!("/pulls/{number}/reviews"),
        json!({ "login": "alice", "state": "COMMENTED", "body": "Looking." }),
    );
    passed(fixed["pull_request"]["head_sha"].as_str().unwrap());
    wait_until("the merge says it waits for alice", || {
        log(&first).contains("waits: alice asked for changes")
    });
    assert_eq!(gh.server.task_json(&["show", &first, "--json"])["status"], "pull_request");
    assert!(!git(&gh.bare, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md"), "not merged");
    gh.act(
        "POST",
        &format!("/pulls/{number}/reviews"),
        json!({ "login": "alice", "state": "APPROVED", "body": "" }),
    );
    gh.wait_for_pr(&first, "the approved pull request was not merged", |t| t["status"] == "done");

    // One approval asked: a green head without one waits for it. (More than 100 is refused.)
    let refused =
        gh.server.task_like(&["repo", "set", clone.to_str().unwrap(), "--required-approvals", "101"]);
    let said = crate::support::stderr(&refused);
    assert!(
        !refused.status.success() && said.contains("required_approvals is 101; it must be at most 100"),
        "{said}"
    );
    let set = gh.server.task_like(&["repo", "set", clone.to_str().unwrap(), "--required-approvals", "1"]);
    assert!(set.status.success(), "{}", crate::support::stderr(&set));
    assert!(String::from_utf8_lossy(&set.stdout).contains("squash, after 1 approval(s)"), "{set:?}");
    let (second, branch, number) = gh.opened(&clone, "Add notes");
    passed(git(&gh.bare, &["rev-parse", &branch]).trim());
    wait_until("the merge says it waits for an approval", || log(&second).contains("0 of the 1 approval(s)"));
    assert_eq!(gh.server.task_json(&["show", &second, "--json"])["status"], "pull_request");
    gh.act(
        "POST",
        &format!("/pulls/{number}/reviews"),
        json!({ "login": "bob", "state": "APPROVED", "body": "" }),
    );
    gh.wait_for_pr(&second, "the approved pull request was not merged", |t| t["status"] == "done");
    assert!(log(&second).contains("by squash once its checks passed"), "{}", log(&second));
    gh.server.stop();
}
