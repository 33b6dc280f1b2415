//! What keeps a web page open in the user's browser from using the API: the server listens on a
//! port any page can send requests to, so
//!
//! - the `Host` header must name this server ([`Security::host_allowed`]): a page served from a
//!   domain whose DNS answer was switched to 127.0.0.1 (DNS rebinding) sends its own domain there;
//! - a state-changing request (anything but GET, HEAD, OPTIONS) must carry a JSON body or a header
//!   a page can only send after a CORS preflight ([`CLIENT_HEADER`], `Authorization`): a form, an
//!   `<img>` or a `fetch` without preflight cannot (they send no JSON content type and no custom
//!   header), whatever cookies the browser attaches;
//! - CORS is closed unless origins are configured: without `Access-Control-Allow-Origin` a page of
//!   another origin can neither read an answer nor pass a preflight;
//! - every answer carries [`headers`]: no page may frame the dashboard (clickjacking on Approve or
//!   Reject), no answer is sniffed as another type, no referrer leaves, and a Content-Security-Policy
//!   (the dashboard page sets its own, [`DASHBOARD_CSP`]; everything else gets [`API_CSP`]).

use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

use crate::ApiError;
use crate::auth::Auth;

/// The header that marks a request as coming from a program (the CLI, `spectask mcp`, the web app's
/// `fetch`) rather than from a form or a link: browsers send it only after a CORS preflight.
pub const CLIENT_HEADER: &str = "x-spectask-client";

/// The policy of the dashboard's HTML page: its own scripts, styles and API only (React's `style`
/// props go through the CSSOM, which `style-src` does not block), never framed.
pub(crate) const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The policy of every other answer (JSON, assets, errors): nothing may load from it or frame it.
pub(crate) const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Which names the server answers to and which origins may call it from a browser.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Host names (without port, lowercase) allowed besides `localhost` and IP addresses.
    allowed_hosts: Vec<String>,
    /// Origins (`https://app.example.com`) allowed by CORS; empty: CORS closed.
    cors_origins: Vec<HeaderValue>,
    /// How callers are known (open for the local user by default).
    pub(crate) auth: Auth,
    /// The login cookie is marked `Secure` whatever the request says (TLS ends before the server
    /// without a proxy header saying so).
    pub(crate) secure_cookies: bool,
}

impl Security {
    /// `allowed_hosts`: names this server is reached by (besides localhost and IP addresses);
    /// `cors_origins`: browser origins allowed to call it. An origin that is not a valid header value
    /// is an error naming it.
    pub fn new(allowed_hosts: &[String], cors_origins: &[String]) -> Result<Self, String> {
        let cors_origins = cors_origins
            .iter()
            .map(|origin| {
                let trimmed = origin.trim().trim_end_matches('/');
                let valid = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
                    && !trimmed["https://".len().min(trimmed.len())..].contains('/');
                if !valid {
                    return Err(format!(
                        "CORS origin {origin:?} is not an origin like https://app.example.com"
                    ));
                }
                HeaderValue::from_str(trimmed).map_err(|_| format!("CORS origin {origin:?} is not valid"))
            })
            .collect::<Result<_, _>>()?;
        let allowed_hosts = allowed_hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        Ok(Self { allowed_hosts, cors_origins, auth: Auth::Open, secure_cookies: false })
    }

    /// The same, with callers known by `auth`.
    pub fn with_auth(self, auth: Auth) -> Self {
        Self { auth, ..self }
    }

    /// The same, marking the login cookie `Secure` always (`secure_cookies`), or only where a
    /// proxy says the request came over TLS.
    pub fn with_secure_cookies(self, secure_cookies: bool) -> Self {
        Self { secure_cookies, ..self }
    }

    /// Whether a `Host` header value (`name`, `name:port`, `[v6]:port`) names this server:
    /// `localhost`, an IP address (DNS rebinding needs a name), or a configured name.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        if name.is_empty() {
            return false;
        }
        name == "localhost" || name.parse::<std::net::IpAddr>().is_ok() || self.allowed_hosts.contains(&name)
    }

    /// The CORS layer for the configured origins; `None` when CORS is closed.
    pub(crate) fn cors(&self) -> Option<CorsLayer> {
        if self.cors_origins.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.cors_origins.clone()))
                .allow_methods(AllowMethods::list([Method::GET, Method::POST, Method::PUT, Method::DELETE]))
                .allow_headers(AllowHeaders::list([
                    CONTENT_TYPE,
                    AUTHORIZATION,
                    axum::http::HeaderName::from_static(CLIENT_HEADER),
                    axum::http::HeaderName::from_static("last-event-id"),
                    axum::http::HeaderName::from_static(crate::idempotency::IDEMPOTENCY_KEY),
                ]))
                .allow_credentials(true),
        )
    }
}

/// The name part of a `Host` value: `[::1]:7070` → `::1`, `localhost:7070` → `localhost`.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or("", |(name, _)| name);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Refuses requests whose `Host` names another server (403 `host_not_allowed`) or that came over
/// the network naming none (400 `host_required`; HTTP/1.1 requires it), and state-changing requests
/// that a page of another origin could send without a preflight (403 `cross_site_request`).
pub(crate) async fn guard(State(security): State<Arc<Security>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    let from_network = request.extensions().get::<ConnectInfo<SocketAddr>>().is_some();
    if host.is_none() && from_network {
        return ApiError::bad_request("host_required", "the request names no Host; send the Host header")
            .into_response();
    }
    if let Some(host) = host
        && !security.host_allowed(&host)
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            format!(
                "host {host:?} is not a name of this server; add it to [server] allowed_hosts in \
                 the configuration to reach spectask by it"
            ),
        )
        .into_response();
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !from_a_program(request.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            format!(
                "{} needs a JSON body (content-type: application/json) or the {CLIENT_HEADER} header",
                request.method()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Adds the browser protections to every answer, unless the route set that header itself:
/// `X-Frame-Options: DENY`, [`API_CSP`], `X-Content-Type-Options: nosniff`,
/// `Referrer-Policy: no-referrer`.
pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (X_FRAME_OPTIONS, "DENY"),
        (CONTENT_SECURITY_POLICY, API_CSP),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// A JSON content type, the client header or an `Authorization` header: none of them can be sent
/// by a page of another origin without a CORS preflight.
fn from_a_program(headers: &HeaderMap) -> bool {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    json || headers.contains_key(CLIENT_HEADER) || headers.contains_key(AUTHORIZATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_name_and_address() {
        let security = Security::new(&["spectask.lan".into()], &[]).unwrap();
        for ok in
            ["localhost:7070", "127.0.0.1:7070", "[::1]:7070", "LOCALHOST", "spectask.lan:80", "10.0.0.5"]
        {
            assert!(security.host_allowed(ok), "{ok}");
        }
        for refused in ["evil.example:7070", "localhost.evil.example", "", "[::1", "spectask.lan.evil"] {
            assert!(!security.host_allowed(refused), "{refused}");
        }
    }

    #[test]
    fn origins_are_checked() {
        assert!(Security::new(&[], &["https://app.example.com/".into()]).is_ok());
        let err = Security::new(&[], &["app.example.com".into()]).unwrap_err();
        assert!(err.contains("\"app.example.com\""), "{err}");
        assert!(Security::new(&[], &["https://a.example/path".into()]).is_err());
    }
}
