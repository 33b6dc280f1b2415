//! Hand-off as a GitHub pull request, against the fake GitHub that holds every request and
//! answer to GitHub's OpenAPI description, with the repository served over smart HTTP by
//! `git http-backend`: approval opens the pull request; a person merging it on the forge makes
//! the task done; closing it unmerged sends the task back to review; a token that cannot push,
//! or a repository no forge connection covers, is refused with what is wrong named.
//! Issues taken up as tasks are in `forge_issues`.

use serde_json::{Value, json};

use crate::fake_forge::FakeForgeExt;
use crate::forge_setup::OnForge;
use crate::implementation::git;
use crate::planning::wait_for_status;
use crate::support::{git_repo, stderr};

#[test]
fn an_approved_task_becomes_a_pull_request_and_is_done_when_the_forge_merges_it() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "app", "write");
    let clone = gh.add();

    // What the token may do, as `forge check` says it.
    let check = gh.server.task_like(&["forge", "check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}{}", stderr(&check));
    assert!(said.contains("spectask-bot") && said.contains("acme/app: may push"), "{said}");

    let (id, handle) = gh.approved_task(&clone, "Add a changelog");
    let branch = format!("spectask/{handle}");
    let task = gh.wait_for_pr(&id, "the pull request was not opened", |t| {
        t["status"] == "pull_request" && t["pull_request"]["number"].is_u64()
    });
    let number = task["pull_request"]["number"].as_u64().unwrap();
    let pulls = gh.fake.pulls(&gh.repo, &gh.token);
    let pr = pulls.iter().find(|p| p["number"] == number).unwrap_or_else(|| panic!("{pulls:#?}"));
    assert_eq!(
        (pr["head"]["ref"].as_str(), pr["base"]["ref"].as_str()),
        (Some(branch.as_str()), Some("main"))
    );
    assert_eq!(pr["title"], "Add a changelog");
    let body = pr["body"].as_str().unwrap_or_default();
    assert!(body.contains(&format!("Spec-Task: {id}")) && body.contains("CHANGELOG.md"), "{body}");
    // The forge's own pages of the spec, and no path of this machine.
    let spec = format!("https://github.invalid/{}/tree/helix-design-docs/specs/{handle}", gh.repo);
    assert!(body.contains(&spec), "{body}");
    let here = dir.path().canonicalize().unwrap();
    assert!(!body.contains(here.to_str().unwrap()) && !body.contains(".git-worktrees"), "{body}");
    // The work is on the remote, and main is not: the forge merges, not spectask.
    assert!(git(&gh.bare, &["ls-tree", "--name-only", &branch]).contains("CHANGELOG.md"));
    assert!(!git(&gh.bare, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md"));
    assert_eq!(task["pull_request"]["state"], "open");
    let shown = gh.server.task(&["show", &id]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&format!("#{number} open on fake")));

    // A person merges it on the forge: the task is done, and the clone takes up the merge.
    gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/pulls/{number}/merge", gh.repo),
        json!({"login": "alice"}),
    );
    let done = gh.wait_for_pr(&id, "the merge was not taken up", |t| t["status"] == "done");
    assert_eq!(done["pull_request"]["state"], "merged", "{done:#}");
    assert!(git(&gh.bare, &["ls-tree", "--name-only", "main"]).contains("CHANGELOG.md"));
    crate::implementation::wait_until("the clone's main takes up the forge's merge", || {
        git(&clone, &["rev-parse", "main"]) == git(&gh.bare, &["rev-parse", "main"])
    });
    let log = crate::support::http_json(&gh.server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let said: Vec<&str> = log.as_array().unwrap().iter().filter_map(|e| e["message"].as_str()).collect();
    assert!(
        said.iter().any(|m| m.starts_with(&format!("opened pull request #{number} on fake"))),
        "{said:#?}"
    );
    assert!(said.iter().any(|m| m.contains(&format!("pull request #{number} merged on fake"))), "{said:#?}");

    // Every request went through Prism, which refuses one breaking GitHub's description before
    // the fake sees it (the flow above would have failed); none the fake saw was refused.
    let requests = gh.fake.requests();
    let ours = format!("/repos/{}/", gh.repo);
    let refused: Vec<&Value> = requests
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with(&ours)))
        .filter(|r| r["status"].as_u64().is_none_or(|s| s >= 400))
        .collect();
    assert!(refused.is_empty(), "requests the fake refused: {refused:#?}");
    gh.server.stop();
}

