use serde_json::json;
use spectask_core::{
    CoordinationData, CoordinationKind, JobKind, SpecTaskCommand, SpecTaskEffect, SpecTaskStatus,
};
use spectask_store::NewCoordination;

use super::*;
use crate::implementation::follow_ups::FOLLOW_UP;
use crate::testing::{Backend, Fixture, scheduling};

/// Summarize, merge and the pass making the follow-up each run twice (a rerun after a crash before
/// the job was marked done): the log gets each entry once and the reviewer's comments get one session.
async fn finishing_steps_run_twice_do_their_work_once(backend: Backend) {
    let f = Fixture::new(backend).await;
    let task = f.task_in_implementation().await;
    f.session(&task, "s").await;
    let drive = f.run_while(scheduling).await.expect("the session's thread is queued");
    f.complete_drive(&drive).await;
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("s.txt"), "s\n").unwrap();
    let commit = f.claim().await.expect("the commit step");
    f.run(&commit).await;
    let summarize_job = f.run_while(scheduling).await.expect("the summary is queued");
    assert_eq!(summarize_job.kind, JobKind::SpecTask(SpecTaskEffect::SummarizeImplementation));

    summarize(&f.ctx, task.id).await.unwrap();
    summarize(&f.ctx, task.id).await.unwrap();
    f.finish(&summarize_job).await;
    merge(&f.ctx, task.id).await.unwrap();
    merge(&f.ctx, task.id).await.unwrap();

    let review = f.store().spec_task(task.id).await.unwrap();
    assert_eq!(review.status(), SpecTaskStatus::ImplementationReview);
    f.store()
        .record_coordination(NewCoordination {
            spec_task_id: task.id,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: "implementation review: request changes".into(),
            data: json!({ "decision": "request_changes", "comments": "rename s.txt" }),
        })
        .await
        .unwrap();
    let queued = f.store().transition_spec_task(&review, &SpecTaskCommand::RequestImplementationChanges);
    assert_eq!(queued.await.unwrap().value.status(), SpecTaskStatus::ImplementationQueued);
    f.store().apply_to_spec_task(task.id, &SpecTaskCommand::StartImplementation).await.unwrap();
    crate::implementation::sessions::start_implementation(&f.ctx, task.id).await.unwrap();
    crate::implementation::sessions::start_implementation(&f.ctx, task.id).await.unwrap();

    let log = f.store().coordination_log(task.id).await.unwrap();
    let count = |kind: CoordinationKind, step: &str| {
        let step_of = |e: &CoordinationEvent| match CoordinationData::of(e) {
            Some(CoordinationData::Review(ReviewEntry::Step(ReviewStep::Summarize { .. }))) => "summarize",
            Some(CoordinationData::Handoff(HandoffData::Step(HandoffStep::Merge))) => "merge",
            _ => "",
        };
        log.iter().filter(|e| e.kind == kind && (step.is_empty() || step_of(e) == step)).count()
    };
    assert_eq!(count(CoordinationKind::ReviewDecision, "summarize"), 1, "{log:#?}");
    assert_eq!(count(CoordinationKind::Handoff, "merge"), 1, "{log:#?}");
    assert_eq!(count(CoordinationKind::SessionSpawned, ""), 1, "{log:#?}");
    let sessions = f.store().work_sessions_of(task.id).await.unwrap();
    let follow_ups: Vec<_> = sessions.iter().filter(|s| s.name.starts_with(FOLLOW_UP)).collect();
    assert_eq!(follow_ups.len(), 1, "{sessions:#?}");
    assert!(follow_ups[0].description.contains("rename s.txt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn finishing_steps_run_twice_do_their_work_once_on_sqlite() {
    finishing_steps_run_twice_do_their_work_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn finishing_steps_run_twice_do_their_work_once_on_postgres() {
    finishing_steps_run_twice_do_their_work_once(Backend::Postgres).await;
}
