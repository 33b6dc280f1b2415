//! The recorder's batches through the node's design-docs writer.

use spectask_core::{HistoryFile, SpecTask};
use spectask_git::{DesignDocsCommit, FileWrite, TaskHandle, Trailer};
use spectask_spec::PlanTaskState;
use spectask_store::NewHistoryEntry;

use super::*;
use crate::testing::{Backend, Fixture};

/// Appends `n` coordination-log entries of `task` to its pending history.
async fn pending(f: &Fixture, task: &SpecTask, n: usize) -> Vec<i64> {
    let entries: Vec<NewHistoryEntry> = (0..n)
        .map(|i| NewHistoryEntry {
            spec_task_id: task.id,
            work_session_id: None,
            file: HistoryFile::CoordinationLog,
            content: format!("<entry {i}>"),
        })
        .collect();
    f.store().append_history(&entries).await.unwrap()
}

/// The task's coordination log on the design-docs branch.
async fn coordination_log(f: &Fixture, task: &SpecTask) -> String {
    let path = format!("sessions/{}/coordination-log.md", task.handle());
    let text = f.repo().await.read_design_doc(&path).unwrap().unwrap_or_default();
    String::from_utf8(text).unwrap()
}

/// A history batch and a progress tick waiting for the node's writer together go into one
/// commit: the batch no longer moves the branch under the tick's commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_batch_shares_the_commit_of_a_tick_waiting_beside_it() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n").await;
    let seqs = pending(&f, &task, 3).await;
    let repo = f.repo().await;
    let commits_before = repo.commit_log(repo.design_docs_branch(), None).unwrap().len();
    let writer = f.ctx.design_docs.of(&repo);
    let held = writer.hold().await;
    let (ctx, id) = (f.ctx.clone(), task.id);
    let flush = tokio::spawn(async move { flush_task(&ctx, id).await });
    let (ctx, ticked) = (f.ctx.clone(), task.clone());
    let tick = tokio::spawn(async move {
        crate::history::markers::set_each(&ctx, &ticked, vec![("1".to_owned(), PlanTaskState::InProgress)])
            .await
    });
    writer.until_waiting(2).await;
    drop(held);
    let report = flush.await.unwrap().unwrap();
    tick.await.unwrap().unwrap();

    assert_eq!(report.commits.len(), 1, "{report:#?}");
    assert_eq!(report.commits[0].seqs, seqs);
    let log = repo.commit_log(repo.design_docs_branch(), None).unwrap();
    assert_eq!(log.len(), commits_before + 1, "one commit for both: {log:#?}");
    let info = repo.commit_info(report.commits[0].commit.parse().unwrap()).unwrap();
    assert!(info.message.contains("progress(") && info.message.contains("history("), "{}", info.message);
    assert!(info.trailers.iter().any(|(k, _)| k == SEQS_TRAILER), "{:?}", info.trailers);
    let history = f.store().history_of_task(task.id).await.unwrap();
    assert!(history.iter().all(|e| e.commit_id.as_deref() == Some(report.commits[0].commit.as_str())));
    let text = coordination_log(&f, &task).await;
    assert!((0..3).all(|i| text.matches(&format!("<entry {i}>")).count() == 1), "{text}");
}

/// A history commit landing between the recorder's reconcile and its turn at the writer (another
/// recorder, whose lease ran out, committed the same entries): the batch is not written on it,
/// and the entries are found there and marked, each once on the branch.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_commit_landing_while_a_batch_waits_for_the_writer_is_not_appended_again() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n").await;
    let seqs = pending(&f, &task, 2).await;
    let repo = f.repo().await;
    let writer = f.ctx.design_docs.of(&repo);
    let held = writer.hold().await;
    let (ctx, id) = (f.ctx.clone(), task.id);
    let flush = tokio::spawn(async move { flush_task(&ctx, id).await });
    writer.until_waiting(1).await;
    // What the other recorder committed: the same entries, with their seqs as a trailer.
    let entries = f.store().pending_history_of_repository(task.repository_id, 10).await.unwrap();
    let name = TaskHandle::new(task.handle()).unwrap();
    let writes = entries.iter().map(|e| FileWrite::append(entry_path(&name, e), entry_text(e))).collect();
    let trailers = vec![Trailer::new(SEQS_TRAILER, format_seqs(&seqs)).unwrap()];
    let other = DesignDocsCommit { message: "history: by another recorder".into(), trailers, writes };
    let theirs = repo.commit_design_docs(&other).unwrap();
    drop(held);
    let report = flush.await.unwrap().unwrap();

    assert!(report.commits.is_empty(), "{report:#?}");
    assert_eq!(report.reconciled, 2, "{report:#?}");
    let history = f.store().history_of_task(task.id).await.unwrap();
    assert!(
        history.iter().all(|e| e.commit_id.as_deref() == Some(theirs.to_string().as_str())),
        "{history:#?}"
    );
    let text = coordination_log(&f, &task).await;
    assert!((0..2).all(|i| text.matches(&format!("<entry {i}>")).count() == 1), "{text}");
}