/// A reviewer asks for changes on the pull request, with a comment on a line: the task's agent
/// gets them (file, line, text) in a session of its own, its fix is pushed to the same pull
/// request and said there, and the task waits on the pull request again, without a second review.
#[test]
fn changes_a_reviewer_asks_on_the_pull_request_go_to_the_agent_and_back_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "reviewed", "write");
    let clone = gh.add();
    let (id, branch, number) = gh.opened(&clone, "Add a changelog");
    let first_head = git(&gh.bare, &["rev-parse", &branch]);
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "Almost.",
        "comments": [{ "path": "CHANGELOG.md", "line": 1, "body": "List what changed." }],
    });
    gh.fake.admin("POST", &format!("/_fake/repos/{}/pulls/{number}/reviews", gh.repo), review);

    // The fix lands on the same pull request, and the task waits on it again.
    let back = gh.wait_for_pr(&id, "the review did not come back as a fix", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != first_head.trim())
    });
    assert_eq!(back["pull_request"]["number"], number, "the same pull request: {back:#}");
    assert_eq!(
        back["pull_request"]["reviews"],
        json!([{ "author": "alice", "verdict": "changes_requested" }]),
        "{back:#}"
    );
    let sessions = crate::implementation::sessions(&gh.server, &id);
    let fix = sessions
        .iter()
        .find(|s| s["name"] == "Address review comments")
        .unwrap_or_else(|| panic!("{sessions:#?}"));
    let asked = fix["description"].as_str().unwrap_or_default();
    assert!(
        asked.contains("`CHANGELOG.md:1` (alice): List what changed.")
            && asked.contains("alice requested changes: Almost."),
        "{asked}"
    );
    assert_eq!(
        git(&gh.bare, &["show", &format!("{branch}:CHANGELOG.md")]),
        "# Changes\n\n- Added a changelog.\n"
    );
    let conversation = format!("/_fake/repos/{}/pulls/{number}/conversation", gh.repo);
    crate::implementation::wait_until("the fix is said on the pull request", || {
        gh.fake
            .admin("GET", &conversation, Value::Null)
            .to_string()
            .contains("with the changes alice asked in review")
    });

    // Nothing new on the forge: the same review is not sent back twice, however often it is read.
    gh.fake.wait_for_reads(&format!("/repos/{}/pulls/{number}", gh.repo), 3);
    let still = gh.server.task_json(&["show", &id, "--json"]);
    assert_eq!(still["status"], "pull_request", "{still:#}");
    assert_eq!(crate::implementation::sessions(&gh.server, &id).len(), sessions.len());
    gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/pulls/{number}/merge", gh.repo),
        json!({"login": "alice"}),
    );
    gh.wait_for_pr(&id, "the merge was not taken up", |t| t["status"] == "done");
    gh.server.stop();
}

/// A failing check on the pull request's head goes back to the agent like a reviewer's comment;
/// its fix is pushed to the same pull request; the task shows the checks of its head. Past the
/// configured rounds, failing checks leave the task waiting on its pull request for a person.
#[test]
fn failing_checks_go_to_the_agent_until_their_rounds_run_out() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start_with("github", dir.path(), "checked", "write", "check_rounds = 1\n");
    let clone = gh.add();
    let (id, branch, _) = gh.opened(&clone, "Add a changelog");
    let first_head = git(&gh.bare, &["rev-parse", &branch]).trim().to_owned();
    let run = |sha: &str, conclusion: &str| {
        let body = json!({ "head_sha": sha, "name": "test", "conclusion": conclusion, "summary": "1 test failed: greeting" });
        gh.fake.admin("POST", &format!("/_fake/repos/{}/check-runs", gh.repo), body);
    };
    run(&first_head, "failure");

    let fixed = gh.wait_for_pr(&id, "the failing check did not come back as a fix", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != first_head)
    });
    assert!(git(&gh.bare, &["ls-tree", "--name-only", &branch]).contains("FIXED.md"));
    let sessions = crate::implementation::sessions(&gh.server, &id);
    let fix = sessions
        .iter()
        .find(|s| s["name"] == "Address review comments")
        .unwrap_or_else(|| panic!("{sessions:#?}"));
    assert!(
        fix["description"]
            .as_str()
            .unwrap_or_default()
            .contains("check `test` failed: 1 test failed: greeting")
    );
    let new_head = fixed["pull_request"]["head_sha"].as_str().unwrap().to_owned();

    // Passing on the new head: the task shows it.
    run(&new_head, "success");
    let green = gh.wait_for_pr(&id, "the passing check was not read", |t| {
        t["pull_request"]["checks"].as_array().is_some_and(|c| c.iter().any(|c| c["state"] == "passed"))
    });
    assert_eq!(green["pull_request"]["checks"][0]["name"], "test", "{green:#}");

    // Failing again after its one round: the task waits on its pull request for a person.
    run(&new_head, "failure");
    let log_path = format!("/api/v1/spec-tasks/{id}/coordination-log");
    crate::implementation::wait_until("the log says the checks keep failing", || {
        crate::support::http_json(&gh.server.url, &log_path).to_string().contains("still fail after 1 rounds")
    });
    let waiting = gh.server.task_json(&["show", &id, "--json"]);
    assert_eq!(waiting["status"], "pull_request", "{waiting:#}");
    assert_eq!(crate::implementation::sessions(&gh.server, &id).len(), sessions.len(), "no second fix");
    gh.server.stop();
}

