//! A web page in the user's browser cannot use the API: a cross-origin form POST, a body-less POST
//! and a request for a rebinding `Host` are refused; CORS is closed unless origins are configured.

use crate::support;

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_core::{NewSpecTask, SpecTask, TaskKind};
use spectask_server::{AppState, CLIENT_HEADER, Security, app_with};
use tower::ServiceExt;

struct Fixture {
    state: AppState,
    security: Security,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(security: Security) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = support::store(dir.path(), false).await;
        let state = support::state(store);
        Self { state, security, _dir: dir }
    }

    async fn task(&self) -> SpecTask {
        let store = &self.state.store;
        let repo = store
            .register_repository(Path::new("/srv/app"), "main", "helix-design-docs", Some("local"))
            .await
            .unwrap();
        store
            .create_spec_task(NewSpecTask::new(TaskKind::default(), repo.id, "t", "t", "test"))
            .await
            .unwrap()
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let resp = app_with(self.state.clone(), self.security.clone()).oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn status_of(&self, task: &SpecTask) -> String {
        let req = Request::get(format!("/api/v1/spec-tasks/{}", task.id))
            .header(header::HOST, "127.0.0.1:7070")
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["status"].as_str().unwrap().to_owned()
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an API error: {body}"))
}

#[tokio::test]
async fn a_cross_origin_form_post_changes_nothing() {
    let fx = Fixture::new(Security::default()).await;
    let task = fx.task().await;
    let cancel = format!("/api/v1/spec-tasks/{}/cancel", task.id);
    // What a page on another origin can send without a preflight: a form (urlencoded, multipart or
    // text/plain), or a body-less POST from `fetch(url, {method: "POST", mode: "no-cors"})`.
    let forms = [
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("text/plain"),
        None,
    ];
    for content_type in forms {
        let mut req = Request::post(&cancel)
            .header(header::HOST, "localhost:7070")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, "spectask_session=stolen-by-the-browser");
        if let Some(content_type) = content_type {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        let (status, _, body) = fx.send(req.body(Body::from("a=b")).unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{content_type:?}: {body}");
        assert_eq!(code(&body), "cross_site_request", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(CLIENT_HEADER), "{body}");
    }
    let form = Request::post("/api/v1/spec-tasks/from-prompt")
        .header(header::HOST, "localhost:7070")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("prompt=rm+-rf&repo=%2Fsrv%2Fapp"))
        .unwrap();
    assert_eq!(fx.send(form).await.0, StatusCode::FORBIDDEN);
    assert_eq!(fx.status_of(&task).await, "backlog", "a refused request changed the task");

    // A program says so with the header (or a JSON body): the same POST works.
    let req = Request::post(&cancel)
        .header(header::HOST, "localhost:7070")
        .header(CLIENT_HEADER, "cli")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = fx.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(fx.status_of(&task).await, "cancelled");
}

#[tokio::test]
async fn a_rebinding_host_is_refused_on_every_method() {
    let fx = Fixture::new(Security::new(&["spectask.lan".into()], &[]).unwrap()).await;
    let task = fx.task().await;
    for (method, uri) in [
        ("GET", "/api/v1/spec-tasks".to_owned()),
        ("GET", format!("/api/v1/spec-tasks/{}", task.id)),
        ("GET", "/api/v1/events".to_owned()),
        ("POST", format!("/api/v1/spec-tasks/{}/cancel", task.id)),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(&uri)
            .header(header::HOST, "rebound.evil.example:7070")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, body) = fx.send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
        assert_eq!(code(&body), "host_not_allowed");
        assert!(body["error"]["message"].as_str().unwrap().contains("rebound.evil.example"), "{body}");
    }
    assert_eq!(fx.status_of(&task).await, "backlog");
    for host in ["localhost:7070", "127.0.0.1:7070", "[::1]:7070", "spectask.lan", "SPECTASK.LAN:8080"] {
        let req = Request::get("/api/v1/health").header(header::HOST, host).body(Body::empty()).unwrap();
        let (status, _, body) = fx.send(req).await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
}

#[tokio::test]
async fn cors_is_closed_unless_an_origin_is_configured() {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v1/spec-tasks/from-prompt")
            .header(header::HOST, "localhost:7070")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let read = |origin: &str| {
        Request::get("/api/v1/spec-tasks")
            .header(header::HOST, "localhost:7070")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let closed = Fixture::new(Security::default()).await;
    for req in [preflight("https://evil.example"), read("https://evil.example")] {
        let (_, headers, _) = closed.send(req).await;
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "{headers:?}");
    }

    let open = Fixture::new(Security::new(&[], &["https://app.example.com".into()]).unwrap()).await;
    let (status, headers, _) = open.send(preflight("https://app.example.com")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example.com");
    let (_, headers, _) = open.send(read("https://app.example.com")).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example.com");
    for req in [preflight("https://evil.example"), read("https://evil.example")] {
        let (_, headers, _) = open.send(req).await;
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "{headers:?}");
    }
}

#[tokio::test]
async fn json_bodies_pass_without_the_header() {
    let fx = Fixture::new(Security::default()).await;
    let req = Request::post("/api/v1/repos")
        .header(header::HOST, "localhost:7070")
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(json!({ "path": "/no/such/repo" }).to_string()))
        .unwrap();
    let (status, _, body) = fx.send(req).await;
    // Past the guard: the handler itself answers about the path.
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "repository_not_found"), "{body}");
}

/// Over a real connection, a request naming no `Host` (HTTP/1.0 allows it, no browser sends it) is
/// refused; the same request naming its host is served.
#[tokio::test]
async fn a_request_over_the_network_without_host_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fx = Fixture::new(Security::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server =
        tokio::spawn(spectask_server::serve(listener, fx.state.clone(), fx.security.clone(), async {
            let _ = stopped.await;
        }));
    let ask = |request: String| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    let without = ask("GET /api/v1/health HTTP/1.0\r\n\r\n".to_owned()).await;
    assert!(without.starts_with("HTTP/1.0 400") && without.contains("host_required"), "{without}");
    let with = ask(format!("GET /api/v1/health HTTP/1.0\r\nHost: {addr}\r\n\r\n")).await;
    assert!(with.starts_with("HTTP/1.0 200"), "{with}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
