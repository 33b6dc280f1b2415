//! The dashboard's files and the API's answers are gzipped for a client that accepts it, and only
//! then; the event stream never is (a compressor would hold its events back).

use crate::support;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, header};
use spectask_server::app;
use tower::ServiceExt;

async fn get(state: &spectask_server::AppState, path: &str, gzip: bool) -> axum::response::Response {
    let mut request = Request::get(path).header(header::HOST, "localhost");
    if gzip {
        request = request.header(header::ACCEPT_ENCODING, "gzip");
    }
    app(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
}

#[tokio::test]
async fn the_bundle_is_gzipped_only_for_a_client_that_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = support::state(support::store(dir.path(), false).await);
    let page = get(&state, "/", false).await;
    let html = axum::body::to_bytes(page.into_body(), usize::MAX).await.unwrap();
    let script = String::from_utf8_lossy(&html)
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page names its script")
        .to_owned();

    let plain = get(&state, &script, false).await;
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none(), "{:?}", plain.headers());
    let plain = axum::body::to_bytes(plain.into_body(), usize::MAX).await.unwrap();

    let zipped = get(&state, &script, true).await;
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(zipped.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    let zipped = axum::body::to_bytes(zipped.into_body(), usize::MAX).await.unwrap();
    assert!(zipped.len() * 2 < plain.len(), "gzip {} of {} bytes", zipped.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain, "the same file");

    let events = get(&state, "/api/v1/events", true).await;
    assert!(events.headers().get(header::CONTENT_ENCODING).is_none(), "{:?}", events.headers());
}
