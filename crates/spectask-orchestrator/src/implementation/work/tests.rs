//! The end of a session's turn, its commit step and their recovery, against a real repository.

use spectask_core::{SpecTaskCommand, WorkSessionCommand};

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn running_the_commit_step_twice_commits_and_logs_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, task, session) = crate::testing::ctx_with_session(dir.path()).await;
    let store = ctx.store.clone();
    let running =
        store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
    store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();
    let worktree = crate::implementation::agents::worktree(&ctx, &task).await.unwrap();
    std::fs::write(worktree.join("new.txt"), "x\n").unwrap();

    commit_changes(&ctx, session.id).await.unwrap();
    commit_changes(&ctx, session.id).await.unwrap();

    let completed = store
        .coordination_log(task.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == CoordinationKind::SessionCompleted)
        .count();
    assert_eq!(completed, 1, "the rerun does not log the session's completion again");
    let commits = store
        .history_of_session(session.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.file == HistoryFile::CodeChanges)
        .count();
    assert_eq!(commits, 1, "the rerun finds nothing left to commit");
    // A sibling's work in progress is not taken for this session's by a later rerun (this one
    // reported no paths: its commit takes everything).
    std::fs::write(worktree.join("sibling.txt"), "half done\n").unwrap();
    commit_changes(&ctx, session.id).await.unwrap();
    let uncommitted = crate::implementation::agents::uncommitted(&ctx, &task).await.unwrap();
    assert!(uncommitted.iter().any(|p| p.contains("sibling.txt")), "{uncommitted:?}");
}

/// The commit step of a completed session runs on a node that never made the task's worktree
/// (the node that held the task died): it makes the worktree rather than fail the task
/// ("worktree … was not created by spectask"), and records the session committed.
#[tokio::test(flavor = "multi_thread")]
async fn a_commit_step_on_a_node_without_the_worktree_makes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, _task, session) = crate::testing::ctx_with_session(dir.path()).await;
    let store = ctx.store.clone();
    let running =
        store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
    store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();

    commit_changes(&ctx, session.id).await.unwrap();

    assert!(store.work_session_committed(session.id).await.unwrap());
}

/// A retried task's completed session whose commit never got through is committed by a step on
/// the session's own key (never beside a retry of its drive), not by the task's step.
#[tokio::test(flavor = "multi_thread")]
async fn a_retried_task_queues_the_commit_of_a_completed_session() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let task = f.task_in_implementation().await;
    let session = f.session(&task, "s").await;
    let store = f.store().clone();
    let running =
        store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
    store.complete_work_session_unless_messages(&running, None, Vec::new(), None).await.unwrap().unwrap();
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("s.txt"), "s\n").unwrap();

    resume_implementation(&f.ctx, task.id).await.unwrap();
    resume_implementation(&f.ctx, task.id).await.unwrap();

    assert!(!store.work_session_committed(session.id).await.unwrap(), "not committed by the task's step");
    let commit = spectask_core::JobKind::WorkSession(spectask_core::WorkSessionEffect::CommitChanges);
    let jobs = store.jobs_of(task.id).await.unwrap();
    let queued: Vec<_> =
        jobs.iter().filter(|j| j.kind == commit && j.work_session_id == Some(session.id)).collect();
    assert_eq!(queued.len(), 1, "queued once: {jobs:#?}");
    f.run_while(|j| j.kind == commit || crate::testing::scheduling(j)).await;
    assert!(store.work_session_committed(session.id).await.unwrap());
}

/// A drive that finds its session completed (its earlier run was cut off between the completion
/// and the commit, which the drive makes itself) commits it, once.
#[tokio::test(flavor = "multi_thread")]
async fn a_drive_that_finds_its_session_completed_commits_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, task, session) = crate::testing::ctx_with_session(dir.path()).await;
    let store = ctx.store.clone();
    let running =
        store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
    store
        .complete_work_session_unless_messages(&running, Some("wrote it"), Vec::new(), None)
        .await
        .unwrap()
        .unwrap();
    let worktree = crate::implementation::agents::worktree(&ctx, &task).await.unwrap();
    std::fs::write(worktree.join("new.txt"), "x\n").unwrap();
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert!(jobs.is_empty() || jobs.iter().all(|j| j.work_session_id.is_none()), "{jobs:#?}");

    let cancel = tokio_util::sync::CancellationToken::new();
    crate::drive::drive(&ctx, task.id, session.id, &cancel).await.unwrap();

    assert!(store.work_session_committed(session.id).await.unwrap());
    let log = store.coordination_log(task.id).await.unwrap();
    let completed: Vec<_> = log.iter().filter(|e| e.kind == CoordinationKind::SessionCompleted).collect();
    assert_eq!(completed.len(), 1, "{log:#?}");
    assert!(completed[0].message.contains("(1 files changed) wrote it"), "{}", completed[0].message);
    assert!(crate::implementation::agents::uncommitted(&ctx, &task).await.unwrap().is_empty());
}

