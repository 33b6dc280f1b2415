//! Analyze and converge through the binary: a spec whose plan misses a criterion shows it in its
//! analysis; after the implementation, the converge pass proposes a plan task for it, a person
//! approves it into spec version 2, a new session implements it, and the pass at the next review
//! finds nothing and records that the task converged; a task out of rounds logs the gaps left.

use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::fake_llm::{FakeLlm, spec_answer};
use crate::implementation::{git, sessions, setup_with_script};
use crate::support::{Server, git_repo, http, stderr, stdout};

/// The first plan task's rule, then `rest`.
fn coder(rest: &str) -> String {
    format!("{USER_MODEL}{rest}")
}

const USER_MODEL: &str = r##"
[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { write_file = { path = "src/token.js", content = "module.exports = function token() { return 'signed'; };\n" } },
  { message = "Added src/token.js." },
]
"##;

/// The round's plan task implements criterion 1.2.
const ROUND: &str = r##"
[[rule]]
match = "*Your task: 2 Implement criterion 1.2*"
steps = [
  { write_file = { path = "src/refuse.js", content = "module.exports = function refuse() { return 401; };\n" } },
  { message = "Added src/refuse.js: invalid credentials get 401." },
]
"##;

/// The plan names criterion 1.1 only: 1.2 is missed, as the planner's own check says.
fn missing_a_criterion() -> String {
    let base = spec_answer("converge");
    let start = base.find("=== tasks.md ===").unwrap_or(base.len());
    format!(
        "{}=== tasks.md ===\n# Implementation Plan\n\n- [ ] 1. Add the user model\n  - _Requirements: 1.1_\n\
         === consistency.md ===\n- tasks.md:3: no task implements criterion 1.2 (left for the reviewer)\n=== end ===\n",
        &base[..start]
    )
}

fn get(server: &Server, path: &str) -> Value {
    let (status, body) = http(&server.url, "GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn review_when(server: &Server, id: &str, want: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/api/v1/spec-tasks/{id}/implementation-review");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let review = get(server, &path);
        if want(&review) {
            return review;
        }
        assert!(std::time::Instant::now() < deadline, "the review never became as wanted: {review:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A repository in `dir` and a server whose coder runs `script` (`orchestrator`: more lines of
/// `[orchestrator]`), with the task "Add login" (made with `args` besides) in spec review: the
/// repository, the server, the task's id and handle.
fn in_spec_review(
    dir: &std::path::Path,
    llm: &FakeLlm,
    (script, orchestrator): (&str, &str),
    args: &[&str],
) -> (std::path::PathBuf, Server, String, String) {
    let repo = git_repo(dir, "app");
    let data = setup_with_script(dir, llm, script, orchestrator);
    let server = Server::start(&data, None);
    let mut create = vec!["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"];
    create.extend_from_slice(args);
    let created = server.task_json(&create);
    let id = created["id"].as_str().unwrap().to_owned();
    let task = wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    let handle = task["handle"].as_str().unwrap().to_owned();
    (repo, server, id, handle)
}

#[test]
fn a_converge_round_adds_and_implements_a_missed_criterion_then_the_task_converges() {
    let llm = FakeLlm::start(vec![missing_a_criterion()]);
    let dir = tempfile::tempdir().unwrap();
    let (repo, server, id, handle) = in_spec_review(dir.path(), &llm, (&coder(ROUND), ""), &[]);

    // Before review, the analysis names the criterion no plan task implements.
    let versions = get(&server, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    let analysis = &versions[0]["analysis"];
    assert_eq!(analysis[0]["kind"], "gap", "{versions:#}");
    assert!(
        analysis[0]["message"].as_str().unwrap().contains("criterion 1.2 is implemented by no plan task"),
        "{versions:#}"
    );
    // Then what the planner's own consistency check left, where it says.
    let planner: Vec<&Value> =
        analysis.as_array().unwrap().iter().filter(|f| f["kind"] == "planner").collect();
    assert_eq!(planner.len(), 1, "{versions:#}");
    assert_eq!((planner[0]["file"].as_str(), planner[0]["line"].as_u64()), (Some("tasks.md"), Some(3)));
    assert_eq!(planner[0]["message"], "no task implements criterion 1.2 (left for the reviewer)");

    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));

    // The pass: 1.2 has no commit, and a plan task is proposed for it.
    let review =
        review_when(&server, &id, |r| r["convergence"]["proposed"].as_array().is_some_and(|p| !p.is_empty()));
    let pass = &review["convergence"];
    assert_eq!(
        (pass["rounds"].as_u64(), pass["max_rounds"].as_u64(), &pass["converged"]),
        (Some(0), Some(3), &Value::Bool(false)),
        "{pass:#}"
    );
    assert_eq!(pass["gaps"].as_array().map(Vec::len), Some(1), "{pass:#}");
    assert_eq!(pass["gaps"][0]["kind"], "criterion_without_commit", "{pass:#}");
    assert_eq!(pass["proposed"][0]["title"], "Implement criterion 1.2", "{pass:#}");
    assert_eq!(pass["proposed"][0]["requirements"][0], "1.2", "{pass:#}");

    // Approved: version 2's plan has it, ticks what was done, and a new session implements it.
    let round = server.task(&["converge", &id]);
    assert!(round.status.success(), "{}", stderr(&round));
    assert_eq!(stdout(&round).trim(), "converge round 1: added 2 Implement criterion 1.2");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_eq!(task["spec_version"], 2, "{task:#}");
    let all = sessions(&server, &id);
    let names: Vec<(&str, &str)> =
        all.iter().map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap())).collect();
    assert_eq!(
        names,
        [("1 Add the user model", "completed"), ("2 Implement criterion 1.2", "completed")],
        "{all:#?}"
    );
    let plan = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/tasks.md")]);
    assert!(plan.contains("- [x] 1. Add the user model\n"), "{plan}");
    assert!(
        plan.contains("] 2. Implement criterion 1.2\n  - IF the credentials are invalid, THEN"),
        "{plan}"
    );
    assert!(plan.ends_with("  - _Requirements: 1.2_\n"), "{plan}");

    // Back in review, the pass finds nothing and records the convergence by itself; asking again
    // records nothing more.
    let review = review_when(&server, &id, |r| r["convergence"]["converged"] == true);
    assert_eq!(review["convergence"]["gaps"], serde_json::json!([]), "{review:#}");
    let criterion = &review["criteria"][1];
    assert_eq!(criterion["id"], "1.2", "{review:#}");
    assert!(!criterion["commits"].as_array().unwrap().is_empty(), "1.2 is implemented now: {review:#}");
    for _ in 0..2 {
        let done = server.task(&["converge", &id]);
        assert_eq!(stdout(&done).trim(), "converged: the spec and the code agree", "{}", stderr(&done));
    }
    let pass = &get(&server, &format!("/api/v1/spec-tasks/{id}/implementation-review"))["convergence"];
    assert_eq!((pass["rounds"].as_u64(), &pass["converged"]), (Some(1), &Value::Bool(true)), "{pass:#}");
    let log = get(&server, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
    let converge: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "converge")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        converge,
        [
            "converge round 1: 1 plan tasks added (2 Implement criterion 1.2)",
            "converged after 1 converge rounds: the spec and the code agree"
        ],
        "{log:#}"
    );
    // Past the implementation review there is nothing to converge.
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    let refused = server.task(&["converge", &id]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    server.stop();
}

