//! What the store keeps of forges for a server others share: webhook deliveries, each taken once
//! by its id and by its body (a replay of either is known and records nothing; deliveries are per
//! connection), and issues taken up once per registered repository.

use spectask_store::Store;

use crate::both_backends;

both_backends!(
    a_delivery_is_taken_once_by_its_id_and_by_its_body,
    an_issue_is_taken_up_once_per_registered_repository,
);

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

/// An issue becomes one task of each registered repository: a second import into the same one is
/// refused, while another user's clone of the same forge repository takes nothing from it.
async fn an_issue_is_taken_up_once_per_registered_repository(store: Store) {
    use spectask_core::{NewSpecTask, TaskKind};
    use spectask_store::{NewTaskIssue, StoreError};
    let ann = crate::repo(&store, "/repos/ann-app").await;
    let bob = crate::repo(&store, "/repos/bob-app").await;
    let issue = NewTaskIssue {
        forge: "gh".into(),
        repository: "acme/app".into(),
        number: 7,
        url: "https://github.com/acme/app/issues/7".into(),
        title: "Add a changelog".into(),
    };
    let new =
        |repository, user: &str| NewSpecTask::new(TaskKind::CodingSession, repository, "Add", "Add", user);
    store.create_spec_task_from_issue(new(bob.id, "bob"), &issue).await.unwrap();
    assert!(store.issue_taken_up(bob.id, "gh", "acme/app", 7).await.unwrap());
    assert!(!store.issue_taken_up(ann.id, "gh", "acme/app", 7).await.unwrap());
    let task = store.create_spec_task_from_issue(new(ann.id, "ann"), &issue).await.unwrap();
    assert_eq!(store.issue_of(task.id).await.unwrap().map(|i| i.number), Some(7));
    let again = store.create_spec_task_from_issue(new(ann.id, "ann"), &issue).await.unwrap_err();
    assert!(matches!(again, StoreError::Taken(_)), "{again}");
}
