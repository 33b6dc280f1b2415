//! Issues as tasks, against the fake GitHub: an issue imported as a task is told of it and closed
//! once its pull request merges; open issues carrying the repository's label become tasks, once.

use serde_json::{Value, json};

use crate::fake_forge::FakeForgeExt;
use crate::forge_setup::OnForge;
use crate::planning::wait_for_status;
use crate::support::{json, stderr};

/// An issue taken up as a task: its title and text are the task's, the issue hears of it, the
/// pull request closes it, and spectask closes it with where it was done once that merges.
#[test]
fn an_issue_imported_as_a_task_is_closed_when_its_pull_request_merges() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "issues", "write");
    // Not yet registered: refused, naming what to do.
    let filed = gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/issues", gh.repo),
        json!({ "login": "carol", "title": "Add a changelog", "body": "We need one." }),
    );
    let number = filed["number"].as_u64().unwrap();
    let issue_url = gh.issue_url(number);
    let early = gh.server.task(&["import", &issue_url, "--kind", "coding_session"]);
    assert!(
        !early.status.success() && stderr(&early).contains("repo add its URL first"),
        "{}",
        stderr(&early)
    );

    let clone = gh.add();
    let imported = gh.server.task(&["import", &issue_url, "--kind", "coding_session", "--json"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let task = json(&imported);
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["title"], "Add a changelog");
    assert!(task["prompt"].as_str().unwrap().contains("We need one."), "{task:#}");
    assert_eq!(
        (task["issue"]["number"].as_u64(), task["issue"]["closed"].as_bool()),
        (Some(number), Some(false))
    );
    let issue = |gh: &OnForge| {
        gh.fake.admin("GET", &format!("/_fake/repos/{}/issues/{number}", gh.repo), Value::Null)
    };
    assert!(issue(&gh)["comments"].to_string().contains("took this up as task"), "{}", issue(&gh));
    let _ = clone;

    wait_for_status(&gh.server, &id, "implementation_review");
    assert!(gh.server.task(&["approve", &id]).status.success());
    let opened = gh.wait_for_pr(&id, "no pull request", |t| t["pull_request"]["number"].is_u64());
    let pr_number = opened["pull_request"]["number"].as_u64().unwrap();
    let pulls = gh.fake.pulls(&gh.repo, &gh.token);
    let pr = pulls.iter().find(|p| p["number"] == pr_number).unwrap();
    assert!(pr["body"].as_str().unwrap_or_default().contains(&format!("Closes #{number}")), "{pr:#}");
    gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/pulls/{pr_number}/merge", gh.repo),
        json!({"login": "alice"}),
    );
    let done = gh.wait_for_pr(&id, "the merge was not taken up", |t| {
        t["status"] == "done" && t["issue"]["closed"] == true
    });
    assert_eq!(done["issue"]["number"], number);
    let closed = issue(&gh);
    assert_eq!(closed["state"], "closed", "{closed}");
    assert!(closed["comments"].to_string().contains("Done in"), "{closed}");
    gh.server.stop();
}

/// A repository taking up labelled issues (`--issue-label spectask`): an open issue carrying the
/// label becomes one task (however often it is read), told on the issue; one without it does not.
#[test]
fn open_issues_carrying_the_repositorys_label_become_tasks_once() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "labelled", "write");
    let file = |title: &str, labels: &[&str]| {
        let body = json!({ "login": "carol", "title": title, "body": "Please.", "labels": labels });
        gh.fake.admin("POST", &format!("/_fake/repos/{}/issues", gh.repo), body)["number"].as_u64().unwrap()
    };
    let wanted = file("Add a changelog", &["spectask", "docs"]);
    file("Not for spectask", &["docs"]);
    gh.add_with(&["--issue-label", "spectask"]);

    let listed = || gh.server.task_json(&["list", "--json"]);
    crate::implementation::wait_until("the labelled issue becomes a task", || {
        listed()["items"].as_array().is_some_and(|items| !items.is_empty())
    });
    gh.fake.wait_for_reads(&format!("/repos/{}/issues", gh.repo), 3);
    let items = listed()["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "one task, for the labelled issue only: {items:#?}");
    let id = items[0]["id"].as_str().unwrap();
    let task = gh.server.task_json(&["show", id, "--json"]);
    assert_eq!(
        (task["title"].as_str(), task["issue"]["number"].as_u64()),
        (Some("Add a changelog"), Some(wanted))
    );
    let issue = gh.fake.admin("GET", &format!("/_fake/repos/{}/issues/{wanted}", gh.repo), Value::Null);
    let comments = issue["comments"].to_string();
    assert_eq!(comments.matches("took this up").count(), 1, "{comments}");
    gh.server.stop();
}
