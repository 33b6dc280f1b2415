//! Task snapshots for the design-docs branch and `spectask recover`: what is exported is imported
//! verbatim into an empty database, and restored history keeps its seqs.

use spectask_core::{HistoryFile, ReviewDecision, SpecDocuments, SpecTaskCommand};
use spectask_store::{
    Backend, NewHistoryEntry, NewSpecReview, NewSpecVersion, NewWorkSession, RestoredHistoryEntry, Store,
};

use crate::{both_backends, new_task, repo};

both_backends!(
    an_exported_task_imports_verbatim_into_an_empty_database_with_its_history,
    a_snapshot_from_before_workflow_base_takes_its_built_in_workflow_as_base
);

async fn an_exported_task_imports_verbatim_into_an_empty_database_with_its_history(store: Store) {
    let r = repo(&store, "/repos/a").await;
    // Simple, not the default: the import must carry the column, not the schema's default.
    let new = spectask_core::NewSpecTask {
        complexity: spectask_core::Complexity::Simple,
        ..new_task(&r, "Add login")
    };
    let task = store.create_spec_task(new).await.unwrap();
    let task = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await.unwrap().value;
    let documents =
        SpecDocuments { requirements: "# R\n".into(), design: "# D\n".into(), tasks: "- [ ] 1. a\n".into() };
    let (applied, _) = store
        .submit_spec_version(
            &task,
            NewSpecVersion {
                documents,
                planner: "p".into(),
                usage: serde_json::json!({"tokens": 3}),
                lint: vec![],
                questions: Vec::new(),
                consistency: Vec::new(),
            },
        )
        .await
        .unwrap();
    let review = NewSpecReview {
        decision: ReviewDecision::RequestChanges,
        comments: "more".into(),
        line_comments: vec![],
        reviewer: "bob".into(),
    };
    store.review_spec(&applied.value, review).await.unwrap();
    let session = store.create_work_session(NewWorkSession::implementation(task.id, "s", "d")).await.unwrap();
    let entry = |content: &str| NewHistoryEntry {
        spec_task_id: task.id,
        work_session_id: Some(session.id),
        file: HistoryFile::Decisions,
        content: content.into(),
    };
    store.append_history(&[entry("one"), entry("two")]).await.unwrap();
    let snapshot = store.export_task(task.id).await.unwrap();
    assert_eq!(snapshot["spec_reviews"].as_array().unwrap().len(), 1);
    let history = store.history_of_task(task.id).await.unwrap();

    let fresh = match store.backend() {
        Backend::Sqlite => crate::sqlite().await,
        Backend::Postgres => crate::postgres().await,
    };
    let target = &fresh.store;
    assert!(target.is_empty().await.unwrap());
    assert_eq!(target.import_task(&snapshot, "/repos/a").await.unwrap(), task.id);
    assert!(!target.is_empty().await.unwrap());
    assert_eq!(target.export_task(task.id).await.unwrap(), snapshot, "rows come back verbatim");
    assert_eq!(target.spec_task(task.id).await.unwrap(), store.spec_task(task.id).await.unwrap());
    let restored: Vec<RestoredHistoryEntry> = history
        .iter()
        .map(|e| RestoredHistoryEntry {
            seq: e.seq,
            spec_task_id: e.spec_task_id,
            work_session_id: e.work_session_id,
            file: e.file,
            content: e.content.clone(),
            created_at: e.created_at,
            commit_id: Some("c1".into()),
        })
        .collect();
    target.restore_history(&restored).await.unwrap();
    let back = target.history_of_session(session.id).await.unwrap();
    assert_eq!(
        back.iter().map(|e| (e.seq, e.content.as_str())).collect::<Vec<_>>(),
        [(history[0].seq, "one"), (history[1].seq, "two")]
    );
    assert!(back.iter().all(|e| e.committed_at.is_some()));
    // New entries continue after the restored seqs, on either backend.
    let next = target.append_history(&[entry("three")]).await.unwrap();
    assert!(next[0] > history[1].seq);
}

async fn a_snapshot_from_before_workflow_base_takes_its_built_in_workflow_as_base(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let new = spectask_core::NewSpecTask {
        workflow: "bugfix".into(),
        workflow_base: "bugfix".into(),
        ..new_task(&r, "Fix tokens")
    };
    let task = store.create_spec_task(new).await.unwrap();
    let mut snapshot = store.export_task(task.id).await.unwrap();
    assert_eq!(snapshot["spec_tasks"][0]["workflow_base"], "bugfix");
    snapshot["spec_tasks"][0].as_object_mut().unwrap().remove("workflow_base");
    let fresh = match store.backend() {
        Backend::Sqlite => crate::sqlite().await,
        Backend::Postgres => crate::postgres().await,
    };
    fresh.store.import_task(&snapshot, "/repos/a").await.unwrap();
    assert_eq!(fresh.store.spec_task(task.id).await.unwrap().workflow_base, "bugfix");
}
