use std::sync::Arc;

use super::*;
use crate::testing::{Backend, Fixture};

const TASKS: usize = 12;

/// Two nodes (each with its own lock) tick different plan tasks at the same time: every tick is kept,
/// none overwritten by a tick made on an older tip.
#[tokio::test(flavor = "multi_thread")]
async fn ticks_from_two_nodes_at_once_are_all_kept() {
    let f = Fixture::new(Backend::Sqlite).await;
    let plan: String = std::iter::once("# Implementation Plan\n\n".to_owned())
        .chain((1..=TASKS).map(|i| format!("- [ ] {i}. Task {i}\n")))
        .collect();
    let task = f.spec_task_with_plan(&plan).await;
    // Another node: its own design-docs writer.
    let mut other = f.ctx.clone();
    other.config = Arc::new(crate::OrchestratorConfig::new("another node"));
    let mut ticks = tokio::task::JoinSet::new();
    for i in 1..=TASKS {
        let ctx = if i % 2 == 0 { f.ctx.clone() } else { other.clone() };
        let task = task.clone();
        ticks.spawn(async move { set_each(&ctx, &task, vec![(i.to_string(), PlanTaskState::Done)]).await });
    }
    while let Some(done) = ticks.join_next().await {
        done.unwrap().unwrap();
    }
    let repo = f.repo().await;
    for name in ["tasks.md", "progress.md"] {
        let text = repo.read_design_doc(&format!("specs/{}/{name}", task.handle())).unwrap().unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.matches("- [x]").count(), TASKS, "every tick is in {name}:\n{text}");
    }
}

/// Ticks made while the node's writer is busy (another tick being committed) wait for it and are
/// then committed together, in one commit naming each of them.
#[tokio::test(flavor = "multi_thread")]
async fn ticks_waiting_for_the_writer_share_one_commit() {
    let f = Fixture::new(Backend::Sqlite).await;
    let plan: String = std::iter::once("# Implementation Plan\n\n".to_owned())
        .chain((1..=TASKS).map(|i| format!("- [ ] {i}. Task {i}\n")))
        .collect();
    let task = f.spec_task_with_plan(&plan).await;
    let repo = f.repo().await;
    let before = repo.branch_tip(repo.design_docs_branch()).unwrap();
    let node_writer = f.ctx.design_docs.of(&repo);
    let writer = node_writer.hold().await;
    let mut ticks = tokio::task::JoinSet::new();
    for i in 1..=TASKS {
        let (ctx, task) = (f.ctx.clone(), task.clone());
        ticks.spawn(async move { set_each(&ctx, &task, vec![(i.to_string(), PlanTaskState::Done)]).await });
    }
    node_writer.until_waiting(TASKS).await;
    drop(writer);
    while let Some(done) = ticks.join_next().await {
        done.unwrap().unwrap();
    }
    let log = repo.commit_log(repo.design_docs_branch(), before).unwrap();
    assert_eq!(log.len(), 1, "one commit for the {TASKS} ticks: {log:#?}");
    for i in 1..=TASKS {
        assert!(log[0].message.contains(&format!(" {i} done")), "tick {i} named: {}", log[0].message);
    }
    let text = repo.read_design_doc(&format!("specs/{}/tasks.md", task.handle())).unwrap().unwrap();
    assert_eq!(String::from_utf8(text).unwrap().matches("- [x]").count(), TASKS);
}

/// A prompt's progress marks the plan tasks of completed sessions done and those of running ones in
/// progress, before their ticks are committed (a scheduling write starts sessions before the tick
/// that marks them in progress, and a commit's write before the tick that marks its own plan task
/// done).
#[tokio::test(flavor = "multi_thread")]
async fn progress_marks_completed_sessions_done_before_their_tick() {
    use spectask_core::{PlanTaskRef, WorkSessionCommand};
    let f = Fixture::new(Backend::Sqlite).await;
    let task =
        f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n- [ ] 3. Three\n").await;
    let store = f.store();
    for (index, id) in [(0, "1"), (1, "2"), (2, "3")] {
        let plan_task =
            PlanTaskRef { index, id: Some(id.into()), title: id.into(), description: String::new() };
        let new = spectask_store::NewWorkSession {
            plan_task: Some(plan_task),
            ..spectask_store::NewWorkSession::implementation(task.id, id, "")
        };
        let session = store.create_work_session(new).await.unwrap();
        let running =
            store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value;
        if id != "2" {
            store.transition_work_session(&running, &WorkSessionCommand::Complete).await.unwrap();
        }
    }
    let sessions = store.work_session_standings_of(task.id).await.unwrap();
    let document = progress_document(&f.ctx, &task).await.unwrap().unwrap();
    let text = as_sessions_stand(document, &task, &sessions);
    assert!(
        text.contains("- [x] 1. One") && text.contains("- [~] 2. Two") && text.contains("- [x] 3. Three"),
        "{text}"
    );
}

