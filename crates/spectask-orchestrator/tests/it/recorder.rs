//! The history recorder against a real repository and store: batches, exactly once across a crash
//! between the git commit and marking the entries, and concurrent recorders.

use std::path::Path;
use std::process::Command;

use spectask_core::{HistoryFile, NewSpecTask, SpecTask, TaskKind};
use spectask_git::Repo;
use spectask_orchestrator::{Node, flush_history};
use spectask_store::{DatabaseUrl, NewHistoryEntry, Store};

struct Fixture {
    store: Store,
    repo: Repo,
    task: SpecTask,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await.unwrap();
    let (repo, repository) =
        spectask_orchestrator::fixtures::registered_repository(&store, dir.path()).await.unwrap();
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::Spec, repository.id, "Add login", "Add login", "t"))
        .await
        .unwrap();
    Fixture { store, repo, task, _dir: dir }
}

async fn record(f: &Fixture, range: std::ops::Range<usize>) -> Vec<i64> {
    let entries: Vec<NewHistoryEntry> = range
        .map(|i| NewHistoryEntry {
            spec_task_id: f.task.id,
            work_session_id: None,
            file: HistoryFile::CoordinationLog,
            content: format!("<entry {i}>"),
        })
        .collect();
    f.store.append_history(&entries).await.unwrap()
}

/// The coordination log at the design-docs tip.
fn log(f: &Fixture) -> String {
    let path = format!("sessions/{}/coordination-log.md", f.task.handle());
    String::from_utf8(f.repo.read_design_doc(&path).unwrap().unwrap_or_default()).unwrap()
}

fn assert_each_once_in_order(text: &str, count: usize) {
    let mut last = 0;
    for i in 0..count {
        let needle = format!("<entry {i}>");
        assert_eq!(text.matches(&needle).count(), 1, "{needle} must appear once in\n{text}");
        let at = text.find(&needle).unwrap();
        assert!(at >= last, "{needle} is out of order");
        last = at;
    }
}

fn assert_fsck_clean(path: &Path) {
    let out = Command::new("git").args(["fsck", "--strict"]).current_dir(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flush_commits_pending_entries_in_one_commit_with_seq_trailers() {
    let f = fixture().await;
    let seqs = record(&f, 0..5).await;
    let report = flush_history(&f.store, &Node::named("n1"), f.task.repository_id).await.unwrap();
    assert_eq!(report.commits.len(), 1);
    assert_eq!(report.commits[0].seqs, seqs);
    assert_eq!(report.commits[0].tasks, [f.task.handle()]);
    let info = f.repo.commit_info(report.commits[0].commit.parse().unwrap()).unwrap();
    assert!(
        info.message.starts_with(&format!("history({}): 5 entries", f.task.handle())),
        "{}",
        info.message
    );
    let trailer = |k: &str| info.trailers.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(trailer("Spec-Task"), Some(f.task.id.to_string()));
    assert_eq!(trailer("History-Seq"), Some(seqs[4].to_string()));
    assert_eq!(trailer("History-Seqs"), Some(format!("{}-{}", seqs[0], seqs[4])));
    assert_each_once_in_order(&log(&f), 5);
    let again = flush_history(&f.store, &Node::named("n1"), f.task.repository_id).await.unwrap();
    assert!(again.commits.is_empty(), "nothing is pending");
    let history = f.store.history_of_task(f.task.id).await.unwrap();
    assert!(history.iter().all(|e| e.commit_id.as_deref() == Some(report.commits[0].commit.as_str())));
    assert_fsck_clean(f.repo.root());
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_committed_but_not_marked_before_a_crash_are_never_appended_again() {
    let f = fixture().await;
    let first = record(&f, 0..4).await;
    let committed = flush_history(&f.store, &Node::named("n1"), f.task.repository_id).await.unwrap();
    // The recorder died after its git commit, before marking the entries.
    spectask_store::testing::forget_history_commits(&f.store, &first).await.unwrap();
    record(&f, 4..7).await;
    let report = flush_history(&f.store, &Node::named("n2"), f.task.repository_id).await.unwrap();
    assert_eq!(report.reconciled, 4, "the earlier commit is found by its trailer");
    assert_eq!(report.commits.len(), 1);
    assert_eq!(report.commits[0].seqs.len(), 3, "only the new entries are appended");
    assert_each_once_in_order(&log(&f), 7);
    let history = f.store.history_of_task(f.task.id).await.unwrap();
    assert!(
        history[..4].iter().all(|e| e.commit_id.as_deref() == Some(committed.commits[0].commit.as_str()))
    );
    assert!(history.iter().all(|e| e.committed_at.is_some()));
    assert_fsck_clean(f.repo.root());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_recorders_on_two_nodes_commit_each_entry_once() {
    let f = fixture().await;
    let mut handles = Vec::new();
    for round in 0..6 {
        record(&f, round * 10..round * 10 + 10).await;
        for node in ["n1", "n2"] {
            let store = f.store.clone();
            let repository = f.task.repository_id;
            handles.push(tokio::spawn(
                async move { flush_history(&store, &Node::named(node), repository).await },
            ));
        }
    }
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    flush_history(&f.store, &Node::named("n1"), f.task.repository_id).await.unwrap();
    assert_each_once_in_order(&log(&f), 60);
    assert_fsck_clean(f.repo.root());
}