/// What the repository's check command creates (Python's `__pycache__/*.pyc`, a report) is not
/// the work: none of it reaches the pull request, and a fix round is one push, its fix.
#[test]
fn the_checks_by_products_never_reach_the_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start_with("github", dir.path(), "byproducts", "write", "check_rounds = 1\n");
    // Every update of the task's branch on the remote is in its reflog: one per push.
    git(&gh.bare, &["config", "core.logAllRefUpdates", "always"]);
    // New byte code each run, as Python writes for changed sources.
    let check = "mkdir -p __pycache__ && date +%s%N > __pycache__/app.cpython-311.pyc && echo '<coverage/>' > coverage.xml";
    let clone = gh.add_with(&["--check", check]);
    let (id, branch, _) = gh.opened(&clone, "Add a changelog");
    let first_head = git(&gh.bare, &["rev-parse", &branch]).trim().to_owned();
    let pushes =
        || git(&gh.bare, &["reflog", "show", "--format=%H", &format!("refs/heads/{branch}")]).lines().count();
    let pushed_before_fix = pushes();
    let body = json!({ "head_sha": first_head, "name": "test", "conclusion": "failure", "summary": "1 test failed: greeting" });
    gh.fake.admin("POST", &format!("/_fake/repos/{}/check-runs", gh.repo), body);
    let fixed = gh.wait_for_pr(&id, "the failing check did not come back as a fix", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != first_head)
    });
    // Settled: the round's summary is logged after its sweep, so nothing more is pushed.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let head = fixed["pull_request"]["head_sha"].as_str().unwrap();
    let files = git(&gh.bare, &["ls-tree", "-r", "--name-only", head]);
    assert!(files.contains("FIXED.md") && files.contains("CHANGELOG.md"), "{files}");
    assert!(!files.contains("__pycache__") && !files.contains("coverage.xml"), "{files}");
    let subjects = git(&gh.bare, &["log", "--format=%s", &format!("main..{head}")]);
    assert!(!subjects.contains("changes no work session reported"), "{subjects}");
    assert_eq!(pushes() - pushed_before_fix, 1, "one push for the fix round: {subjects}");
    assert_eq!(git(&gh.bare, &["rev-parse", &branch]).trim(), head);
    gh.server.stop();
}