/// A simple task's whole-plan session, then the session of the plan task its converge round added.
const WHOLE_PLAN_CODER: &str = r##"
[[rule]]
match = "*Your task: 2 Implement criterion 1.2*"
steps = [
  { write_file = { path = "src/refuse.js", content = "module.exports = function refuse() { return 401; };\n" } },
  { message = "Added src/refuse.js: invalid credentials get 401." },
]

[[rule]]
match = "*Your task: Implement the whole plan*"
steps = [
  { write_file = { path = "src/token.js", content = "module.exports = function token() { return 'signed'; };\n" } },
  { message = "Added src/token.js." },
]
"##;

/// A simple task (one session for its whole plan) takes a converge round too: the plan task the
/// round adds gets a session of its own, the rest stays done, and the task converges after it.
#[test]
fn a_simple_task_takes_a_converge_round_in_a_session_of_its_own() {
    let llm = FakeLlm::start(vec![missing_a_criterion()]);
    let dir = tempfile::tempdir().unwrap();
    let (repo, server, id, handle) =
        in_spec_review(dir.path(), &llm, (WHOLE_PLAN_CODER, ""), &["--complexity", "simple"]);
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));

    let review =
        review_when(&server, &id, |r| r["convergence"]["proposed"].as_array().is_some_and(|p| !p.is_empty()));
    assert_eq!(review["convergence"]["gaps"][0]["kind"], "criterion_without_commit", "{review:#}");
    let round = server.task(&["converge", &id]);
    assert!(round.status.success(), "{}", stderr(&round));
    assert_eq!(stdout(&round).trim(), "converge round 1: added 2 Implement criterion 1.2");

    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_eq!(task["spec_version"], 2, "{task:#}");
    let all = sessions(&server, &id);
    let names: Vec<(&str, &str)> =
        all.iter().map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap())).collect();
    assert_eq!(
        names,
        [("Implement the whole plan", "completed"), ("2 Implement criterion 1.2", "completed")],
        "{all:#?}"
    );
    // Version 2 keeps what the first session did as done: the round's session had only its task.
    let version = &get(&server, &format!("/api/v1/spec-tasks/{id}/documents/tasks?version=2"))["content"];
    assert!(version.as_str().unwrap().contains("- [x] 1. Add the user model\n"), "{version}");
    // Criterion 1.2 is implemented by the round's commit only, and the task converges.
    let review = review_when(&server, &id, |r| r["convergence"]["converged"] == true);
    assert_eq!(review["convergence"]["gaps"], serde_json::json!([]), "{review:#}");
    let round_session = all[1]["id"].as_str().unwrap();
    assert_eq!(review["criteria"][1]["work_session_ids"], serde_json::json!([round_session]), "{review:#}");
    crate::implementation::wait_until("both plan tasks are ticked on the design-docs branch", || {
        let plan = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/tasks.md")]);
        plan.matches("- [x]").count() == 2 && !plan.contains("- [ ]")
    });
    server.stop();
}

