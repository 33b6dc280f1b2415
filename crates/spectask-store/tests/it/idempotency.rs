//! Idempotency keys: claimed once per user and key, answered, released; another request's
//! fingerprint under the same key is told apart.

use spectask_store::{KeptAnswer, KeyClaim, Store};

use crate::both_backends;

both_backends!(a_key_is_claimed_once_per_user_and_keeps_its_answer);

async fn a_key_is_claimed_once_per_user_and_keeps_its_answer(store: Store) {
    assert_eq!(store.claim_idempotency_key("ann", "k1", "f1").await.unwrap(), KeyClaim::New);
    assert_eq!(store.claim_idempotency_key("ann", "k1", "f1").await.unwrap(), KeyClaim::InFlight);
    assert_eq!(store.claim_idempotency_key("ann", "k1", "f2").await.unwrap(), KeyClaim::OtherRequest);
    // Keys are per user: bob's k1 is his own.
    assert_eq!(store.claim_idempotency_key("bob", "k1", "f2").await.unwrap(), KeyClaim::New);

    let answer =
        KeptAnswer { status: 201, content_type: Some("application/json".into()), body: "{\"id\":1}".into() };
    store.keep_idempotent_answer("ann", "k1", &answer).await.unwrap();
    assert_eq!(
        store.claim_idempotency_key("ann", "k1", "f1").await.unwrap(),
        KeyClaim::Answered(answer.clone())
    );
    // Releasing a key that has its answer changes nothing.
    store.release_idempotency_key("ann", "k1").await.unwrap();
    assert_eq!(store.claim_idempotency_key("ann", "k1", "f1").await.unwrap(), KeyClaim::Answered(answer));

    // A released key (its request failed on the server's side) runs again.
    store.release_idempotency_key("bob", "k1").await.unwrap();
    assert_eq!(store.claim_idempotency_key("bob", "k1", "f3").await.unwrap(), KeyClaim::New);
}
