//! One way to the forge for every request spectask makes of it, whichever the forge: the
//! connection's [`Wire`] (its HTTP client and what it learned of the forge) and the [`Transport`]
//! over it, which the forges' modules call with their paths and read their typed answers from.
//!
//! - **Authentication**: GitHub's `Authorization: Bearer`, GitLab's `PRIVATE-TOKEN`, Forgejo's
//!   `Authorization: token`. Redirects are followed within the forge's origin only.
//! - **Every page** ([`Transport::get_all`]): a list is read to its end ([`pages`]); past
//!   [`MAX_PAGES`] pages the reading fails with [`ForgeError::TooLong`], never taking part of a
//!   list for all of it.
//! - **Rate limits** ([`rate_limit`], the one rule): the answers' quota and refusals set when the
//!   connection may ask again; until then nothing is sent and every request ends as
//!   [`ForgeError::RateLimited`] naming the time, for the caller to come back then.
//! - **Conditional requests**: a GET answered with an `ETag` is kept; the next one of the same URL
//!   sends `If-None-Match`, and a `304 Not Modified` (free of GitHub's quota) stands for the kept
//!   answer.
//! - **Usage** ([`ForgeUsage`]): requests by how they ended, and the quota, for `/metrics`.
//!
//! Hand-written over reqwest rather than octocrab's and forgejo-api's own clients (whose typed
//! answers the forges' modules still read): neither follows every page by the forge's headers,
//! waits for a rate limit's reset, sends `If-None-Match` or shows the quota, and GitLab has no such
//! crate; here each of those rules is one place for the three forges.

pub(crate) mod pages;
pub(crate) mod rate_limit;
pub(crate) mod wire;

use bytes::Bytes;
use chrono::Utc;
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use self::rate_limit::Quota;
pub(crate) use self::wire::Wire;
pub use self::wire::{ForgeUsage, RequestOutcome};
use crate::connections::{Forge, ForgeKind};
use crate::error::ForgeError;

/// The most pages of one list read; a longer list fails the reading.
pub const MAX_PAGES: usize = 50;
/// The largest answer read.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// A forge's answer: its headers and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Requests of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transport<'a> {
    forge: &'a Forge,
}

impl Forge {
    pub(crate) fn transport(&self) -> Transport<'_> {
        Transport { forge: self }
    }
}

