//! A Zed thread attached to a spec task: the downstream agent gets the task's spec slice with the
//! person's first prompt (every requirement, the design sections that concern the request, the plan
//! with its progress), recorded as said by spectask apart from the person's words; later prompts go
//! as they are, and loading the thread in Zed replays only what Zed showed.

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, three_task_spec};
use crate::implementation::{sessions, setup_with_script, wait_until};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, json};
use crate::zed_client::{Editor, agent_messages, history, prompt, updates};

/// The plan's sessions keep working (the task stays in implementation); the thread's agent says
/// whether the spec came with the prompt.
const SCRIPT: &str = r#"
[[rule]]
match = "*THE Auth_Service SHALL return a signed token*1. Add the user model*what does the spec say*"
steps = [{ message = "the spec came with the prompt" }]

[[rule]]
match = "what does the spec say"
steps = [{ message = "no spec in this prompt" }]

[[rule]]
match = "*Your task: *"
steps = [{ message = "on it" }, { sleep = 600000 }]
"#;

#[test]
fn a_spec_tasks_zed_thread_gets_the_spec_slice_first_on_sqlite() {
    spec_slice_comes_first(None);
}

#[test]
fn a_spec_tasks_zed_thread_gets_the_spec_slice_first_on_postgres() {
    let url = crate::support::postgres_url();
    spec_slice_comes_first(Some(&url));
}

fn spec_slice_comes_first(database_url: Option<&str>) {
    let llm = FakeLlm::start(vec![three_task_spec()]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = setup_with_script(dir.path(), &llm, SCRIPT, "");
    let server = Server::start(&data, database_url);
    let created = server.task(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let task = json(&created)["id"].as_str().unwrap().to_owned();
    wait_for_status(&server, &task, "spec_review");
    assert!(server.task(&["approve", &task]).status.success());
    wait_until("the plan's first sessions run", || {
        sessions(&server, &task).iter().filter(|s| s["status"] == "running").count() == 2
    });

    let mut zed = Editor::zed(&server.url, &["--task", &task], &repo);
    let thread = zed.new_session(&repo).expect("session/new on the spec task");
    let asked = "what does the spec say about the login route?";
    zed.turn(&thread, asked);
    let recorded = history(&server, &thread);
    assert_eq!(agent_messages(&zed.seen, &thread), ["the spec came with the prompt"], "{recorded}");

    // Recorded: the slice as spectask's, then the person's words as Zed's.
    let recorded: Value = serde_json::from_str(&recorded).unwrap();
    let said: Vec<&str> = recorded["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["file"] == "conversation")
        .filter_map(|e| e["content"].as_str())
        .collect();
    let slice = said.iter().find(|s| s.starts_with("### spectask")).expect("the slice is recorded");
    for part in [
        "## Requirements",
        "THE Auth_Service SHALL answer with status 401",
        "## Design (relevant sections)",
        "### Components and Interfaces",
        "## Progress so far",
        "2. Add the login route",
        "## Coordinating with the other sessions",
    ] {
        assert!(slice.contains(part), "the slice lacks {part:?}:\n{slice}");
    }
    assert!(!slice.contains("### Data Models"), "a design section the request does not concern:\n{slice}");
    let person = said.iter().position(|s| s.starts_with("### zed")).expect("the person's prompt");
    assert!(said[person].contains(asked) && !said[person].contains("## Requirements"), "{said:#?}");
    assert!(said.iter().position(|s| s.starts_with("### spectask")) < Some(person), "{said:#?}");

    // The next prompt goes as the person wrote it.
    zed.seen.clear();
    zed.call("session/prompt", prompt(&thread, asked)).expect("second prompt");
    assert_eq!(agent_messages(&zed.seen, &thread), ["no spec in this prompt"], "{:#?}", zed.seen);
    assert!(zed.quit().success());

    // Loading the thread again replays what Zed showed, not the slice.
    let mut zed = Editor::zed(&server.url, &["--task", &task], &repo);
    zed.load(&thread, &repo, json!([]));
    let replayed = updates(&zed.seen, &thread);
    assert!(replayed.iter().any(|(_, text)| text.contains(asked)), "{replayed:#?}");
    assert!(!replayed.iter().any(|(_, text)| text.contains("## Requirements")), "{replayed:#?}");
    assert!(zed.quit().success());
    server.stop();
}
