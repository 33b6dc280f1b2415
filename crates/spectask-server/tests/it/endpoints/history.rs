//! `GET /work-sessions/{id}/history`: pages of a session's entries after a cursor, each entry once
//! and in the order recorded, optionally of one file; `POST …/record-history` answers its entry.

use axum::http::StatusCode;
use serde_json::{Value, json};
use spectask_core::HistoryFile;
use spectask_store::{NewHistoryEntry, NewWorkSession};

use crate::endpoints::fixture::{Fixture, error};
use crate::endpoints::on_both_backends;

on_both_backends!(the_history_is_paged_each_entry_once, history_on_sqlite, history_on_postgres);

const FILES: [HistoryFile; 4] =
    [HistoryFile::Conversation, HistoryFile::CodeChanges, HistoryFile::Decisions, HistoryFile::ActivityLog];

async fn the_history_is_paged_each_entry_once(fx: Fixture) {
    let (_, task) = fx
        .call(
            "POST",
            "/api/v1/tasks",
            Some(json!({ "name": "Paged", "description": "x", "repo": fx.repo("app") })),
        )
        .await;
    let task_id = task["id"].as_str().unwrap().parse().unwrap();
    let session =
        fx.store().create_work_session(NewWorkSession::implementation(task_id, "one", "")).await.unwrap();
    let other =
        fx.store().create_work_session(NewWorkSession::implementation(task_id, "two", "")).await.unwrap();
    // Entries of both sessions interleaved: only the asked session's are its history.
    for n in 0..10 {
        for (s, id) in [(0, session.id), (1, other.id)] {
            let entry = NewHistoryEntry {
                spec_task_id: task_id,
                work_session_id: Some(id),
                file: FILES[n % 4],
                content: format!("<s{s}:e{n}>"),
            };
            fx.store().append_history(&[entry]).await.unwrap();
        }
    }
    let path = format!("/api/v1/work-sessions/{}/history", session.id);
    let contents = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["content"].as_str().unwrap().to_owned())
            .collect()
    };
    let all: Vec<String> = (0..10).map(|n| format!("<s0:e{n}>")).collect();

    // One page by default, with no next one.
    let (status, page) = fx.call("GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!((contents(&page), &page["next_after"]), (all.clone(), &Value::Null), "{page}");
    assert!(page.get("files").is_none(), "each entry is listed once: {page}");

    // Pages of 3 after the cursor: 3 + 3 + 3 + 1, the last without a cursor.
    let mut paged = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let (status, page) = fx.call("GET", &format!("{path}?limit=3&after={after}"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        paged.extend(contents(&page));
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
        assert!(pages < 10, "the pages never end: {page}");
    }
    assert_eq!((paged, pages), (all, 4));

    // One file only.
    let (_, decisions) = fx.call("GET", &format!("{path}?file=decisions"), None).await;
    assert_eq!(contents(&decisions), ["<s0:e2>", "<s0:e6>"], "{decisions}");

    // Bad queries say what is wrong.
    for (query, code) in
        [("limit=0", "invalid_limit"), ("limit=1001", "invalid_limit"), ("file=specs", "invalid_file")]
    {
        let (status, body) = fx.call("GET", &format!("{path}?{query}"), None).await;
        assert_eq!((status, error(&body).0), (StatusCode::BAD_REQUEST, code), "{query}: {body}");
    }
    let (status, body) = fx.call("GET", &format!("{path}?page=2"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A recorded entry is answered as the history lists it.
    let entry = json!({ "file": "decisions", "content": "<recorded>" });
    let (status, recorded) =
        fx.call("POST", &format!("/api/v1/work-sessions/{}/record-history", session.id), Some(entry)).await;
    assert_eq!((status, &recorded["content"]), (StatusCode::CREATED, &json!("<recorded>")), "{recorded}");
    let (_, last) =
        fx.call("GET", &format!("{path}?after={}", recorded["seq"].as_i64().unwrap() - 1), None).await;
    assert_eq!(last["entries"], json!([recorded]), "{last}");
}
