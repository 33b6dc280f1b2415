//! The review workflow through the binary: a target that names nothing is refused at create; a
//! review task on a real branch runs the scripted agent, whose invalid findings go back to it with
//! the fault, commits its report on the design-docs branch with file:line findings, ends at done
//! without merging anything, and a finding becomes a bugfix task in one call (`task follow-up`).

use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::implementation::git;
use crate::support::{CoderConfig, Server, coder_data, http, stderr};

const AUTH_V2: &str =
    "fn check(token: &Token) -> bool {\n    // expiry is not compared\n    token.valid\n}\n";

const FINDING: &str = "## Expired tokens are accepted\n- File: src/auth.rs\n- Line: 2\n- Severity: high\n\n\
The expiry is never compared with the clock, so an expired token passes.\n";

/// The agent first names a line past the file's end; it is told so (its repair rule matches only
/// that fault), then writes the finding right.
fn script() -> String {
    let first = format!("# Review of feature/login\n\n{}", FINDING.replace("- Line: 2", "- Line: 99"));
    format!(
        "[[rule]]\nmatch = \"*findings.md:5: line 99 is past the end of src/auth.rs (4 lines)*\"\nsteps = [ {{ write_file = {{ path = \".spectask/review/findings.md\", content = {:?} }} }}, {{ message = \"Fixed.\" }} ]\n\n\
         [[rule]]\nmatch = \"*Review the changes of feature/login*\"\nsteps = [ {{ write_file = {{ path = \".spectask/review/findings.md\", content = {:?} }} }}, {{ message = \"Written.\" }} ]\n",
        format!("# Review of feature/login\n\n{FINDING}"),
        first
    )
}

#[test]
fn a_review_task_commits_its_findings_and_a_finding_becomes_a_bugfix() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [
        ("README.md", "# app\n"),
        ("src/auth.rs", "fn check(token: &Token) -> bool {\n    token.valid\n}\n"),
    ];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    git(&repo, &["checkout", "-q", "-b", "feature/login"]);
    std::fs::write(repo.join("src/auth.rs"), AUTH_V2).unwrap();
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "Check tokens"]);
    git(&repo, &["checkout", "-q", "main"]);
    let main_before = git(&repo, &["rev-parse", "main"]);
    // The same agent as `asker`, asking before it writes.
    let asker = format!(
        "\n[agents.asker]\nkind = \"acp\"\ncommand = \"spectask\"\npermission_policy = \"ask\"\n\
         args = [\"agent\", \"scripted\", \"--script\", \"{}\"]\n",
        dir.path().join("coder.toml").display()
    );
    let (data, _script) =
        coder_data(dir.path(), &script(), &CoderConfig { profile: &asker, ..CoderConfig::default() });
    let server = Server::start(&data, None);
    let path = repo.to_str().unwrap();

    // Refused before anything is made, saying what is wrong.
    let create = |extra: &[&str]| {
        let mut args = vec!["create", "--repo", path, "--workflow", "review", "Review the login", "--json"];
        args.extend_from_slice(extra);
        server.task(&args)
    };
    let said = stderr(&create(&["--target", "nope"]));
    assert!(said.contains("there is no branch named `nope`"), "{said}");
    let said = stderr(&create(&["--target", "main..gone"]));
    assert!(said.contains("`gone` is not a branch, tag or commit"), "{said}");
    let said = stderr(&create(&[]));
    assert!(said.contains("a review task needs review_target"), "{said}");

    let created = server.task_json(&[
        "create",
        "--repo",
        path,
        "--workflow",
        "review",
        "--target",
        "feature/login",
        "Review the login",
        "--json",
    ]);
    assert_eq!(created["review_target"], "feature/login", "{created:#}");
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for(&server, &id, "done", Duration::from_secs(60));
    let handle = task["handle"].as_str().unwrap();

    // The report is on the design-docs branch, with the finding as the agent fixed it.
    let report = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/review.md")]);
    assert!(report.starts_with("# Review of feature/login\n\n1 finding.\n"), "{report}");
    assert!(report.contains("- File: src/auth.rs\n- Line: 2\n- Severity: high"), "{report}");
    assert_eq!(git(&repo, &["rev-parse", "main"]), main_before, "a review merges nothing");
    // Its branch only pointed at the reviewed code: it goes with the worktree once the task ended.
    let branch = format!("refs/heads/spectask/{handle}");
    crate::implementation::wait_until("the review's branch and worktree are removed", || {
        let listed = git(&repo, &["for-each-ref", "--format=%(refname)", &branch]);
        listed.trim().is_empty() && !repo.join(".git-worktrees").join(handle).exists()
    });
    assert_eq!(git(&repo, &["rev-parse", "feature/login"]).trim().len(), 40, "the reviewed branch stays");

    let (status, body) = http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/review-report"), None);
    assert_eq!(status, 200, "{body}");
    let shown: Value = serde_json::from_str(&body).unwrap();
    let finding = &shown["findings"][0];
    assert_eq!(
        (finding["file"].as_str(), finding["line"].as_u64()),
        (Some("src/auth.rs"), Some(2)),
        "{shown:#}"
    );
    assert_eq!(shown["path"], format!("specs/{handle}/review.md"));

    let follow_ups = format!("/api/v1/spec-tasks/{id}/follow-ups");
    let (status, body) =
        http(&server.url, "POST", &follow_ups, Some(r#"{"findings": [2], "workflow": "bugfix"}"#));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("the report has no finding 2 (it has 1)"), "{body}");
    let (status, body) =
        http(&server.url, "POST", &follow_ups, Some(r#"{"findings": [], "workflow": "bugfix"}"#));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("name 1 to 100 findings to follow up, not 0"), "{body}");
    let printed = server.task(&["report", &id]);
    assert_eq!(String::from_utf8_lossy(&printed.stdout), report, "task report prints the report");
    let bugfix = server.task_json(&["follow-up", &id, "--finding", "1", "--workflow", "bugfix", "--json"]);
    assert_eq!(
        (bugfix["workflow"].as_str(), bugfix["title"].as_str()),
        (Some("bugfix"), Some("Expired tokens are accepted"))
    );
    let prompt = bugfix["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("## Finding 1: Expired tokens are accepted\n- File: src/auth.rs\n- Line: 2\n")
            && prompt.contains(handle)
            && prompt.contains("expired token passes"),
        "{prompt}"
    );

    // An agent that would ask before writing its findings cannot: the task fails saying so.
    let asking = server.task_json(&[
        "create",
        "--repo",
        path,
        "--workflow",
        "review",
        "--target",
        "main..feature/login",
        "--implementation-agent",
        "asker",
        "Review again",
        "--json",
    ]);
    let failed = wait_for(&server, asking["id"].as_str().unwrap(), "failed", Duration::from_secs(60));
    let reason = failed["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("agent profile asker asks a person before it writes"), "{failed:#}");
    server.stop();
}