/// A plan of two sessions, the second depending on the first, in implementation; the first
/// running, the second pending.
async fn a_chain_of_two(f: &crate::testing::Fixture) -> (SpecTask, WorkSession, WorkSession) {
    let task = f
        .spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n  - _Depends: 1_\n")
        .await;
    let plan_task = |index: u32, title: &str| spectask_core::PlanTaskRef {
        index,
        id: Some((index + 1).to_string()),
        title: title.into(),
        description: String::new(),
    };
    let new = |index: u32, title: &str| spectask_store::NewWorkSession {
        plan_task: Some(plan_task(index, title)),
        ..spectask_store::NewWorkSession::implementation(task.id, title.to_lowercase(), "")
    };
    let store = f.store().clone();
    for command in
        [SpecTaskCommand::Approve, SpecTaskCommand::QueueImplementation, SpecTaskCommand::StartImplementation]
    {
        store.apply_to_spec_task(task.id, &command).await.unwrap();
    }
    let one = store.create_work_session(new(0, "One")).await.unwrap();
    let two = store.create_work_session(new(1, "Two")).await.unwrap();
    let one = store.record_work_session_transition(&one, &WorkSessionCommand::Start).await.unwrap().value;
    (task, one, two)
}

/// Without a remote, a session's completion starts what its commit unblocks in the write that
/// completes it, before git's commit ends: the progress snapshot with the dependent running is
/// appended before the commit's history. The log still tells of the completion first, and the
/// commit is made and recorded once, with its files.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_remote_a_completion_starts_its_dependent_before_its_commit_is_recorded() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let (task, one, two) = a_chain_of_two(&f).await;
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("one.txt"), "1\n").unwrap();

    let completed = finish(&f.ctx, &task, &one, Some("wrote one"), Commit::Make(None)).await.unwrap();

    assert!(completed);
    let store = f.store();
    assert_eq!(store.work_session(two.id).await.unwrap().status(), WorkSessionStatus::Running);
    let history = store.history_of_task(task.id).await.unwrap();
    let at = |wanted: &dyn Fn(&spectask_core::HistoryEntry) -> bool| history.iter().position(wanted);
    let started = at(&|e| e.file == HistoryFile::ProgressUpdate && e.content.contains("- running: two"));
    let code: Vec<_> = history.iter().filter(|e| e.file == HistoryFile::CodeChanges).collect();
    assert_eq!(code.len(), 1, "recorded once: {history:#?}");
    let recorded = at(&|e| e.file == HistoryFile::CodeChanges && e.work_session_id == Some(one.id));
    assert!(started.is_some() && started < recorded, "two started before the record: {history:#?}");
    let log = store.coordination_log(task.id).await.unwrap();
    let at = |kind: CoordinationKind, from: WorkSessionId| {
        log.iter().position(|e| e.kind == kind && e.from_session == Some(from))
    };
    let done = at(CoordinationKind::PlanTaskDone, one.id).expect("one's plan task done");
    let started = at(CoordinationKind::SessionStarted, two.id).expect("two started");
    assert!(done < started, "{log:#?}");
    let completed = log.iter().filter(|e| e.kind == CoordinationKind::SessionCompleted).collect::<Vec<_>>();
    assert_eq!(completed.len(), 1, "{log:#?}");
    assert!(completed[0].message.contains("(1 files changed) wrote one"), "{}", completed[0].message);
    assert!(store.work_session_committed(one.id).await.unwrap());
    let repo = f.repo().await;
    let name = TaskHandle::new(task.handle()).unwrap();
    assert!(repo.session_commit(&name, &one.id.to_string()).unwrap().is_some());
    assert!(crate::implementation::agents::uncommitted(&f.ctx, &task).await.unwrap().is_empty());
}

