//! Users and API tokens: names are checked and unique, a token is shown once and kept only as its
//! keyed hash, and it names its user only under the key it was made with.

use spectask_store::{Store, StoreError, TokenKey};

use crate::both_backends;

both_backends!(tokens_name_their_user_and_only_their_keyed_hash_is_stored);

async fn tokens_name_their_user_and_only_their_keyed_hash_is_stored(store: Store) {
    let key = TokenKey::generate().unwrap();
    assert!(store.users().await.unwrap().is_empty());
    let alice = store.add_user("alice").await.unwrap();
    store.add_user("bob.smith-2").await.unwrap();
    for bad in ["", "Alice", "-x", "a b", &"x".repeat(65)] {
        let err = store.add_user(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput(_)), "{bad:?}: {err}");
    }
    let taken = store.add_user("alice").await.unwrap_err();
    assert_eq!(taken.to_string(), "user \"alice\" already exists");
    let names: Vec<String> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob.smith-2"]);

    let token = store.create_api_token(&key, "alice").await.unwrap();
    assert!(token.starts_with("spt_") && token.len() == 4 + 64, "{token}");
    let second = store.create_api_token(&key, "alice").await.unwrap();
    assert_ne!(token, second);
    assert_eq!(store.user_of_token(&key, &token).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.user_of_token(&key, &second).await.unwrap().map(|u| u.name).as_deref(), Some("alice"));
    // Under another key, not prefixed, or altered: nobody.
    let other_key = TokenKey::generate().unwrap();
    assert_eq!(store.user_of_token(&other_key, &token).await.unwrap(), None);
    assert_eq!(store.user_of_token(&key, &token[4..]).await.unwrap(), None);
    let altered = format!("{}0", &token[..token.len() - 1]);
    assert_eq!(store.user_of_token(&key, &altered).await.unwrap(), None);
    assert!(matches!(
        store.create_api_token(&key, "carol").await.unwrap_err(),
        StoreError::NotFound { entity: "user", .. }
    ));
    // The key survives a round trip through its file form.
    let reread = TokenKey::from_hex(&format!("{}\n", key.to_hex())).unwrap();
    assert_eq!(store.user_of_token(&reread, &token).await.unwrap(), Some(alice));
    assert!(TokenKey::from_hex("abc").is_err());

    let hashes = spectask_store::testing::api_token_hashes(&store).await.unwrap();
    assert_eq!(hashes.len(), 2);
    for hash in &hashes {
        assert!(!hash.contains(&token[4..]) && !hash.contains(&second[4..]), "a token is stored: {hash}");
        assert!(*hash != sha256_hex(&token) && *hash != sha256_hex(&second), "an unkeyed hash is stored");
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
