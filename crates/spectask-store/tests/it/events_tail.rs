//! The event tail and its followers: a follower reads the ring while its cursor is within it and
//! the store while it is older, in order, with no gap and no event twice; a slow follower lags
//! without holding anyone up and loses nothing; a follower sees only its scope; an event of the
//! ring is encoded for the wire once, whatever the number of followers sending it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use spectask_core::events::payload::WorkSessionPlan;
use spectask_core::{SpecTask, SpecTaskId};
use spectask_store::testing::start_event_tail;
use spectask_store::{EventFollower, EventScope, Store};

use crate::{both_backends, new_task, repo};

both_backends!(
    a_follower_reads_the_store_behind_the_ring_then_the_ring,
    a_slow_follower_lags_behind_the_ring_and_loses_nothing,
    a_follower_sees_only_its_scope_in_the_ring_and_behind_it,
    followers_end_when_the_store_ends_its_streams,
    followers_of_a_node_share_each_events_wire_form,
);

/// The ring the tests start: a handful of events, so that a few writes move it on.
const RING: usize = 4;
/// Far longer than a local database round trip.
const PATIENCE: Duration = Duration::from_secs(10);

async fn owned_task(store: &Store, owner: &str, title: &str) -> SpecTask {
    let r = repo(store, &format!("/repos/{owner}")).await;
    let mut new = new_task(&r, title);
    new.created_by = owner.to_owned();
    store.create_spec_task(new).await.unwrap()
}

async fn plan(store: &Store, task: SpecTaskId, n: usize) -> i64 {
    let payload = WorkSessionPlan { entries: Vec::new(), done: n, current: None };
    store.publish_event(Some(task), None, &payload).await.unwrap()
}

/// The seqs a follower gives until it has given `last`, each page within the patience.
async fn seqs_through(follower: &mut EventFollower, last: i64) -> Vec<i64> {
    let mut seqs = Vec::new();
    while seqs.last().is_none_or(|seq| *seq < last) {
        let page = tokio::time::timeout(PATIENCE, follower.next_page()).await;
        let page = page
            .unwrap_or_else(|_| panic!("no event after {seqs:?} within the patience (waiting for {last})"));
        seqs.extend(page.unwrap().expect("the stream is open").iter().map(|e| e.seq));
    }
    seqs
}

/// Every seq of `scope` after `after`, as the store lists them.
async fn stored(store: &Store, scope: &EventScope, after: i64) -> Vec<i64> {
    store.events_in_scope_after(scope, after, 10_000).await.unwrap().iter().map(|e| e.seq).collect()
}

async fn a_follower_reads_the_store_behind_the_ring_then_the_ring(store: Store) {
    start_event_tail(&store, RING).await.unwrap();
    let task = owned_task(&store, "alice", "t").await;
    let mut written = Vec::new();
    for n in 0..3 * RING {
        written.push(plan(&store, task.id, n).await);
    }
    // From the start (older than the ring), from inside the ring, and from its newest event.
    for after in [0, written[written.len() - 2], *written.last().unwrap()] {
        let mut follower = store.follow_events(EventScope::All, after).await.unwrap();
        let live = plan(&store, task.id, 99).await;
        let seqs = seqs_through(&mut follower, live).await;
        assert_eq!(
            seqs,
            stored(&store, &EventScope::All, after).await,
            "after {after}: in order, no gap, nothing twice"
        );
    }
}

async fn a_slow_follower_lags_behind_the_ring_and_loses_nothing(store: Store) {
    start_event_tail(&store, RING).await.unwrap();
    let task = owned_task(&store, "alice", "t").await;
    let start = store.last_event_seq().await.unwrap();
    let mut slow = store.follow_events(EventScope::All, start).await.unwrap();
    let mut fast = store.follow_events(EventScope::All, start).await.unwrap();
    let mut seen_by_fast = Vec::new();
    // The slow follower reads nothing while the ring moves on by many times its size; the fast one
    // gets each event as it comes.
    for n in 0..5 * RING {
        let seq = plan(&store, task.id, n).await;
        seen_by_fast.extend(seqs_through(&mut fast, seq).await);
    }
    let last = *seen_by_fast.last().unwrap();
    let expected = stored(&store, &EventScope::All, start).await;
    assert_eq!(seen_by_fast, expected);
    assert_eq!(seqs_through(&mut slow, last).await, expected, "the slow follower caught up from the store");
    // And both go on live, from the ring.
    let live = plan(&store, task.id, 99).await;
    assert_eq!(seqs_through(&mut slow, live).await, [live]);
    assert_eq!(seqs_through(&mut fast, live).await, [live]);
}

