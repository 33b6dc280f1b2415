//! Notifications: recorded once per event from the outbox's cursor, each delivery claimed under a
//! lease and its attempts recorded until delivered or failed.

use std::time::Duration;

use spectask_core::NotificationKind;
use spectask_core::events::payload::{BudgetAmount, BudgetNews, SpecTaskBudget, WorkSessionStalled};
use spectask_store::{Attempt, AttemptNext, DeliveryStatus, Store};

use crate::{both_backends, new_task, repo};

both_backends!(notifications_are_recorded_once_and_deliveries_retried_until_done);

async fn notifications_are_recorded_once_and_deliveries_retried_until_done(store: Store) {
    let r = repo(&store, "/repos/notify").await;
    let task = store.create_spec_task(new_task(&r, "Tell me")).await.unwrap();
    for level in [BudgetNews::Reached, BudgetNews::Raised] {
        store.publish_event(Some(task.id), None, &budget(level)).await.unwrap();
    }
    let stalled =
        WorkSessionStalled { stalled: true, last_activity_at: None, silent_seconds: None, policy: None };
    store.publish_event(Some(task.id), None, &stalled).await.unwrap();
    let route = |n: &spectask_core::Notification| {
        let mut hooks = vec!["all".to_string()];
        if n.kind == NotificationKind::Stalled {
            hooks.push("stalls".into());
        }
        hooks
    };
    // Two followers at once (two nodes): each event is read once.
    let (a, b) = tokio::join!(store.record_notifications(route), store.record_notifications(route));
    let last = store.last_event_seq().await.unwrap();
    for read in [a.unwrap(), b.unwrap(), store.record_notifications(route).await.unwrap()] {
        assert_eq!((read.cursor, read.more), (last, false));
    }
    let listed = store.notifications(Some("alice"), 10).await.unwrap();
    let kinds: Vec<_> = listed.iter().map(|r| r.notification.kind).collect();
    assert_eq!(kinds, [NotificationKind::Stalled, NotificationKind::Budget], "newest first");
    assert_eq!(listed[0].deliveries.len(), 2);
    assert!(store.notifications(Some("bob"), 10).await.unwrap().is_empty(), "another user sees none");

    // Three deliveries due; one node claims them, another then finds none.
    let lease = Duration::from_secs(60);
    let claimed = store.claim_deliveries("n1", lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(store.claim_deliveries("n2", lease, 10).await.unwrap().is_empty());
    let budget = claimed.iter().find(|d| d.notification.kind == NotificationKind::Budget).unwrap();
    let failed = Attempt {
        http_status: Some(500),
        error: Some("HTTP 500".into()),
        next: AttemptNext::RetryAt(chrono::Utc::now()),
    };
    assert!(!store.record_attempt("n2", budget.notification.id, "all", &failed).await.unwrap(), "not n2's");
    assert!(store.record_attempt("n1", budget.notification.id, "all", &failed).await.unwrap());
    let again = store.claim_deliveries("n2", lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    let ok = Attempt { http_status: Some(200), error: None, next: AttemptNext::Delivered };
    assert!(store.record_attempt("n2", budget.notification.id, "all", &ok).await.unwrap());
    assert!(!store.record_attempt("n2", budget.notification.id, "all", &ok).await.unwrap(), "once only");
    let stalled = listed[0].notification.id;
    let gone = Attempt { http_status: None, error: Some("refused".into()), next: AttemptNext::Failed };
    for hook in ["all", "stalls"] {
        assert!(store.record_attempt("n1", stalled, hook, &gone).await.unwrap());
    }
    let listed = store.notifications(None, 10).await.unwrap();
    let statuses: Vec<Vec<_>> =
        listed.iter().map(|r| r.deliveries.iter().map(|d| (d.status, d.attempts)).collect()).collect();
    assert_eq!(
        statuses,
        [
            vec![(DeliveryStatus::Failed, 1), (DeliveryStatus::Failed, 1)],
            vec![(DeliveryStatus::Delivered, 2)]
        ]
    );
    assert_eq!(listed[1].deliveries[0].last_http_status, Some(200));
    assert_eq!(store.next_delivery_due().await.unwrap(), None, "nothing pending");
}

/// Budget news at `level`.
fn budget(level: BudgetNews) -> SpecTaskBudget {
    let amount = BudgetAmount { tokens: Some(10), cost_micros: None, currency: None };
    SpecTaskBudget {
        level,
        scope: None,
        subject: None,
        day: None,
        budget: amount.clone(),
        spent: Some(amount),
        by: None,
        message: "news".into(),
    }
}
