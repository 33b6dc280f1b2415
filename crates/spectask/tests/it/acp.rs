//! `spectask acp` as Zed starts it: each new thread is a work session of one task, listed, closed
//! and left interrupted when Zed goes away; bad input is an ACP error naming the problem.

use serde_json::json;

use crate::implementation::sessions;
use crate::zed_client::{Editor, ZedSetup, task_of};

const SCRIPT: &str = r#"
[[rule]]
match = "hello"
steps = [{ message = "hi from the agent" }]
"#;

#[test]
fn each_editor_thread_is_a_work_session_of_one_task() {
    let ZedSetup { dir: _dir, repo, server, .. } = ZedSetup::start(SCRIPT, None);

    let mut zed = Editor::start(&server.url, &[], &repo);
    let init = zed.initialize();
    assert_eq!(init["protocolVersion"], 1);
    assert_eq!(init["agentInfo"]["name"], "spectask");
    assert_eq!(init["agentInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(init["agentCapabilities"]["promptCapabilities"]["embeddedContext"], true, "{init}");
    assert!(init["agentCapabilities"]["sessionCapabilities"]["list"].is_object(), "{init}");
    assert!(init["agentCapabilities"]["sessionCapabilities"]["close"].is_object(), "{init}");
    assert!(init["authMethods"].as_array().is_none_or(Vec::is_empty), "no login inside the editor: {init}");

    // Two threads in one process: two work sessions of one (new, interactive) task.
    let first = zed.new_session(&repo).expect("first thread");
    let second = zed.new_session(&repo).expect("second thread");
    assert_ne!(first, second);
    let task = task_of(&server, &first);
    let shown = server.task_json(&["show", &task, "--json"]);
    assert_eq!(shown["kind"], "interactive", "{shown}");
    let all = sessions(&server, &task);
    let ids: Vec<&str> = all.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "{all:#?}");
    assert!(all.iter().all(|s| s["opened_from_editor"] == "zed"), "{all:#?}");

    // The threads start and wait for the editor: spectask prompts neither.
    crate::implementation::wait_until("both threads run", || {
        sessions(&server, &task).iter().all(|s| s["status"] == "running")
    });
    let all = sessions(&server, &task);
    assert!(all.iter().all(|s| s["summary"].is_null()), "no turn ran: {all:#?}");

    // session/list: the task's threads.
    let listed = zed.call("session/list", json!({"cwd": repo})).expect("session/list");
    let listed: Vec<&str> =
        listed["sessions"].as_array().unwrap().iter().map(|s| s["sessionId"].as_str().unwrap()).collect();
    assert_eq!(listed, [first.as_str(), second.as_str()]);

    // Bad input answers with an error naming the problem.
    let outside = tempfile::tempdir().unwrap();
    let refused = zed.new_session(outside.path()).expect_err("a directory outside every repository");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("is not inside a repository of yours"), "{refused}");
    assert_eq!(refused["code"], -32602, "{refused}");

    // session/close ends the thread's work session.
    zed.call("session/close", json!({"sessionId": second})).expect("session/close");
    let closed = sessions(&server, &task).into_iter().find(|s| s["id"] == second.as_str()).unwrap();
    assert_eq!(closed["status"], "completed", "{closed:#}");

    let status = zed.quit();
    assert!(status.success(), "stdin closed: spectask acp ends ({status})");
    // Zed closing leaves its open thread interrupted (resumable); the closed one stays completed.
    let after = sessions(&server, &task);
    let first_after = after.iter().find(|s| s["id"] == first.as_str()).unwrap();
    assert_eq!(first_after["status"], "interrupted", "{after:#?}");
    assert_eq!(first_after["state"]["reason"], "the editor closed", "{after:#?}");
    let listed = crate::support::stdout(&server.task(&["sessions", &task]));
    assert!(listed.contains("zed thread 1 [from zed]"), "{listed}");

    let mut unknown = Editor::zed(&server.url, &["--task", "deadbeef-nothing"], &repo);
    let refused = unknown.new_session(&repo).expect_err("an unknown task");
    assert!(refused["message"].as_str().unwrap_or_default().contains("deadbeef-nothing"), "{refused}");
    server.stop();

    let mut down = Editor::zed(&server_url_down(), &[], &repo);
    let refused = down.new_session(&repo).expect_err("the server is down");
    assert!(
        refused["message"].as_str().unwrap_or_default().contains("cannot reach the spectask server"),
        "{refused}"
    );
}

/// An address where nothing listens.
fn server_url_down() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
