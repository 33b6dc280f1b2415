//! What the store keeps of forges for a server others share: webhook deliveries, each taken once
//! by its id and by its body (a replay of either is known and records nothing; deliveries are per
//! connection).

use spectask_store::Store;

use crate::both_backends;

both_backends!(a_delivery_is_taken_once_by_its_id_and_by_its_body);

async fn a_delivery_is_taken_once_by_its_id_and_by_its_body(store: Store) {
    assert!(store.take_webhook_delivery("gh", Some("d-1"), "aaa").await.unwrap());
    // The forge delivers it again (its id and body), or someone replays its body under a new id.
    assert!(!store.take_webhook_delivery("gh", Some("d-1"), "aaa").await.unwrap());
    assert!(!store.take_webhook_delivery("gh", Some("d-2"), "aaa").await.unwrap());
    assert!(!store.take_webhook_delivery("gh", None, "aaa").await.unwrap());
    // The same id with another body is a replay too, and records nothing of that body.
    assert!(!store.take_webhook_delivery("gh", Some("d-1"), "bbb").await.unwrap());
    assert!(store.take_webhook_delivery("gh", Some("d-3"), "bbb").await.unwrap());
    // d-2 was never taken: the refused replay above recorded nothing.
    assert!(store.take_webhook_delivery("gh", Some("d-2"), "ccc").await.unwrap());
    // Deliveries are per connection.
    assert!(store.take_webhook_delivery("gitlab", Some("d-1"), "aaa").await.unwrap());
    // A delivery without id is known by its body alone.
    assert!(store.take_webhook_delivery("gh", None, "ddd").await.unwrap());
    assert!(!store.take_webhook_delivery("gh", None, "ddd").await.unwrap());
}