async fn a_follower_sees_only_its_scope_in_the_ring_and_behind_it(store: Store) {
    start_event_tail(&store, RING).await.unwrap();
    let start = store.last_event_seq().await.unwrap();
    let alices = owned_task(&store, "alice", "Alice's").await;
    let bobs = owned_task(&store, "bob", "Bob's").await;
    let mut last = 0;
    for n in 0..3 * RING {
        plan(&store, alices.id, n).await;
        last = plan(&store, bobs.id, n).await;
    }
    for scope in [EventScope::OwnedBy("alice".into()), EventScope::SpecTask(alices.id)] {
        // Behind the ring (from the start) and within it (from the newest).
        for after in [start, last] {
            let mut follower = store.follow_events(scope.clone(), after).await.unwrap();
            let live = plan(&store, alices.id, 99).await;
            plan(&store, bobs.id, 99).await;
            let seqs = seqs_through(&mut follower, live).await;
            let mut expected = stored(&store, &scope, after).await;
            expected.retain(|seq| *seq <= live);
            assert_eq!(seqs, expected, "{scope:?} after {after}");
            let theirs = store.events_in_scope_after(&EventScope::OwnedBy("bob".into()), after, 10_000).await;
            let theirs: Vec<i64> = theirs.unwrap().iter().map(|e| e.seq).collect();
            assert!(
                seqs.iter().all(|seq| !theirs.contains(seq)),
                "{scope:?} was given bob's events: {seqs:?}"
            );
        }
    }
    let mut nobody = store.follow_events(EventScope::OwnedBy("carol".into()), start).await.unwrap();
    let next = tokio::time::timeout(Duration::from_millis(300), nobody.next_page()).await;
    assert!(next.is_err(), "carol owns nothing, yet was given {next:?}");
}

async fn followers_end_when_the_store_ends_its_streams(store: Store) {
    start_event_tail(&store, RING).await.unwrap();
    let task = owned_task(&store, "alice", "t").await;
    let mut follower = store.follow_events(EventScope::All, 0).await.unwrap();
    let seq = plan(&store, task.id, 0).await;
    seqs_through(&mut follower, seq).await;
    let waiting = tokio::spawn(async move { follower.next_page().await.map(|page| page.is_none()) });
    store.end_event_streams();
    let ended = tokio::time::timeout(PATIENCE, waiting).await.expect("the follower's wait ended").unwrap();
    assert!(ended.unwrap(), "the follower ends");
    let later = store.follow_events(EventScope::All, 0).await.unwrap().next_page().await.unwrap();
    assert!(later.is_none(), "a follower that comes later ends at once");
}

/// Followers of one node given the same event of the ring share its wire form: the first to ask
/// encodes it, every other gets the same bytes.
async fn followers_of_a_node_share_each_events_wire_form(store: Store) {
    start_event_tail(&store, 64).await.unwrap();
    let task = owned_task(&store, "alice", "t").await;
    let start = store.last_event_seq().await.unwrap();
    let mut followers = Vec::new();
    for _ in 0..5 {
        followers.push(store.follow_events(EventScope::All, start).await.unwrap());
    }
    let mut written = Vec::new();
    for n in 0..3 {
        written.push(plan(&store, task.id, n).await);
    }
    let encoded = AtomicUsize::new(0);
    let encode = |event: &spectask_core::Event| {
        encoded.fetch_add(1, Ordering::Relaxed);
        bytes::Bytes::from(format!("frame {}", event.seq))
    };
    let mut wires = Vec::new();
    for follower in &mut followers {
        let mut given = Vec::new();
        while given.len() < written.len() {
            let page =
                tokio::time::timeout(PATIENCE, follower.next_page()).await.expect("within the patience");
            given.extend(page.unwrap().expect("the stream is open"));
        }
        assert_eq!(given.iter().map(|e| e.seq).collect::<Vec<_>>(), written);
        wires.push(given.iter().map(|e| e.wire_with(encode)).collect::<Vec<_>>());
    }
    assert_eq!(encoded.load(Ordering::Relaxed), written.len(), "each event encoded once for 5 followers");
    for wire in &wires {
        for (frame, first) in wire.iter().zip(&wires[0]) {
            assert_eq!(frame.as_ptr(), first.as_ptr(), "the same bytes, not a copy");
        }
    }
}
