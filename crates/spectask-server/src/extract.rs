//! Extractors whose rejections speak the API's error shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ApiError;
use crate::error::lowercase_first;

/// `axum::Json` with API errors: 400 for malformed or mistyped bodies, 413 and 415 as such.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) =
            axum::Json::<Value>::from_request(req, state).await.map_err(json_rejection)?;
        body_of(value).map(Self)
    }
}

/// An optional body: a request without a content type, with an empty body or with the JSON
/// `null` gives `None`.
impl<S, T> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let no_type = !headers.contains_key(axum::http::header::CONTENT_TYPE);
        let empty = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0");
        if no_type || empty {
            return Ok(None);
        }
        let axum::Json(value) =
            <axum::Json<Value> as FromRequest<S>>::from_request(req, state).await.map_err(json_rejection)?;
        match value {
            Value::Null => Ok(None),
            value => body_of(value).map(|body| Some(Self(body))),
        }
    }
}

/// The typed body of a well-formed JSON document. No text in it may hold NUL: nothing a person
/// types needs it, and PostgreSQL cannot store it, so a body with one is refused on every store.
fn body_of<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if let Some(at) = nul_in(&value, "") {
        let at = if at.is_empty() { "the body".to_owned() } else { format!("the text at {at}") };
        return Err(ApiError::bad_request(
            "invalid_body",
            format!("{at} holds a NUL character (\\u0000), which no field may hold"),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let at = err.path().to_string();
        let detail = err.into_inner();
        let message = match at.as_str() {
            "." => format!("failed to deserialize the JSON body into the target type: {detail}"),
            at => format!("failed to deserialize the JSON body into the target type: {at}: {detail}"),
        };
        ApiError::bad_request("invalid_body", message)
    })
}

/// The JSON pointer of the first string or key holding NUL (empty for the document itself).
fn nul_in(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(|| at.to_owned()),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(index, item)| nul_in(item, &format!("{at}/{index}")))
        }
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
            if key.contains('\0') { Some(pointer) } else { nul_in(item, &pointer) }
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let detail = rejection.body_text();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            format!("request body is larger than {} bytes", crate::MAX_BODY_BYTES),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "expected a JSON body with content-type application/json",
        ),
        _ => ApiError::bad_request("invalid_body", lowercase_first(&detail)),
    }
}

/// `axum::extract::Query` with API errors.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request("invalid_query", lowercase_first(&rejection.body_text()))
}

/// `axum::extract::Path` with API errors; a parameter holding a control character (a `%00` names
/// nothing, and PostgreSQL refuses NUL in text) is refused here, before any handler reads it.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(raw) = RawPathParams::from_request_parts(parts, state).await
            && let Some((name, _)) = raw.iter().find(|(_, value)| value.chars().any(char::is_control))
        {
            return Err(ApiError::bad_request(
                "invalid_path",
                format!("path parameter {name} holds a control character"),
            ));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    match rejection.status() {
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::internal(&rejection.body_text()),
        _ => ApiError::bad_request("invalid_path", lowercase_first(&rejection.body_text())),
    }
}
