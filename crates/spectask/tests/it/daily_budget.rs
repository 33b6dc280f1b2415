//! Daily budgets through the binary, with the spending coder of `budget.rs` (10,000 tokens a turn,
//! one session at a time). A repository's daily budget, set by its member with `spectask repo
//! budget`, pauses its task's third session; a person's Resume is refused; when the day ends (the
//! ledger moved back a day) the session goes on by itself and the task finishes. A user's daily
//! budget, set by an operator with `spectask user budget`, pauses the first session; lifting it
//! lets the task finish.

use std::time::Duration;

use serde_json::Value;

use crate::budget::{Planned, planned, spent_tokens, wait_until_value};
use crate::crash_restart::{PLAN, wait_for};
use crate::implementation::sessions;
use crate::support::{Server, http, http_json, postgres_url, spectask, stderr, stdout};

#[test]
fn a_repository_daily_budget_pauses_its_tasks_until_the_day_ends_on_sqlite() {
    repository_day(None);
}

#[test]
fn a_repository_daily_budget_pauses_its_tasks_until_the_day_ends_on_postgres() {
    repository_day(Some(&postgres_url()));
}

fn repository_day(database: Option<&str>) {
    let Planned { server, id, task, repo, data, _dir, _llm } = planned(database, "");

    // Today's spending so far is the planning's; 12,000 more reaches 80% after session 1 and 100%
    // after session 2.
    let limit = spent_tokens(&task) + 12_000;
    let repo_arg = repo.to_str().unwrap();
    let set = repo_budget(&server, &[repo_arg, "--daily-tokens", &limit.to_string(), "--json"]);
    assert_eq!(set["scope"], "repository", "{set:#}");
    assert_eq!(set["tokens"].as_u64(), Some(limit), "{set:#}");
    assert_eq!(set["level"], "within", "{set:#}");
    assert_eq!(set["set_by"].as_str().map(str::is_empty), Some(false), "{set:#}");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));

    let paused = wait_until_value("session 3 is paused by the daily budget", &server, &id, |all| {
        let three = all.iter().find(|s| s["name"] == PLAN[2])?;
        (three["status"] == "interrupted").then(|| three.clone())
    });
    let reason = paused["state"]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("paused by budget: the repository's daily budget"), "{paused:#}");
    assert_eq!(paused["usage"]["input_tokens"], 0, "its agent was never prompted: {paused:#}");
    let task = server.task_json(&["show", &id, "--json"]);
    assert_eq!(task["budget"]["tokens"], Value::Null, "the task has no budget of its own: {task:#}");
    // The task is recorded as paused, by its repository's budget, in the API and `task show`.
    assert_eq!(task["budget"]["paused"], true, "{task:#}");
    assert_eq!(task["budget"]["held_by"]["budget"], "repository", "{task:#}");
    let reason = task["budget"]["held_by"]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the repository's daily budget"), "{task:#}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("paused by budget: the repository's daily budget"), "{shown}");
    // What the task waits for says the same, with what to do: the inbox's item, `task show`'s line.
    let waits: Vec<&Value> =
        task["attention"].as_array().unwrap().iter().filter(|a| a["kind"] == "budget").collect();
    assert_eq!(waits.len(), 1, "{task:#}");
    assert_eq!(
        (&waits[0]["label"], &waits[0]["budget"]),
        (&"Paused by budget".into(), &"repository".into()),
        "{task:#}"
    );
    assert!(waits[0]["text"].as_str().unwrap().starts_with("The repository's daily budget"), "{task:#}");
    assert!(waits[0]["action"].as_str().unwrap().contains("Raise the repository's daily budget"), "{task:#}");
    assert!(shown.contains("Paused by budget: The repository's daily budget"), "{shown}");
    let inbox = http_json(&server.url, "/api/v1/attention");
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "budget" && a["spec_task_id"] == id.as_str()),
        "{inbox:#}"
    );
    // And its fleet card: paused by the repository's budget, not at work.
    let fleet = http_json(&server.url, "/api/v1/agents/fleet/live-progress");
    let card = fleet["agents"].as_array().unwrap().iter().find(|a| a["task_id"] == id.as_str());
    let card = card.unwrap_or_else(|| panic!("no card for the task: {fleet:#}"));
    assert_eq!(card["budget"]["paused"], true, "{card:#}");
    assert_eq!(card["budget"]["held_by"]["budget"], "repository", "{card:#}");
    let on_card: Vec<&Value> =
        card["attention"].as_array().unwrap().iter().filter(|a| a["kind"] == "budget").collect();
    assert_eq!(on_card.len(), 1, "{card:#}");
    assert_eq!(on_card[0]["label"], "Paused by budget", "{card:#}");
    let standing = repo_budget(&server, &[repo_arg, "--json"]);
    assert_eq!(standing["paused"], true, "{standing:#}");
    assert_eq!(standing["spent_tokens"].as_u64(), Some(limit + 8_000), "{standing:#}");
    let shown = stdout(&repo_cmd(&server, &["budget", repo_arg]));
    assert!(shown.contains("tokens spent") && shown.contains("paused: budget reached"), "{shown}");

    // A person cannot resume it while the repository's budget holds; the answer says how to raise it.
    let session = paused["id"].as_str().unwrap();
    let path = format!("/api/v1/work-sessions/{session}/status");
    let (status, body) = http(&server.url, "PUT", &path, Some(r#"{"status":"running"}"#));
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("daily budget") && body.contains("/budget"), "{body}");

    // Each line was told once, in the log of the task whose turn crossed it.
    let log = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let lines: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "budget")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "80% and reached: {lines:#?}");
    assert!(lines[0].starts_with("80% of the repository's daily budget"), "{lines:#?}");
    assert!(
        lines[1].contains("the repository's daily budget") && lines[1].contains("is reached"),
        "{lines:#?}"
    );

    // A new day: yesterday's spending no longer counts, and the session goes on by itself.
    backdate_usage(&data, database, Duration::from_secs(86_400));
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let all = sessions(&server, &id);
    assert!(all.iter().all(|s| s["status"] == "completed"), "{task:#}\n{all:#?}");
    let standing = repo_budget(&server, &[repo_arg, "--json"]);
    assert_eq!(standing["spent_tokens"].as_u64(), Some(10_000), "today: session 3 only: {standing:#}");
    assert_eq!(task["budget"]["paused"], false, "the hold went with the day: {task:#}");
    assert_eq!(task["budget"]["held_by"], Value::Null, "{task:#}");
    server.stop();
}