/// `git` in `dir`, its output.
fn git_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Session one completed as `finish_while_committing` completes it (its completion logged, its
/// commit not recorded), with `one.txt` as staged then, and the dependent session's edit of it
/// in the worktree since. `commit`: whether git's commit of what was staged ran.
async fn completed_with_its_commit_under_way(
    f: &crate::testing::Fixture,
    commit: bool,
) -> (SpecTask, WorkSession, std::path::PathBuf) {
    let (task, one, _two) = a_chain_of_two(f).await;
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("one.txt"), "1\n").unwrap();
    git_in(&worktree, &["add", "one.txt"]);
    if commit {
        let made = session_commit(&f.ctx, &task, &one).await.unwrap();
        let name = TaskHandle::new(task.handle()).unwrap();
        f.repo().await.commit_staged_work_session(&name, &made).unwrap().expect("one's commit");
    }
    std::fs::write(worktree.join("one.txt"), "1\nand two's edit\n").unwrap();
    let log = completion_log(&task, &one, "wrote one", Some(1));
    f.store()
        .complete_work_session_unless_messages(&one, Some("wrote one"), log, None)
        .await
        .unwrap()
        .unwrap();
    (task, one, worktree)
}

/// After a completion like that, the drive run again (twice) leaves one commit of session one
/// holding `one.txt` as staged, recorded once; the dependent's edit stays uncommitted.
async fn recovered_from_the_index_and_the_commit(
    f: &crate::testing::Fixture,
    task: &SpecTask,
    one: &WorkSession,
    worktree: &std::path::Path,
) {
    let cancel = tokio_util::sync::CancellationToken::new();
    crate::drive::drive(&f.ctx, task.id, one.id, &cancel).await.unwrap();
    crate::drive::drive(&f.ctx, task.id, one.id, &cancel).await.unwrap();

    let store = f.store();
    assert!(store.work_session_committed(one.id).await.unwrap());
    let grep = format!("--grep=Work-Session: {}", one.id);
    let commits = git_in(worktree, &["log", "--format=%H", &grep]);
    assert_eq!(commits.lines().count(), 1, "one commit of session one: {commits}");
    let commit = commits.trim();
    assert_eq!(git_in(worktree, &["show", &format!("{commit}:one.txt")]), "1\n", "as staged");
    assert_eq!(std::fs::read_to_string(worktree.join("one.txt")).unwrap(), "1\nand two's edit\n");
    let uncommitted = crate::implementation::agents::uncommitted(&f.ctx, task).await.unwrap();
    assert!(
        uncommitted.iter().any(|p| p.contains("one.txt")),
        "the dependent's edit is left: {uncommitted:?}"
    );
    let code = store.history_of_session(one.id).await.unwrap();
    let code: Vec<_> = code.iter().filter(|e| e.file == HistoryFile::CodeChanges).collect();
    assert_eq!(code.len(), 1, "{code:#?}");
    assert!(code[0].content.contains(commit), "the record names the commit: {}", code[0].content);
    let log = store.coordination_log(task.id).await.unwrap();
    let completed = log.iter().filter(|e| e.kind == CoordinationKind::SessionCompleted).count();
    assert_eq!(completed, 1, "{log:#?}");
}

/// A node that died after the completion's write and before `git commit` left session one
/// completed with its changes staged, and its dependent has edited the same file since: the
/// drive's retry commits what was staged, not the worktree.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_completed_before_its_commit_is_committed_from_what_was_staged() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let (task, one, worktree) = completed_with_its_commit_under_way(&f, false).await;
    recovered_from_the_index_and_the_commit(&f, &task, &one, &worktree).await;
}

/// A node that died (or a write that failed) after `git commit` and before the commit's record:
/// the drive's retry records the commit made, and makes no second one of the dependent's edit.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_committed_but_not_recorded_is_recorded_with_the_commit_it_made() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let (task, one, worktree) = completed_with_its_commit_under_way(&f, true).await;
    recovered_from_the_index_and_the_commit(&f, &task, &one, &worktree).await;
}

