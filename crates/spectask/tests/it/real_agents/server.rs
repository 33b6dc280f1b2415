//! A fake model server on loopback: one vendor's API (its router), the request bodies it received.

use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;

/// Request bodies, in arrival order.
pub type Requests = Arc<Mutex<Vec<Value>>>;

pub struct FakeModel {
    pub url: String,
    pub port: u16,
    pub requests: Requests,
    _runtime: tokio::runtime::Runtime,
}

impl FakeModel {
    /// Serves `router(requests)` on a free loopback port, on a runtime of its own.
    pub fn start(router: impl FnOnce(Requests) -> Router) -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let requests = Requests::default();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = router(requests.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self { url: format!("http://127.0.0.1:{port}"), port, requests, _runtime: runtime }
    }

    /// Records `body` and returns how many requests came before it.
    pub fn record(requests: &Requests, body: &Value) -> usize {
        let mut requests = requests.lock().unwrap();
        requests.push(body.clone());
        requests.len() - 1
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

/// Server-Sent Events, `event:` lines included when named.
pub fn sse(events: &[(Option<&str>, Value)]) -> axum::response::Response {
    use axum::response::IntoResponse;
    let text: String = events
        .iter()
        .map(|(event, data)| match event {
            Some(event) => format!("event: {event}\ndata: {data}\n\n"),
            None => format!("data: {data}\n\n"),
        })
        .collect();
    ([("content-type", "text/event-stream")], text).into_response()
}
