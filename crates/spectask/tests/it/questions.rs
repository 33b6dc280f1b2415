//! Questions before the spec, through the binary: a planner that needs answers before it can write
//! a sound spec answers with questions alone. That is a spec version without documents, shown in
//! the review as the form (and by `task spec`), which cannot be approved; the person's answers
//! (`task request-changes --answer N:TEXT`) drive the first real draft. The repository's steering
//! documents (here a spec-kit constitution) reach every planner turn, first draft and revisions
//! alike, for an LLM planner and a planning agent.

use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::fake_llm::{FakeLlm, spec_answer};
use crate::support::{CoderConfig, coder_data};
use crate::support::{Server, http, http_json, stderr, stdout};

const CONSTITUTION: &str = "# App Constitution\n\n## Principles\n\nEvery change ships with a test first.\n";
const ASKING: &str = "=== questions.md ===\n1. Should a token be refreshed or refused once it expires?\n\
2. Which clock counts: the server's or the client's?\n=== end ===\n";

/// A repository whose default branch has the spec-kit constitution.
fn repository(dir: &std::path::Path) -> std::path::PathBuf {
    let repo = dir.join("app");
    let files = [("README.md", "# app\n"), (".specify/memory/constitution.md", CONSTITUTION)];
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    repo
}

fn versions(server: &Server, id: &str) -> Value {
    http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"))
}

/// Waits until the task is back in spec review at `version`.
fn wait_for_version(server: &Server, id: &str, version: u64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let task = server.task_json(&["show", id, "--json"]);
        if task["status"] == "spec_review" && task["spec_version"] == version {
            return task;
        }
        assert!(std::time::Instant::now() < deadline, "never reached spec review at v{version}: {task:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The version asks and has no documents: shown so, refused for approval; answered from the CLI.
fn answer_the_questions(server: &Server, id: &str) {
    let listed = versions(server, id);
    assert_eq!(listed[0]["questions_only"], true, "{listed:#}");
    assert_eq!(listed[0]["questions"].as_array().map(Vec::len), Some(2), "{listed:#}");
    assert_eq!(listed[0]["lint"], serde_json::json!([]), "{listed:#}");
    let spec = server.task_json(&["spec", id, "--json"]);
    assert!(spec.as_array().unwrap().iter().all(|d| d["content"] == ""), "{spec:#}");

    let shown = server.task(&["spec", id]);
    assert_eq!(
        stdout(&shown),
        format!(
            "The planner asks before it writes the spec (version 1):\n\
             1. Should a token be refreshed or refused once it expires?\n\
             2. Which clock counts: the server's or the client's?\n\
             Answer with: spectask task request-changes {id} --answer N:TEXT\n"
        )
    );
    let (status, said) =
        http(&server.url, "POST", &format!("/api/v1/spec-tasks/{id}/approve-specs"), Some("{}"));
    assert_eq!(status, 409, "a version of questions alone is approved: {said}");
    assert!(said.contains("questions_unanswered"), "{said}");
    let body = r#"{"status":"spec_approved"}"#;
    let (status, said) = http(&server.url, "PUT", &format!("/api/v1/tasks/{id}/status"), Some(body));
    assert_eq!(status, 409, "the status route approves a version of questions alone: {said}");
    assert!(said.contains("questions_unanswered"), "{said}");
    let approved = server.task(&["approve", id]);
    assert!(stderr(&approved).contains("answer them with request-changes"), "{}", stderr(&approved));
    let commented = r#"{"comments":"","line_comments":[{"document":"design","line":1,"comment":"no"}]}"#;
    let (status, said) =
        http(&server.url, "POST", &format!("/api/v1/spec-tasks/{id}/request-changes"), Some(commented));
    assert_eq!(status, 400, "a line comment on a version without documents: {said}");
    assert!(said.contains("holds only the planner's questions"), "{said}");
    let bad = server.task(&["request-changes", id, "--answer", "two:UTC"]);
    assert!(stderr(&bad).contains("\"two\" is not a question's number"), "{}", stderr(&bad));

    let answered =
        server.task(&["request-changes", id, "--answer", "1:Refused with 401", "--answer", "2:UTC"]);
    assert!(answered.status.success(), "{}", stderr(&answered));
}

#[test]
fn an_llm_planners_questions_alone_are_answered_before_its_first_draft() {
    let llm = FakeLlm::start(vec![ASKING.to_owned(), spec_answer("answered")]);
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(dir.path());
    let data = crate::implementation::setup_with_script(dir.path(), &llm, "", "");
    let server = Server::start(&data, None);
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    assert_eq!(llm.request_count(), 1, "questions alone need no repair round");
    let asked = llm.request_text(0);
    assert!(asked.contains("answer with the questions section alone"), "{asked}");
    assert!(asked.contains("Every change ships with a test first."), "the constitution: {asked}");

    answer_the_questions(&server, &id);
    wait_for_version(&server, &id, 2);
    let first_draft = llm.request_text(1);
    for said in [
        "# Change request",
        "You asked these before writing the spec:\n\n1. Should a token be refreshed",
        "1. Should a token be refreshed or refused once it expires?\n   Answer: Refused with 401",
        "Answer: UTC",
        "Every change ships with a test first.",
    ] {
        assert!(first_draft.contains(said), "the first draft's request lacks {said:?}: {first_draft}");
    }
    let listed = versions(&server, &id);
    assert_eq!(listed[1]["questions_only"], false, "{listed:#}");
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("answered"), "{spec:#}");

    // A revision is told the steering documents too.
    let changes = server.task(&["request-changes", &id, "-c", "Name the token's lifetime."]);
    assert!(changes.status.success(), "{}", stderr(&changes));
    wait_for_version(&server, &id, 3);
    let revision = llm.request_text(2);
    assert!(revision.contains("# Spec under review"), "{revision}");
    assert!(revision.contains("Every change ships with a test first."), "the constitution: {revision}");
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));
    server.stop();
}

