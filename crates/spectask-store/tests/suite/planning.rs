//! Spec versions and reviews: the planning loop as the store records it.

use spectask_core::{
    JobKind, LineComment, ReviewDecision, SpecDocument, SpecDocuments, SpecTaskCommand, SpecTaskEffect,
    SpecTaskId, SpecTaskStatus,
};
use spectask_store::{NewSpecReview, NewSpecVersion, NewWorkSession, Store, StoreError};

use crate::{both_backends, new_task, repo};

both_backends!(
    versions_are_kept_and_reviews_drive_the_lifecycle,
    a_review_of_a_task_not_in_review_is_refused_and_not_recorded,
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