/// A repository that lets spectask merge (`--pull-request-merge squash`): a pull request is merged
/// once its head has checks and all passed, as one commit; a head without checks waits; a merge
/// the forge refuses (a protected branch) is said once and left to people.
#[test]
fn spectask_merges_a_green_pull_request_where_the_repository_lets_it() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "automerge", "write");
    let clone = gh.add_with(&["--pull-request-merge", "squash"]);
    let passed = |sha: &str| {
        let body = json!({ "head_sha": sha, "name": "test", "conclusion": "success" });
        gh.fake.admin("POST", &format!("/_fake/repos/{}/check-runs", gh.repo), body);
    };
    let log = |id: &str| {
        crate::support::http_json(&gh.server.url, &format!("/api/v1/spec-tasks/{id}/coordination-log"))
            .to_string()
    };

    // Protected: refused once, said, and left to people.
    gh.fake.admin("POST", &format!("/_fake/repos/{}/protect", gh.repo), json!({"branch": "main"}));
    let (first, branch, number) = gh.opened(&clone, "Add a changelog");
    gh.fake.wait_for_reads(&format!("/repos/{}/pulls/{number}", gh.repo), 3);
    assert_eq!(
        gh.server.task_json(&["show", &first, "--json"])["status"],
        "pull_request",
        "no checks: it waits"
    );
    passed(git(&gh.bare, &["rev-parse", &branch]).trim());
    crate::implementation::wait_until("the refused merge is said", || log(&first).contains("was refused"));
    assert_eq!(gh.server.task_json(&["show", &first, "--json"])["status"], "pull_request");
    gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/protect", gh.repo),
        json!({"branch": "main", "merge_blocked": false}),
    );
    gh.fake.admin(
        "POST",
        &format!("/_fake/repos/{}/pulls/{number}/merge", gh.repo),
        json!({"login": "alice"}),
    );
    gh.wait_for_pr(&first, "the person's merge was not taken up", |t| t["status"] == "done");

    // Unprotected: green, so spectask squashes it in.
    let (second, branch, _) = gh.opened(&clone, "Add notes");
    passed(git(&gh.bare, &["rev-parse", &branch]).trim());
    gh.wait_for_pr(&second, "spectask did not merge the green pull request", |t| t["status"] == "done");
    let parents = git(&gh.bare, &["rev-list", "--parents", "-n1", "main"]);
    assert_eq!(parents.split_whitespace().count(), 2, "one squashed commit: {parents}");
    assert!(log(&second).contains("by squash once its checks passed"), "{}", log(&second));
    gh.server.stop();
}

/// A signed webhook delivery makes a pull request read at once, where the poll would wait an
/// hour, on each forge with its own proof and delivery id. Taken once: the same delivery again,
/// or its body under another id, answers 200 and changes nothing. An unsigned or wrongly signed
/// delivery, one to a connection with webhooks off and one to no connection at all are refused
/// alike: the same status and body.
#[test]
fn a_signed_webhook_delivery_has_the_pull_request_read_at_once() {
    for kind in ["github", "gitlab", "forgejo"] {
        webhook_delivery(kind);
    }
}

