//! The session tools through a real MCP client, against a fake coordination API on loopback: the
//! tools are listed with their schemas, each call reaches the right route with the credential, and
//! a refusal comes back as a tool error naming the reason.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use serde_json::{Value, json};
use spectask_mcp::{CoordinationApi, SessionTools};

/// What the fake API saw: method, path and query, authorization header, body.
type Seen = Arc<Mutex<Vec<(String, String, String, Value)>>>;

async fn fake_api(State(seen): State<Seen>, request: Request) -> Response {
    let method = request.method().to_string();
    let uri = request.uri().to_string();
    let auth =
        request.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    seen.lock().unwrap().push((method, uri.clone(), auth, body.clone()));
    if body["to_session"] == "nobody" {
        let error =
            json!({"error": {"code": "unknown_session", "message": "no session \"nobody\" in this task"}});
        return (StatusCode::NOT_FOUND, Json(error)).into_response();
    }
    Json(json!({ "echo": uri, "body": body })).into_response()
}

async fn start_fake() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new().fallback(fake_api).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect()
}

fn call(name: &'static str, arguments: Value) -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new(name);
    params.arguments = arguments.as_object().cloned();
    params
}

#[tokio::test]
async fn every_tool_calls_its_route_with_the_session_credential() {
    let (url, seen) = start_fake().await;
    let tools = SessionTools::new(CoordinationApi::new(&url, "stc_secret".into()).unwrap());
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let running = tools.serve(server_io).await.unwrap();
        let _ = running.waiting().await;
    });
    let client = ().serve(client_io).await.unwrap();

    let listed = client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = listed.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        ["handoff", "plan_status", "read_coordination", "report_blocked", "send_message", "spawn_session"]
    );
    let spawn = listed.iter().find(|t| t.name == "spawn_session").unwrap();
    let required = spawn.input_schema.get("required").cloned().unwrap_or_default();
    assert_eq!(required, json!(["name", "description"]), "{:?}", spawn.input_schema);

    let calls = [
        ("spawn_session", json!({"name": "Security audit", "description": "audit the auth code"})),
        ("send_message", json!({"to_session": "2", "text": "endpoints ready"})),
        ("report_blocked", json!({"on_session": "2"})),
        ("handoff", json!({"to_session": "2", "note": "over to you"})),
        ("read_coordination", json!({"since": 7})),
        ("plan_status", json!({})),
    ];
    for (name, arguments) in calls {
        let result = client.call_tool(call(name, arguments)).await.unwrap();
        assert_ne!(result.is_error, Some(true), "{name}: {}", text(&result));
    }
    let seen = seen.lock().unwrap().clone();
    let routes: Vec<(String, String)> = seen.iter().map(|(m, u, _, _)| (m.clone(), u.clone())).collect();
    let expected = [
        ("POST", "/api/v1/coordination/spawn"),
        ("POST", "/api/v1/coordination/messages"),
        ("POST", "/api/v1/coordination/blocked"),
        ("POST", "/api/v1/coordination/handoffs"),
        ("GET", "/api/v1/coordination/log?since=7"),
        ("GET", "/api/v1/coordination/plan-status"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(m, u)| (m.to_string(), u.to_string())).collect();
    assert_eq!(routes, expected);
    assert!(seen.iter().all(|(_, _, auth, _)| auth == "Bearer stc_secret"), "{seen:?}");
    assert_eq!(seen[0].3, json!({"name": "Security audit", "description": "audit the auth code"}));
    assert_eq!(seen[1].3, json!({"to_session": "2", "text": "endpoints ready"}));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn refusals_and_an_unreachable_server_are_tool_errors_that_say_why() {
    let (url, _) = start_fake().await;
    let tools = SessionTools::new(CoordinationApi::new(&url, "stc_x".into()).unwrap());
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let running = tools.serve(server_io).await.unwrap();
        let _ = running.waiting().await;
    });
    let client = ().serve(client_io).await.unwrap();
    let refused =
        client.call_tool(call("send_message", json!({"to_session": "nobody", "text": "hi"}))).await.unwrap();
    assert_eq!(refused.is_error, Some(true));
    let message = text(&refused);
    assert!(message.contains("unknown_session") && message.contains("no session \"nobody\""), "{message}");
    client.cancel().await.unwrap();

    // Nothing listens on this port any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let tools = SessionTools::new(CoordinationApi::new(&dead, "stc_x".into()).unwrap());
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let running = tools.serve(server_io).await.unwrap();
        let _ = running.waiting().await;
    });
    let client = ().serve(client_io).await.unwrap();
    let result = client.call_tool(call("plan_status", json!({}))).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("cannot reach spectask"), "{}", text(&result));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_missing_credential_is_refused_before_serving() {
    let err = spectask_mcp::serve_stdio("http://127.0.0.1:9", None).await.unwrap_err();
    assert!(err.to_string().contains(spectask_mcp::CREDENTIAL_ENV), "{err}");
}
