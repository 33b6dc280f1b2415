//! A thread survives a client restart: a new agent process loads the session by its recorded id.

use spectask_agent::{AgentEvent, PermissionPolicy};

use crate::support::{Fixture, config, drain, messages, until_turn_end};

#[tokio::test]
async fn session_is_loaded_by_id_in_a_new_process() {
    let fx = Fixture::new("");
    let first = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = first.event_channel();
    let id = first.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, _) = tokio::join!(first.prompt(&id, "remember apples"), until_turn_end(&mut rx));
    stop.unwrap();
    let first_pid = first.pid();
    first.shutdown().await;
    drop(first);
    crate::support::assert_gone(first_pid).await;

    // A new client object and a new agent process.
    let second = fx.start(config(), PermissionPolicy::Auto).await;
    assert!(second.info().supports_load());
    let (tx, mut rx) = second.event_channel();
    second.load_thread(&id, &fx.worktree, tx).await.unwrap();
    let replay = drain(&mut rx).await;
    assert_eq!(
        replay,
        [
            AgentEvent::UserMessageChunk { text: "remember apples".to_owned() },
            AgentEvent::MessageChunk { text: "echo: remember apples".to_owned() },
        ]
    );
    let (stop, events) = tokio::join!(second.prompt(&id, "and pears"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(messages(&events), "echo: and pears");

    let (tx, _rx) = second.event_channel();
    let unknown = spectask_agent::AcpSessionId("no-such-session".to_owned());
    let err = second.load_thread(&unknown, &fx.worktree, tx).await.unwrap_err();
    assert!(err.to_string().contains("no-such-session"), "{err}");
    second.shutdown().await;
}

#[tokio::test]
async fn session_is_resumed_without_replay_when_load_is_not_offered() {
    let fx = Fixture::new("load_session = false\n");
    let first = fx.start(config(), PermissionPolicy::Auto).await;
    assert!(!first.info().supports_load() && first.info().supports_resume());
    let (tx, mut rx) = first.event_channel();
    let id = first.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, _) = tokio::join!(first.prompt(&id, "one"), until_turn_end(&mut rx));
    stop.unwrap();
    first.shutdown().await;

    let second = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = second.event_channel();
    second.load_thread(&id, &fx.worktree, tx).await.unwrap();
    assert!(drain(&mut rx).await.is_empty());
    let (stop, events) = tokio::join!(second.prompt(&id, "two"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(messages(&events), "echo: two");
    second.shutdown().await;
}

/// The agent saves its conversation as it goes: a turn cut off by the agent's crash keeps the
/// prompt and what was said before the crash, and a new process replays them.
#[tokio::test]
async fn a_turn_cut_off_by_a_crash_is_kept_up_to_the_crash() {
    let fx = Fixture::new(
        r#"
[[rule]]
match = "*build it*"
steps = [{ message = "half built" }, { crash = 3 }]
"#,
    );
    let first = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = first.event_channel();
    let id = first.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, _) = tokio::join!(first.prompt(&id, "build it"), until_turn_end(&mut rx));
    assert!(stop.is_err(), "the agent crashed mid-turn");
    first.shutdown().await;

    let second = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = second.event_channel();
    second.load_thread(&id, &fx.worktree, tx).await.unwrap();
    assert_eq!(
        drain(&mut rx).await,
        [
            AgentEvent::UserMessageChunk { text: "build it".to_owned() },
            AgentEvent::MessageChunk { text: "half built".to_owned() },
        ]
    );
    second.shutdown().await;
}

/// With `match_on = "conversation"` the script sees everything said so far, as an agent that
/// remembers: a bare "continue" matches the rule of the task given earlier.
#[tokio::test]
async fn rules_can_match_the_whole_conversation() {
    let fx = Fixture::new(
        r#"
match_on = "conversation"

[[rule]]
match = "*Your task: apples*"
steps = [{ message = "working on apples" }]
"#,
    );
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "Your task: apples"), until_turn_end(&mut rx));
    stop.unwrap();
    assert_eq!(messages(&events), "working on apples");
    let (stop, events) = tokio::join!(agent.prompt(&id, "continue"), until_turn_end(&mut rx));
    stop.unwrap();
    assert_eq!(messages(&events), "working on apples");
    agent.shutdown().await;
}
