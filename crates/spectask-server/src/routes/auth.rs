//! The web UI's login: a token becomes an HttpOnly, SameSite=Strict cookie (a script in the page
//! cannot read it, another site cannot send it), and who the caller is.

use std::sync::Arc;

use axum::Json;
use axum::extract::Extension;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authenticator, Caller, TOKEN_COOKIE};
use crate::dto::{LoginBody, WhoAmIDto};
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

/// How long the login cookie lives, in seconds (30 days; the token itself does not expire).
const COOKIE_MAX_AGE: u32 = 30 * 24 * 3600;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(whoami))
}

/// Log in with an API token: the answer sets the `spectask_token` cookie (HttpOnly,
/// SameSite=Strict) that authenticates the browser's later requests. A server without users answers
/// as its local user and sets no cookie.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Logged in; the cookie is set", body = WhoAmIDto)))]
async fn login(
    Extension(authn): Extension<Arc<Authenticator>>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let token = body.token.trim();
    let caller = authn.caller_of(token).await?.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the API token is not valid (unknown or revoked)",
        )
    })?;
    let open = authn.is_open().await?;
    let cookie = (!open).then(|| {
        format!("{TOKEN_COOKIE}={token}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Strict")
    });
    Ok((AppendHeaders(cookie.map(|c| (SET_COOKIE, c))), Json(WhoAmIDto { name: caller.name, open })))
}

/// Log out: the cookie is cleared.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "The cookie is cleared")))]
async fn logout() -> impl IntoResponse {
    let clear = format!("{TOKEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    (axum::http::StatusCode::NO_CONTENT, [(SET_COOKIE, clear)])
}

/// Who the request acts for.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = WhoAmIDto)))]
async fn whoami(caller: Caller) -> Json<WhoAmIDto> {
    Json(WhoAmIDto { name: caller.name, open: caller.sees_all })
}
