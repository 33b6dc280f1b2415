//! What the history recorder relies on: pending entries per repository, the last marked commit and
//! the recorder lease.

use std::time::Duration;

use spectask_core::HistoryFile;
use spectask_store::{Backend, NewHistoryEntry, Store};
use tokio::time::timeout;

use crate::{both_backends, new_task, repo};

both_backends!(
    pending_history_is_grouped_by_repository_and_marked_commits_are_remembered,
    one_recorder_holds_a_repository_until_its_lease_expires_or_is_released,
    a_new_thread_is_recorded_with_its_first_prompt,
    appending_history_wakes_the_recorder_not_the_engine,
    many_entries_appended_at_once_keep_their_order_and_sequence_numbers,
);

fn entry(task: spectask_core::SpecTaskId, content: &str) -> NewHistoryEntry {
    NewHistoryEntry {
        spec_task_id: task,
        work_session_id: None,
        file: HistoryFile::CoordinationLog,
        content: content.to_owned(),
    }
}

async fn pending_history_is_grouped_by_repository_and_marked_commits_are_remembered(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let b = repo(&store, "/repos/b").await;
    let ta = store.create_spec_task(new_task(&a, "ta")).await.unwrap();
    let tb = store.create_spec_task(new_task(&b, "tb")).await.unwrap();
    let seqs =
        store.append_history(&[entry(ta.id, "a1"), entry(tb.id, "b1"), entry(ta.id, "a2")]).await.unwrap();
    let mut repos = store.repositories_with_pending_history().await.unwrap();
    repos.sort_by_key(|r| r.to_string());
    let mut want = vec![a.id, b.id];
    want.sort_by_key(|r| r.to_string());
    assert_eq!(repos, want);
    let pending = store.pending_history_of_repository(a.id, 10).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.content.as_str()).collect::<Vec<_>>(), ["a1", "a2"]);
    assert_eq!(store.pending_history_of_repository(a.id, 1).await.unwrap().len(), 1);
    assert_eq!(store.last_history_commit(a.id).await.unwrap(), None);

    store.mark_history_committed(&[seqs[0]], "c1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    store.mark_history_committed(&[seqs[2]], "c2").await.unwrap();
    assert_eq!(store.last_history_commit(a.id).await.unwrap().as_deref(), Some("c2"));
    assert!(store.pending_history_of_repository(a.id, 10).await.unwrap().is_empty());
    assert_eq!(store.repositories_with_pending_history().await.unwrap(), vec![b.id]);
}

async fn one_recorder_holds_a_repository_until_its_lease_expires_or_is_released(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let long = Duration::from_secs(30);
    assert!(store.acquire_recorder_lease(a.id, "n1", long).await.unwrap());
    assert!(store.acquire_recorder_lease(a.id, "n1", long).await.unwrap(), "the holder renews");
    assert!(!store.acquire_recorder_lease(a.id, "n2", long).await.unwrap());
    store.release_recorder_lease(a.id, "n2").await.unwrap();
    assert!(!store.acquire_recorder_lease(a.id, "n2", long).await.unwrap(), "only the holder releases");
    store.release_recorder_lease(a.id, "n1").await.unwrap();
    assert!(store.acquire_recorder_lease(a.id, "n2", Duration::from_millis(1)).await.unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store.acquire_recorder_lease(a.id, "n1", long).await.unwrap(), "an expired lease is taken over");
}

