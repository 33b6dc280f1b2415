//! Where sessions stand, read slim, and the sessions read whole in one array are what their own
//! rows say.

use spectask_core::{
    PlanTaskRef, WorkSessionCommand, WorkSessionStanding, WorkSessionState, WorkSessionStatus,
};
use spectask_store::{NewWorkSession, Store};

use crate::{both_backends, new_task, repo};

both_backends!(where_sessions_stand_is_what_their_full_rows_say);

async fn where_sessions_stand_is_what_their_full_rows_say(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let a = store.create_spec_task(new_task(&r, "a")).await.unwrap();
    let b = store.create_spec_task(new_task(&r, "b")).await.unwrap();
    let on = |task, index: u32, name: &str| NewWorkSession {
        plan_task: Some(PlanTaskRef {
            index,
            id: Some(format!("{}", index + 1)),
            title: format!("plan task {index}"),
            description: "a long text only the agent reads ".repeat(20),
        }),
        agent_config: serde_json::json!({ "mode": "auto" }),
        ..NewWorkSession::implementation(task, name, "do it")
    };
    let new = NewWorkSession::implementation(a.id, "whole", "the whole plan");
    let whole = store.create_work_session(new).await.unwrap();
    let running = store.create_work_session(on(a.id, 3, "running")).await.unwrap();
    let failed = store.create_work_session(on(a.id, 12, "failed")).await.unwrap();
    let new =
        NewWorkSession { parent_id: Some(whole.id), spawned_by_id: Some(running.id), ..on(a.id, 0, "child") };
    let child = store.create_work_session(new).await.unwrap();
    // Text the database must escape in the array it builds comes back as it went in.
    let new = NewWorkSession {
        description: "tab\t, quote \", NUL-free \u{1F600} and \\n".into(),
        agent_config: serde_json::json!({ "args": ["--x", "y \"z\""], "depth": 3 }),
        ..on(b.id, 1, "other \"quoted\" \\ back\nslash, ü ✓")
    };
    store.create_work_session(new).await.unwrap();
    let start = WorkSessionCommand::Start;
    let running = store.transition_work_session(&running, &start).await.unwrap().value;
    let failed = store.transition_work_session(&failed, &start).await.unwrap().value;
    let whole = store.transition_work_session(&whole, &start).await.unwrap().value;
    store.transition_work_session(&whole, &WorkSessionCommand::Complete).await.unwrap();
    let fail = WorkSessionCommand::Fail { reason: "the check \"failed\"\n".into() };
    store.transition_work_session(&failed, &fail).await.unwrap();
    let block = WorkSessionCommand::Block { waiting_on: vec![running.id] };
    store.transition_work_session(&child, &block).await.unwrap();

    let tasks = [b.id, a.id];
    let full: Vec<WorkSessionStanding> =
        store.work_sessions_of_tasks(&tasks).await.unwrap().iter().map(Into::into).collect();
    let slim = store.work_session_standings_of_tasks(&tasks).await.unwrap();
    // Read whole as one array, each session is what its own row says.
    let whole_read = store.work_sessions_of_tasks(&tasks).await.unwrap();
    assert_eq!(whole_read.len(), 5);
    for session in &whole_read {
        assert_eq!(*session, store.work_session(session.id).await.unwrap());
    }
    assert_eq!(slim, full);
    assert_eq!(slim.len(), 5);
    let of = |name: &str| slim.iter().find(|s| s.name == name).unwrap();
    assert_eq!((of("whole").plan_task_index, of("running").plan_task_index), (None, Some(3)));
    assert_eq!(
        (of("whole").plan_task_id.as_deref(), of("running").plan_task_id.as_deref()),
        (None, Some("4"))
    );
    assert_eq!(of("failed").state, WorkSessionState::Failed { reason: "the check \"failed\"\n".into() });
    assert!(of("running").started_at.is_some() && of("whole").completed_at.is_some());
    assert_eq!((of("child").status(), of("child").parent_id), (WorkSessionStatus::Blocked, Some(whole.id)));
    let of_a = store.work_session_standings_of(a.id).await.unwrap();
    let names: Vec<&str> = of_a.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["whole", "running", "failed", "child"]);
    assert!(store.work_session_standings_of_tasks(&[]).await.unwrap().is_empty());
    let none = store.create_spec_task(new_task(&r, "none")).await.unwrap();
    assert!(store.work_session_standings_of(none.id).await.unwrap().is_empty());

    // What a first prompt tells of the finished sessions: the completed ones only, with summaries.
    store.set_work_session_summary(whole.id, "did the whole plan").await.unwrap();
    store.set_work_session_summary(failed.id, "gave up").await.unwrap();
    let finished = store.completed_work_sessions_with_summaries(a.id).await.unwrap();
    let finished: Vec<(&str, Option<&str>)> =
        finished.iter().map(|(s, summary)| (s.name.as_str(), summary.as_deref())).collect();
    assert_eq!(finished, [("whole", Some("did the whole plan"))]);
}
