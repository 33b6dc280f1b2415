//! `Idempotency-Key` (the IETF HTTP draft's header): a state-changing request (POST, PUT, PATCH,
//! DELETE) of a caller that carries one is answered once. The first request with a key claims it
//! with its fingerprint (method, path with query, body) and its answer is kept a day; a repeat
//! with the same key gets that answer again (`Idempotent-Replayed: true`) and changes nothing. A
//! different request with the same key is refused (422 `idempotency_key_reused`); one sent while
//! the first is still being answered waits for nothing and is told so (409
//! `idempotency_key_in_flight`). Keys are per user. An answer the server failed to give (5xx), a
//! streamed one or one that sets a cookie is not kept: the key is released, and a repeat runs
//! again. Requests without a caller (agents' session routes, the login) are left as they are.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use spectask_store::{KeptAnswer, KeyClaim, Store};

use crate::{ApiError, Caller, MAX_BODY_BYTES};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The header on a kept answer given again.
pub const REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// Largest answer kept: larger ones are given but not kept (a repeat runs again).
const MAX_KEPT_BYTES: usize = 4 * 1024 * 1024;

/// The layer: see the module's docs.
pub(crate) async fn once(State(store): State<Store>, request: Request, next: Next) -> Response {
    let changes = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY).filter(|_| changes) else {
        return next.run(request).await;
    };
    let key = match checked(value) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is over {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    };
    let fingerprint =
        fingerprint(&parts.method, parts.uri.path_and_query().map_or("", |p| p.as_str()), &bytes);
    match store.claim_idempotency_key(&caller.name, &key, &fingerprint).await {
        Err(err) => ApiError::from(err).into_response(),
        Ok(KeyClaim::Answered(answer)) => replayed(answer),
        Ok(KeyClaim::InFlight) => ApiError::conflict(
            "idempotency_key_in_flight",
            format!(
                "a request with Idempotency-Key {key:?} is still being answered: repeat it in a moment to \
                 get its answer"
            ),
        )
        .into_response(),
        Ok(KeyClaim::OtherRequest) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "Idempotency-Key {key:?} was used for another request (another method, path or body): \
                 send a new key with a new request"
            ),
        )
        .into_response(),
        Ok(KeyClaim::New) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            keep(&store, &caller.name, &key, response).await
        }
    }
}

/// The key as sent: 1 to 255 visible ASCII characters.
fn checked(value: &HeaderValue) -> Result<String, ApiError> {
    let key = value.to_str().unwrap_or_default().trim();
    let visible = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_KEY_LEN || !visible {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters (a UUID, say)"),
        ));
    }
    Ok(key.to_owned())
}

/// What makes two requests the same: method, path with query, and body.
fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_str().as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps `response` as the key's answer, when it can be given again as it is; else releases the key.
async fn keep(store: &Store, user: &str, key: &str, response: Response) -> Response {
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let streamed =
        content_type.as_deref().is_some_and(|t| t.starts_with("text/event-stream") || t.contains("ndjson"));
    let sets_cookie = response.headers().contains_key(header::SET_COOKIE);
    if status.is_server_error() || streamed || sets_cookie {
        release(store, user, key).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_KEPT_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            release(store, user, key).await;
            return ApiError::internal(&format!("reading an answer to keep for its idempotency key: {err}"))
                .into_response();
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let answer = KeptAnswer { status: status.as_u16(), content_type, body: text.to_owned() };
            if let Err(err) = store.keep_idempotent_answer(user, key, &answer).await {
                tracing::warn!(%err, "keeping the answer of an idempotency key failed");
                release(store, user, key).await;
            }
        }
        Err(_) => release(store, user, key).await,
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(store: &Store, user: &str, key: &str) {
    if let Err(err) = store.release_idempotency_key(user, key).await {
        tracing::warn!(%err, "releasing an idempotency key failed");
    }
}

/// A kept answer, given again.
fn replayed(answer: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    match answer.content_type.as_deref().map(HeaderValue::from_str) {
        Some(Ok(value)) => {
            headers.insert(header::CONTENT_TYPE, value);
        }
        _ => {
            headers.remove(header::CONTENT_TYPE);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_its_method_path_and_body() {
        let a = fingerprint(&Method::POST, "/api/v1/x", b"{}");
        assert_eq!(a, fingerprint(&Method::POST, "/api/v1/x", b"{}"));
        assert_ne!(a, fingerprint(&Method::PUT, "/api/v1/x", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/api/v1/y", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/api/v1/x", b"{ }"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_key_is_visible_ascii_of_a_bounded_length() {
        assert_eq!(checked(&HeaderValue::from_static("0b6f-9a")).unwrap(), "0b6f-9a");
        for bad in ["", "a b", &"k".repeat(256)] {
            assert!(checked(&HeaderValue::from_str(bad).unwrap()).is_err(), "{bad:?}");
        }
    }
}
