//! What the coordination tools of work sessions store: session credentials, and messages between
//! sessions that can never be lost to a recipient completing at the same moment.

use spectask_core::{
    CoordinationKind, HistoryFile, JobKind, SpecTaskId, WorkSession, WorkSessionCommand, WorkSessionEffect,
    WorkSessionId,
};
use spectask_store::{MessageOutcome, NewCoordination, NewSessionMessage, SESSION_CREDENTIAL_PREFIX, Store};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(
    a_session_credential_names_its_session_until_a_new_one_replaces_it,
    a_message_is_logged_noted_and_queued_and_holds_the_recipients_completion,
    a_message_and_the_recipients_completion_never_cross,
    a_sessions_entries_its_kinds_and_touched_files_are_read_without_the_whole_log,
);

fn message(
    task: SpecTaskId,
    from: WorkSessionId,
    to: Option<WorkSessionId>,
    text: &str,
) -> NewSessionMessage {
    NewSessionMessage {
        from,
        to,
        kind: CoordinationKind::Message,
        text: text.to_owned(),
        coordination: NewCoordination {
            spec_task_id: task,
            kind: CoordinationKind::Message,
            from_session: None,
            to_session: None,
            message: format!("a → b: {text}"),
            data: serde_json::json!({ "text": text }),
        },
        sender_note: format!("sent: {text}\n"),
    }
}

async fn running(store: &Store, session: &WorkSession) -> WorkSession {
    store.transition_work_session(session, &WorkSessionCommand::Start).await.unwrap().value
}

async fn a_message_is_logged_noted_and_queued_and_holds_the_recipients_completion(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = running(&store, &store.create_work_session(new_session(task.id, "b")).await.unwrap()).await;
    let sent = store.send_session_message(message(task.id, a.id, Some(b.id), "ready")).await.unwrap();
    let MessageOutcome::Sent { event, message_id: Some(_) } = sent else { panic!("{sent:?}") };
    assert_eq!(
        (event.kind, event.from_session, event.to_session),
        (CoordinationKind::Message, Some(a.id), Some(b.id))
    );
    let pending = store.pending_session_messages(b.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].from_session, pending[0].kind, pending[0].text.as_str()),
        (Some(a.id), CoordinationKind::Message, "ready")
    );
    let noted = store.history_of_session(a.id).await.unwrap();
    assert!(
        noted.iter().any(|e| e.file == HistoryFile::Conversation && e.content == "sent: ready\n"),
        "{noted:?}"
    );
    // The recipient cannot complete past a waiting message; once delivered it can.
    assert_eq!(store.complete_work_session_unless_messages(&b, None, Vec::new(), None).await.unwrap(), None);
    store.mark_messages_delivered(&[pending[0].id]).await.unwrap();
    assert!(store.pending_session_messages(b.id).await.unwrap().is_empty());
    let done = store
        .complete_work_session_unless_messages(&b, Some("all done"), Vec::new(), None)
        .await
        .unwrap()
        .unwrap()
        .session;
    // Its summary is stored with it; its commit is the driving step's own, not a job.
    assert_eq!(store.work_session_summary(b.id).await.unwrap().as_deref(), Some("all done"));
    let jobs = store.jobs_of(task.id).await.unwrap();
    assert!(
        !jobs.iter().any(|j| j.kind == JobKind::WorkSession(WorkSessionEffect::CommitChanges)),
        "{jobs:#?}"
    );
    // To everyone: logged, queued for nobody. To a finished session: refused, nothing written.
    let broadcast = store.send_session_message(message(task.id, a.id, None, "fyi")).await.unwrap();
    assert!(matches!(broadcast, MessageOutcome::Sent { message_id: None, .. }), "{broadcast:?}");
    let log = store.coordination_log(task.id).await.unwrap().len();
    let refused = store.send_session_message(message(task.id, a.id, Some(done.id), "late")).await.unwrap();
    assert_eq!(refused, MessageOutcome::RecipientFinished(done.status()));
    assert_eq!(store.coordination_log(task.id).await.unwrap().len(), log);
    assert!(store.pending_session_messages(done.id).await.unwrap().is_empty());
}

