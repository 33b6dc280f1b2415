//! Every operation of the OpenAPI document that takes a repository by path, cwd, URL or `repo`
//! goes through the one resolver and gate: the operations are found in the document itself, so a
//! new route taking such a field fails here until it is probed. Each is called as a member naming
//! another user's repository by every name of it (its path, a symlink, a linked worktree, a path
//! inside `.git`, a working tree whose `.git` leads to hers), and a repository outside the allowed
//! roots: each is refused, and git never
//! ran in either repository.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_server::{AppState, Auth, Security, app_with};
use spectask_store::{TokenKey, UserRole};
use tower::ServiceExt;

/// The fields that name a repository or a place on the server's disk.
const NAMING: [&str; 4] = ["path", "cwd", "url", "repo"];

/// Each operation taking such a field, and a request naming `target` in it.
fn probe(method: &str, route: &str, target: &str) -> (String, Option<Value>) {
    let query = |path: &str| format!("{path}?repo={}", urlencoding(target));
    match (method, route) {
        ("POST", "/api/v1/repos") => (route.to_owned(), Some(json!({ "path": target }))),
        ("GET", "/api/v1/repos/lookup" | "/api/v1/spec-tasks" | "/api/v1/tasks") => (query(route), None),
        ("POST", "/api/v1/spec-tasks/adopt") => {
            (route.to_owned(), Some(json!({ "repo": target, "folder": "specs/login" })))
        }
        ("POST", "/api/v1/spec-tasks/from-prompt") => {
            (route.to_owned(), Some(json!({ "prompt": "Do it", "repo": target })))
        }
        ("POST", "/api/v1/tasks") => (route.to_owned(), Some(json!({ "name": "Do it", "repo": target }))),
        // An issue's page on a forge: a path is no issue, refused before anything is read.
        ("POST", "/api/v1/spec-tasks/import") => (route.to_owned(), Some(json!({ "url": target }))),
        ("POST", "/api/v1/editor/threads" | "/api/v1/zed-threads/create-session") => {
            (route.to_owned(), Some(json!({ "cwd": target })))
        }
        ("POST", "/api/v1/editor/events" | "/api/v1/zed/events") => {
            (route.to_owned(), Some(json!({ "event_type": "thread_created", "cwd": target })))
        }
        other => panic!("{other:?} takes a repository reference and is not probed here: add it"),
    }
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The operations of the document with a query parameter or a top-level body property in
/// [`NAMING`].
fn naming_operations(document: &Value) -> BTreeSet<(String, String)> {
    let schemas = &document["components"]["schemas"];
    fn properties(schema: &Value, schemas: &Value, out: &mut BTreeSet<String>) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            return properties(&schemas[name], schemas, out);
        }
        if let Some(props) = schema["properties"].as_object() {
            out.extend(props.keys().cloned());
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                properties(part, schemas, out);
            }
        }
    }
    let mut found = BTreeSet::new();
    for (route, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let mut fields = BTreeSet::new();
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "query" {
                    fields.insert(parameter["name"].as_str().unwrap().to_owned());
                }
            }
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            properties(body, schemas, &mut fields);
            if fields.iter().any(|f| NAMING.contains(&f.as_str())) {
                found.insert((method.to_uppercase(), route.clone()));
            }
        }
    }
    found
}

/// Every file under `dir` with its size and modification time.
fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            found.push((entry.path(), meta.len(), meta.modified().unwrap()));
        }
    }
    found.sort();
    found
}

