//! A repository's owner and members, and its settings changed with who changed them.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use spectask_core::{EventKind, HookPolicy, MergePolicy, PullRequestMerge, TaskBranchPolicy};
use spectask_store::{SettingsChange, Store};

use crate::both_backends;

both_backends!(
    the_registering_user_owns_a_repository_and_adds_members,
    a_settings_change_is_one_event_naming_who_and_what,
    a_change_is_stamped_after_the_last_whatever_the_clock,
);

async fn the_registering_user_owns_a_repository_and_adds_members(store: Store) {
    let path = Path::new("/repos/owned");
    let repository =
        store.register_repository(path, "main", "helix-design-docs", Some("alice")).await.unwrap();
    assert_eq!(repository.owner.as_deref(), Some("alice"));
    assert_eq!(store.repository_members(repository.id).await.unwrap(), ["alice"]);
    // Registering again (by anyone) changes nothing of it.
    let again = store.register_repository(path, "trunk", "other", Some("bob")).await.unwrap();
    assert_eq!((again.owner.as_deref(), again.default_branch.as_str()), (Some("alice"), "main"));

    store.grant_repository(repository.id, "bob").await.unwrap();
    assert_eq!(store.repository_members(repository.id).await.unwrap(), ["alice", "bob"]);
    assert!(!store.remove_repository_member(repository.id, "alice").await.unwrap(), "the owner stays");
    assert!(store.remove_repository_member(repository.id, "bob").await.unwrap());
    assert!(!store.remove_repository_member(repository.id, "bob").await.unwrap());
    assert!(!store.repository_granted(repository.id, "bob").await.unwrap());
    assert!(
        !store.claim_repository(repository.id, "bob", "local").await.unwrap(),
        "an owned one is not claimed"
    );

    // A repository nobody owns (rebuilt from its design-docs branch) goes to the first claimant.
    let unowned =
        store.register_repository(Path::new("/repos/found"), "main", "helix-design-docs", None).await;
    let unowned = unowned.unwrap();
    assert_eq!(unowned.owner, None);
    assert!(store.repository_members(unowned.id).await.unwrap().is_empty());
    assert!(store.claim_repository(unowned.id, "carol", "local").await.unwrap());
    assert!(!store.claim_repository(unowned.id, "dave", "local").await.unwrap());
    // One the open server's user registered goes to the first user who registers it.
    let open =
        store.register_repository(Path::new("/repos/open"), "main", "helix-design-docs", Some("local"));
    let open = open.await.unwrap();
    assert!(!store.claim_repository(open.id, "local", "local").await.unwrap());
    assert!(store.claim_repository(open.id, "erin", "local").await.unwrap());
    assert!(!store.claim_repository(open.id, "frank", "local").await.unwrap());
    assert_eq!(store.repository_members(open.id).await.unwrap(), ["erin"], "the open server's ends");
    assert_eq!(store.repository(unowned.id).await.unwrap().owner.as_deref(), Some("carol"));
    assert_eq!(store.repository_members(unowned.id).await.unwrap(), ["carol"]);
}

async fn a_settings_change_is_one_event_naming_who_and_what(store: Store) {
    let path = Path::new("/repos/settings");
    let repository =
        store.register_repository(path, "main", "helix-design-docs", Some("alice")).await.unwrap();
    let last = |events: Vec<spectask_core::Event>| {
        events.into_iter().filter(|e| e.kind == EventKind::RepositorySettingsChanged).collect::<Vec<_>>()
    };
    let change = SettingsChange {
        check_command: Some(Some("npm test".to_owned())),
        merge_policy: Some(MergePolicy::KeepBranch),
        task_branches: Some(TaskBranchPolicy::DeleteMerged),
        default_branch: Some("main".to_owned()),
        hooks: Some(HookPolicy::Skip),
        pull_request_merge: Some(PullRequestMerge::Squash),
        required_approvals: Some(2),
        issue_label: Some(Some("spectask".to_owned())),
    };
    let changed = store.change_repository_settings(repository.id, "bob", &change).await.unwrap();
    assert_eq!(changed.check_command.as_deref(), Some("npm test"));
    assert_eq!(changed.merge_policy, MergePolicy::KeepBranch);
    assert_eq!(changed.task_branches, TaskBranchPolicy::DeleteMerged);
    assert_eq!(changed.hooks, HookPolicy::Skip);
    assert_eq!(changed.pull_request_merge, PullRequestMerge::Squash);
    assert_eq!(changed.required_approvals, 2);
    assert_eq!(store.repository(repository.id).await.unwrap().required_approvals, 2, "kept");
    let events = last(store.events_after(0, 1000).await.unwrap());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].payload["by"], "bob");
    assert_eq!(
        events[0].payload["changes"],
        json!({
            "check_command": { "from": null, "to": "npm test" },
            "merge_policy": { "from": "merge", "to": "keep_branch" },
            "task_branches": { "from": "keep", "to": "delete_merged" },
            "hooks": { "from": "run", "to": "skip" },
            "pull_request_merge": { "from": "people", "to": "squash" },
            "required_approvals": { "from": "0", "to": "2" },
            "issue_label": { "from": null, "to": "spectask" },
        }),
        "the unchanged default branch is not named"
    );
    // The same change again changes nothing and records nothing; removing the check does.
    store.change_repository_settings(repository.id, "bob", &change).await.unwrap();
    assert_eq!(last(store.events_after(0, 1000).await.unwrap()).len(), 1);
    let remove = SettingsChange { check_command: Some(None), ..SettingsChange::default() };
    assert_eq!(
        store.change_repository_settings(repository.id, "alice", &remove).await.unwrap().check_command,
        None
    );
    let events = last(store.events_after(0, 1000).await.unwrap());
    assert_eq!(events[1].payload["changes"]["check_command"], json!({ "from": "npm test", "to": null }));
}

/// A node tells an older row of a repository from a newer one by `updated_at`: each change moves
/// it on, in the same millisecond as the last or after another node's clock that runs ahead.
async fn a_change_is_stamped_after_the_last_whatever_the_clock(store: Store) {
    let repository =
        store.register_repository(Path::new("/repos/stamped"), "main", "docs", None).await.unwrap();
    let mut last = repository.updated_at;
    let changes = [
        SettingsChange { hooks: Some(HookPolicy::Skip), ..Default::default() },
        SettingsChange { check_command: Some(Some("make check".into())), ..Default::default() },
        SettingsChange { hooks: Some(HookPolicy::Run), ..Default::default() },
    ];
    for (i, change) in changes.iter().enumerate() {
        if i == 1 {
            spectask_store::testing::postdate_repository(&store, repository.id, Duration::from_secs(3600))
                .await
                .unwrap();
            last = store.repository(repository.id).await.unwrap().updated_at;
        }
        let changed = store.change_repository_settings(repository.id, "alice", change).await.unwrap();
        assert!(changed.updated_at > last, "change {i}: {} after {last}", changed.updated_at);
        last = changed.updated_at;
    }
    let branch = store.set_default_branch(repository.id, "trunk").await.unwrap();
    assert!(branch.updated_at > last, "the default branch: {} after {last}", branch.updated_at);
}