/// The round's session changes nothing, so the gap it was for stays.
const IDLE_ROUND: &str = r##"
[[rule]]
match = "*"
steps = [{ message = "There is nothing to change." }]
"##;

/// With `converge_rounds = 1`, a gap left after the one round is logged as such, and a second round
/// is refused with 409 `converge_rounds_used`.
#[test]
fn a_task_out_of_converge_rounds_logs_its_gaps_and_refuses_another_round() {
    let llm = FakeLlm::start(vec![missing_a_criterion()]);
    let dir = tempfile::tempdir().unwrap();
    let (_repo, server, id, _handle) =
        in_spec_review(dir.path(), &llm, (&coder(IDLE_ROUND), "converge_rounds = 1\n"), &[]);
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    review_when(&server, &id, |r| r["convergence"]["proposed"].as_array().is_some_and(|p| !p.is_empty()));
    let round = server.task(&["converge", &id]);
    assert!(round.status.success(), "{}", stderr(&round));

    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(60));
    assert_eq!(task["spec_version"], 2, "{task:#}");
    let review = review_when(&server, &id, |r| r["convergence"]["rounds"] == 1);
    let pass = &review["convergence"];
    assert_eq!((pass["max_rounds"].as_u64(), &pass["converged"]), (Some(1), &Value::Bool(false)), "{pass:#}");
    assert!(!pass["gaps"].as_array().unwrap().is_empty(), "the round built nothing: {pass:#}");

    let (status, said) = http(&server.url, "POST", &format!("/api/v1/spec-tasks/{id}/converge"), Some("{}"));
    assert_eq!(status, 409, "{said}");
    assert!(said.contains("converge_rounds_used") && said.contains("its 1 converge rounds"), "{said}");
    let refused = server.task(&["converge", &id]);
    assert!(!refused.status.success(), "{}", stdout(&refused));

    let converge = || -> Vec<String> {
        let log = get(&server, &format!("/api/v1/spec-tasks/{id}/coordination-log"));
        let entries = log.as_array().cloned().unwrap_or_default();
        entries
            .iter()
            .filter(|e| e["kind"] == "converge")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    crate::implementation::wait_until("the log says the rounds ran out", || converge().len() == 2);
    let log = converge();
    assert!(
        log[1].starts_with("no converge rounds left (1 of 1): ")
            && log[1].contains("no commit implements criterion 1.2"),
        "{log:#?}"
    );
    server.stop();
}

/// Criterion 1.1 was built before the spec was taken up (its plan task ticked); 1.2 is left.
const ADOPTED_REQUIREMENTS: &str = "# Requirements Document\n\n## Requirements\n\n### Requirement 1: Login\n\n\
**User Story:** As a user, I want to log in, so that I see my data.\n\n#### Acceptance Criteria\n\n\
1. WHEN a user submits valid credentials, THE Service SHALL answer with a token\n\
2. IF the credentials are invalid, THEN THE Service SHALL answer 401\n";

const ADOPTED_PLAN: &str = "# Implementation Plan\n\n- [x] 1. Add the token\n  - _Requirements: 1.1_\n\
- [ ] 2. Refuse invalid credentials\n  - _Requirements: 1.2_\n";

const ADOPTED_CODER: &str = r##"
[[rule]]
match = "*Your task: 2 Refuse invalid credentials*"
steps = [
  { write_file = { path = "src/refuse.js", content = "module.exports = function refuse() { return 401; };\n" } },
  { message = "Added src/refuse.js." },
]
"##;

/// A spec taken up with a plan task ticked: the work done before it is no gap, so the pass at the
/// review proposes nothing and the task converges by itself.
#[test]
fn converge_on_an_adopted_spec_with_ticked_tasks_proposes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("app");
    let files = [
        ("README.md", "# app\n"),
        ("src/token.js", "module.exports = function token() { return 'signed'; };\n"),
        (".kiro/specs/login/requirements.md", ADOPTED_REQUIREMENTS),
        (".kiro/specs/login/tasks.md", ADOPTED_PLAN),
    ];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    let server = Server::start(&crate::support::scripted_coder_data(dir.path(), ADOPTED_CODER), None);
    let adopted = server.task_json(&[
        "adopt",
        ".kiro/specs/login",
        "--repo",
        repo.to_str().unwrap(),
        "--approve",
        "--json",
    ]);
    let id = adopted["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let review = review_when(&server, &id, |r| r["convergence"]["converged"] == true);
    let pass = &review["convergence"];
    assert_eq!(pass["gaps"], serde_json::json!([]), "{review:#}");
    assert_eq!(pass["proposed"], serde_json::json!([]), "{review:#}");
    let done = server.task(&["converge", &id]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(stdout(&done).starts_with("converged: the spec and the code agree"), "{}", stdout(&done));
    let task = get(&server, &format!("/api/v1/spec-tasks/{id}"));
    assert_eq!(task["spec_version"], 1, "no round: {task:#}");
    server.stop();
}
