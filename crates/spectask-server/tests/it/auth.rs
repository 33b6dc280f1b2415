//! Authentication through the real router, on both backends: with users, every `/api/v1` route but
//! the public ones needs a token (bearer or the login cookie); a session credential opens only the
//! coordination API; the login cookie is HttpOnly and SameSite=Strict.

use crate::support;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};
use spectask_server::{AppState, Auth, CLIENT_HEADER, Security, app_with};
use spectask_store::TokenKey;
use tower::ServiceExt;

struct Fixture {
    state: AppState,
    security: Security,
    alice: String,
    key: TokenKey,
    _dir: tempfile::TempDir,
}

async fn fixture(postgres: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), postgres).await;
    let key = TokenKey::generate().unwrap();
    store.add_user("alice", spectask_store::UserRole::Member).await.unwrap();
    let alice = store.create_api_token(&key, "alice").await.unwrap();
    let state = support::state(store);
    let security = Security::default().with_auth(Auth::Tokens(key.clone()));
    Fixture { state, security, alice, key, _dir: dir }
}

impl Fixture {
    async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let resp = app_with(self.state.clone(), self.security.clone()).oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn get(
        &self,
        uri: &str,
        auth: Option<(header::HeaderName, String)>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = Request::get(uri);
        if let Some((name, value)) = auth {
            req = req.header(name, value);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }
}

fn bearer(token: &str) -> Option<(header::HeaderName, String)> {
    Some((header::AUTHORIZATION, format!("Bearer {token}")))
}

async fn tokens_cookies_and_public_routes(fx: Fixture) {
    // Public: what a client needs before it has a token.
    for uri in ["/api/v1/health", "/api/v1/openapi.json"] {
        assert_eq!(fx.get(uri, None).await.0, StatusCode::OK, "{uri}");
    }
    // Everything else: 401 with a challenge and a message saying what to do.
    for uri in [
        "/api/v1/spec-tasks",
        "/api/v1/repos",
        "/api/v1/events",
        "/api/v1/approvals",
        "/api/v1/auth/me",
        "/api/v1/metrics",
    ] {
        let (status, headers, body) = fx.get(uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {body}");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().contains("spectask token create"), "{body}");
    }
    let post = Request::post("/api/v1/repos")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "path": "/tmp" }).to_string()))
        .unwrap();
    assert_eq!(fx.send(post).await.0, StatusCode::UNAUTHORIZED);
    // A wrong token, a session credential, another scheme: refused.
    for presented in ["spt_0000", "stc_0123456789abcdef", &fx.alice[..fx.alice.len() - 1]] {
        let (status, _, body) = fx.get("/api/v1/spec-tasks", bearer(presented)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_token"))
        );
    }
    let basic = Some((header::AUTHORIZATION, format!("Basic {}", fx.alice)));
    assert_eq!(fx.get("/api/v1/spec-tasks", basic).await.0, StatusCode::UNAUTHORIZED);

    let (status, _, me) = fx.get("/api/v1/auth/me", bearer(&fx.alice)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me, json!({ "name": "alice", "open": false, "role": "member" }));
    assert_eq!(fx.get("/api/v1/spec-tasks", bearer(&fx.alice)).await.0, StatusCode::OK);
    let (status, headers, _) = fx.get("/api/v1/metrics", bearer(&fx.alice)).await;
    assert_eq!(status, StatusCode::OK, "the metrics are read like every other route");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/openmetrics-text"));

    // The web UI logs in: a bad token is refused, a good one sets the cookie, which then works alone.
    let login = |token: &str| {
        Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "token": token }).to_string()))
            .unwrap()
    };
    let (status, headers, _) = fx.send(login("spt_nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!headers.contains_key(header::SET_COOKIE));
    let (status, headers, body) = fx.send(login(&fx.alice)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "alice");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.split("; ").any(|a| a == "Secure"), "plain HTTP: {cookie}");
    // The cookie holds a login session, never the token.
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("spectask_session=sps_") && !pair.contains(&fx.alice), "{pair}");
    let with_cookie = || Some((header::COOKIE, format!("theme=dark; {pair}")));
    let (status, _, me) = fx.get("/api/v1/auth/me", with_cookie()).await;
    assert_eq!((status, me["name"].as_str()), (StatusCode::OK, Some("alice")));
    let (status, _, sessions) = fx.get("/api/v1/auth/sessions", with_cookie()).await;
    assert_eq!((status, sessions.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{sessions}");
    // Logging out ends it on the server: a copy of the cookie no longer works.
    let logout = Request::post("/api/v1/auth/logout")
        .header(CLIENT_HEADER, "web")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = fx.send(logout).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let (status, _, refused) = fx.get("/api/v1/auth/me", with_cookie()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert!(refused.to_string().contains("login has ended"), "{refused}");

    // Behind a TLS proxy the cookie is Secure; revoking the token ends the sessions it opened.
    let tls_login = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-proto", "https")
        .body(Body::from(json!({ "token": fx.alice }).to_string()))
        .unwrap();
    let (_, headers, _) = fx.send(tls_login).await;
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.split("; ").any(|a| a == "Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = || Some((header::COOKIE, pair.clone()));
    assert_eq!(fx.get("/api/v1/auth/me", with_cookie()).await.0, StatusCode::OK);
    let lower = Some((header::AUTHORIZATION, format!("bearer {}", fx.alice)));
    assert_eq!(fx.get("/api/v1/auth/me", lower).await.0, StatusCode::OK, "the scheme in any case");
    fx.state.store.revoke_api_token(&fx.key, &fx.alice).await.unwrap();
    assert_eq!(fx.get("/api/v1/auth/me", with_cookie()).await.0, StatusCode::UNAUTHORIZED);

    // A server told its cookies are Secure (TLS ends in front without a header) marks them so on
    // plain requests too, at login and at logout.
    let again = fx.state.store.create_api_token(&fx.key, "alice").await.unwrap();
    let told = Fixture { security: fx.security.clone().with_secure_cookies(true), ..fx };
    let (status, headers, _) = told.send(login(&again)).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.split("; ").any(|a| a == "Secure"), "told so: {cookie}");
    let logout =
        Request::post("/api/v1/auth/logout").header(CLIENT_HEADER, "web").body(Body::empty()).unwrap();
    let (_, headers, _) = told.send(logout).await;
    let cleared = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.split("; ").any(|a| a == "Secure"), "cleared as set: {cleared}");
    let fx = told;

    // The coordination API keeps its own credential: a user's token does not open it.
    let (status, _, body) = fx.get("/api/v1/coordination/session", bearer(&fx.alice)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credential"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_cookies_and_public_routes_on_sqlite() {
    tokens_cookies_and_public_routes(fixture(false).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_cookies_and_public_routes_on_postgres() {
    tokens_cookies_and_public_routes(fixture(true).await).await;
}

#[tokio::test]
async fn an_open_server_is_its_local_users() {
    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), false).await;
    let state = support::state(store);
    let resp = app_with(state, Security::default())
        .oneshot(Request::get("/api/v1/auth/me").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap()).unwrap();
    assert_eq!(body, json!({ "name": "local", "open": true, "role": "admin" }));
}

/// Reads the stream until its `end` event and returns that event's reason; fails after `within`.
async fn end_reason(body: axum::body::BodyDataStream, within: std::time::Duration) -> String {
    use futures::StreamExt;
    let mut body = body;
    let mut parser = spectask_core::wire::sse::SseParser::default();
    let read = async {
        while let Some(chunk) = body.next().await {
            for event in parser.feed(&chunk.unwrap()).unwrap() {
                if event.event.as_deref() == Some("end") {
                    let data: Value = serde_json::from_str(&event.data).unwrap();
                    return data["reason"].as_str().unwrap().to_owned();
                }
            }
        }
        panic!("the stream closed without an end event");
    };
    tokio::time::timeout(within, read).await.expect("the stream ended within the bound")
}

/// The body of `GET /api/v1/events` opened with `auth`, after checking it opened.
async fn open_stream(
    state: &AppState,
    security: &Security,
    auth: Option<(header::HeaderName, String)>,
) -> axum::body::BodyDataStream {
    let mut req = Request::get("/api/v1/events");
    if let Some((name, value)) = auth {
        req = req.header(name, value);
    }
    let resp =
        app_with(state.clone(), security.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.into_body().into_data_stream()
}

/// A stream opened with a token ends, saying why, once the token is revoked; one opened with a
/// login ends at logout.
async fn streams_end_when_their_credential_does(fx: Fixture) {
    let bound = std::time::Duration::from_secs(20);
    let stream = open_stream(&fx.state, &fx.security, bearer(&fx.alice)).await;
    fx.state.store.revoke_api_token(&fx.key, &fx.alice).await.unwrap();
    assert_eq!(end_reason(stream, bound).await, "the API token was revoked");

    let token = fx.state.store.create_api_token(&fx.key, "alice").await.unwrap();
    let login = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "token": token }).to_string()))
        .unwrap();
    let (_, headers, _) = fx.send(login).await;
    let pair = headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let stream = open_stream(&fx.state, &fx.security, Some((header::COOKIE, pair.clone()))).await;
    let logout = Request::post("/api/v1/auth/logout")
        .header(CLIENT_HEADER, "web")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    assert_eq!(fx.send(logout).await.0, StatusCode::NO_CONTENT);
    assert!(end_reason(stream, bound).await.contains("login has ended"));
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_end_when_their_credential_does_on_sqlite() {
    streams_end_when_their_credential_does(fixture(false).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_end_when_their_credential_does_on_postgres() {
    streams_end_when_their_credential_does(fixture(true).await).await;
}

/// An anonymous stream of a server without users ends once the first user is added: it never
/// carries that user's events.
#[tokio::test(flavor = "multi_thread")]
async fn an_anonymous_stream_ends_when_the_first_user_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let store = support::store(dir.path(), false).await;
    let state = support::state(store.clone());
    let security = Security::default().with_auth(Auth::OpenUntilUsers(TokenKey::generate().unwrap()));
    let stream = open_stream(&state, &security, None).await;
    store.add_user("alice", spectask_store::UserRole::Member).await.unwrap();
    let reason = end_reason(stream, std::time::Duration::from_secs(20)).await;
    assert!(reason.contains("requires API tokens"), "{reason}");
}
