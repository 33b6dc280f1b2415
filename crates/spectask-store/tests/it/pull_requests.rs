//! Tasks' pull requests: recorded with an event, read by one node at a time, readings recorded
//! with their time and an event only when they bring news.

use std::path::Path;
use std::time::Duration;

use spectask_core::{
    CheckState, EventKind, NewSpecTask, PullRequestCheck, PullRequestReview, PullRequestState, ReviewVerdict,
    SpecTaskCommand, SpecTaskStatus, TaskKind, TaskPullRequest,
};
use spectask_store::{PullRequestReading, Store};

use crate::both_backends;

both_backends!(a_pull_request_is_read_by_one_claimant_at_a_time_and_readings_are_recorded);

async fn a_pull_request_is_read_by_one_claimant_at_a_time_and_readings_are_recorded(store: Store) {
    let repo = store.register_repository(Path::new("/repos/pr"), "main", "helix-design-docs", None).await;
    let repo = repo.unwrap();
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::CodingSession, repo.id, "Add x", "Add x", "alice"))
        .await
        .unwrap();
    let mut task =
        store.transition_spec_task(&task, &SpecTaskCommand::QueueImplementation).await.unwrap().value;
    for command in [
        SpecTaskCommand::StartImplementation,
        SpecTaskCommand::SubmitImplementation,
        SpecTaskCommand::OpenPullRequest,
    ] {
        task = store.transition_spec_task(&task, &command).await.unwrap().value;
    }
    assert_eq!(task.status(), SpecTaskStatus::PullRequest);
    let now = chrono::Utc::now();
    let opened = TaskPullRequest {
        spec_task_id: task.id,
        forge: "gh".into(),
        repository: "acme/app".into(),
        number: 7,
        url: "https://github.com/acme/app/pull/7".into(),
        state: PullRequestState::Open,
        head_sha: "a".repeat(40),
        opened_at: now,
        checked_at: now,
        check_error: None,
        checks: Vec::new(),
        reviews: Vec::new(),
    };
    let before = store.last_event_seq().await.unwrap();
    store.record_pull_request(&opened, Duration::ZERO).await.unwrap();
    assert_eq!(store.pull_request_of(task.id).await.unwrap().unwrap().number, 7);

    // Due at once: the first claim takes it, a second (another node) finds nothing due.
    let first = store.claim_pull_request_checks("gh", Duration::from_secs(60)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(store.claim_pull_request_checks("gh", Duration::from_secs(60)).await.unwrap().is_empty());
    assert!(store.claim_pull_request_checks("other", Duration::ZERO).await.unwrap().is_empty());

    // A failed reading keeps the state, says why; the same reading again is no news.
    let failed = PullRequestReading::Failed { error: "gh is unreachable".into() };
    let after = store
        .record_pull_request_reading(task.id, 7, &failed, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (after.state, after.check_error.as_deref()),
        (PullRequestState::Open, Some("gh is unreachable"))
    );
    store.record_pull_request_reading(task.id, 7, &failed, Duration::from_secs(60)).await.unwrap();
    // A failed reading puts the next one off (the poll, doubled per failure in a row).
    store.record_pull_request(&opened, Duration::ZERO).await.unwrap();
    let later = PullRequestReading::Failed { error: "gh is unreachable".into() };
    store.record_pull_request_reading(task.id, 7, &later, Duration::from_secs(3600)).await.unwrap();
    assert!(store.claim_pull_request_checks("gh", Duration::ZERO).await.unwrap().is_empty(), "put off");

    // A forge asking to wait: said like a failure, the next reading due at the time it named,
    // not put off further.
    store.record_pull_request(&opened, Duration::ZERO).await.unwrap();
    let until = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let error = "gh is rate limiting the token: rate-limited until 14:05 UTC (HTTP 403)".to_owned();
    let waiting = PullRequestReading::Waiting { error: error.clone(), until };
    let after = store
        .record_pull_request_reading(task.id, 7, &waiting, Duration::from_secs(3600))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.state, after.check_error), (PullRequestState::Open, Some(error)));
    assert!(store.claim_pull_request_checks("gh", Duration::ZERO).await.unwrap().is_empty(), "waits");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.claim_pull_request_checks("gh", Duration::ZERO).await.unwrap().len(), 1, "due then");

    let checks = vec![PullRequestCheck {
        name: "test".into(),
        state: CheckState::Passed,
        url: None,
        summary: "ok".into(),
    }];
    let reviews = vec![PullRequestReview { author: "alice".into(), verdict: ReviewVerdict::Approved }];
    let merged = PullRequestReading::Read {
        state: PullRequestState::Merged,
        head_sha: "b".repeat(40),
        checks,
        reviews,
    };
    let after = store
        .record_pull_request_reading(task.id, 7, &merged, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.state, after.check_error), (PullRequestState::Merged, None));
    let kept = store.pull_request_of(task.id).await.unwrap().unwrap();
    assert_eq!(kept.checks[0].name, "test", "checks kept");
    assert_eq!(
        (kept.reviews[0].author.as_str(), kept.reviews[0].verdict),
        ("alice", ReviewVerdict::Approved)
    );
    // A reading of a pull request the task no longer has changes nothing.
    assert!(
        store
            .record_pull_request_reading(task.id, 6, &merged, Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );

    let events = store.events_after(before, 100).await.unwrap();
    let updates: Vec<_> = events.iter().filter(|e| e.kind == EventKind::PullRequestUpdated).collect();
    let states: Vec<_> = updates.iter().map(|e| e.payload["state"].as_str().unwrap_or_default()).collect();
    let said = "opened, failed, opened again, failed, opened again, waiting, merged";
    assert_eq!(states, ["open", "open", "open", "open", "open", "open", "merged"], "{said}: {updates:#?}");
    assert_eq!(updates[1].payload["check_error"], "gh is unreachable");
}
