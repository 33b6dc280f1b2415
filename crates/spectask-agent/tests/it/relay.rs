//! A thread relayed to an editor: updates reach the editor in order, the editor answers permission
//! requests and serves files and terminals inside its roots, spectask serves (and confines) the rest,
//! and the turn is recorded as for any thread.

use std::path::PathBuf;

use serde_json::{Value, json};
use spectask_agent::events::DecidedBy;
use spectask_agent::{
    AgentEvent, EditorOffers, EditorRefusal, EditorRelay, PermissionPolicy, PromptContent, RelayFrame,
};
use tokio::sync::mpsc;

use crate::support::{Fixture, config, messages, until_turn_end};

const SCRIPT: &str = r#"
[[rule]]
match = "work"
steps = [
  { message = "starting" },
  { permission = { title = "edit notes.md" } },
  { read_file = { path = "notes.md" } },
  { write_file = { path = "notes.md", content = "from the agent" } },
  { read_file = { path = "{outside}/elsewhere.txt" } },
  { run = { command = "echo", args = ["hi"] } },
  { message = "done" },
]
"#;

/// Plays the editor: records every frame and answers requests like Zed would (its buffer holds unsaved
/// text, it allows the permission, it runs terminals), until the channel closes.
async fn editor(mut frames: mpsc::Receiver<RelayFrame>) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    while let Some(frame) = frames.recv().await {
        match frame {
            RelayFrame::Update(update) => seen.push(("update".to_owned(), update)),
            RelayFrame::Request(request) => {
                let answer = match request.method {
                    "session/request_permission" => {
                        Ok(json!({"outcome": {"outcome": "selected", "optionId": "allow"}}))
                    }
                    "fs/read_text_file" => Ok(json!({"content": "unsaved buffer text"})),
                    "fs/write_text_file" => Ok(json!({})),
                    "terminal/create" => Ok(json!({"terminalId": "zed-term-1"})),
                    "terminal/wait_for_exit" => Ok(json!({"exitCode": 0})),
                    "terminal/output" => Ok(json!({"output": "hi from zed\n", "truncated": false})),
                    "terminal/release" => Ok(json!({})),
                    other => Err(EditorRefusal { code: -32601, message: format!("no {other}"), data: None }),
                };
                seen.push((request.method.to_owned(), request.params));
                let _ = request.reply.send(answer);
            }
        }
    }
    seen
}

#[tokio::test]
async fn the_editor_answers_permissions_and_serves_its_files_and_terminals() {
    let fx = Fixture::new(SCRIPT);
    std::fs::write(fx.outside().join("elsewhere.txt"), "outside text").unwrap();
    let agent = fx.start(config(), PermissionPolicy::Deny).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (frames_tx, frames_rx) = mpsc::channel(8);
    let offers = EditorOffers { read_text_file: true, write_text_file: true, terminal: true };
    // The editor's project holds the worktree and the directory beside it: spectask still confines.
    let roots: Vec<PathBuf> = vec![fx.worktree.clone(), fx.outside()];
    agent.relay_thread(&id, EditorRelay::new(offers, roots, frames_tx));
    let editor = tokio::spawn(editor(frames_rx));

    let prompt = PromptContent::from_json(vec![json!({"type": "text", "text": "please work"})]).unwrap();
    let (stop, events) = tokio::join!(agent.prompt_content(&id, prompt), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn", "{events:#?}");
    agent.unrelay_thread(&id);
    drop(agent);
    let seen = editor.await.unwrap();

    let methods: Vec<&str> = seen.iter().map(|(m, _)| m.as_str()).collect();
    let requests: Vec<&str> = methods.iter().copied().filter(|m| *m != "update").collect();
    assert_eq!(
        requests,
        [
            "session/request_permission",
            "fs/read_text_file",
            "fs/write_text_file",
            "terminal/create",
            "terminal/wait_for_exit",
            "terminal/output",
            "terminal/release"
        ],
        "the read outside the worktree is never offered to the editor: {methods:?}"
    );
    // Updates come in the agent's order, before and after the requests.
    assert_eq!(seen[0].1["sessionUpdate"], "agent_message_chunk");
    assert_eq!(seen[0].1["content"]["text"], "starting");
    assert_eq!(seen.last().unwrap().1["content"]["text"], "done");
    assert_eq!(seen[1].1["sessionId"], id.0.as_str(), "requests carry the agent's own session id");

    // The agent got the editor's answers; spectask denied what lies outside the worktree.
    let said = messages(&events);
    assert!(said.contains("permission: allow"), "{said}");
    assert!(said.contains("unsaved buffer text"), "{said}");
    assert!(said.contains("exit 0: hi from zed"), "{said}");
    assert!(said.contains("outside the worktree") && !said.contains("outside text"), "{said}");
    assert!(!fx.worktree.join("notes.md").exists(), "the editor wrote it, not spectask");

    // Recorded as for any thread, with the editor as the decider.
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::PermissionDecided {
            by: DecidedBy::Editor,
            decision: spectask_agent::events::Decision::Allowed { .. },
            ..
        }
    )));
    assert!(
        events.iter().any(|e| matches!(e, AgentEvent::FsWrite { path, .. } if path.ends_with("notes.md")))
    );
    assert!(events.iter().any(
        |e| matches!(e, AgentEvent::TerminalStarted { terminal_id, .. } if terminal_id == "zed-term-1")
    ));
}

const ASK: &str = r#"
[[rule]]
match = "ask"
steps = [{ permission = { title = "rm" } }, { read_file = { path = "a.txt" } }]
"#;

#[tokio::test]
async fn an_editor_that_goes_away_cancels_its_permission_and_spectask_serves_again() {
    let fx = Fixture::new(ASK);
    std::fs::write(fx.worktree.join("a.txt"), "on disk").unwrap();
    let agent = std::sync::Arc::new(fx.start(config(), PermissionPolicy::Auto).await);
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (frames_tx, mut frames_rx) = mpsc::channel(8);
    let offers = EditorOffers { read_text_file: true, ..EditorOffers::default() };
    agent.relay_thread(&id, EditorRelay::new(offers, vec![fx.worktree.clone()], frames_tx));
    let (holder, thread) = (agent.clone(), id.clone());
    let leave = tokio::spawn(async move {
        // The editor receives the permission request, then leaves without answering.
        while let Some(frame) = frames_rx.recv().await {
            if let RelayFrame::Request(request) = frame {
                assert_eq!(request.method, "session/request_permission");
                holder.unrelay_thread(&thread);
                drop(request);
                break;
            }
        }
    });
    let (stop, events) = tokio::join!(agent.prompt(&id, "ask"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    leave.await.unwrap();
    let said = messages(&events);
    assert!(said.contains("permission: cancelled"), "{said}");
    assert!(said.contains("read") && said.contains("on disk"), "spectask served the read: {said}");
}