async fn a_new_thread_is_recorded_with_its_first_prompt(store: Store) {
    let r = repo(&store, "/repos/t").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let session = store
        .create_work_session(spectask_store::NewWorkSession::implementation(task.id, "s", ""))
        .await
        .unwrap();
    assert!(!store.session_was_prompted(session.id).await.unwrap());
    let facts = store.thread_facts(session.id).await.unwrap();
    let none =
        spectask_store::ThreadFacts { editor: None, prompted: false, acp_session_id: None, ended_turn: None };
    assert_eq!(facts, none);
    let said = NewHistoryEntry {
        spec_task_id: task.id,
        work_session_id: Some(session.id),
        file: HistoryFile::Conversation,
        content: "### spectask\n\nYour task: s\n\n".into(),
    };
    store.record_thread_prompted(session.id, "acp-1", std::slice::from_ref(&said)).await.unwrap();
    let thread = store.thread_of(session.id).await.unwrap().unwrap();
    assert_eq!(thread.acp_session_id.as_deref(), Some("acp-1"));
    assert!(store.session_was_prompted(session.id).await.unwrap());
    let history = store.history_of_session(session.id).await.unwrap();
    assert_eq!(history.iter().map(|e| e.content.as_str()).collect::<Vec<_>>(), [said.content.as_str()]);
    // A thread opened anew later (the recorded one could not be loaded) replaces the id.
    store.record_thread_prompted(session.id, "acp-2", std::slice::from_ref(&said)).await.unwrap();
    assert_eq!(store.thread_of(session.id).await.unwrap().unwrap().acp_session_id.as_deref(), Some("acp-2"));
    let facts = store.thread_facts(session.id).await.unwrap();
    assert_eq!((facts.editor, facts.prompted, facts.acp_session_id.as_deref()), (None, true, Some("acp-2")));
    // A turn that ended waits for its verdict until the next prompt.
    store.record_turn_end(&[], None, Some((session.id, "Added s."))).await.unwrap();
    assert_eq!(store.thread_facts(session.id).await.unwrap().ended_turn.as_deref(), Some("Added s."));
    store.record_prompt(session.id, std::slice::from_ref(&said)).await.unwrap();
    assert_eq!(store.thread_facts(session.id).await.unwrap().ended_turn, None, "the next prompt clears it");
    // The turn's last entries are announced in the same write, once for the session.
    let before = store.events_after(0, 10_000).await.unwrap().last().map_or(0, |e| e.seq);
    let said_twice = [said.clone(), said.clone()];
    store.record_turn_end(&said_twice, None, Some((session.id, "Again."))).await.unwrap();
    let announced: Vec<_> = store
        .events_after(before, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.work_session_id, e.payload))
        .collect();
    assert_eq!(
        announced,
        [(spectask_core::EventKind::WorkSessionHistory, Some(session.id), serde_json::json!({"entries": 2}))]
    );
    store.record_thread_prompted(session.id, "acp-3", std::slice::from_ref(&said)).await.unwrap();
    assert_eq!(store.thread_facts(session.id).await.unwrap().ended_turn, None, "so does a new thread's");
    // An editor's thread is known as one.
    let opening = spectask_store::EditorOpening { client: "zed".into(), cwd: "/w".into() };
    let editor = store
        .create_editor_session(spectask_store::NewWorkSession::implementation(task.id, "e", ""), &opening)
        .await
        .unwrap();
    let facts = store.thread_facts(editor.id).await.unwrap();
    let held = facts.editor.clone().expect("an editor thread");
    assert_eq!((held.work_session_id, held.client.as_str(), held.cwd.as_str()), (editor.id, "zed", "/w"));
    assert_eq!(Some(held), store.editor_thread(editor.id).await.unwrap());
    assert!(!facts.prompted && facts.acp_session_id.is_none(), "{facts:?}");
}

async fn appending_history_wakes_the_recorder_not_the_engine(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&a, "t")).await.unwrap();
    let jobs = store.jobs_signal();
    // The new task woke the engine (to admit it); that wake-up is taken here.
    timeout(Duration::from_secs(30), jobs.notified()).await.expect("creating a task wakes the engine");
    let recorder = {
        let store = store.clone();
        tokio::spawn(async move { store.history_appended().await })
    };
    store.append_history(&[entry(task.id, "a1")]).await.unwrap();
    timeout(Duration::from_secs(30), recorder).await.expect("the recorder is woken").unwrap();
    // Nothing woke the engine since. (On PostgreSQL the other tests' jobs, on the same channel,
    // would wake it.)
    if store.backend() == Backend::Sqlite {
        let woken = timeout(Duration::from_millis(200), jobs.notified()).await.is_ok();
        assert!(!woken, "history alone gives the engine nothing to do");
    }
}

/// Entries appended together are inserted a few hundred per statement: each gets the sequence number
/// of its place in the list, across statements, and reads back in that order.
async fn many_entries_appended_at_once_keep_their_order_and_sequence_numbers(store: Store) {
    let a = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&a, "t")).await.unwrap();
    let first = store.append_history(&[entry(task.id, "before")]).await.unwrap()[0];
    let entries: Vec<NewHistoryEntry> = (0..450).map(|i| entry(task.id, &format!("e{i}"))).collect();
    let seqs = store.append_history(&entries).await.unwrap();
    assert_eq!(seqs.len(), 450);
    assert!(seqs[0] > first && seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let read = store.pending_history_of_repository(a.id, 1000).await.unwrap();
    let contents: Vec<&str> = read.iter().map(|e| e.content.as_str()).collect();
    let want: Vec<String> =
        std::iter::once("before".to_owned()).chain((0..450).map(|i| format!("e{i}"))).collect();
    assert_eq!(contents, want);
    assert_eq!(read.iter().skip(1).map(|e| e.seq).collect::<Vec<_>>(), seqs);
}
