//! Wake-ups for event stream readers: every commit that appends events wakes them, other nodes'
//! commits too on PostgreSQL, and ending the streams ends their waits.

use std::time::Duration;

use spectask_core::events::payload::WorkSessionPlan;
use spectask_store::{DatabaseUrl, Store};

use crate::{both_backends, new_task, repo};

both_backends!(
    a_commit_that_appends_events_wakes_every_reader,
    events_of_one_task_are_paged_after_a_cursor,
    ending_the_streams_ends_waiting_readers,
);

/// Far shorter than any sweep a reader would fall back on.
const PATIENCE: Duration = Duration::from_secs(2);

async fn a_commit_that_appends_events_wakes_every_reader(store: Store) {
    let mut first = store.event_wakeups();
    let mut second = store.event_wakeups();
    let r = repo(&store, "/repos/a").await;
    // Made before waiting: the wake-up is kept until the reader looks.
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    assert_eq!(tokio::time::timeout(PATIENCE, first.next()).await, Ok(true));
    let waiting = tokio::spawn(async move { tokio::time::timeout(PATIENCE, second.next()).await });
    store.publish_event(Some(task.id), None, &plan(0)).await.unwrap();
    assert_eq!(waiting.await.unwrap(), Ok(true));
    assert_eq!(tokio::time::timeout(PATIENCE, first.next()).await, Ok(true));
}

async fn events_of_one_task_are_paged_after_a_cursor(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let a = store.create_spec_task(new_task(&r, "a")).await.unwrap();
    let b = store.create_spec_task(new_task(&r, "b")).await.unwrap();
    let mut of_a = Vec::new();
    for n in 0..5 {
        of_a.push(store.publish_event(Some(a.id), None, &plan(n)).await.unwrap());
        store.publish_event(Some(b.id), None, &plan(n)).await.unwrap();
    }
    let page = store.events_of_spec_task_after(a.id, of_a[0], 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), of_a[1..4]);
    assert!(page.iter().all(|e| e.spec_task_id == Some(a.id)));
    let rest = store.events_of_spec_task_after(a.id, of_a[3], 3).await.unwrap();
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), of_a[4..]);
}

async fn ending_the_streams_ends_waiting_readers(store: Store) {
    let mut reader = store.event_wakeups();
    // Wake-ups before the end (PostgreSQL's listener announces itself) are fine; the wait ends.
    let waiting = tokio::spawn(async move { while reader.next().await {} });
    tokio::time::sleep(Duration::from_millis(50)).await;
    store.end_event_streams();
    tokio::time::timeout(PATIENCE, waiting).await.expect("the reader's wait ended").unwrap();
    assert!(!store.event_wakeups().next().await, "a reader that comes later ends at once");
}

/// Two nodes on one PostgreSQL database: a commit on one wakes the readers of the other.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_another_nodes_commit_wakes_readers() {
    let url = DatabaseUrl::parse(&spectask_store::testing::isolated_postgres_url().await.unwrap()).unwrap();
    let (node1, node2) = (Store::open(&url).await.unwrap(), Store::open(&url).await.unwrap());
    let r = repo(&node2, "/repos/a").await;
    let task = node2.create_spec_task(new_task(&r, "t")).await.unwrap();
    let mut reader = node1.event_wakeups();
    // The listener connects in the background and wakes readers once it listens; then every
    // event node 2 commits wakes this reader within the patience.
    assert_eq!(tokio::time::timeout(PATIENCE, reader.next()).await, Ok(true));
    for n in 0..3 {
        let waiting = tokio::time::timeout(PATIENCE, reader.next());
        let payload = plan(n);
        let seq = node2.publish_event(Some(task.id), None, &payload);
        let (woken, seq) = tokio::join!(waiting, seq);
        assert_eq!(woken, Ok(true), "event {} did not wake node 1", seq.unwrap());
    }
}

/// A node's own commit wakes its readers once, when it commits: its `NOTIFY` (which its listener
/// receives like any other) does not wake them a second time. In a database of its own, where no
/// other test's notifications arrive.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_a_nodes_own_notify_does_not_wake_it_again() {
    let database = spectask_store::testing::isolated_postgres_database().await.unwrap();
    let url = DatabaseUrl::parse(&database.url).unwrap();
    let node = Store::open(&url).await.unwrap();
    let r = repo(&node, "/repos/a").await;
    let task = node.create_spec_task(new_task(&r, "t")).await.unwrap();
    let mut reader = node.event_wakeups();
    // The listener wakes readers once it listens (and the commits above may add one wake-up).
    assert_eq!(tokio::time::timeout(PATIENCE, reader.next()).await, Ok(true));
    let quiet = Duration::from_millis(500);
    while tokio::time::timeout(quiet, reader.next()).await.is_ok() {}
    for n in 0..3 {
        node.publish_event(Some(task.id), None, &plan(n)).await.unwrap();
        assert_eq!(tokio::time::timeout(PATIENCE, reader.next()).await, Ok(true), "the commit wakes");
        let again = tokio::time::timeout(quiet, reader.next()).await;
        assert!(again.is_err(), "event {n}: woken again by the node's own NOTIFY");
    }
}

/// A database of a test's own is dropped with its guard, though a store (and its listener) still
/// has connections open to it.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_an_isolated_database_is_dropped_with_its_guard() {
    use spectask_store::testing::{isolated_postgres_database, postgres_database_exists};
    let database = isolated_postgres_database().await.unwrap();
    let name = database.name().to_owned();
    let node = Store::open(&DatabaseUrl::parse(&database.url).unwrap()).await.unwrap();
    let mut reader = node.event_wakeups();
    assert_eq!(tokio::time::timeout(PATIENCE, reader.next()).await, Ok(true), "the listener listens");
    assert!(postgres_database_exists(&name).await.unwrap());
    drop(database);
    assert!(!postgres_database_exists(&name).await.unwrap(), "{name} is left behind");
}

/// A plan update, the event these tests publish.
fn plan(done: usize) -> WorkSessionPlan {
    WorkSessionPlan { entries: Vec::new(), done, current: None }
}
