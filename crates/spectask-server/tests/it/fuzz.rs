//! Property test of every state-changing route (each POST, PUT and DELETE of the OpenAPI document):
//! malformed, wrongly typed and oversized bodies, missing and wrong content types and bad path
//! parameters never make the server answer 5xx or panic, and every refusal is the one error shape
//! `{"error": {"code", "message"}}`. The routes' path parameters are sometimes real (a registered
//! repository, a task, a work session), so the bodies reach the handlers, on SQLite and PostgreSQL.

use crate::support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use spectask_server::{AppState, MAX_BODY_BYTES, app, openapi};
use spectask_store::NewWorkSession;
use tower::ServiceExt;

/// A state-changing operation of the document: its method, path template and its body's fields.
#[derive(Clone, Debug)]
struct Operation {
    method: String,
    path: String,
    fields: Vec<String>,
}

fn operations() -> Vec<Operation> {
    let doc = serde_json::to_value(openapi::document()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let fields = schema["$ref"]
                .as_str()
                .and_then(|r| {
                    doc["components"]["schemas"][r.rsplit('/').next().unwrap()]["properties"].as_object()
                })
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            out.push(Operation { method: method.to_uppercase(), path: path.clone(), fields });
        }
    }
    assert!(out.len() >= 40, "the document's state-changing operations: {out:?}");
    out
}

/// The real ids a path parameter may take: a task and a work session.
struct Known {
    task: String,
    session: String,
}

async fn seed(state: &AppState, router: &Router, dir: &std::path::Path) -> Known {
    let repo = support::git_repo(dir, "app");
    let body = json!({"repo": repo, "prompt": "Add login", "title": "Add login"});
    let req = request("POST", "/api/v1/spec-tasks/from-prompt", "application/json", body.to_string());
    let (status, task) = send(router, req).await;
    assert_eq!(status, 201, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();
    let new = NewWorkSession::implementation(id.parse().unwrap(), "session 1", "");
    let session = state.store.create_work_session(new).await.unwrap();
    Known { task: id, session: session.id.to_string() }
}

fn request(method: &str, uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri).header(spectask_server::CLIENT_HEADER, "fuzz");
    if !content_type.is_empty() {
        req = req.header(header::CONTENT_TYPE, content_type);
    }
    req.body(body.into()).unwrap()
}

/// Sends one request through the router; the status and the body as JSON (`Null` when it is not).
async fn send(router: &Router, req: Request<Body>) -> (u16, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Never a 5xx; a refusal is `{"error": {"code", "message"}}` with both non-empty.
fn check(what: &str, status: u16, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{what}: answered {status}: {body}");
    if status >= 400 {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        prop_assert!(
            !code.is_empty() && !message.is_empty(),
            "{what}: {status} without the error shape: {body}"
        );
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("x".repeat(70_000))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Strings a field of the right type may still hold wrongly: empty, blank, NUL, paths outside
/// anything, huge, odd unicode, another field's vocabulary.
fn wild_string() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("\u{0}".to_owned()),
        Just("/".to_owned()),
        Just("/nonexistent/repo".to_owned()),
        Just("../../etc/passwd".to_owned()),
        Just(std::env::temp_dir().display().to_string()),
        Just("x".repeat(70_000)),
        Just("\u{1F980}\u{202E}\u{FEFF}".repeat(300)),
        Just("spec_review".to_owned()),
        Just("interrupted".to_owned()),
        Just("allow_once".to_owned()),
        Just("decisions".to_owned()),
        Just("normal".to_owned()),
        ".{0,60}",
    ]
    .prop_map(Value::String)
}

/// A body: any JSON, the operation's own fields with values of any type or with wild strings, or
/// bytes that are not JSON.
fn body(fields: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    // Each field present or left out (most are optional), with a value from `values`.
    let object = |fields: &[String], values: BoxedStrategy<Value>| {
        let fields = fields.to_vec();
        prop::collection::vec(prop::option::weighted(0.7, values), fields.len()).prop_map(move |values| {
            let present = fields.iter().cloned().zip(values).filter_map(|(k, v)| Some((k, v?)));
            Value::Object(present.collect()).to_string().into_bytes()
        })
    };
    let typed = object(&fields, json_value().boxed());
    let strings = object(&fields, wild_string().boxed());
    prop_oneof![
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        2 => typed,
        4 => strings,
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => Just(b"{\"name\": ".to_vec()),
        1 => Just(Vec::new()),
    ]
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("application/json"),
        1 => Just(""),
        1 => Just("text/plain"),
        1 => Just("application/x-www-form-urlencoded"),
        1 => Just("application/json; charset=latin1"),
        1 => Just("multipart/form-data; boundary=x"),
    ]
}

