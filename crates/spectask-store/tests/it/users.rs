//! Users and API tokens: names are checked and unique, a token is shown once and kept only as its
//! keyed hash, and it names its user only under the key it was made with.

use spectask_store::{SpecTaskFilter, Store, StoreError, TokenKey};

use crate::{both_backends, new_task, repo};

both_backends!(
    tokens_name_their_user_and_only_their_keyed_hash_is_stored,
    owners_see_only_their_tasks_events_and_repositories,
    a_revoked_token_names_nobody_and_stays_listed,
    a_repository_knows_whether_a_member_may_use_it,
);

/// A repository a member owns or may use, or once did, is trusted no further than its URL's
/// checks (its remote's redirects are not followed, its LFS files stay pointers): what a member's
/// agents committed stays after the member leaves or becomes an administrator.
async fn a_repository_knows_whether_a_member_may_use_it(store: Store) {
    store.add_user("alice", spectask_store::UserRole::Member).await.unwrap();
    store.add_user("root", spectask_store::UserRole::Admin).await.unwrap();
    let owned = |path: &'static str, owner: Option<&'static str>| {
        let store = store.clone();
        async move {
            let registered =
                store.register_repository(std::path::Path::new(path), "main", "docs", owner).await.unwrap();
            let read = store.repository(registered.id).await.unwrap();
            assert_eq!(read.member_access, registered.member_access, "{path}: as registered");
            read.member_access
        }
    };
    assert!(owned("/repos/alice", Some("alice")).await);
    assert!(!owned("/repos/root", Some("root")).await);
    assert!(
        !owned("/repos/open", Some(spectask_store::LOCAL_USER)).await,
        "the open server's: the operator's"
    );
    assert!(!owned("/repos/none", None).await);
    assert!(owned("/repos/gone", Some("gone")).await, "an owner no longer on the server");
    let listed = store.list_repositories().await.unwrap();
    let member: Vec<&str> =
        listed.iter().filter(|r| r.member_access).map(|r| r.path.to_str().unwrap()).collect();
    assert_eq!(member, ["/repos/alice", "/repos/gone"]);
    store.grant_repository(listed[0].id, "alice").await.unwrap();
    assert!(store.repositories_of("alice").await.unwrap().iter().all(|r| r.member_access));
    store.set_user_role("alice", spectask_store::UserRole::Admin).await.unwrap();
    let alices = store.repository_by_path(std::path::Path::new("/repos/alice")).await.unwrap().unwrap();
    assert!(alices.member_access, "an administrator's now, used by a member before");

    store.add_user("bob", spectask_store::UserRole::Member).await.unwrap();
    let roots = store.repository_by_path(std::path::Path::new("/repos/root")).await.unwrap().unwrap();
    store.grant_repository(roots.id, "alice").await.unwrap();
    assert!(!store.repository(roots.id).await.unwrap().member_access, "only administrators use it");
    store.grant_repository(roots.id, "bob").await.unwrap();
    assert!(store.repository(roots.id).await.unwrap().member_access, "a member may use it");
    let bobs = store.repositories_of("bob").await.unwrap();
    assert_eq!(
        bobs.iter().map(|r| (r.path.to_str().unwrap(), r.member_access)).collect::<Vec<_>>(),
        [("/repos/root", true)]
    );
    store.set_user_role("bob", spectask_store::UserRole::Admin).await.unwrap();
    assert!(store.repository(roots.id).await.unwrap().member_access, "its member is an administrator now");
    store.set_user_role("bob", spectask_store::UserRole::Member).await.unwrap();
    assert!(store.remove_repository_member(roots.id, "bob").await.unwrap());
    assert!(store.repository(roots.id).await.unwrap().member_access, "its member left");

    // Nothing else is kept: repositories only the operator and administrators used stay trusted.
    store.add_user("carol", spectask_store::UserRole::Admin).await.unwrap();
    let nones = store.repository_by_path(std::path::Path::new("/repos/none")).await.unwrap().unwrap();
    assert!(!nones.member_access, "kept only where a member used it");
    store.grant_repository(nones.id, "carol").await.unwrap();
    store.set_user_role("carol", spectask_store::UserRole::Member).await.unwrap();
    assert!(store.repository(nones.id).await.unwrap().member_access, "its user is a member now");
    assert!(store.remove_repository_member(nones.id, "carol").await.unwrap());
    assert!(store.repository(nones.id).await.unwrap().member_access, "a member used it");
    let trusted: Vec<String> = store
        .list_repositories()
        .await
        .unwrap()
        .iter()
        .filter(|r| !r.member_access)
        .map(|r| r.path.display().to_string())
        .collect();
    assert_eq!(trusted, ["/repos/open"]);

    // An administrator given the name of an owner no longer on the server.
    let daves = owned("/repos/dave", Some("dave")).await;
    assert!(daves, "an owner no longer on the server");
    store.add_user("dave", spectask_store::UserRole::Admin).await.unwrap();
    let daves = store.repository_by_path(std::path::Path::new("/repos/dave")).await.unwrap().unwrap();
    assert!(daves.member_access, "a member's before");
}

