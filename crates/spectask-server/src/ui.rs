//! The web dashboard at `/`: the embedded build (crate `spectask-web`). Paths under `/api/` never
//! reach here as a page: an unknown API path answers the JSON 404. A GET for anything else is a
//! file of the build, or `index.html` for the dashboard's own routes (`/tasks/…`), so that a
//! reload or a shared link works. Content-hashed assets may be cached forever; the index page is
//! revalidated, so a new binary's UI is picked up at once. HTML pages carry the dashboard's
//! Content-Security-Policy; the other security headers come from [`crate::security::headers`].

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::ApiError;
use crate::security::DASHBOARD_CSP;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// The router's fallback: the dashboard for pages, the API's JSON errors for everything else.
pub async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return crate::routes::not_found(method, uri).await.into_response();
    }
    let asset = match spectask_web::asset(path) {
        Some(asset) => Some(asset),
        None if spectask_web::is_asset_path(path) => None,
        None => spectask_web::index(),
    };
    match asset {
        Some(asset) => file(asset),
        None => ApiError::not_found(format!("no file {path} in the dashboard")).into_response(),
    }
}

fn file(asset: spectask_web::Asset) -> Response {
    let cache = if asset.immutable { IMMUTABLE } else { REVALIDATE };
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.bytes,
    )
        .into_response();
    if asset.content_type.starts_with("text/html") {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(DASHBOARD_CSP));
    }
    response
}
