//! `GET /spec-tasks/{id}/export`: one markdown report of a task.

use axum::http::StatusCode;
use serde_json::json;
use spectask_core::CoordinationKind;
use spectask_store::NewCoordination;

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(the_report_has_the_whole_task, export_on_sqlite, export_on_postgres);

async fn the_report_has_the_whole_task(fx: Fixture) {
    let repo = fx.repo("app");
    let (_, task) = fx
        .call("POST", "/api/v1/tasks", Some(json!({ "name": "Login", "description": "Add a login\nwith a form", "repo": repo, "task_type": "spec" })))
        .await;
    let id = task["id"].as_str().unwrap().to_owned();
    let (status, report) = fx.call_text("GET", &format!("/api/v1/spec-tasks/{id}/export"), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report.contains("# Login (") && report.contains("> with a form") && report.contains("No spec"),
        "{report}"
    );

    let generating = fx.submit_login_spec(&task["id"]).await;
    fx.store()
        .record_coordination(NewCoordination {
            spec_task_id: generating.id,
            kind: CoordinationKind::ReviewDecision,
            from_session: None,
            to_session: None,
            message: "looked at the spec".into(),
            data: json!({}),
        })
        .await
        .unwrap();
    let (status, report) = fx.call_text("GET", &format!("/api/v1/spec-tasks/{id}/export"), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    for expected in [
        "- Status: spec_review",
        "**1.1** WHEN a user submits valid credentials THEN the system SHALL sign them in — implemented by 1 Build the login form (pending)",
        "**1.2** WHEN a password is wrong THEN the system SHALL refuse it — no plan task names it",
        "## Work sessions",
        "## Coordination timeline",
        "looked at the spec",
    ] {
        assert!(report.contains(expected), "the report lacks {expected:?}:\n{report}");
    }
}
