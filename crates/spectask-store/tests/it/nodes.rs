//! Task leases and the nodes holding them: a node kept from a task's lease learns which node holds
//! it and where that node serves its API.

use std::time::Duration;

use spectask_store::{Store, TaskLeaseHolder};

use crate::{both_backends, new_task, repo};

both_backends!(a_node_kept_from_a_task_lease_learns_its_holder_and_address);

async fn a_node_kept_from_a_task_lease_learns_its_holder_and_address(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let ttl = Duration::from_secs(60);
    assert_eq!(store.take_task_lease(task.id, "node-b", ttl).await.unwrap(), None, "free: taken");
    assert_eq!(store.take_task_lease(task.id, "node-b", ttl).await.unwrap(), None, "ours: renewed");
    let unknown = TaskLeaseHolder { node: "node-b".into(), address: None };
    assert_eq!(store.take_task_lease(task.id, "node-a", ttl).await.unwrap(), Some(unknown));
    store.register_node("node-b", "http://10.0.0.2:7070").await.unwrap();
    store.register_node("node-b", "http://10.0.0.2:7071").await.unwrap();
    let known = TaskLeaseHolder { node: "node-b".into(), address: Some("http://10.0.0.2:7071".into()) };
    assert_eq!(store.take_task_lease(task.id, "node-a", ttl).await.unwrap(), Some(known));
    assert!(!store.acquire_task_lease(task.id, "node-a", ttl).await.unwrap());
    // An expired lease goes to whoever asks.
    store.renew_task_leases("node-b", Duration::ZERO).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.take_task_lease(task.id, "node-a", ttl).await.unwrap(), None);
    store.release_task_lease(task.id, "node-a").await.unwrap();
    assert!(store.acquire_task_lease(task.id, "node-b", ttl).await.unwrap());
}