/// A simple task's whole-plan session, completed, marks done every plan task but one a converge
/// round gave a session of its own, which shows in progress while that session runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_whole_plan_session_leaves_a_rounds_own_plan_task_to_its_session() {
    use spectask_core::{Complexity, PlanTaskRef, WorkSessionCommand};
    let f = Fixture::new(Backend::Sqlite).await;
    let mut task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n").await;
    task.complexity = Complexity::Simple;
    let store = f.store();
    let whole = f.session(&task, Complexity::WHOLE_PLAN_SESSION).await;
    let whole = store.transition_work_session(&whole, &WorkSessionCommand::Start).await.unwrap().value;
    store.transition_work_session(&whole, &WorkSessionCommand::Complete).await.unwrap();
    let plan_task =
        PlanTaskRef { index: 1, id: Some("2".into()), title: "Two".into(), description: String::new() };
    let round = spectask_store::NewWorkSession {
        plan_task: Some(plan_task),
        ..spectask_store::NewWorkSession::implementation(task.id, "2 Two", "")
    };
    let round = store.create_work_session(round).await.unwrap();
    store.transition_work_session(&round, &WorkSessionCommand::Start).await.unwrap();
    let sessions = store.work_session_standings_of(task.id).await.unwrap();
    let document = progress_document(&f.ctx, &task).await.unwrap().unwrap();
    let text = as_sessions_stand(document, &task, &sessions);
    assert!(text.contains("- [x] 1. One") && text.contains("- [~] 2. Two"), "{text}");
}

/// Several marks go in one commit (a session's "done" with the "in progress" of the sessions its
/// commit started), an id the plan does not name is passed over, and a mark already set changes
/// nothing: no commit.
#[tokio::test(flavor = "multi_thread")]
async fn marks_of_several_plan_tasks_are_one_commit() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task =
        f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n- [ ] 3. Three\n").await;
    let repo = f.repo().await;
    let before = repo.branch_tip(repo.design_docs_branch()).unwrap();
    let marks = vec![
        ("1".to_owned(), PlanTaskState::Done),
        ("spawned".to_owned(), PlanTaskState::InProgress),
        ("2".to_owned(), PlanTaskState::InProgress),
        ("3".to_owned(), PlanTaskState::InProgress),
    ];
    set_each(&f.ctx, &task, marks.clone()).await.unwrap();
    let log = repo.commit_log(repo.design_docs_branch(), before).unwrap();
    assert_eq!(log.len(), 1, "{log:#?}");
    assert!(
        log[0].message.contains("1 done") && log[0].message.contains("3 in progress"),
        "{}",
        log[0].message
    );
    for name in ["tasks.md", "progress.md"] {
        let text = repo.read_design_doc(&format!("specs/{}/{name}", task.handle())).unwrap().unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("- [x] 1. One") && text.contains("- [~] 2. Two") && text.contains("- [~] 3. Three"),
            "{name}:\n{text}"
        );
    }
    let tip = repo.branch_tip(repo.design_docs_branch()).unwrap();
    set_each(&f.ctx, &task, marks).await.unwrap();
    assert_eq!(repo.branch_tip(repo.design_docs_branch()).unwrap(), tip, "nothing to change: no commit");
    // A late "in progress" (ticked after a quick session's "done") leaves the "done" as it is.
    set_each(&f.ctx, &task, vec![("3".to_owned(), PlanTaskState::Done)]).await.unwrap();
    let tip = repo.branch_tip(repo.design_docs_branch()).unwrap();
    set_each(&f.ctx, &task, vec![("3".to_owned(), PlanTaskState::InProgress)]).await.unwrap();
    assert_eq!(repo.branch_tip(repo.design_docs_branch()).unwrap(), tip, "a done task is not set back");
}

/// A person's commit between two ticks of the node's writer (which remembers what it wrote last):
/// the next tick is made on it, and a tick the person undid is ticked again.
#[tokio::test(flavor = "multi_thread")]
async fn a_tick_after_a_persons_commit_is_made_on_it() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n").await;
    let repo = f.repo().await;
    let tasks = format!("specs/{}/tasks.md", task.handle());
    let read = || String::from_utf8(repo.read_design_doc(&tasks).unwrap().unwrap()).unwrap();
    set_each(&f.ctx, &task, vec![("1".to_owned(), PlanTaskState::Done)]).await.unwrap();
    let undone = read().replace("- [x] 1. One", "- [ ] 1. One") + "\nA person's note.\n";
    let edit = spectask_git::DesignDocsCommit {
        message: "person".into(),
        trailers: vec![],
        writes: vec![FileWrite::put(&tasks, undone)],
    };
    repo.commit_design_docs(&edit).unwrap();

    set_each(&f.ctx, &task, vec![("1".to_owned(), PlanTaskState::Done)]).await.unwrap();
    assert!(read().contains("- [x] 1. One") && read().contains("A person's note."), "{}", read());
    set_each(&f.ctx, &task, vec![("2".to_owned(), PlanTaskState::Done)]).await.unwrap();
    let text = read();
    assert!(
        text.contains("- [x] 1. One") && text.contains("- [x] 2. Two") && text.contains("note."),
        "{text}"
    );
}