async fn call(
    state: &AppState,
    security: &Security,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
        .unwrap();
    let resp = app_with(state.clone(), security.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn every_operation_naming_a_repository_refuses_another_users_by_every_name_before_git_runs() {
    let document: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let operations = naming_operations(&document);
    assert_eq!(operations.len(), 12, "the operations taking a repository reference: {operations:#?}");

    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), false).await;
    let key = TokenKey::generate().unwrap();
    let mut tokens = Vec::new();
    for name in ["alice", "bob"] {
        store.add_user(name, UserRole::Member).await.unwrap();
        tokens.push(store.create_api_token(&key, name).await.unwrap());
    }
    let (alice, bob) = (tokens[0].clone(), tokens[1].clone());
    let roots = dir.path().join("roots");
    std::fs::create_dir_all(&roots).unwrap();
    let mut state = support::state(store);
    state.repositories.roots = vec![roots.canonicalize().unwrap()];
    let security = Security::default().with_auth(Auth::Tokens(key));

    let hers = PathBuf::from(support::git_repo(&roots, "hers"));
    let (status, body) =
        call(&state, &security, &alice, "POST", "/api/v1/repos", Some(json!({ "path": hers }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let worktree = hers.join(".git-worktrees").join("helix-design-docs");
    assert!(worktree.is_dir());
    let link = roots.join("link");
    std::os::unix::fs::symlink(&hers, &link).unwrap();
    // Working trees of bob's whose `.git` leads to hers: a file naming it, a symlink to it, and
    // a git directory of his naming hers as its common directory.
    let (gitfile, symlinked, common) = (roots.join("gitfile"), roots.join("symlinked"), roots.join("common"));
    for at in [&gitfile, &symlinked, &common.join(".git")] {
        std::fs::create_dir_all(at).unwrap();
    }
    std::fs::write(gitfile.join(".git"), format!("gitdir: {}\n", hers.join(".git").display())).unwrap();
    std::os::unix::fs::symlink(hers.join(".git"), symlinked.join(".git")).unwrap();
    std::fs::write(common.join(".git/commondir"), format!("{}\n", hers.join(".git").display())).unwrap();
    std::fs::write(common.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let outside = PathBuf::from(support::git_repo(dir.path(), "outside"));
    let before = (listing(&hers.join(".git")), listing(&outside.join(".git")));

    let targets = [
        hers.clone(),
        link,
        worktree,
        hers.join(".git").join("refs"),
        hers.join("src").join("..").join("."),
        outside.clone(),
        outside.join(".git"),
        gitfile.clone(),
        symlinked.clone(),
        common.clone(),
    ];
    let mut answers = Vec::new();
    for (method, route) in &operations {
        for target in &targets {
            let target = target.display().to_string();
            let (uri, body) = probe(method, route, &target);
            let (status, text) = call(&state, &security, &bob, method, &uri, body).await;
            assert!(
                status.is_client_error() && status != StatusCode::UNAUTHORIZED,
                "{method} {route} naming {target}: {status} {text}"
            );
            assert!(!text.contains("alice"), "{method} {route} names her: {text}");
            answers.push(format!("{method} {route} {target}: {status}"));
        }
    }
    // Registered under a design-docs branch of his own, which her repository lacks.
    for target in [&gitfile, &symlinked, &common] {
        let body = json!({ "path": target, "design_docs_branch": "bob-docs" });
        let (status, text) = call(&state, &security, &bob, "POST", "/api/v1/repos", Some(body)).await;
        let target = target.display();
        assert!(status == StatusCode::FORBIDDEN, "registering {target}: {status} {text}");
        answers.push(format!("POST /api/v1/repos {target} on bob-docs: {status} {text}"));
    }
    assert_eq!(
        (listing(&hers.join(".git")), listing(&outside.join(".git"))),
        before,
        "git ran in a repository bob may not use:\n{}",
        answers.join("\n")
    );
    let (_, tasks) = call(&state, &security, &bob, "GET", "/api/v1/spec-tasks", None).await;
    assert_eq!(serde_json::from_str::<Value>(&tasks).unwrap()["total"], 0, "{tasks}");
    let (_, tasks) = call(&state, &security, &alice, "GET", "/api/v1/spec-tasks", None).await;
    assert_eq!(serde_json::from_str::<Value>(&tasks).unwrap()["total"], 0, "{tasks}");
}
