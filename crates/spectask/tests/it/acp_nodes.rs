//! Zed reaching a node that does not run its thread's task: two nodes on one PostgreSQL database.
//! An editor's turn runs on the node holding the task's lease (where its agent lives); the other
//! node answers 409 naming that node and its address, and `spectask acp` relays the turn there, its
//! answers and its cancel included.

use serde_json::{Value, json};

use crate::support::{Server, git_repo, http, postgres_url, scripted_coder_data};
use crate::zed_client::{Editor, agent_messages, prompt, register};

const SCRIPT: &str = r#"
[[rule]]
match = "hello"
steps = [{ permission = { title = "say hi" } }, { message = "hi from the agent" }]

[[rule]]
match = "ping"
steps = [{ message = "pong" }]

[[rule]]
match = "take your time"
steps = [{ message = "working slowly" }, { sleep = 120000 }, { message = "never said" }]
"#;

/// Zed allows what the agent asks.
fn allow(method: &str, _params: &Value) -> Value {
    assert_eq!(method, "session/request_permission", "unexpected request {method}");
    json!({"outcome": {"outcome": "selected", "optionId": "allow"}})
}

fn said_by_agent(seen: &[Value], thread: &str) -> String {
    agent_messages(seen, thread).concat()
}

#[test]
fn a_turn_sent_to_the_node_without_the_task_is_relayed_to_the_node_holding_it() {
    let url = postgres_url();
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), SCRIPT);
    let a = Server::start_node(&data, Some(&url), "node-a");
    let b = Server::start_node(&data, Some(&url), "node-b");
    register(&a, &repo);

    // The thread's agent starts on whichever node takes the task; Zed's first prompt gets there.
    let mut zed = Editor::start(&a.url, &[], &repo);
    zed.initialize();
    let thread = zed.new_session(&repo).expect("session/new");
    zed.turn_with(&thread, "hello", allow);
    assert!(said_by_agent(&zed.seen, &thread).ends_with("hi from the agent"), "{:#?}", zed.seen);
    assert!(zed.quit().success());

    // Now one node holds the task: the other refuses a turn, naming the holder and its address.
    let turn = format!("/api/v1/work-sessions/{thread}/editor/turn");
    let body = json!({"prompt": [{"type": "text", "text": "ping"}]}).to_string();
    let answers: Vec<(u16, String)> =
        [&a, &b].iter().map(|n| http(&n.url, "POST", &turn, Some(&body))).collect();
    let refused: Vec<usize> = (0..2).filter(|i| answers[*i].0 == 409).collect();
    assert_eq!(refused.len(), 1, "exactly one node refuses: {answers:#?}");
    let (holder, holder_name, other) = match refused[0] {
        0 => (&b, "node-b", &a),
        _ => (&a, "node-a", &b),
    };
    let ran = &answers[1 - refused[0]];
    assert_eq!(ran.0, 200, "{answers:#?}");
    assert!(ran.1.contains("pong") && ran.1.contains(r#""kind":"end""#), "the holder ran it: {answers:#?}");
    let error: Value = serde_json::from_str(&answers[refused[0]].1).unwrap();
    assert_eq!(error["error"]["code"], "task_on_other_node", "{error:#}");
    assert_eq!(error["error"]["node"]["name"], holder_name, "{error:#}");
    assert_eq!(error["error"]["node"]["address"], holder.url.as_str(), "{error:#}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(holder_name) && message.contains(&holder.url), "{message}");

    // Zed reaching the other node: its turn is relayed to the holder, answers and cancel included.
    let mut zed = Editor::start(&other.url, &[], &repo);
    zed.initialize();
    zed.load(&thread, &repo, json!([]));
    zed.seen.clear();
    zed.turn_with(&thread, "hello", allow);
    assert!(said_by_agent(&zed.seen, &thread).ends_with("hi from the agent"), "{:#?}", zed.seen);
    let asked = zed.seen.iter().filter(|m| m["method"] == "session/request_permission").count();
    assert_eq!(asked, 1, "the permission request was relayed and answered: {:#?}", zed.seen);

    zed.seen.clear();
    let slow = zed.start_call("session/prompt", prompt(&thread, "take your time"));
    zed.until_seen(slow, |m| m.to_string().contains("working slowly"));
    zed.notify("session/cancel", json!({"sessionId": thread}));
    let ended = zed.finish_call(slow, |m, _| panic!("unexpected request {m}")).expect("cancelled prompt");
    assert_eq!(ended["stopReason"], "cancelled", "the cancel reached the holder: {:#?}", zed.seen);
    assert!(!said_by_agent(&zed.seen, &thread).contains("never said"), "{:#?}", zed.seen);
    assert!(zed.quit().success());
    a.stop();
    b.stop();
}
