//! Every answer carries the browser protections: the dashboard page, its assets, JSON answers and
//! errors (404, 401, 403) are never framed, never sniffed, send no referrer, and have a CSP.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use spectask_server::{Auth, Security, app, app_with};
use spectask_store::TokenKey;
use tower::ServiceExt;

use crate::endpoints::fixture::Fixture;

const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

async fn get(router: axum::Router, uri: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = router.oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn assert_protected(what: &str, headers: &HeaderMap, csp: &str) {
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{what}");
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], csp, "{what}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{what}");
    assert_eq!(headers.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1, "{what}: one policy");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_and_its_assets_carry_the_security_headers() {
    let fx = Fixture::new(false).await;
    let (status, headers, index) = get(app(fx.state.clone()), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_protected("/", &headers, DASHBOARD_CSP);
    let scripts: Vec<&str> = index.split("<script").skip(1).map(|t| t.split('>').next().unwrap()).collect();
    assert!(
        !scripts.is_empty() && scripts.iter().all(|tag| tag.contains(" src=")),
        "no inline script: {index}"
    );
    assert!(!index.contains("<style") && !index.contains(" style="), "no inline style: {index}");

    let (status, headers, _) = get(app(fx.state.clone()), "/tasks/some-task").await;
    assert_eq!(status, StatusCode::OK);
    assert_protected("a client route", &headers, DASHBOARD_CSP);

    let script = index.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let stylesheet = index.split("href=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    for asset in [script, stylesheet] {
        assert!(asset.starts_with("/assets/"), "{asset}");
        let (status, headers, _) = get(app(fx.state.clone()), asset).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert_protected(asset, &headers, API_CSP);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn api_answers_and_errors_carry_the_security_headers() {
    let fx = Fixture::new(false).await;
    for (uri, status) in [
        ("/api/v1/repos", StatusCode::OK),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND),
        ("/assets/gone-1234.js", StatusCode::NOT_FOUND),
    ] {
        let (got, headers, body) = get(app(fx.state.clone()), uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
        assert_protected(uri, &headers, API_CSP);
    }

    // Refused by the host check and by authentication.
    let req = Request::get("/api/v1/repos").header(header::HOST, "evil.example").body(Body::empty()).unwrap();
    let resp = app(fx.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_protected("a foreign host", resp.headers(), API_CSP);

    let tokens = Security::default().with_auth(Auth::Tokens(TokenKey::generate().unwrap()));
    let (status, headers, body) = get(app_with(fx.state.clone(), tokens), "/api/v1/repos").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_protected("no token", &headers, API_CSP);
}