async fn owners_see_only_their_tasks_events_and_repositories(store: Store) {
    let shared = repo(&store, "/repos/shared").await;
    let of = |owner: &str, title: &str| {
        let mut new = new_task(&shared, title);
        new.created_by = owner.to_owned();
        new
    };
    let a = store.create_spec_task(of("alice", "Alice's")).await.unwrap();
    let b = store.create_spec_task(of("bob", "Bob's")).await.unwrap();
    let page =
        |owner: &str| SpecTaskFilter { created_by: Some(owner.to_owned()), limit: 10, ..Default::default() };
    let alices = store.list_spec_tasks(&page("alice")).await.unwrap();
    assert_eq!((alices.total, alices.items[0].id), (1, a.id));
    assert_eq!(
        store.list_spec_tasks(&SpecTaskFilter { limit: 10, ..Default::default() }).await.unwrap().total,
        2
    );
    // By full id, abbreviated id and handle: found for the owner, not found for the other.
    let handle = format!("{}-{}", a.short_id, a.slug);
    for reference in [a.id.to_string(), a.short_id.to_string()[..5].to_owned(), handle] {
        assert_eq!(store.resolve_spec_task_of(&reference, Some("alice")).await.unwrap(), a.id);
        let err = store.resolve_spec_task_of(&reference, Some("bob")).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{reference}: {err}");
        assert_eq!(store.resolve_spec_task_of(&reference, None).await.unwrap(), a.id);
    }
    let events = store.events_of_owner_after("bob", 0, 100).await.unwrap();
    assert!(!events.is_empty() && events.iter().all(|e| e.spec_task_id == Some(b.id)), "{events:?}");
    let after = events.last().unwrap().seq;
    assert!(store.events_of_owner_after("bob", after, 100).await.unwrap().is_empty());

    assert!(store.repositories_of("alice").await.unwrap().is_empty());
    store.grant_repository(shared.id, "alice").await.unwrap();
    store.grant_repository(shared.id, "alice").await.unwrap();
    assert_eq!(store.repositories_of("alice").await.unwrap().len(), 1);
    assert!(store.repository_granted(shared.id, "alice").await.unwrap());
    assert!(!store.repository_granted(shared.id, "bob").await.unwrap());
}

async fn tokens_name_their_user_and_only_their_keyed_hash_is_stored(store: Store) {
    let key = TokenKey::generate().unwrap();
    assert!(store.users().await.unwrap().is_empty());
    let alice = store.add_user("alice", spectask_store::UserRole::Member).await.unwrap();
    store.add_user("bob.smith-2", spectask_store::UserRole::Member).await.unwrap();
    for bad in ["", "Alice", "-x", "a b", &"x".repeat(65)] {
        let err = store.add_user(bad, spectask_store::UserRole::Member).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidInput(_)), "{bad:?}: {err}");
    }
    // spectask pauses sessions as `budget`: nobody may take the name.
    for name in ["budget", spectask_store::LOCAL_USER] {
        let reserved = store.add_user(name, spectask_store::UserRole::Member).await.unwrap_err();
        assert!(reserved.to_string().contains("reserved"), "{name}: {reserved}");
    }
    let taken = store.add_user("alice", spectask_store::UserRole::Member).await.unwrap_err();
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
    // Change the last hex digit to another one (appending "0" in place of a last "0" would be the
    // same token: this test failed one run in sixteen).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let altered = format!("{}{last}", &token[..token.len() - 1]);
    assert_ne!(altered, token);
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

async fn a_revoked_token_names_nobody_and_stays_listed(store: Store) {
    let key = TokenKey::generate().unwrap();
    assert!(!store.has_users().await.unwrap());
    store.add_user("alice", spectask_store::UserRole::Member).await.unwrap();
    store.add_user("bob", spectask_store::UserRole::Member).await.unwrap();
    assert!(store.has_users().await.unwrap());
    let first = store.create_api_token(&key, "alice").await.unwrap();
    let second = store.create_api_token(&key, "alice").await.unwrap();
    let bobs = store.create_api_token(&key, "bob").await.unwrap();
    let listed = store.api_tokens(Some("alice")).await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|t| t.user == "alice" && t.revoked_at.is_none()), "{listed:?}");
    assert_eq!(store.api_tokens(None).await.unwrap().len(), 3);
    let unknown = store.api_tokens(Some("carol")).await.unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { entity: "user", .. }), "{unknown}");

    // By its id: that token only.
    let revoked = store.revoke_api_token(&key, &listed[0].id).await.unwrap();
    assert_eq!(revoked.id, listed[0].id);
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.user_of_token(&key, &first).await.unwrap(), None, "revoked: names nobody");
    assert_eq!(store.user_of_token(&key, &second).await.unwrap().unwrap().name, "alice");
    let again = store.revoke_api_token(&key, &listed[0].id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at, "revoking twice changes nothing");
    let listed = store.api_tokens(Some("alice")).await.unwrap();
    assert_eq!(listed[0].revoked_at, revoked.revoked_at, "a revoked token stays listed");

    // By the secret itself.
    let by_secret = store.revoke_api_token(&key, &bobs).await.unwrap();
    assert_eq!((by_secret.user.as_str(), by_secret.revoked_at.is_some()), ("bob", true));
    assert_eq!(store.user_of_token(&key, &bobs).await.unwrap(), None);

    // What names no token, or more than one, says so.
    let ambiguous = store.revoke_api_token(&key, "0").await.unwrap_err();
    assert!(
        matches!(ambiguous, StoreError::Ambiguous { .. }),
        "ids made together share their first digits: {ambiguous}"
    );
    let missing = store.revoke_api_token(&key, "ffffffff").await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound { entity: "API token", .. }), "{missing}");
    let nonsense = store.revoke_api_token(&key, "alice's token").await.unwrap_err();
    assert!(nonsense.to_string().contains("spectask token list"), "{nonsense}");
    assert_eq!(store.user_of_token(&key, &second).await.unwrap().unwrap().name, "alice", "untouched");
}