/// A path parameter: a real id (or an abbreviation of it), or something that names nothing.
fn parameter(known: &Known) -> impl Strategy<Value = String> {
    let real = vec![known.task.clone(), known.task[..8].to_owned(), known.session.clone()];
    prop_oneof![
        3 => prop::sample::select(real),
        1 => Just("%FF%FE".to_owned()),
        1 => Just("%00".to_owned()),
        1 => Just("..%2F..%2Fetc".to_owned()),
        1 => Just("-1".to_owned()),
        1 => Just("9".repeat(400)),
        1 => "[a-zA-Z0-9_.~-]{1,40}",
    ]
}

fn fill(template: &str, params: &[String]) -> String {
    let mut path = template.to_owned();
    for param in params {
        let Some(start) = path.find('{') else { break };
        let end = path[start..].find('}').unwrap() + start;
        path.replace_range(start..=end, param);
    }
    path
}

async fn fuzz(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let state = support::state(support::store(dir.path(), postgres).await);
    let router = app(state.clone());
    let known = seed(&state, &router, dir.path()).await;
    let operations = operations();

    // A body over the limit, to every operation, with real parameters.
    let params = [known.task.clone(), known.session.clone()];
    for op in &operations {
        let uri = fill(&op.path, &params);
        let big = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        let (status, body) = send(&router, request(&op.method, &uri, "application/json", big)).await;
        check(&format!("{} {uri} with {} bytes", op.method, MAX_BODY_BYTES + 11), status, &body).unwrap();
    }

    let runtime = tokio::runtime::Handle::current();
    let cases = std::env::var("SPECTASK_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = prop::sample::select(operations).prop_flat_map(|op| {
        let params = prop::collection::vec(parameter(&known), 2);
        (Just(op.clone()), params, body(op.fields.clone()), content_type())
    });
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<(u16, String), usize>::new());
    let result = runner.run(&strategy, |(op, params, bytes, content_type)| {
        let uri = fill(&op.path, &params);
        let what =
            format!("{} {uri} as {content_type:?} with {}", op.method, String::from_utf8_lossy(&bytes));
        let req = Request::builder()
            .method(op.method.as_str())
            .uri(&uri)
            .header(spectask_server::CLIENT_HEADER, "fuzz");
        let req = if content_type.is_empty() { req } else { req.header(header::CONTENT_TYPE, content_type) };
        let Ok(req) = req.body(Body::from(bytes)) else { return Ok(()) };
        let (status, body) = tokio::task::block_in_place(|| runtime.block_on(send(&router, req)));
        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
        *seen.lock().unwrap().entry((status, code)).or_default() += 1;
        check(&what, status, &body)
    });
    let seen = seen.into_inner().unwrap();
    if let Err(e) = result {
        panic!("{e}\nanswers so far (status, code): {seen:?}");
    }
    // The bodies reached the handlers, not only the extractors: some were accepted, and the
    // refusals name more than the content type.
    let accepted = seen.keys().any(|(status, _)| *status < 300);
    prop_assert_distinct(&seen, accepted);
}

fn prop_assert_distinct(seen: &std::collections::BTreeMap<(u16, String), usize>, accepted: bool) {
    eprintln!("answers (status, code) → count: {seen:?}");
    assert!(accepted && seen.len() >= 8, "the fuzz only met the extractors: {seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_routes_refuse_bad_input_in_the_error_shape_on_sqlite() {
    fuzz(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_routes_refuse_bad_input_in_the_error_shape_on_postgres() {
    fuzz(true).await;
}