#[test]
fn a_user_daily_budget_set_by_an_operator_pauses_their_tasks_until_lifted() {
    let ceiling = "[budget]\nrepository_daily_tokens = 1000000000\n";
    let Planned { server, id, data, repo, _dir, _llm, .. } = planned(None, ceiling);

    // The configuration's repository budget is a ceiling a member cannot lift.
    let repo_arg = repo.to_str().unwrap();
    for over in [&["--daily-tokens", "1000000001"][..], &["--unlimited"]] {
        let refused = repo_cmd(&server, &[&["budget", repo_arg], over].concat());
        let err = stderr(&refused);
        assert!(!refused.status.success() && err.contains("at most the configuration's"), "{over:?}: {err}");
    }
    let lower = repo_budget(&server, &[repo_arg, "--daily-tokens", "900000000", "--json"]);
    assert_eq!(lower["tokens"].as_u64(), Some(900_000_000), "{lower:#}");

    // Planning spent more than one token: the budget is reached before the first session's turn.
    let set = user_budget(&data, &["--daily-tokens", "1"]);
    assert!(set.contains("paused: budget reached") && set.contains("set by operator"), "{set}");
    // Planning spends too: no new task of theirs starts while it holds.
    let refused = server.task(&["create", "--repo", repo_arg, "Add logout"]);
    let err = stderr(&refused);
    assert!(!refused.status.success() && err.contains("local's daily budget"), "{err}");
    let unknown = spectask().args(["user", "budget", "nobody", "--data-dir"]).arg(&data).output().unwrap();
    assert!(!unknown.status.success() && stderr(&unknown).contains("no user is named \"nobody\""));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let paused = wait_until_value("session 1 is paused by the user's budget", &server, &id, |all| {
        let one = all.iter().find(|s| s["name"] == PLAN[0])?;
        (one["status"] == "interrupted").then(|| one.clone())
    });
    let reason = paused["state"]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("paused by budget: local's daily budget of 1 tokens"), "{paused:#}");
    let mine = http_json(&server.url, "/api/v1/auth/me/budget");
    assert_eq!((mine["scope"].as_str(), mine["paused"].as_bool()), (Some("user"), Some(true)), "{mine:#}");

    // Lifting it lets the sessions go on (the orchestrator sees it; nobody resumes them by hand).
    let lifted = user_budget(&data, &["--unlimited"]);
    assert!(lifted.contains("no daily budget"), "{lifted}");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    assert_eq!(task["status"], "implementation_review", "{task:#}");
    server.stop();
}

/// `spectask repo budget <args>` against `server`, as JSON.
fn repo_budget(server: &Server, args: &[&str]) -> Value {
    let out = repo_cmd(server, &[&["budget"], args].concat());
    assert!(out.status.success(), "spectask repo budget {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn repo_cmd(server: &Server, args: &[&str]) -> std::process::Output {
    spectask().args(["repo", "--server", &server.url]).args(args).output().unwrap()
}

/// `spectask user budget local <args>` on the data dir, as an operator; what it printed.
fn user_budget(data: &std::path::Path, args: &[&str]) -> String {
    let out =
        spectask().args(["user", "budget", "local"]).args(args).arg("--data-dir").arg(data).output().unwrap();
    assert!(out.status.success(), "spectask user budget local {args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Moves the server's whole usage ledger back by `by`, through the database.
fn backdate_usage(data: &std::path::Path, database: Option<&str>, by: Duration) {
    let url = match database {
        Some(url) => spectask_store::DatabaseUrl::parse(url).unwrap(),
        None => spectask_store::DatabaseUrl::sqlite_in(data),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = spectask_store::Store::open(&url).await.unwrap();
        spectask_store::testing::backdate_usage(&store, by).await.unwrap();
        store.close().await;
    });
}
