//! The OpenAPI document against the router: every route is documented with its error shape, the
//! committed `openapi.json` is the document the code generates, and axum's own rejections leave in
//! the API's error shape, while every other GET is the embedded web dashboard.

use crate::support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use spectask_server::{AppState, app, openapi};
use tower::ServiceExt;

async fn state(dir: &tempfile::TempDir) -> AppState {
    let store = support::store(dir.path(), false).await;
    support::state(store)
}

async fn send(state: &AppState, mut req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    // As the CLI does: the browser guard refuses body-less state changes without it.
    req.headers_mut()
        .entry(spectask_server::CLIENT_HEADER)
        .or_insert(header::HeaderValue::from_static("test"));
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let is_stream = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
    if is_stream {
        return (status, headers, Value::Null);
    }
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// The path templates the router serves, read from its debug form (axum has no other way to list
/// them): every `"/…"` string after a `RouteId(n): ` key of its path router (not of its fallback).
fn router_paths(router: &axum::Router) -> BTreeSet<String> {
    let text = format!("{router:?}");
    let routes = text.split("fallback_router:").next().unwrap();
    let mut paths = BTreeSet::new();
    let mut rest = routes;
    while let Some(at) = rest.find("RouteId(") {
        rest = &rest[at..];
        let Some(colon) = rest.find("): \"") else { break };
        let tail = &rest[colon + 4..];
        let end = tail.find('"').unwrap();
        let path = &tail[..end];
        if !path.contains("__private__") {
            paths.insert(path.to_owned());
        }
        rest = &tail[end..];
    }
    paths
}

/// `(METHOD, /path/{param})` of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_of_the_router_is_in_the_document_with_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let doc = serde_json::to_value(openapi::document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");

    let paths = router_paths(&app(state.clone()));
    assert!(paths.len() >= 30, "the router's paths were not found in its debug form: {paths:?}");
    // Which methods each path answers: anything but 405 means the router routes it.
    let mut routed = BTreeSet::new();
    for path in &paths {
        let uri = path.replace(['{', '}'], "");
        for method in METHODS {
            let req = Request::builder().method(method).uri(&uri).body(Body::empty()).unwrap();
            let (status, _, body) = send(&state, req).await;
            if status != StatusCode::METHOD_NOT_ALLOWED {
                routed.insert((method.to_owned(), path.clone()));
            } else {
                assert_eq!(body["error"]["code"], "method_not_allowed", "{method} {path}: {body}");
            }
        }
    }
    let documented = documented(&doc);
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(unrouted.is_empty(), "documented operations the router does not serve: {unrouted:?}");

    let mut operation_ids = BTreeSet::new();
    for (method, path) in &documented {
        let id = doc["paths"][path][method.to_lowercase()]["operationId"].as_str().unwrap().to_owned();
        assert!(
            operation_ids.insert(id.clone()),
            "operationId {id} is used twice (generated clients need unique names)"
        );
    }
    for (method, path) in &documented {
        let operation = &doc["paths"][path][method.to_lowercase()];
        let error = &operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(error, "#/components/schemas/ErrorBody", "{method} {path} documents no error shape");
        let success = operation["responses"].as_object().unwrap().keys().any(|k| k.starts_with('2'));
        assert!(success, "{method} {path} documents no success response");
        for param in path.split('{').skip(1).map(|p| &p[..p.find('}').unwrap()]) {
            let params = operation["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                params.iter().any(|p| p["name"] == param && p["in"] == "path"),
                "{method} {path} does not document its path parameter {param}"
            );
        }
    }
}

#[test]
fn the_committed_openapi_json_is_the_generated_document() {
    let generated = openapi::document().to_pretty_json().unwrap() + "\n";
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("SPECTASK_UPDATE_OPENAPI").is_some() {
        std::fs::write(&file, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with\n  SPECTASK_UPDATE_OPENAPI=1 cargo test -p spectask-server --test it openapi::",
        file.display()
    );
}

#[tokio::test]
async fn the_document_is_served_at_api_v1_openapi_json() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let req = Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap();
    let (status, headers, body) = send(&state, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, serde_json::to_value(openapi::document()).unwrap());
}

#[tokio::test]
async fn axums_own_rejections_leave_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let cases = [
        // A method the route does not serve.
        (Request::delete("/api/v1/health").body(Body::empty()).unwrap(), 405, "method_not_allowed"),
        // A path parameter that is not valid UTF-8 once decoded.
        (Request::get("/api/v1/spec-tasks/%FF%FE").body(Body::empty()).unwrap(), 400, "invalid_path"),
        // A JSON body without its content type.
        (
            Request::post("/api/v1/repos").body(Body::from(r#"{"path":"/tmp"}"#)).unwrap(),
            415,
            "unsupported_media_type",
        ),
        // A body over the limit.
        (
            Request::post("/api/v1/repos")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(vec![b' '; spectask_server::MAX_BODY_BYTES + 1]))
                .unwrap(),
            413,
            "payload_too_large",
        ),
        // A query parameter of the wrong type.
        (Request::get("/api/v1/spec-tasks?limit=many").body(Body::empty()).unwrap(), 400, "invalid_query"),
        // No such route.
        (Request::get("/api/v1/nothing-here").body(Body::empty()).unwrap(), 404, "not_found"),
    ];
    for (req, status, code) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (got, headers, body) = send(&state, req).await;
        assert_eq!(got.as_u16(), status, "{what}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{what}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty(), "{what}: {body}");
    }
}

/// The dashboard is served at `/` and at its own routes (index.html), hashed assets are cached
/// forever, and nothing under `/api/` or a missing asset ever answers the page.
#[tokio::test]
async fn the_dashboard_is_served_outside_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let page = |path: &str| {
        let state = state.clone();
        let req = Request::get(path).body(Body::empty()).unwrap();
        async move {
            let resp = app(state).oneshot(req).await.unwrap();
            let (status, headers) = (resp.status(), resp.headers().clone());
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            (status, headers, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (status, headers, index) = page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(index.contains("<div id=\"root\">"), "{index}");
    let (status, _, route) = page("/tasks/0199aaaa-0000-7000-8000-000000000001").await;
    assert_eq!(
        (status, route.as_str()),
        (StatusCode::OK, index.as_str()),
        "a client route answers index.html"
    );

    let script = index.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let (status, headers, _) = page(script).await;
    assert_eq!(status, StatusCode::OK, "{script}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");

    for missing in ["/assets/gone-1234.js", "/api/v1/nothing", "/api/nothing", "/api"] {
        let (status, headers, body) = page(missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{missing}");
    }
    let post = Request::post("/tasks").body(Body::empty()).unwrap();
    let (status, _, body) = send(&state, post).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}
