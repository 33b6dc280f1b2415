//! Spec versions and reviews: the planning loop as the store records it.

use spectask_core::session::coordination::ConvergeData;
use spectask_core::{
    CoordinationKind, JobKind, LineComment, ReviewDecision, SpecDocument, SpecDocuments, SpecTaskCommand,
    SpecTaskEffect, SpecTaskId, SpecTaskStatus,
};
use spectask_store::{NewCoordination, NewSpecReview, NewSpecVersion, NewWorkSession, Store, StoreError};

use crate::{both_backends, new_task, repo};

both_backends!(
    versions_are_kept_and_reviews_drive_the_lifecycle,
    a_review_of_a_task_not_in_review_is_refused_and_not_recorded,
    a_converge_round_is_the_next_version_handed_off_and_logged_in_one_write,
);

pub(crate) fn new_session(spec_task_id: SpecTaskId, name: &str) -> NewWorkSession {
    NewWorkSession::implementation(spec_task_id, name, "")
}

fn draft(n: u32) -> NewSpecVersion {
    NewSpecVersion {
        documents: SpecDocuments {
            requirements: format!("# Requirements v{n}\n"),
            design: format!("# Design v{n}\n"),
            tasks: format!("- [ ] 1. Task of v{n}\n"),
        },
        planner: "openai-test".into(),
        usage: serde_json::json!([{ "input_tokens": 100 * n, "output_tokens": 10 }]),
        lint: vec![],
        questions: if n == 1 { vec!["RS256 or HS256?".into()] } else { Vec::new() },
        consistency: if n == 1 { vec!["tasks.md:1: nothing builds the cache".into()] } else { Vec::new() },
    }
}

fn review(decision: ReviewDecision, comments: &str) -> NewSpecReview {
    NewSpecReview {
        decision,
        comments: comments.into(),
        line_comments: vec![LineComment {
            document: SpecDocument::Requirements,
            line: Some(3),
            comment: "name the system".into(),
        }],
        reviewer: "bob".into(),
    }
}

async fn versions_are_kept_and_reviews_drive_the_lifecycle(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let task = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value;
    let (applied, v1) = store.submit_spec_version(&task, draft(1)).await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(applied.value.status(), SpecTaskStatus::SpecReview);
    assert_eq!(store.spec_task(task.id).await.unwrap().spec_version, 1);

    let (applied, r1) =
        store.review_spec(&applied.value, review(ReviewDecision::RequestChanges, "too vague")).await.unwrap();
    assert_eq!(applied.value.status(), SpecTaskStatus::SpecRevision);
    assert_eq!((r1.version, r1.decision), (1, ReviewDecision::RequestChanges));

    let task = store.apply_to_spec_task(task.id, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value;
    let (applied, v2) = store.submit_spec_version(&task, draft(2)).await.unwrap();
    assert_eq!(v2.version, 2);
    let (approved, r2) =
        store.review_spec(&applied.value, review(ReviewDecision::Approve, "")).await.unwrap();
    assert_eq!(approved.value.status(), SpecTaskStatus::SpecApproved);
    assert_eq!(approved.effects, vec![SpecTaskEffect::CommitSpecHandoff]);
    assert_eq!(r2.version, 2);

    let versions = store.spec_versions(task.id).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(versions[0].documents.requirements, "# Requirements v1\n");
    assert_eq!(
        (versions[0].questions.as_slice(), versions[0].consistency.as_slice()),
        (&["RS256 or HS256?".to_owned()][..], &["tasks.md:1: nothing builds the cache".to_owned()][..])
    );
    assert!(versions[1].consistency.is_empty());
    assert_eq!(store.spec_version(task.id, None).await.unwrap(), v2);
    assert_eq!(store.spec_version(task.id, Some(1)).await.unwrap().usage[0]["input_tokens"], 100);
    let err = store.spec_version(task.id, Some(3)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

    let reviews = store.reviews_of(task.id).await.unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[0].line_comments[0].line, Some(3));
    assert_eq!(reviews[0].comments, "too vague");
    let kinds: Vec<_> = store.jobs_of(task.id).await.unwrap().into_iter().map(|j| j.kind).collect();
    assert!(kinds.contains(&JobKind::SpecTask(SpecTaskEffect::CommitSpecHandoff)), "{kinds:?}");
}

async fn a_review_of_a_task_not_in_review_is_refused_and_not_recorded(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let err = store.review_spec(&task, review(ReviewDecision::Approve, "")).await.unwrap_err();
    assert_eq!(err.to_string(), "cannot approve the spec of spec task: it is backlog");
    assert!(store.reviews_of(task.id).await.unwrap().is_empty());
}

async fn a_converge_round_is_the_next_version_handed_off_and_logged_in_one_write(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let task = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value;
    let (in_review, _) = store.submit_spec_version(&task, draft(1)).await.unwrap();
    let round = || NewCoordination {
        spec_task_id: task.id,
        kind: CoordinationKind::Converge,
        from_session: None,
        to_session: None,
        message: "converge round 1: 1 plan tasks added (2 Implement criterion 1.2)".into(),
        data: ConvergeData::Round {
            round: 1,
            tasks: vec!["2 Implement criterion 1.2".into()],
            spec_version: 2,
        }
        .data(),
    };
    // Only from the implementation review: refused in spec review, nothing written.
    let err = store.converge_spec(&in_review.value, draft(2), round()).await.unwrap_err();
    assert_eq!(err.to_string(), "cannot converge spec task: it is spec_review");
    assert_eq!(store.spec_versions(task.id).await.unwrap().len(), 1);
    assert!(store.coordination_log(task.id).await.unwrap().is_empty());

    let (approved, _) =
        store.review_spec(&in_review.value, review(ReviewDecision::Approve, "")).await.unwrap();
    let mut task = approved.value;
    for command in [
        SpecTaskCommand::QueueImplementation,
        SpecTaskCommand::StartImplementation,
        SpecTaskCommand::SubmitImplementation,
    ] {
        task = store.transition_spec_task(&task, &command).await.unwrap().value;
    }
    let converged = store.converge_spec(&task, draft(2), round()).await.unwrap();
    assert_eq!((converged.status(), converged.spec_version), (SpecTaskStatus::SpecApproved, 2));
    assert_eq!(store.spec_version(task.id, None).await.unwrap().documents.tasks, "- [ ] 1. Task of v2\n");
    let log = store.coordination_of_kind(task.id, CoordinationKind::Converge).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(matches!(ConvergeData::of(&log[0]), Some(ConvergeData::Round { round: 1, .. })), "{log:?}");
    let handoffs = store
        .jobs_of(task.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::SpecTask(SpecTaskEffect::CommitSpecHandoff))
        .count();
    assert_eq!(handoffs, 2, "the first spec's hand-off and the converge round's");
}
