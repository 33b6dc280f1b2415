//! `spectask demo`: the bundled sample repositories and their scripted agents run the whole loop
//! offline (the review sample's task reviews its branch); `POST /spec-tasks/from-demo` makes more
//! tasks on them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::contract::Contract;
use crate::implementation::{git, sessions, wait_until};
use crate::support::{Server, http_json};

const SAMPLES: [&str; 7] = [
    "nodejs-todo",
    "python-api",
    "react-dashboard",
    "linkedin-outreach",
    "helix-blog-posts",
    "python-invoices",
    "python-refunds",
];

/// The branch the review sample's task reviews, and where its two flaws are.
const REVIEWED: &str = "feature/partial-refunds";
const FLAWS: [(&str, u64); 2] = [("app/refund.py", 22), ("app/refund.py", 24)];

/// Polls `task show` until the status is `want`; generous, as seven tasks start at once.
fn wait_for_status(server: &Server, id: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let task = server.task_json(&["show", id, "--json"]);
        if task["status"] == want {
            return task;
        }
        assert!(Instant::now() < deadline, "task {id} stayed {} (want {want}): {task:#}", task["status"]);
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sample's tests, run on a checkout of `main` (node and python3 are on the test machines).
fn run_sample_tests(repo: &Path, command: &[&str]) {
    let checkout = tempfile::tempdir().unwrap();
    let archive = Command::new("git").args(["archive", "main"]).current_dir(repo).output().unwrap();
    assert!(archive.status.success());
    let mut tar = Command::new("tar")
        .args(["-x", "-C", checkout.path().to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(tar.stdin.as_mut().unwrap(), &archive.stdout).unwrap();
    assert!(tar.wait().unwrap().success());
    let out = Command::new(command[0]).args(&command[1..]).current_dir(checkout.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} on main of {}:\n{}{}",
        repo.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every session of the task ran the sample's own tests as its repository's check (their program
/// by its path), and the newest run of each passed (node and python3 are on the test machines, so
/// the demo set the checks).
fn assert_checks_passed(server: &Server, id: &str, command: &str) {
    let review = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-review"));
    for session in review["sessions"].as_array().unwrap() {
        let last = session["checks"].as_array().and_then(|c| c.last());
        let last = last.unwrap_or_else(|| panic!("{} ran no check: {review:#}", session["name"]));
        let ran = last["command"].as_str().unwrap_or_default();
        assert!(ran.starts_with('/') && ran.ends_with(command), "{ran} is not {command}: {review:#}");
        assert_eq!(last["passed"], true, "{review:#}");
    }
}

/// A review task on the review sample ends at done with both flaws of its branch in its report,
/// on the design-docs branch and through the API, and merges nothing.
fn assert_reviewed(server: &Server, repo: &Path, id: &str) {
    let main_before = git(repo, &["rev-parse", "main"]);
    let task = wait_for_status(server, id, "done");
    assert_eq!((task["workflow"].as_str(), task["review_target"].as_str()), (Some("review"), Some(REVIEWED)));
    let handle = task["handle"].as_str().unwrap();
    let report = git(repo, &["show", &format!("helix-design-docs:specs/{handle}/review.md")]);
    assert!(report.starts_with(&format!("# Review of {REVIEWED}\n\n2 findings.\n")), "{report}");
    for (file, line) in FLAWS {
        assert!(report.contains(&format!("- File: {file}\n- Line: {line}\n")), "{report}");
    }
    let shown = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/review-report"));
    let listed: Vec<(&str, u64)> = shown["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap_or_default(), f["line"].as_u64().unwrap_or_default()))
        .collect();
    assert_eq!(listed, FLAWS, "{shown:#}");
    assert_eq!(git(repo, &["rev-parse", "main"]), main_before, "a review merges nothing");
}

/// Approves the spec of task `id` and waits for its implementation review.
fn implement(server: &Server, id: &str) {
    assert!(server.task(&["approve", id]).status.success());
    wait_for_status(server, id, "implementation_review");
}

/// Approves the implementation of task `id`, and waits until `file` on `repo`'s main has `merged`.
fn merge(server: &Server, id: &str, repo: &Path, (file, merged): (&str, &str)) {
    assert!(server.task(&["approve", id]).status.success());
    wait_for_status(server, id, "done");
    wait_until(&format!("the task branch is merged into main: {file} has {merged:?}"), || {
        git(repo, &["show", &format!("main:{file}")]).contains(merged)
    });
}

#[test]
fn the_demo_plans_implements_and_merges_the_sample_task_offline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let server = Server::spawn(&["demo".to_owned(), "--pace".to_owned(), "fast".to_owned()], &data);
    let tasks = server.task_json(&["list", "--json"]);
    assert_eq!(tasks["total"], SAMPLES.len(), "{tasks:#}");
    let items = tasks["items"].as_array().unwrap();
    let task_of = |sample: &str| -> &Value {
        let repo = data.join("repos").join(sample).canonicalize().unwrap();
        items
            .iter()
            .find(|t| t["repository"]["path"] == repo.display().to_string())
            .unwrap_or_else(|| panic!("no task on {sample}: {tasks:#}"))
    };

    // Every sample's scripted planner writes its spec, which lints clean.
    for sample in SAMPLES {
        let task = task_of(sample);
        assert_eq!(task["planning_agent"], format!("{sample}-planner"), "{task:#}");
        let workflow = match sample {
            "react-dashboard" => "design-first",
            "python-invoices" => "bugfix",
            "python-refunds" => "review",
            _ => "feature",
        };
        assert_eq!(task["workflow"], workflow, "{task:#}");
        let id = task["id"].as_str().unwrap();
        if workflow == "review" {
            // No spec: its coder reviews the sample's branch, and the task ends there.
            assert_reviewed(&server, &data.join("repos").join(sample), id);
            continue;
        }
        wait_for_status(&server, id, "spec_review");
        let versions = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
        assert_eq!(versions[0]["lint"], serde_json::json!([]), "{sample}: findings in {versions:#}");
    }

    let task = task_of("nodejs-todo");
    assert_eq!(task["title"], "Add user authentication with JWT");
    let id = task["id"].as_str().unwrap().to_owned();
    let handle = task["handle"].as_str().unwrap().to_owned();
    let repo = data.join("repos/nodejs-todo").canonicalize().unwrap();
    let spec = server.task_json(&["spec", &id, "--doc", "requirements", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("THE Auth_Service SHALL"));
    let versions: serde_json::Value = server.task_json(&["spec", &id, "--json"]);
    assert_eq!(versions.as_array().unwrap().len(), 3);

    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "implementation_review");
    let all = sessions(&server, &id);
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|s| s["status"] == "completed"), "{all:#?}");
    assert_checks_passed(&server, &id, "/node --test test/");

    // The dashboard's views: every plan task done, each session through its agent's plan.
    let progress = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/progress"));
    assert_eq!(progress["percent"], 100, "{progress:#}");
    assert_eq!(progress["counts"]["done"], 3, "{progress:#}");
    assert_eq!(progress["current"].as_array().unwrap().len(), 0, "{progress:#}");
    for s in progress["sessions"].as_array().unwrap() {
        assert_eq!((s["percent"].as_u64(), s["plan_done"] == s["plan_total"]), (Some(100), true), "{s:#}");
        assert!(s["plan_total"].as_u64().unwrap() >= 1, "the scripted coder sends its plan: {s:#}");
    }
    let overview = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/multi-session-overview"));
    assert_eq!(overview["task"]["status"], "implementation_review");
    assert_eq!(overview["sessions"].as_array().unwrap().len(), 3, "{overview:#}");
    assert_eq!(overview["agent_instance"]["live"], false, "{overview:#}");
    assert_eq!(overview["agent_instance"]["threads"], 3, "{overview:#}");
    assert_eq!(overview["progress"]["percent"], 100);
    assert!(!overview["coordination"].as_array().unwrap().is_empty(), "{overview:#}");
    let fleet = http_json(&server.url, "/api/v1/agents/fleet/live-progress");
    assert_eq!(fleet["agents"].as_array().unwrap().len(), 0, "no task is in implementation: {fleet:#}");

    assert!(server.task(&["approve", &id]).status.success());
    wait_for_status(&server, &id, "done");
    // A task is done before its branch is merged (the merge is the done task's next step).
    wait_until("the task branch is merged into main", || {
        git(&repo, &["ls-tree", "-r", "--name-only", "main"]).contains("src/auth/users.js")
    });
    let main = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    for f in ["src/auth/users.js", "src/auth/tokens.js", "src/auth/routes.js", "src/auth/middleware.js"] {
        assert!(main.contains(f), "{f} not on main:\n{main}");
    }
    assert!(git(&repo, &["show", "main:src/server.js"]).contains("requireToken"));
    run_sample_tests(&repo, &["node", "--test", "test/"]);
    wait_until("the coordination log and the summary are on the design-docs branch", || {
        ["coordination-log.md", "IMPLEMENTATION_COMPLETE.md"].iter().all(|f| {
            Command::new("git")
                .args(["cat-file", "-e", &format!("helix-design-docs:sessions/{handle}/{f}")])
                .current_dir(&repo)
                .status()
                .unwrap()
                .success()
        })
    });
    let log = git(&repo, &["show", &format!("helix-design-docs:sessions/{handle}/coordination-log.md")]);
    assert!(log.contains("session started") && log.contains("plan task done"), "{log}");

    // The history shows what each session changed as unified diffs with context, not whole files.
    let code_changes = || -> String {
        let listed = git(
            &repo,
            &["ls-tree", "-r", "--name-only", "helix-design-docs", &format!("sessions/{handle}/")],
        );
        let files = listed.lines().filter(|f| f.ends_with("/code-changes.md"));
        files.map(|f| git(&repo, &["show", &format!("helix-design-docs:{f}")])).collect()
    };
    wait_until("the change of src/server.js is in the history", || {
        code_changes().contains("### src/server.js")
    });
    let changes = code_changes();
    let server_js = &changes[changes.find("### src/server.js").unwrap()..];
    for line in [
        "--- a/src/server.js",
        "+++ b/src/server.js",
        " const express = require('express');",
        " const todos = require('./todos');",
        "+const auth = require('./auth/routes');",
        " app.use(express.json());",
    ] {
        assert!(server_js.contains(&format!("\n{line}\n")), "no line {line:?} in:\n{server_js}");
    }
    assert!(server_js.contains("\n+++ b/src/server.js\n@@ -1,"), "no hunk header:\n{server_js}");
    assert!(!server_js.contains("\n-const express"), "an unchanged line shown as removed:\n{server_js}");
    assert!(changes.contains("--- /dev/null\n+++ b/src/auth/users.js\n"), "{changes}");

    // A task from the dashboard's Create dialog on another sample goes the same way; the sample's
    // own tests pass on the merged main.
    // Checked against the OpenAPI document, as the contract test (`it::contract`) cannot: only the
    // demo serves the samples.
    let mut contract = Contract::new(&server.url);
    let offered = contract.get("/demo-repos", &[]);
    assert_eq!(offered.as_array().unwrap().len(), SAMPLES.len(), "{offered:#}");
    let body = serde_json::json!({"demo_repo": "python-api", "prompt": "Page through the items", "priority": "urgent"});
    let created = contract.expect(201, "post", "/spec-tasks/from-demo", &[], Some(body));
    let review = serde_json::json!({"demo_repo": "python-refunds"});
    let reviewing = contract.expect(201, "post", "/spec-tasks/from-demo", &[], Some(review));
    contract.assert_matched();
    assert_eq!(reviewing["review_target"], REVIEWED, "{reviewing:#}");
    assert_reviewed(&server, &data.join("repos/python-refunds"), reviewing["id"].as_str().unwrap());
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for_status(&server, &id, "spec_review");
    implement(&server, &id);
    assert_checks_passed(&server, &id, "/python3 -m unittest");
    let repo = data.join("repos/python-api").canonicalize().unwrap();
    merge(&server, &id, &repo, ("app/main.py", "paginate("));
    // The check's byproducts (Python's bytecode cache) are ignored, not merged as unreported changes.
    let main = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!main.contains("__pycache__"), "the check's bytecode cache is on main:\n{main}");
    run_sample_tests(&repo, &["python3", "-m", "unittest"]);

    // The bugfix sample: the check fails on the test its first plan task writes (the bug is
    // reproduced) and passes after the fix; the implementation review shows both.
    let task = task_of("python-invoices");
    assert_eq!(task["workflow"], "bugfix", "{task:#}");
    let id = task["id"].as_str().unwrap().to_owned();
    let spec = server.task_json(&["spec", &id, "--json"]);
    assert_eq!(spec[0]["file_name"], "bugfix.md", "{spec:#}");
    implement(&server, &id);
    let review = http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/implementation-review"));
    let reproduction = &review["reproduction"];
    assert_eq!(reproduction["before"]["outcome"], "reproduced", "{review:#}");
    assert!(reproduction["before"]["output"].as_str().unwrap().contains("1809"), "{review:#}");
    assert_eq!(reproduction["after"]["passed"], true, "{review:#}");
    let repo = data.join("repos/python-invoices").canonicalize().unwrap();
    merge(&server, &id, &repo, ("app/invoice.py", "amount * discount_percent // 100"));
    run_sample_tests(&repo, &["python3", "-m", "unittest"]);

    // The design-first sample: its spec opens on the design, and it goes the whole way too.
    let task = task_of("react-dashboard");
    let id = task["id"].as_str().unwrap().to_owned();
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("RangePicker"), "{spec:#}");
    implement(&server, &id);
    assert_checks_passed(&server, &id, "/node --test test/");
    let repo = data.join("repos/react-dashboard").canonicalize().unwrap();
    merge(&server, &id, &repo, ("src/App.jsx", "<RangePicker"));
    let main = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    for f in ["src/dateRange.js", "src/RangePicker.jsx", "test/dateRange.test.js"] {
        assert!(main.contains(f), "{f} not on main:\n{main}");
    }
    run_sample_tests(&repo, &["node", "--test", "test/"]);
    server.stop();

    // A second run continues with the same data: no second sample task (nor review branch).
    let server = Server::spawn(&["demo".to_owned(), "--pace".to_owned(), "fast".to_owned()], &data);
    // The two made from the demo's samples are there besides.
    assert_eq!(server.task_json(&["list", "--json"])["total"], SAMPLES.len() + 2);
    server.stop();
}