/// The planning agent (the scripted agent) writes questions.md alone unless its prompt carries the
/// answers; either way it writes only when the constitution is in its prompt.
fn planning_agent_script() -> String {
    let answer = spec_answer("answered by the agent");
    let section = |name: &str| {
        let start = answer.find(&format!("=== {name} ===\n")).unwrap() + name.len() + 9;
        let end = start + answer[start..].find("=== end ===").unwrap();
        answer[start..end].to_owned()
    };
    let write = |path: &str, text: &str| {
        format!("  {{ write_file = {{ path = \".spectask/spec/{path}\", content = '''\n{text}''' }} }},\n")
    };
    format!(
        "[[rule]]\nmatch = \"*Write the spec*You asked these before writing it*Answer: UTC*Every change ships with a test first.*\"\n\
         steps = [\n{}{}{}  {{ message = \"The spec is written.\" }},\n]\n\n\
         [[rule]]\nmatch = \"*Write the spec for this change*Every change ships with a test first.*\"\n\
         steps = [\n{}  {{ message = \"I have questions first.\" }},\n]\n",
        write("requirements.md", &section("requirements.md")),
        write("design.md", &section("design.md")),
        write("tasks.md", &section("tasks.md")),
        write("questions.md", &ASKING[ASKING.find('\n').unwrap() + 1..ASKING.find("=== end").unwrap()]),
    )
}

#[test]
fn a_planning_agents_questions_alone_are_answered_before_its_first_draft() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(dir.path());
    let (data, _script) = coder_data(dir.path(), &planning_agent_script(), &CoderConfig::default());
    let server = Server::start(&data, None);
    let create =
        ["create", "--repo", repo.to_str().unwrap(), "--planning-agent", "coder", "Add login", "--json"];
    let created = server.task_json(&create);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));

    answer_the_questions(&server, &id);
    wait_for_version(&server, &id, 2);
    let listed = versions(&server, &id);
    assert_eq!(listed[1]["questions_only"], false, "{listed:#}");
    assert_eq!(listed[1]["questions"], serde_json::json!([]), "{listed:#}");
    let spec = server.task_json(&["spec", &id, "--doc", "design", "--json"]);
    assert!(spec["content"].as_str().unwrap().contains("answered by the agent"), "{spec:#}");
    server.stop();
}
