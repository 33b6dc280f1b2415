//! The runtime: one instance per task, a global cap with a FIFO queue, and idle instances stopped.

use std::time::Duration;

use spectask_agent::{AgentRuntime, PermissionPolicy, RuntimeConfig};
use spectask_core::SpecTaskId;

use crate::support::{Fixture, assert_gone, config, until_turn_end};

fn task(n: u8) -> SpecTaskId {
    format!("01936f3e-8a2b-7c4d-9e5f-0123456789{n:02x}").parse().unwrap()
}

#[tokio::test]
async fn cap_queues_starts_and_reuses_instances_per_task() {
    let fx = Fixture::new("");
    let runtime = AgentRuntime::new(RuntimeConfig { max_live_instances: 1, ..config() });
    let profile = fx.profile(PermissionPolicy::Auto, &[]);
    let workspace = fx.workspace();
    let (first, again) = tokio::join!(
        runtime.instance(task(1), &profile, &workspace),
        runtime.instance(task(1), &profile, &workspace),
    );
    let (first, again) = (first.unwrap(), again.unwrap());
    assert_eq!(first.pid(), again.pid());

    // A second task waits for the slot until the first task's instance stops.
    let waiting = runtime.instance(task(2), &profile, &workspace);
    tokio::pin!(waiting);
    assert!(tokio::time::timeout(Duration::from_millis(300), &mut waiting).await.is_err());
    runtime.stop(task(1)).await;
    assert_gone(first.pid()).await;
    let second = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_ne!(second.pid(), first.pid());
    assert_eq!(runtime.live_count().await, 1);
    runtime.stop_all().await;
    assert_gone(second.pid()).await;
}

#[tokio::test]
async fn idle_instance_is_stopped() {
    let fx = Fixture::new("");
    let runtime = AgentRuntime::new(RuntimeConfig { idle_timeout: Duration::from_millis(300), ..config() });
    let profile = fx.profile(PermissionPolicy::Auto, &[]);
    let agent = runtime.instance(task(3), &profile, &fx.workspace()).await.unwrap();
    let (tx, mut rx) = agent.event_channel();
    let id = agent.new_thread(&fx.worktree, tx).await.unwrap();
    let (stop, _) = tokio::join!(agent.prompt(&id, "hi"), until_turn_end(&mut rx));
    stop.unwrap();
    assert_gone(agent.pid()).await;
    assert!(!agent.is_alive());
    assert_eq!(runtime.live_count().await, 0);
}