fn webhook_delivery(kind: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("webhook-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let lines = format!("poll_seconds = 3600\nwebhook_secret_file = \"{}\"\n", secret.display());
    let gh = OnForge::start_configured(kind, dir.path(), "hooked", "write", "", &lines);
    let clone = gh.add();
    let (id, _, number) = gh.opened(&clone, "Add a changelog");

    let body = match kind {
        "gitlab" => {
            json!({ "object_kind": "merge_request", "object_attributes": { "iid": number, "action": "merge" },
            "project": { "path_with_namespace": gh.repo } })
        }
        _ => json!({ "action": "closed", "number": number, "repository": { "full_name": gh.repo } }),
    }
    .to_string();
    let hmac = |key: &[u8]| {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    // The forge's proof with `secret`, in its header.
    let proof = |secret: &str| match kind {
        "github" => format!("X-Hub-Signature-256: sha256={}\r\n", hmac(secret.as_bytes())),
        "gitlab" => format!("X-Gitlab-Token: {secret}\r\n"),
        _ => format!("X-Forgejo-Signature: {}\r\n", hmac(secret.as_bytes())),
    };
    let delivery_id = |id: &str| match kind {
        "github" => format!("X-GitHub-Delivery: {id}\r\n"),
        "gitlab" => format!("X-Gitlab-Event-UUID: {id}\r\n"),
        _ => format!("X-Forgejo-Delivery: {id}\r\n"),
    };
    let deliver = |connection: &str, headers: String| {
        let addr = gh.server.url.trim_start_matches("http://").to_owned();
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        let request = format!(
            "POST /api/v1/forges/{connection}/webhook HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             {headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        std::io::Write::write_all(&mut stream, request.as_bytes()).unwrap();
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
    };
    // Refused alike: a wrong proof, none, and a connection that does not exist (signed or not).
    let refusals = [
        deliver("fake", proof("wrong") + &delivery_id("d-0")),
        deliver("fake", delivery_id("d-0")),
        deliver("nosuch", proof("s3cret") + &delivery_id("d-0")),
        deliver("nosuch", String::new()),
    ];
    assert!(
        refusals[0].0.starts_with("HTTP/1.1 401") && refusals[0].1.contains("webhook_refused"),
        "{kind}: {refusals:?}"
    );
    assert!(refusals.iter().all(|r| *r == refusals[0]), "{kind}: {refusals:?}");

    // Nothing is due yet: the pull request is merged on the forge, and only a delivery has it read.
    gh.act("POST", &format!("/pulls/{number}/merge"), json!({"login": "alice"}));
    let (status, taken) = deliver("fake", proof("s3cret") + &delivery_id("d-1"));
    assert!(status.starts_with("HTTP/1.1 202") && taken.contains("\"due\":1"), "{kind}: {status} {taken}");
    assert!(taken.contains("\"replayed\":false"), "{kind}: {taken}");
    gh.wait_for_pr(&id, "the delivery did not have the merge read", |t| t["status"] == "done");
    // The same delivery again (the forge's redelivery), and its body under another id.
    for again in ["d-1", "d-2"] {
        let (status, replayed) = deliver("fake", proof("s3cret") + &delivery_id(again));
        assert!(status.starts_with("HTTP/1.1 200"), "{kind} {again}: {status} {replayed}");
        assert!(
            replayed.contains("\"replayed\":true") && replayed.contains("\"due\":0"),
            "{kind}: {replayed}"
        );
    }
    gh.server.stop();
}

#[test]
fn a_pull_request_closed_unmerged_sends_the_task_back_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "closing", "write");
    let clone = gh.add();
    let (id, _, number) = gh.opened(&clone, "Add a changelog");
    gh.fake.admin("POST", &format!("/_fake/repos/{}/pulls/{number}/close", gh.repo), json!({"login": "bob"}));
    let back = gh.wait_for_pr(&id, "the close was not taken up", |t| t["status"] == "implementation_review");
    assert_eq!(back["pull_request"]["state"], "closed", "{back:#}");

    // Approved again: a new pull request, not the closed one reopened.
    assert!(gh.server.task(&["approve", &id]).status.success());
    let again = gh.wait_for_pr(&id, "no new pull request", |t| {
        t["pull_request"]["number"].as_u64().is_some_and(|n| n != number) && t["status"] == "pull_request"
    });
    assert_eq!(again["pull_request"]["state"], "open");
    gh.server.stop();
}

