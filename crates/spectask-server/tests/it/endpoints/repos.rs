//! `GET /repos` says each repository's design-docs health as git says it at that moment.

use std::path::PathBuf;

use axum::http::StatusCode;
use serde_json::json;
use spectask_git::{DesignDocsCommit, FileWrite, Repo, Trailer};

use crate::endpoints::fixture::Fixture;
use crate::endpoints::on_both_backends;

on_both_backends!(listing_repositories_follows_their_design_docs, repos_on_sqlite, repos_on_postgres);

async fn listing_repositories_follows_their_design_docs(fx: Fixture) {
    for name in ["a", "b", "c"] {
        let (status, body) = fx.call("POST", "/api/v1/repos", Some(json!({ "path": fx.repo(name) }))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, listed) = fx.call("GET", "/api/v1/repos", None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let paths: Vec<PathBuf> =
        listed.as_array().unwrap().iter().map(|r| PathBuf::from(r["path"].as_str().unwrap())).collect();
    assert_eq!(paths.len(), 3);
    let (_, again) = fx.call("GET", "/api/v1/repos", None).await;
    assert_eq!(again, listed, "nothing changed");

    // A design-docs commit (by any process) moves one branch: the listing shows its new tip.
    let moved = paths.iter().position(|p| p.ends_with("b")).unwrap();
    let commit = DesignDocsCommit {
        message: "elsewhere".into(),
        trailers: vec![Trailer::new("Spec-Task", "task-1").unwrap()],
        writes: vec![FileWrite::put("notes.md", "from another process\n")],
    };
    let tip = Repo::open(&paths[moved]).unwrap().commit_design_docs(&commit).unwrap();
    let (_, after) = fx.call("GET", "/api/v1/repos", None).await;
    assert_eq!(after[moved]["design_docs"]["tip"], tip.to_string(), "{after}");
    assert_eq!(after[moved]["design_docs"]["state"], "healthy");
}

on_both_backends!(
    the_default_branch_is_chosen_and_changed,
    default_branch_on_sqlite,
    default_branch_on_postgres
);

/// `default_branch` at registration chooses the branch tasks start from and merge into; a second
/// registration naming another is refused, naming the update that changes it; the update changes
/// it, and answers 404 for a branch that does not exist, naming it.
async fn the_default_branch_is_chosen_and_changed(fx: Fixture) {
    let path = fx.repo("app");
    let made =
        std::process::Command::new("git").args(["branch", "develop"]).current_dir(&path).status().unwrap();
    assert!(made.success());
    let register = |branch: &str| json!({ "path": path, "default_branch": branch });
    let (status, body) = fx.call("POST", "/api/v1/repos", Some(register("develop"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["default_branch"], "develop", "{body}");
    let (_, again) = fx.call("POST", "/api/v1/repos", Some(json!({ "path": path }))).await;
    assert_eq!(again["default_branch"], "develop", "kept: {again}");

    let (status, refused) = fx.call("POST", "/api/v1/repos", Some(register("main"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "registered_already", "{refused}");
    assert!(refused.to_string().contains("spectask repo set"), "{refused}");

    let update = format!("/api/v1/repos/{}", body["id"].as_str().unwrap());
    let (status, refused) = fx.call("PATCH", &update, Some(json!({ "default_branch": "nope" }))).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("branch_not_found"))
    );
    assert!(refused.to_string().contains("nope"), "{refused}");
    let (status, changed) = fx.call("PATCH", &update, Some(json!({ "default_branch": "main" }))).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["default_branch"], "main", "{changed}");
    let (_, listed) = fx.call("GET", "/api/v1/repos", None).await;
    assert_eq!(listed[0]["default_branch"], "main", "{listed}");
}