impl Transport<'_> {
    /// `<api_url>/<segments…>?<query>`, each segment percent-encoded whole.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.forge.api_url.clone();
        // An http(s) URL (checked when the connection is read) always has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The JSON answer of `GET <segments>?<query>`; `what` names it in errors.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<T, ForgeError> {
        let answer = self.exchange(Method::GET, self.url(segments, query), None, what).await?;
        self.read(&answer, what)
    }

    /// `GET <segments>?<query>` with its headers.
    pub(crate) async fn get_answer(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Answer, ForgeError> {
        self.exchange(Method::GET, self.url(segments, query), None, what).await
    }

    /// Every item of a paged list, every page read (each page's answer a `P`, its items `items`
    /// of it), in the forge's order.
    pub(crate) async fn get_all<P: DeserializeOwned, T>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        what: &str,
        items: impl Fn(P) -> Vec<T>,
    ) -> Result<Vec<T>, ForgeError> {
        let (name, size) = match self.forge.kind {
            ForgeKind::GitHub | ForgeKind::GitLab => ("per_page", "100"),
            // Forgejo's largest page by default (`MAX_RESPONSE_ITEMS`).
            ForgeKind::Forgejo => ("limit", "50"),
        };
        let query: Vec<(&str, &str)> = query.iter().copied().chain([(name, size)]).collect();
        let mut url = self.url(segments, &query);
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.exchange(Method::GET, url.clone(), None, what).await?;
            let page = items(self.read(&answer, what)?);
            let got = page.len();
            all.extend(page);
            match pages::next_page(&answer.headers, &url, &self.forge.api_url, all.len(), got) {
                Ok(Some(next)) => url = next,
                Ok(None) => return Ok(all),
                Err(message) => {
                    return Err(ForgeError::Unavailable {
                        forge: self.forge.name.clone(),
                        message: format!("{what}: {message}"),
                    });
                }
            }
        }
        Err(ForgeError::TooLong { forge: self.forge.name.clone(), what: what.to_owned(), pages: MAX_PAGES })
    }

    /// `<method> <segments>` with `body` as JSON; the answer read as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: &impl Serialize,
        what: &str,
    ) -> Result<T, ForgeError> {
        let answer = self.send_unread(method, segments, body, what).await?;
        self.read(&answer, what)
    }

    /// `<method> <segments>` with `body` as JSON; the answer, unread.
    pub(crate) async fn send_unread(
        &self,
        method: Method,
        segments: &[&str],
        body: &impl Serialize,
        what: &str,
    ) -> Result<Answer, ForgeError> {
        let body = serde_json::to_vec(body).map_err(|e| self.unavailable(format!("{what}: {e}")))?;
        self.exchange(method, self.url(segments, &[]), Some(body), what).await
    }

    /// The answer's body as `T`.
    pub(crate) fn read<T: DeserializeOwned>(&self, answer: &Answer, what: &str) -> Result<T, ForgeError> {
        serde_json::from_slice(&answer.body).map_err(|e| self.unavailable(format!("cannot read {what}: {e}")))
    }

    /// One request: held back while the forge asked to wait, conditional when an answer of the
    /// URL is kept, counted, and its refusal in words.
    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        what: &str,
    ) -> Result<Answer, ForgeError> {
        let forge = self.forge;
        let wire = &forge.wire;
        if let Some(until) = wire.held_until(Utc::now()) {
            wire.count(RequestOutcome::Held);
            return Err(ForgeError::RateLimited { forge: forge.name.clone(), status: None, until });
        }
        let conditional = (method == Method::GET).then(|| wire.kept(url.as_str())).flatten();
        let mut request = wire.http.request(method.clone(), url.clone());
        request = match forge.kind {
            ForgeKind::GitHub => request
                .bearer_auth(&forge.token)
                .header(header::ACCEPT, "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28"),
            ForgeKind::GitLab => request.header("private-token", &forge.token),
            ForgeKind::Forgejo => request.header(header::AUTHORIZATION, format!("token {}", forge.token)),
        };
        if let Some(kept) = &conditional {
            request = request.header(header::IF_NONE_MATCH, &kept.etag);
        }
        if let Some(body) = body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body);
        }
        let failed = |message: String| {
            wire.count(RequestOutcome::Failed);
            self.unavailable(format!("{what}: {message}"))
        };
        let mut response = request.send().await.map_err(|e| failed(e.without_url().to_string()))?;
        let now = Utc::now();
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        if let Some(quota) = rate_limit::quota(&headers) {
            wire.saw_quota(quota, now);
        }
        if status == StatusCode::NOT_MODIFIED {
            let Some(kept) = conditional else {
                return Err(failed("the forge answered 304 to a request that named no answer".to_owned()));
            };
            wire.count(RequestOutcome::NotModified);
            return Ok(Answer { headers, body: kept.body });
        }
        let body = read_body(response).await.map_err(failed)?;
        if status.is_success() {
            wire.count(RequestOutcome::Answered);
            let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
            if let (Method::GET, Some(etag)) = (method, etag) {
                wire.keep(url.as_str(), wire::Kept { etag: etag.to_owned(), body: body.clone() });
            }
            return Ok(Answer { headers, body });
        }
        let message = refusal_message(&body);
        if let Some(until) = rate_limit::refused_until(status.as_u16(), &headers, &message, now) {
            wire.hold_until(until);
            wire.count(RequestOutcome::RateLimited);
            // The latest of what the answer named (a spent quota's reset may come after its
            // `Retry-After`): what the connection now waits for.
            let until = wire.held_until(now).unwrap_or(until);
            return Err(ForgeError::RateLimited {
                forge: forge.name.clone(),
                status: Some(status.as_u16()),
                until,
            });
        }
        if status.is_server_error() {
            return Err(failed(format!("HTTP {}: {message}", status.as_u16())));
        }
        wire.count(RequestOutcome::Refused);
        Err(self.refusal(status.as_u16(), &headers, message, what))
    }

    /// A 4xx in words: `what` names what was asked.
    fn refusal(&self, status: u16, headers: &HeaderMap, message: String, what: &str) -> ForgeError {
        let forge = self.forge.name.clone();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        // GitHub says why a token may not: an organisation's SAML single sign-on, or its scopes.
        let mut message = message;
        if let Some(sso) = header("x-github-sso") {
            let at = sso.split(';').find_map(|p| p.trim().strip_prefix("url=")).unwrap_or("the organisation");
            message = format!("{message} (single sign-on required: authorize the token at {at})");
        }
        if let Some(needed) = header("x-accepted-oauth-scopes").filter(|s| !s.is_empty()) {
            let has = header("x-oauth-scopes").unwrap_or_default();
            message = format!("{message} (this needs the scope {needed}; the token has {has:?})");
        }
        match status {
            401 => ForgeError::Unauthorized { forge, message },
            404 => ForgeError::NotFound { forge, what: what.to_owned() },
            _ => ForgeError::Refused { forge, what: what.to_owned(), status: Some(status), message },
        }
    }

    fn unavailable(&self, message: String) -> ForgeError {
        ForgeError::Unavailable { forge: self.forge.name.clone(), message }
    }
}

/// A body read whole, up to [`MAX_ANSWER_BYTES`].
async fn read_body(mut response: reqwest::Response) -> Result<Bytes, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// What a refusal's body says: its `message` (a string, GitLab's list or object of field →
/// messages), GitLab's `error`, and GitHub's `errors[].message`; else the text itself, cut short.
fn refusal_message(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = String::from_utf8_lossy(body);
        return text.trim().chars().take(300).collect();
    };
    let text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    let message = json.get("message").or_else(|| json.get("error")).map(text).unwrap_or_default();
    let detail: Vec<String> = json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .collect();
    if detail.is_empty() { message } else { format!("{message}: {}", detail.join("; ")) }
}

/// Headers of `pairs`, for the tests.
#[cfg(test)]
pub(crate) fn test_headers(pairs: &[(&str, &str)]) -> HeaderMap {
    use reqwest::header::{HeaderName, HeaderValue};
    pairs
        .iter()
        .map(|(k, v)| (HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusals_message_is_read_from_each_forges_shape() {
        let github =
            br#"{"message":"Validation Failed","errors":[{"message":"No commits between main and x"}]}"#;
        assert_eq!(refusal_message(github), "Validation Failed: No commits between main and x");
        assert_eq!(refusal_message(br#"{"message":"401 Unauthorized"}"#), "401 Unauthorized");
        assert_eq!(
            refusal_message(br#"{"message":["title is missing","too long"]}"#),
            "title is missing; too long"
        );
        assert_eq!(refusal_message(br#"{"error":"insufficient_scope"}"#), "insufficient_scope");
        assert_eq!(refusal_message(b"<html>Bad Gateway</html>\n"), "<html>Bad Gateway</html>");
    }
}