#[test]
fn a_token_that_cannot_push_and_a_repository_without_forge_are_refused_naming_why() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "readonly", "read");
    // A repository registered by path has no forge: refused before anything is registered.
    let local = git_repo(dir.path(), "local");
    let refused =
        gh.server.task_like(&["repo", "add", local.to_str().unwrap(), "--merge-policy", "pull_request"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("need a repository registered by URL"), "{}", stderr(&refused));
    assert!(gh.server.task_like(&["repo", "list", "--json"]).stdout.starts_with(b"[]"), "nothing registered");

    let clone = gh.add();
    let check = gh.server.task_like(&["forge", "check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success() && said.contains("acme/readonly: may NOT push"), "{said}");

    // Approved anyway: the forge refuses the pull request, and the task says so and keeps its work.
    let (id, handle) = gh.approved_task(&clone, "Add a changelog");
    let failed = wait_for_status(&gh.server, &id, "failed");
    let reason = failed["failure"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("refused to open a pull request") || reason.contains("not visible"),
        "{failed:#}"
    );
    assert_eq!(failed["failure"]["from"], "pull_request");
    assert!(git(&clone, &["ls-tree", "--name-only", &format!("spectask/{handle}")]).contains("CHANGELOG.md"));

    // A token the forge refuses: `forge check` says so in the forge's words, and exits 1.
    gh.server.stop();
    std::fs::write(dir.path().join("forge-token"), "not-a-token\n").unwrap();
    let server = crate::support::Server::start(&dir.path().join("data"), None);
    let check = server.task_like(&["forge", "check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success(), "{said}");
    assert!(said.contains("fake refused the token (HTTP 401): Bad credentials"), "{said}");
    assert!(!said.contains("unreachable") && !said.contains("missing field"), "{said}");
    server.stop();
}

/// A person pushes a commit of their own onto the pull request's branch: the agent's fix builds
/// on it. Then someone force-pushes the branch: the next fix cannot be pushed, and the task says
/// so and keeps its work.
#[test]
fn commits_a_person_pushes_to_the_branch_are_built_on_and_a_rewrite_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start("github", dir.path(), "pushed", "write");
    let clone = gh.add();
    let (id, branch, number) = gh.opened(&clone, "Add a changelog");

    let first_head = git(&gh.bare, &["rev-parse", &branch]).trim().to_owned();
    // A person's commit on the branch, pushed from their own clone.
    let theirs = dir.path().join("theirs");
    git(dir.path(), &["clone", "-q", "-b", &branch, gh.bare.to_str().unwrap(), theirs.to_str().unwrap()]);
    std::fs::write(theirs.join("PERSON.md"), "a person's note\n").unwrap();
    git(&theirs, &["add", "PERSON.md"]);
    git(&theirs, &["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "-qm", "A note"]);
    git(&theirs, &["push", "-q", "origin", &branch]);
    let person_head = git(&gh.bare, &["rev-parse", &branch]).trim().to_owned();

    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "Almost.",
        "comments": [{ "path": "CHANGELOG.md", "line": 1, "body": "List what changed." }],
    });
    gh.act("POST", &format!("/pulls/{number}/reviews"), review);
    let fixed = gh.wait_for_pr(&id, "the fix was not pushed onto the person's commit", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != person_head && h != first_head)
    });
    let head = fixed["pull_request"]["head_sha"].as_str().unwrap();
    let history = git(&gh.bare, &["log", "--format=%H %s", head]);
    assert!(history.contains(&person_head), "built on theirs: {history}");
    assert!(git(&gh.bare, &["ls-tree", "--name-only", &branch]).contains("PERSON.md"));

    // The branch rewritten on the remote: spectask's next fix cannot go there.
    git(&theirs, &["reset", "-q", "--hard", "HEAD~1"]);
    std::fs::write(theirs.join("OTHER.md"), "rewritten\n").unwrap();
    git(&theirs, &["add", "OTHER.md"]);
    git(&theirs, &["-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "-qm", "Other"]);
    git(&theirs, &["push", "-q", "--force", "origin", &branch]);
    // A second request, which the agent answers with a change of its own.
    let review = json!({
        "login": "alice",
        "state": "CHANGES_REQUESTED",
        "body": "And the date.",
        "comments": [{ "path": "CHANGELOG.md", "line": 2, "body": "Date it." }],
    });
    gh.act("POST", &format!("/pulls/{number}/reviews"), review);
    let stopped = wait_for_status(&gh.server, &id, "failed");
    let reason = stopped["failure"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&branch) && reason.contains("rewrote it") && reason.contains("kept"),
        "{stopped:#}"
    );

    // As the reason says: the remote's reset to spectask's, and the task retried, the fix goes on.
    // Where the rewrite was found decides what spectask's branch holds: found as the second fix
    // began, not that fix (the retried task makes it); found at its push, that fix too (the reset
    // carries it). Either way the pull request ends past the first fix, on the reset, with both.
    let ours = git(&clone, &["rev-parse", &branch]).trim().to_owned();
    git(&clone, &["push", "-q", "--force", "origin", &branch]);
    let retried = gh.server.task(&["retry", &id]);
    assert!(retried.status.success(), "{}", stderr(&retried));
    let on_the_reset = |h: &str| {
        let bare = gh.bare.to_str().unwrap();
        let is_ancestor = ["-C", bare, "merge-base", "--is-ancestor", ours.as_str(), h];
        std::process::Command::new("git").args(is_ancestor).status().unwrap().success()
    };
    let back = gh.wait_for_pr(&id, "the retried task did not return to its pull request", |t| {
        t["status"] == "pull_request"
            && t["pull_request"]["head_sha"].as_str().is_some_and(|h| h != head && on_the_reset(h))
    });
    assert_eq!(back["pull_request"]["number"], number, "{back:#}");
    let changelog = git(&gh.bare, &["show", &format!("{branch}:CHANGELOG.md")]);
    assert!(
        changelog.contains("- Dated it."),
        "the second fix is on the pull request: {changelog}\nits sessions: {:#}",
        gh.server.task_json(&["sessions", &id, "--json"])
    );
    gh.server.stop();
}