/// A commit without history (a tick, a task's state, a person's edit) landing between the
/// recorder's reconcile and its turn at the writer: the batch goes on top of it, each entry once.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_goes_on_a_commit_without_history_made_after_its_reconcile() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n").await;
    let seqs = pending(&f, &task, 2).await;
    let repo = f.repo().await;
    let writer = f.ctx.design_docs.of(&repo);
    let held = writer.hold().await;
    let (ctx, id) = (f.ctx.clone(), task.id);
    let flush = tokio::spawn(async move { flush_task(&ctx, id).await });
    writer.until_waiting(1).await;
    let path = format!("specs/{}/notes.md", task.handle());
    let edit = DesignDocsCommit {
        message: "docs: a note".into(),
        trailers: vec![],
        writes: vec![FileWrite::put(path, "n\n")],
    };
    let theirs = repo.commit_design_docs(&edit).unwrap();
    drop(held);
    let report = flush.await.unwrap().unwrap();

    assert_eq!(report.commits.len(), 1, "{report:#?}");
    assert_eq!(report.commits[0].seqs, seqs);
    let info = repo.commit_info(report.commits[0].commit.parse().unwrap()).unwrap();
    assert_eq!(info.parents, [theirs], "on top of the commit made meanwhile");
    let text = coordination_log(&f, &task).await;
    assert!((0..2).all(|i| text.matches(&format!("<entry {i}>")).count() == 1), "{text}");
}

/// A batch the engine's writer committed whose entries were never marked (the node died between
/// the commit and the mark): the next flush finds them in the writer's own commits, marks them,
/// and appends nothing again.
#[tokio::test(flavor = "multi_thread")]
async fn entries_the_writer_committed_unmarked_are_found_and_marked_once() {
    let f = Fixture::new(Backend::Sqlite).await;
    let task = f.spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n").await;
    pending(&f, &task, 1).await;
    let first = flush_task(&f.ctx, task.id).await.unwrap();
    assert_eq!(first.commits.len(), 1, "{first:#?}");
    let seqs = pending(&f, &task, 2).await;
    let repo = f.repo().await;
    let writer = f.ctx.design_docs.of(&repo);
    let entries = f.store().pending_history_of_repository(task.repository_id, 10).await.unwrap();
    let name = TaskHandle::new(task.handle()).unwrap();
    let writes: Vec<FileWrite> =
        entries.iter().map(|e| FileWrite::append(entry_path(&name, e), entry_text(e))).collect();
    let trailers = vec![Trailer::new(SEQS_TRAILER, format_seqs(&seqs)).unwrap()];
    let part: Part = Box::new(move |_| {
        let (trailers, writes) = (trailers.clone(), writes.clone());
        Ok(AtTip::Write(Contribution {
            subject: "history: committed, never marked".into(),
            trailers,
            writes,
        }))
    });
    let unmarked = writer.write(&repo, part).await.unwrap();
    let last: CommitId = first.commits[0].commit.parse().unwrap();
    assert!(writer.made_between(last, unmarked).is_some(), "the writer knows its own commit");

    let report = flush_task(&f.ctx, task.id).await.unwrap();
    assert!(report.commits.is_empty(), "{report:#?}");
    assert_eq!(report.reconciled, 2, "{report:#?}");
    let history = f.store().history_of_task(task.id).await.unwrap();
    let marked: Vec<_> =
        history.iter().filter(|e| seqs.contains(&e.seq)).map(|e| e.commit_id.clone()).collect();
    assert_eq!(marked, vec![Some(unmarked.to_string()); 2], "{history:#?}");
    // `<entry 0>` once from each batch, `<entry 1>` once.
    let text = coordination_log(&f, &task).await;
    assert_eq!((text.matches("<entry 0>").count(), text.matches("<entry 1>").count()), (2, 1), "{text}");
}
