//! The whole hand-off loop on GitLab and on Forgejo, as on GitHub: an issue on the forge becomes a
//! task; approved, it opens a merge (pull) request; a reviewer's changes with a comment on a line
//! go back to the agent, whose fix is pushed to the same request and said there; a failing check
//! goes back too; once the checks pass spectask merges it; the task is done and the issue closed.
//! Forgejo's fake is held to Forgejo's Swagger description by Prism; GitLab's is written from its
//! REST documentation.

use serde_json::{Value, json};

use crate::fake_forge::FakeForgeExt;
use crate::forge_setup::OnForge;
use crate::implementation::{git, sessions, wait_until};
use crate::planning::wait_for_status;
use crate::support::{http_json, json, stderr};

#[test]
fn on_gitlab_an_issue_goes_through_review_and_checks_to_a_merged_merge_request() {
    whole_loop("gitlab");
}

#[test]
fn on_forgejo_an_issue_goes_through_review_and_checks_to_a_merged_pull_request() {
    whole_loop("forgejo");
}

fn whole_loop(kind: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let forge = OnForge::start(kind, dir.path(), &format!("app-{kind}"), "write");
    let filed = forge.act(
        "POST",
        "/issues",
        json!({ "login": "carol", "title": "Add a changelog", "body": "We need one." }),
    );
    let issue = filed["number"].as_u64().unwrap();
    let clone = forge.add_with(&["--pull-request-merge", "merge"]);

    // What the token may do, as `forge check` says it.
    let check = forge.server.task_like(&["forge", "check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}{}", stderr(&check));
    assert!(said.contains(&format!("{}: may push", forge.repo)), "{said}");
    // Forgejo's token has no read:user, which spectask does not need: its user goes unnamed.
    let user = if kind == "forgejo" { "not readable with the token's scopes" } else { "spectask-bot" };
    assert!(said.contains(user), "{said}");

    // The issue, by its page's URL, becomes a task; the issue hears of it.
    let imported =
        forge.server.task(&["import", &forge.issue_url(issue), "--kind", "coding_session", "--json"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let task = json(&imported);
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (task["title"].as_str(), task["issue"]["number"].as_u64()),
        (Some("Add a changelog"), Some(issue))
    );
    let issue_state = || forge.act("GET", &format!("/issues/{issue}"), Value::Null);
    assert!(issue_state()["comments"].to_string().contains("took this up as task"), "{}", issue_state());

    // Approved: the request opens from the task's branch, which is on the remote.
    wait_for_status(&forge.server, &id, "implementation_review");
    assert!(forge.server.task(&["approve", &id]).status.success());
    let opened = forge.wait_for_pr(&id, "the request was not opened", |t| {
        t["status"] == "pull_request" && t["pull_request"]["number"].is_u64()
    });
    let number = opened["pull_request"]["number"].as_u64().unwrap();
    let handle = opened["handle"].as_str().unwrap();
    let branch = format!("spectask/{handle}");
    assert!(git(&forge.bare, &["ls-tree", "--name-only", &branch]).contains("CHANGELOG.md"));
    let first_head = git(&forge.bare, &["rev-parse", &branch]).trim().to_owned();
    // Named as the forge names it, and described with the forge's own pages, no path of this
    // machine in it.
    let log_path = format!("/api/v1/spec-tasks/{id}/coordination-log");
    let name =
        if kind == "gitlab" { format!("merge request !{number}") } else { format!("pull request #{number}") };
    assert!(http_json(&forge.server.url, &log_path).to_string().contains(&format!("opened {name} on fake")));
    let described = forge.act("GET", &format!("/pulls/{number}"), Value::Null)["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let spec = match kind {
        "gitlab" => format!("https://gitlab.invalid/{}/-/tree/helix-design-docs/specs/{handle}", forge.repo),
        _ => format!("https://forgejo.invalid/{}/src/branch/helix-design-docs/specs/{handle}", forge.repo),
    };
    assert!(described.contains(&spec), "{described}");
    let here = dir.path().canonicalize().unwrap();
    assert!(
        !described.contains(here.to_str().unwrap()) && !described.contains(".git-worktrees"),
        "{described}"
    );

    // A reviewer asks for changes, on a line: the agent's fix lands on the same request.
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "Almost.",
        "comments": [{ "path": "CHANGELOG.md", "line": 1, "body": "List what changed." }],
    });
    forge.act("POST", &format!("/pulls/{number}/reviews"), review);
    let fixed = forge.wait_for_pr(&id, "the review did not come back as a fix", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != first_head)
    });
    assert_eq!(fixed["pull_request"]["number"], number, "the same request: {fixed:#}");
    // Where the reviewer stands, as the forge says it.
    assert_eq!(
        fixed["pull_request"]["reviews"],
        json!([{ "author": "alice", "verdict": "changes_requested" }]),
        "{fixed:#}"
    );
    let asked: Vec<String> = sessions(&forge.server, &id)
        .iter()
        .filter(|s| s["name"] == "Address review comments")
        .filter_map(|s| s["description"].as_str().map(str::to_owned))
        .collect();
    assert!(
        asked.iter().any(|a| a.contains("`CHANGELOG.md:1` (alice): List what changed.")
            && a.contains("alice requested changes: Almost.")),
        "{asked:#?}"
    );
    assert_eq!(
        git(&forge.bare, &["show", &format!("{branch}:CHANGELOG.md")]),
        "# Changes\n\n- Added a changelog.\n"
    );
    wait_until("the fix is said on the request", || {
        forge
            .act("GET", &format!("/pulls/{number}/conversation"), Value::Null)
            .to_string()
            .contains("with the changes alice asked in review")
    });

    // A failing check of the new head goes back to the agent too.
    let second_head = fixed["pull_request"]["head_sha"].as_str().unwrap().to_owned();
    let run = |sha: &str, conclusion: &str| {
        let body = json!({ "head_sha": sha, "name": "test", "conclusion": conclusion, "summary": "1 test failed: greeting" });
        forge.act("POST", "/check-runs", body);
    };
    run(&second_head, "failure");
    let green_head = forge.wait_for_pr(&id, "the failing check did not come back as a fix", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != second_head)
    })["pull_request"]["head_sha"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(git(&forge.bare, &["ls-tree", "--name-only", &branch]).contains("FIXED.md"));
    wait_until("the fix of the failing check is said on the request", || {
        forge
            .act("GET", &format!("/pulls/{number}/conversation"), Value::Null)
            .to_string()
            .contains("with a fix for the failing checks `test`")
    });

    // Green, but alice asked for changes and has not approved: the merge waits for her, and says so.
    run(&green_head, "success");
    wait_until("the merge says it waits for alice", || {
        http_json(&forge.server.url, &log_path).to_string().contains("alice asked for changes")
    });
    assert_eq!(forge.server.task_json(&["show", &id, "--json"])["status"], "pull_request");
    // Approved: spectask merges it, the task is done, the issue closed saying where.
    forge.act(
        "POST",
        &format!("/pulls/{number}/reviews"),
        json!({ "login": "alice", "state": "APPROVED", "body": "" }),
    );
    let done = forge.wait_for_pr(&id, "spectask did not merge the green request", |t| {
        t["status"] == "done" && t["issue"]["closed"] == true
    });
    assert_eq!(done["pull_request"]["state"], "merged", "{done:#}");
    let main = git(&forge.bare, &["ls-tree", "--name-only", "main"]);
    assert!(main.contains("CHANGELOG.md") && main.contains("FIXED.md"), "{main}");
    wait_until("the clone's main takes up the forge's merge", || {
        git(&clone, &["rev-parse", "main"]) == git(&forge.bare, &["rev-parse", "main"])
    });
    let closed = issue_state();
    assert_eq!(closed["state"], "closed", "{closed}");
    assert!(closed["comments"].to_string().contains("Done in"), "{closed}");
    let log = http_json(&forge.server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    assert!(log.to_string().contains("once its checks passed"), "{log:#}");

    // None of spectask's requests was refused (Forgejo's went through Prism, which refuses one
    // breaking the description before the fake sees it).
    let refused: Vec<Value> = forge
        .fake
        .requests()
        .into_iter()
        .filter(|r| {
            let encoded = forge.repo.replace('/', "%2F");
            r["path"]
                .as_str()
                .is_some_and(|p| p.contains(&format!("{}/", forge.repo)) || p.contains(&encoded))
        })
        .filter(|r| r["status"].as_u64().is_none_or(|s| s >= 400))
        // Forgejo answers a lookup of the request from a branch 404 until there is one.
        .filter(|r| !(r["status"] == 404 && r["path"].as_str().is_some_and(|p| p.contains("/pulls/main/"))))
        .collect();
    assert!(refused.is_empty(), "requests the fake refused: {refused:#?}");
    forge.server.stop();
}
