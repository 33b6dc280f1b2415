//! Interactive tasks: no planning; one long-lived session that answers messages, spawns work, and is
//! finished by the person.

use crate::implementation::{git, sessions, wait_until};
use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, scripted_coder_data, stderr, stdout};

const SCRIPT: &str = r##"
[[rule]]
match = "*please add a readme*"
steps = [
  { write_file = { path = "HELLO.md", content = "# Hello\n" } },
  { message = "Added HELLO.md." },
]

[[rule]]
match = "*Your task: Write the docs*"
steps = [
  { write_file = { path = "docs/index.md", content = "# Docs\n" } },
  { message = "Wrote docs/index.md." },
]

[[rule]]
match = "*Your task: Pair on the todo app*"
steps = [{ message = "Ready. What shall we do?" }]
"##;

#[test]
fn an_interactive_session_answers_messages_spawns_work_and_ends_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), SCRIPT);
    let server = Server::start(&data, None);
    let id = server.interactive(&repo, "Pair on the todo app");
    wait_for_status(&server, &id, "implementation");
    wait_until("the session answered its first prompt", || {
        sessions(&server, &id).first().is_some_and(|s| s["summary"] == "Ready. What shall we do?")
    });
    let main_session = sessions(&server, &id)[0].clone();
    assert_eq!(main_session["status"], "running", "an interactive session stays open between turns");

    let said = server.task(&["say", &id, "please add a readme"]);
    assert!(said.status.success(), "{}", stderr(&said));
    assert!(stdout(&said).contains("queued"), "{}", stdout(&said));
    wait_until("the message was answered", || {
        sessions(&server, &id)
            .first()
            .is_some_and(|s| s["summary"].as_str().unwrap_or("").contains("Added HELLO.md."))
    });
    let spawned = server.task(&[
        "spawn",
        &id,
        "--from",
        main_session["id"].as_str().unwrap(),
        "--name",
        "Write the docs",
    ]);
    assert!(spawned.status.success(), "{}", stderr(&spawned));
    wait_until("the spawned session completed", || {
        sessions(&server, &id).iter().any(|s| s["name"] == "Write the docs" && s["status"] == "completed")
    });
    assert_eq!(server.task_json(&["show", &id, "--json"])["status"], "implementation", "still open");

    let finished = server.task(&["finish", &id]);
    assert!(finished.status.success(), "{}", stderr(&finished));
    let task = wait_for_status(&server, &id, "implementation_review");
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    let files = git(&repo, &["ls-tree", "-r", "--name-only", &branch]);
    assert!(files.contains("HELLO.md") && files.contains("docs/index.md"), "{files}");

    let refused = server.task(&["say", &id, "anything else?"]);
    assert_eq!(refused.status.code(), Some(1), "no running session is left to talk to");
    server.stop();
}
