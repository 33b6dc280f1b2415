//! Two threads of one agent instance prompting concurrently, each getting only its own updates.

use spectask_agent::AgentEvent;
use spectask_agent::PermissionPolicy;

use crate::support::{Fixture, config, messages, until_turn_end};

const SCRIPT: &str = r#"
[[rule]]
match = "alpha"
steps = [
  { plan = [{ content = "read", status = "completed" }, { content = "write", status = "in_progress", priority = "high" }] },
  { thought = "thinking about alpha" },
  { message = "A1" },
  { sleep = 600 },
  { tool_call = { id = "t1", title = "edit a.txt", path = "a.txt", old_text = "old", new_text = "new" } },
  { usage = { used = 10, size = 100 } },
  { usage = { used = 40, size = 100, input = 1000, output = 200, cached = 300, cost = 0.25, currency = "EUR" } },
  { usage = { used = 50, size = 100, input = 500, output = 100 } },
  { message = "A2" },
]

[[rule]]
match = "beta"
steps = [{ message = "B1" }, { sleep = 600 }, { message = "B2" }]
"#;

#[tokio::test]
async fn two_threads_prompt_concurrently_with_updates_routed_by_session() {
    let fx = Fixture::new(SCRIPT);
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx_a, mut rx_a) = agent.event_channel();
    let (tx_b, mut rx_b) = agent.event_channel();
    let a = agent.new_thread(&fx.worktree, tx_a).await.unwrap();
    let b = agent.new_thread(&fx.worktree, tx_b).await.unwrap();
    assert_ne!(a, b);

    let started = std::time::Instant::now();
    let (stop_a, stop_b, events_a, events_b) = tokio::join!(
        agent.prompt(&a, "alpha please"),
        agent.prompt(&b, "beta please"),
        until_turn_end(&mut rx_a),
        until_turn_end(&mut rx_b),
    );
    assert_eq!(stop_a.unwrap(), "end_turn");
    assert_eq!(stop_b.unwrap(), "end_turn");
    // Concurrent, not one after the other (600 ms + 600 ms of sleeps).
    assert!(started.elapsed() < std::time::Duration::from_millis(1150), "{:?}", started.elapsed());

    assert_eq!(messages(&events_a), "A1|A2");
    assert_eq!(messages(&events_b), "B1|B2");
    let plan = events_a.iter().find_map(|e| match e {
        AgentEvent::Plan { entries } => Some(entries.clone()),
        _ => None,
    });
    let plan = plan.unwrap();
    assert_eq!((plan[0].status.as_str(), plan[1].status.as_str()), ("completed", "in_progress"));
    assert_eq!(plan[1].priority, "high");
    assert!(
        events_a.iter().any(|e| matches!(e, AgentEvent::Thought { text } if text == "thinking about alpha"))
    );
    assert!(events_a.iter().any(|e| matches!(e, AgentEvent::Usage { used: 10, size: 100, .. })));
    let update = events_a.iter().find_map(|e| match e {
        AgentEvent::ToolCallUpdate(update) => Some(update.clone()),
        _ => None,
    });
    let update = update.unwrap();
    assert_eq!(update.status.as_deref(), Some("completed"));
    assert_eq!(update.diffs[0].path, fx.worktree.join("a.txt"));
    assert_eq!(
        (update.diffs[0].old_text.as_deref(), update.diffs[0].new_text.as_str()),
        (Some("old"), "new")
    );
    assert!(
        matches!(events_a.last(), Some(AgentEvent::TurnEnded { stop_reason, .. }) if stop_reason == "end_turn")
    );
    // The thread's cost as reported, and the turn's tokens summed into its answer.
    let cost = events_a.iter().find_map(|e| match e {
        AgentEvent::Usage { cost: Some(cost), .. } => Some(cost.clone()),
        _ => None,
    });
    assert_eq!(cost.map(|c| (c.amount, c.currency)), Some((0.25, "EUR".to_owned())));
    let Some(AgentEvent::TurnEnded { usage, .. }) = events_a.last() else { panic!("{events_a:?}") };
    let usage = usage.expect("the turn's tokens");
    assert_eq!((usage.input_tokens, usage.output_tokens, usage.cached_tokens), (1500, 300, 300));
    assert!(matches!(events_b.last(), Some(AgentEvent::TurnEnded { usage: None, .. })), "{events_b:?}");

    let pid = agent.pid();
    agent.shutdown().await;
    crate::support::assert_gone(pid).await;
}

#[tokio::test]
async fn cancel_ends_the_turn_with_cancelled() {
    let fx = Fixture::new(
        "[[rule]]\nmatch = \"slow\"\nsteps = [{ message = \"start\" }, { sleep = 5000 }, { message = \"never\" }]\n",
    );
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    // Cancelled once the agent has said "start" (an event, not a time: a loaded machine may take
    // longer than any fixed wait to get there), while it sleeps.
    let cancel_after_start = async {
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            let started = matches!(&event, AgentEvent::MessageChunk { text } if text == "start");
            events.push(event);
            if started {
                break;
            }
        }
        agent.cancel(&id).await.unwrap();
        events.extend(until_turn_end(&mut rx).await);
        events
    };
    let (stop, events) = tokio::join!(agent.prompt(&id, "slow"), cancel_after_start);
    assert_eq!(stop.unwrap(), "cancelled");
    assert_eq!(messages(&events), "start");

    // A closed thread is gone on both sides.
    assert!(agent.info().supports_close());
    agent.close_thread(&id).await.unwrap();
    let err = agent.prompt(&id, "slow").await.unwrap_err();
    assert!(matches!(err, spectask_agent::AgentError::UnknownThread(_)), "{err}");
    agent.shutdown().await;
}

#[tokio::test]
async fn a_slow_consumer_gets_every_event_in_order_through_a_small_buffer() {
    let steps: Vec<String> = (0..60).map(|i| format!("{{ message = \"m{i}\" }}")).collect();
    let fx = Fixture::new(&format!("[[rule]]\nmatch = \"many\"\nsteps = [{}]\n", steps.join(", ")));
    let cfg = spectask_agent::RuntimeConfig { event_buffer: 2, ..config() };
    let agent = fx.start(cfg, PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let slow = async {
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            let end = matches!(event, AgentEvent::TurnEnded { .. });
            events.push(event);
            if end {
                break;
            }
        }
        events
    };
    let (stop, events) = tokio::join!(agent.prompt(&id, "many"), slow);
    assert_eq!(stop.unwrap(), "end_turn");
    let expected: Vec<String> = (0..60).map(|i| format!("m{i}")).collect();
    assert_eq!(messages(&events), expected.join("|"));
    agent.shutdown().await;
}

#[tokio::test]
async fn the_demo_script_runs_end_to_end() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../spectask-scripted-agent/scripts/demo.toml");
    let demo = std::fs::read_to_string(demo).unwrap();
    let fx = Fixture::new(&demo);
    let agent = fx.start(config(), PermissionPolicy::Auto).await;
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, events) = tokio::join!(agent.prompt(&id, "implement task 1"), until_turn_end(&mut rx));
    assert_eq!(stop.unwrap(), "end_turn");
    assert_eq!(std::fs::read_to_string(fx.worktree.join("src/greeting.txt")).unwrap(), "hello\n");
    let said = messages(&events);
    assert!(
        said.contains("exit 0: hello") && said.ends_with("Done: src/greeting.txt added and checked."),
        "{said}"
    );
    let plans = events.iter().filter(|e| matches!(e, AgentEvent::Plan { .. })).count();
    assert_eq!(plans, 2);
    agent.shutdown().await;
}
