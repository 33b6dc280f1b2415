//! Who is calling. A server with users takes an API token (`Authorization: Bearer spt_…`) or a
//! login session (the `spectask_session` cookie the web UI gets from `POST /auth/login`, which
//! holds a session secret, never the token) on every `/api/v1` route but the
//! public ones and the coordination API (a session credential of its own); a server without users
//! (loopback only, decided at start) treats every request as its one local user's until a user is
//! added. Handlers take a
//! [`Caller`], which says whose SpecTasks they may show.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use spectask_core::SpecTask;
use spectask_store::{LOCAL_USER, Store, TokenKey};

use crate::ApiError;

/// The cookie that carries the web UI's login session (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "spectask_session";

/// What a request presented to say who it is: checked again, as it was, by whatever outlives the
/// request (an event stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// The server was open: nothing was presented.
    Open,
    /// An API token (`Authorization: Bearer`).
    Token(String),
    /// A login session's secret (the cookie).
    Session(String),
}

/// Routes anyone may call: what a client needs before it has a token.
const PUBLIC: [&str; 4] =
    ["/api/v1/health", "/api/v1/openapi.json", "/api/v1/auth/login", "/api/v1/auth/logout"];

/// The coordination API authenticates agents by their session credential itself.
const SESSION_ROUTES: &str = "/api/v1/coordination/";

/// A forge's webhook deliveries carry the forge's signature, not an API token (`routes/forges.rs`).
fn is_webhook(path: &str) -> bool {
    path.strip_prefix("/api/v1/forges/")
        .and_then(|rest| rest.strip_suffix("/webhook"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// How callers are known.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// No users: every request is the local user's, who sees everything. Only on loopback.
    #[default]
    Open,
    /// Users exist: a token is required; it is checked against its keyed hash.
    Tokens(TokenKey),
    /// No users yet (on loopback): open like [`Auth::Open`] until the first user is added, then
    /// [`Auth::Tokens`] from the next request on, without a restart.
    OpenUntilUsers(TokenKey),
}

/// The user a request acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user's name: what a SpecTask's `created_by` says of its owner.
    pub name: String,
    /// The local user of an open server sees every SpecTask.
    pub sees_all: bool,
    /// The operator, or a user with the `admin` role: may register repositories anywhere on the
    /// server's disk and by any URL scheme (see `repositories::policy`).
    pub admin: bool,
}

impl Caller {
    fn local() -> Self {
        Self { name: LOCAL_USER.to_owned(), sees_all: true, admin: true }
    }

    /// Whose SpecTasks a listing may show: `None` for everyone's.
    pub fn owner_filter(&self) -> Option<&str> {
        (!self.sees_all).then_some(self.name.as_str())
    }

    pub fn owns(&self, task: &SpecTask) -> bool {
        self.sees_all || task.created_by == self.name
    }

    /// Who is recorded as having done something (reviewed, answered, changed a setting): the
    /// authenticated user, never a name a request gives; on a server without users, the name of
    /// the operating-system user running it.
    pub fn signature(&self) -> String {
        if !self.sees_all {
            return self.name.clone();
        }
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|name| !name.trim().is_empty()))
            .unwrap_or_else(|| LOCAL_USER.to_owned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| unauthorized("this route needs a caller"))
    }
}

/// What the authentication layer needs: the store and how callers are known.
#[derive(Debug)]
pub(crate) struct Authenticator {
    store: Store,
    auth: Auth,
    /// The login cookie is `Secure` on every answer, not only where a proxy says https.
    pub(crate) secure_cookies: bool,
    /// [`Auth::OpenUntilUsers`] saw a user: tokens from now on (users are never removed).
    users_seen: AtomicBool,
}

impl Authenticator {
    pub(crate) fn new(store: Store, auth: Auth, secure_cookies: bool) -> Self {
        Self { store, auth, secure_cookies, users_seen: AtomicBool::new(false) }
    }