/// The commit step's write schedules the task before its plan task's tick is committed: a tick
/// waiting for the node's design-docs writer does not hold back the sessions the commit unblocks,
/// and the step still ends only once the tick is committed.
#[tokio::test(flavor = "multi_thread")]
async fn the_sessions_a_commit_unblocks_start_before_the_tick_is_committed() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let (task, session, two) = a_chain_of_two(&f).await;
    let store = f.store().clone();
    store.record_work_session_transition(&session, &WorkSessionCommand::Complete).await.unwrap();
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("one.txt"), "1\n").unwrap();

    let node_writer = f.ctx.design_docs.of(&f.repo().await);
    let writer = node_writer.hold().await;
    let ctx = f.ctx.clone();
    let step = tokio::spawn(async move { commit_changes(&ctx, session.id).await });
    node_writer.until_waiting(1).await;
    let two = store.work_session(two.id).await.unwrap();
    assert_eq!(
        two.status(),
        WorkSessionStatus::Running,
        "the unblocked session started while the tick waits"
    );
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert!(
        jobs.iter().any(|j| j.kind
            == spectask_core::JobKind::WorkSession(spectask_core::WorkSessionEffect::StartThread)
            && j.work_session_id == Some(two.id)),
        "its thread is queued while the tick waits: {jobs:#?}"
    );
    assert!(!step.is_finished(), "the step waits for its tick");
    drop(writer);
    step.await.unwrap().unwrap();
    let repo = f.repo().await;
    let tasks = repo.read_design_doc(&format!("specs/{}/tasks.md", task.handle())).unwrap().unwrap();
    let tasks = String::from_utf8(tasks).unwrap();
    assert!(tasks.contains("- [x] 1. One"), "the plan task is ticked:\n{tasks}");
    assert!(tasks.contains("- [~] 2. Two"), "the started session's plan task is in progress:\n{tasks}");
    let log = repo.commit_log(repo.design_docs_branch(), None).unwrap();
    let ticks: Vec<&str> =
        log.iter().map(|c| c.message.as_str()).filter(|m| m.starts_with("progress(")).collect();
    assert!(ticks.iter().any(|m| m.contains("1 done, 2 in progress")), "in one commit: {ticks:#?}");
}

/// A session that reported no files commits every change but what its task's other sessions
/// reported and have yet to commit: a running sibling's work stays for its own commit, while a
/// file a committed sibling reported is taken when this session changed it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_reported_no_files_leaves_its_running_siblings_files() {
    let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
    let task = f.task_in_implementation().await;
    let (mine, running, earlier) = (
        f.session(&task, "mine").await,
        f.session(&task, "running").await,
        f.session(&task, "earlier").await,
    );
    let store = f.store().clone();
    let start = |s: WorkSession| {
        let store = store.clone();
        async move { store.record_work_session_transition(&s, &WorkSessionCommand::Start).await.unwrap().value }
    };
    let complete = |s: WorkSession| {
        let store = store.clone();
        async move { store.record_work_session_transition(&s, &WorkSessionCommand::Complete).await.unwrap() }
    };
    let (mine, running, earlier) = (start(mine).await, start(running).await, start(earlier).await);
    let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
    std::fs::write(worktree.join("earlier.txt"), "1\n").unwrap();
    store.add_touched_paths(earlier.id, &["earlier.txt".to_owned()]).await.unwrap();
    complete(earlier.clone()).await;
    commit_changes(&f.ctx, earlier.id).await.unwrap();
    store.add_touched_paths(running.id, &["theirs.txt".to_owned()]).await.unwrap();
    std::fs::write(worktree.join("theirs.txt"), "half done\n").unwrap();
    std::fs::write(worktree.join("mine.txt"), "mine\n").unwrap();
    std::fs::write(worktree.join("earlier.txt"), "2\n").unwrap();
    complete(mine.clone()).await;

    commit_changes(&f.ctx, mine.id).await.unwrap();

    let history = store.history_of_session(mine.id).await.unwrap();
    let commit = history.iter().find(|e| e.file == HistoryFile::CodeChanges).expect("mine's commit");
    assert!(commit.content.contains("`mine.txt`"), "{}", commit.content);
    assert!(commit.content.contains("`earlier.txt`"), "{}", commit.content);
    assert!(!commit.content.contains("theirs.txt"), "{}", commit.content);
    let uncommitted = crate::implementation::agents::uncommitted(&f.ctx, &task).await.unwrap();
    assert_eq!(uncommitted, ["theirs.txt"]);
    let log = store.coordination_log(task.id).await.unwrap();
    let completed =
        log.iter().find(|e| e.from_session == Some(mine.id) && e.kind == CoordinationKind::SessionCompleted);
    assert!(completed.is_some_and(|e| e.message.contains("(2 files changed)")), "{log:#?}");
}
