//! The web UI's login: an API token is traded for a login session whose random secret goes in an
//! HttpOnly, SameSite=Strict cookie (a script in the page cannot read it, another site cannot send
//! it, and it is not the token: logging out ends it for good). Who the caller is, and their live
//! sessions, each revocable.

use std::sync::Arc;

use axum::Json;
use axum::extract::Extension;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::Deserialize;
use spectask_store::LOGIN_SESSION_TTL;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authenticator, Caller, SESSION_COOKIE, session_cookie};
use crate::dto::{LoginBody, LoginSessionDto, WhoAmIDto};
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(whoami))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
}

/// Log in with an API token: the answer sets the `spectask_session` cookie (HttpOnly,
/// SameSite=Strict; `Secure` behind a TLS proxy that says so, or always with `[server]
/// secure_cookies`) holding a new login session, which authenticates the browser's later requests
/// for 7 days, until logout, or until the token is revoked. A server without users answers as its
/// local user and sets no cookie.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Logged in; the cookie is set", body = WhoAmIDto)))]
async fn login(
    Extension(authn): Extension<Arc<Authenticator>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let token = body.token.trim();
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the API token is not valid (unknown or revoked)",
        )
    };
    let caller = authn.caller_of(token).await?.ok_or_else(refused)?;
    let open = authn.is_open().await?;
    let cookie = match open {
        true => None,
        false => {
            let secret = authn.open_session(token).await?.ok_or_else(refused)?;
            let max_age = LOGIN_SESSION_TTL.as_secs();
            Some(format!(
                "{SESSION_COOKIE}={secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
                secure(&authn, &headers)
            ))
        }
    };
    Ok((AppendHeaders(cookie.map(|c| (SET_COOKIE, c))), Json(WhoAmIDto::new(caller, open))))
}

/// Log out: the login session ends on the server (a copy of the cookie no longer works) and the
/// cookie is cleared.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "The login session ended; the cookie is cleared")))]
async fn logout(
    Extension(authn): Extension<Arc<Authenticator>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(secret) = session_cookie(&headers) {
        authn.close_session(secret).await?;
    }
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        secure(&authn, &headers)
    );
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear)]))
}

/// `; Secure` when the operator says so (`[server] secure_cookies`, for TLS ended before the
/// server by something that adds no header), or when the request may have reached a proxy in
/// front over TLS. A cookie marked `Secure` wrongly harms only the client that asked for it (its
/// browser keeps it off plain HTTP), where one left unmarked behind TLS could be sent in the clear.
fn secure(authn: &Authenticator, headers: &HeaderMap) -> &'static str {
    if authn.secure_cookies || proxied_over_tls(headers) { "; Secure" } else { "" }
}

/// Whether any `X-Forwarded-Proto` (each header, each value of a list), or any `Forwarded`
/// element's `proto`, says `https`: proxies differ in whether they replace, append to or add such
/// a header.
fn proxied_over_tls(headers: &HeaderMap) -> bool {
    let values = |name: &'static str| {
        headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','))
    };
    let https = |proto: &str| proto.trim().trim_matches('"').eq_ignore_ascii_case("https");
    let forwarded_proto = values("x-forwarded-proto").any(https);
    let forwarded = values("forwarded").flat_map(|element| element.split(';')).any(|pair| {
        pair.split_once('=')
            .is_some_and(|(key, value)| key.trim().eq_ignore_ascii_case("proto") && https(value))
    });
    forwarded_proto || forwarded
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn secure_with(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        proxied_over_tls(&headers)
    }

    #[test]
    fn a_cookie_is_secure_wherever_a_proxy_says_https() {
        assert!(secure_with(&[("x-forwarded-proto", "https")]));
        assert!(secure_with(&[("x-forwarded-proto", " HTTPS ")]));
        // A proxy appending to the client's value, or adding a header of its own.
        assert!(secure_with(&[("x-forwarded-proto", "http, https")]));
        assert!(secure_with(&[("x-forwarded-proto", "http"), ("x-forwarded-proto", "https")]));
        // RFC 7239.
        assert!(secure_with(&[("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43")]));
        assert!(secure_with(&[("forwarded", "for=192.0.2.43, for=198.51.100.17;Proto=\"https\"")]));
        assert!(!secure_with(&[]));
        assert!(!secure_with(&[("x-forwarded-proto", "http")]));
        assert!(!secure_with(&[
            ("forwarded", "for=192.0.2.60;proto=http"),
            ("x-forwarded-proto", "wss-ish")
        ]));
        assert!(!secure_with(&[("forwarded", "for=https;host=https")]));
    }
}

/// Who the request acts for.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = WhoAmIDto)))]
async fn whoami(caller: Caller) -> Json<WhoAmIDto> {
    let open = caller.sees_all;
    Json(WhoAmIDto::new(caller, open))
}

/// The caller's live login sessions, oldest first (none on a server without users).
#[utoipa::path(get, path = "/auth/sessions", tag = "auth",
    responses((status = 200, description = "The caller's login sessions", body = Vec<LoginSessionDto>)))]
async fn list_sessions(
    axum::extract::State(state): axum::extract::State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<LoginSessionDto>>, ApiError> {
    let Some(user) = caller.owner_filter() else { return Ok(Json(Vec::new())) };
    let sessions = state.store.login_sessions_of(user).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| LoginSessionDto {
                id: s.id,
                token_id: s.token_id,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect(),
    ))
}

/// `{id}` of a login session.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct LoginSessionPath {
    /// The session's id (from `GET /auth/sessions`).
    #[param(pattern = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    id: String,
}

/// End one of the caller's login sessions (a browser left logged in elsewhere).
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", params(LoginSessionPath),
    responses((status = 204, description = "The session ended")))]
async fn revoke_session(
    axum::extract::State(state): axum::extract::State<AppState>,
    caller: Caller,
    ApiPath(LoginSessionPath { id }): ApiPath<LoginSessionPath>,
) -> Result<StatusCode, ApiError> {
    let ended = match caller.owner_filter() {
        Some(user) => state.store.revoke_login_session(user, &id).await?,
        None => false,
    };
    if !ended {
        return Err(ApiError::not_found(format!("no login session {id} of yours")));
    }
    Ok(StatusCode::NO_CONTENT)
}