    /// The key tokens are checked under; `None` while the server runs open. Nothing about tokens
    /// is cached: each is looked up per request, so a revocation holds at once on every node.
    async fn token_key(&self) -> Result<Option<&TokenKey>, ApiError> {
        match &self.auth {
            Auth::Open => Ok(None),
            Auth::Tokens(key) => Ok(Some(key)),
            Auth::OpenUntilUsers(key) => {
                if self.users_seen.load(Ordering::Acquire) {
                    return Ok(Some(key));
                }
                if !self.store.has_users().await? {
                    return Ok(None);
                }
                if !self.users_seen.swap(true, Ordering::AcqRel) {
                    tracing::info!("a user exists now: API tokens required from here on");
                }
                Ok(Some(key))
            }
        }
    }

    /// The caller a token names: `None` when it names nobody.
    pub(crate) async fn caller_of(&self, token: &str) -> Result<Option<Caller>, ApiError> {
        self.caller_of_credential(&Credential::Token(token.to_owned())).await
    }

    /// The caller a credential names now: `None` when it names nobody (unknown, revoked, expired,
    /// logged out, or nothing presented to a server that has users now).
    pub(crate) async fn caller_of_credential(
        &self,
        credential: &Credential,
    ) -> Result<Option<Caller>, ApiError> {
        let Some(key) = self.token_key().await? else { return Ok(Some(Caller::local())) };
        let user = match credential {
            Credential::Open => None,
            Credential::Token(token) => self.store.user_of_token(key, token).await?,
            Credential::Session(secret) => self.store.user_of_login_session(key, secret).await?,
        };
        Ok(user.map(|user| Caller {
            name: user.name,
            sees_all: false,
            admin: user.role == spectask_store::UserRole::Admin,
        }))
    }

    /// Opens a login session for the user of `token`: its secret, `None` when the token names
    /// nobody or the server is open (no session needed).
    pub(crate) async fn open_session(&self, token: &str) -> Result<Option<String>, ApiError> {
        let Some(key) = self.token_key().await? else { return Ok(None) };
        Ok(self.store.open_login_session(key, token).await?)
    }

    /// Ends the login session whose secret is `secret`.
    pub(crate) async fn close_session(&self, secret: &str) -> Result<(), ApiError> {
        if let Some(key) = self.token_key().await? {
            self.store.close_login_session(key, secret).await?;
        }
        Ok(())
    }

    /// Whether every request is the local user's.
    pub(crate) async fn is_open(&self) -> Result<bool, ApiError> {
        Ok(self.token_key().await?.is_none())
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// Puts the [`Caller`] into the request, or answers 401 (`WWW-Authenticate: Bearer`).
pub(crate) async fn authenticate(
    State(authn): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(authn.clone());
    let path = request.uri().path();
    let needs_caller = path.starts_with("/api/v1/")
        && !PUBLIC.contains(&path)
        && !path.starts_with(SESSION_ROUTES)
        && !is_webhook(path);
    if !needs_caller {
        return next.run(request).await;
    }
    let credential = match authn.token_key().await {
        Err(err) => return challenge(err),
        Ok(None) => Credential::Open,
        Ok(Some(_)) => match presented(request.headers()) {
            None => {
                return challenge(unauthorized(
                    "this server needs an API token: Authorization: Bearer spt_… (create one with \
                     `spectask token create --user NAME`)",
                ));
            }
            Some(credential) => credential,
        },
    };
    match authn.caller_of_credential(&credential).await {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
            request.extensions_mut().insert(credential);
            next.run(request).await
        }
        Ok(None) => challenge(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            match credential {
                Credential::Session(_) => "the login has ended (logged out, expired, or its token revoked)",
                _ => "the API token is not valid (unknown or revoked)",
            },
        )),
        Err(err) => challenge(err),
    }
}

fn challenge(err: ApiError) -> Response {
    let unauthorized = err.status == StatusCode::UNAUTHORIZED;
    let mut response = err.into_response();
    if unauthorized {
        response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The bearer token (the scheme's name in any case), else the web UI's login session cookie.
fn presented(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|v| !v.is_empty());
    match bearer {
        Some(token) => Some(Credential::Token(token.to_owned())),
        None => session_cookie(headers).map(|secret| Credential::Session(secret.to_owned())),
    }
}

/// The login session secret the browser sent, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}