/// Many rounds of a message racing the recipient's completion: every message is either refused or
/// waits for a recipient that is still running — never queued for one that completed.
async fn a_message_and_the_recipients_completion_never_cross(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    for round in 0..12 {
        let b = running(
            &store,
            &store.create_work_session(new_session(task.id, &format!("b{round}"))).await.unwrap(),
        )
        .await;
        let (s1, s2, b2) = (store.clone(), store.clone(), b.clone());
        let send =
            tokio::spawn(
                async move { s1.send_session_message(message(task.id, a.id, Some(b2.id), "hi")).await },
            );
        let complete = tokio::spawn(async move {
            s2.complete_work_session_unless_messages(&b, None, Vec::new(), None).await
        });
        let sent = send.await.unwrap().unwrap();
        let completed = complete.await.unwrap().unwrap();
        let pending = store.pending_session_messages(b2.id).await.unwrap();
        match (&sent, &completed) {
            (MessageOutcome::Sent { .. }, None) => assert_eq!(pending.len(), 1, "round {round}"),
            (MessageOutcome::RecipientFinished(_), Some(_)) => assert!(pending.is_empty(), "round {round}"),
            other => panic!("round {round}: message and completion crossed: {other:?}"),
        }
    }
}

async fn a_session_credential_names_its_session_until_a_new_one_replaces_it(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let first = store.issue_session_credential(a.id).await.unwrap();
    let of_b = store.issue_session_credential(b.id).await.unwrap();
    assert!(first.starts_with(SESSION_CREDENTIAL_PREFIX) && first.len() == 4 + 64, "{first}");
    assert_ne!(first, of_b);
    assert_eq!(store.session_of_credential(&first).await.unwrap().map(|s| s.id), Some(a.id));
    assert_eq!(store.session_of_credential(&of_b).await.unwrap().map(|s| s.id), Some(b.id));
    // A new credential for the session (its thread was opened again) replaces the old one.
    let second = store.issue_session_credential(a.id).await.unwrap();
    assert_eq!(store.session_of_credential(&first).await.unwrap(), None);
    assert_eq!(store.session_of_credential(&second).await.unwrap().map(|s| s.id), Some(a.id));
    // Near misses name nobody: another prefix, a changed character, the stored hash itself.
    let last = if second.ends_with('0') { '1' } else { '0' };
    let flipped = format!("{}{last}", &second[..second.len() - 1]);
    for wrong in ["", "stc_", &second.replace("stc_", "stx_"), &flipped] {
        assert_eq!(store.session_of_credential(wrong).await.unwrap(), None, "{wrong:?}");
    }
}

async fn a_sessions_entries_its_kinds_and_touched_files_are_read_without_the_whole_log(store: Store) {
    let r = repo(&store, "/repos/a").await;
    let task = store.create_spec_task(new_task(&r, "t")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let log = |from: Option<WorkSessionId>, kind: CoordinationKind, text: &str| NewCoordination {
        spec_task_id: task.id,
        kind,
        from_session: from,
        to_session: None,
        message: text.to_owned(),
        data: serde_json::json!({}),
    };
    for entry in [
        log(Some(a.id), CoordinationKind::SessionStarted, "a started"),
        log(Some(b.id), CoordinationKind::SessionStarted, "b started"),
        log(None, CoordinationKind::ReviewDecision, "changes"),
        log(Some(a.id), CoordinationKind::SessionCompleted, "a done"),
    ] {
        store.record_coordination(entry).await.unwrap();
    }
    assert_eq!(
        store.coordination_kinds_from(task.id, a.id).await.unwrap(),
        [CoordinationKind::SessionStarted, CoordinationKind::SessionCompleted]
    );
    let decisions = store.coordination_of_kind(task.id, CoordinationKind::ReviewDecision).await.unwrap();
    assert_eq!(decisions.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["changes"]);

    assert!(store.touched_paths_of_task(task.id).await.unwrap().is_empty());
    store.add_touched_paths(a.id, &["src/x.rs".into(), "README.md".into()]).await.unwrap();
    let touched = store.touched_paths_of_task(task.id).await.unwrap();
    assert_eq!(touched.len(), 1, "b reported nothing: {touched:?}");
    assert_eq!(touched[&a.id], ["README.md", "src/x.rs"]);
    // A cancelled session's files have no commit to come.
    store.add_touched_paths(b.id, &["b.rs".into()]).await.unwrap();
    assert_eq!(store.touched_paths_uncommitted(task.id).await.unwrap().len(), 2);
    store.record_work_session_transition(&b, &spectask_core::WorkSessionCommand::Cancel).await.unwrap();
    let to_come = store.touched_paths_uncommitted(task.id).await.unwrap();
    assert_eq!(to_come.keys().collect::<Vec<_>>(), [&a.id], "{to_come:?}");
}
