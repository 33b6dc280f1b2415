//! One attempt of a delivery: the body in the webhook's format, one POST, its answer. A receiver's
//! redirect is not followed: it would take the notification, and the webhook's secret header
//! (reqwest drops only the standard credential headers on a redirect), to whatever address it
//! names. What an attempt's error says names no URL: it is shown to the members whose task the
//! notification is of, and a webhook's URL may itself be a secret (Slack's are).

use std::time::Duration;

use serde_json::{Value, json};
use spectask_core::Notification;

use crate::config::{Webhook, WebhookFormat};

/// The header naming the notification: a receiver told twice (a node stopped after sending and
/// before recording) recognises it.
pub(crate) const NOTIFICATION_HEADER: &str = "x-spectask-notification";

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("HTTP {status}{}", redirect_advice(.status))]
    Status { status: u16 },
    #[error("{0}")]
    Request(String),
}

impl SendError {
    pub(crate) fn http_status(&self) -> Option<u16> {
        match self {
            Self::Status { status } => Some(*status),
            Self::Request(_) => None,
        }
    }
}

/// What a redirect's status adds to its error.
fn redirect_advice(status: &u16) -> &'static str {
    if (300..400).contains(status) {
        ": the receiver redirects, and webhooks follow no redirect: give the URL it leads to"
    } else {
        ""
    }
}

/// The webhooks' HTTP client: each attempt given `timeout`, no redirect followed.
pub(crate) fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    // reqwest is built without a rustls crypto provider; an error only means one is installed.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build()
}

/// The body `webhook` is sent for `notification`; `dashboard_url` makes its link absolute.
pub(crate) fn body(webhook: &Webhook, notification: &Notification, dashboard_url: Option<&str>) -> Value {
    let url = dashboard_url.map(|base| format!("{}{}", base.trim_end_matches('/'), notification.path));
    match webhook.format {
        WebhookFormat::Json => json!({
            "id": notification.id,
            "kind": notification.kind,
            "text": notification.text,
            "spec_task_id": notification.spec_task_id,
            "task_title": notification.task_title,
            "owner": notification.owner,
            "path": notification.path,
            "url": url,
            "at": notification.at,
        }),
        WebhookFormat::Slack => {
            let text = match url {
                Some(url) => format!("{} <{url}|Open the task>", notification.text),
                None => notification.text.clone(),
            };
            json!({ "text": text })
        }
    }
}

/// Sends `body` to `webhook`; Ok with the status of a success (2xx).
pub(crate) async fn post(
    http: &reqwest::Client,
    webhook: &Webhook,
    notification_id: i64,
    body: &Value,
) -> Result<u16, SendError> {
    let mut request =
        http.post(&webhook.url).header(NOTIFICATION_HEADER, notification_id.to_string()).json(body);
    if let Some((name, value)) = &webhook.secret_header {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.map_err(|e| SendError::Request(describe(&e.without_url())))?;
    let status = response.status().as_u16();
    if response.status().is_success() { Ok(status) } else { Err(SendError::Status { status }) }
}

/// reqwest's error with its causes (the top one alone says little: "error sending request"), given
/// without its URL.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use spectask_core::NotificationKind;

    use super::*;

    #[test]
    fn json_and_slack_bodies_carry_the_text_and_the_link() {
        let n = Notification {
            id: 3,
            kind: NotificationKind::SpecReady,
            spec_task_id: spectask_core::SpecTaskId::from_uuid(uuid::Uuid::nil()),
            task_title: "T".into(),
            owner: "ana".into(),
            text: "The spec of “T” is ready for review".into(),
            path: "/tasks/abc".into(),
            at: chrono::DateTime::UNIX_EPOCH,
        };
        let mut hook = Webhook {
            name: "h".into(),
            url: "http://127.0.0.1:1/".into(),
            format: WebhookFormat::Json,
            kinds: None,
            users: None,
            secret_header: None,
        };
        let json = body(&hook, &n, Some("https://s.example/"));
        assert_eq!(json["kind"], "spec_ready");
        assert_eq!(json["url"], "https://s.example/tasks/abc");
        hook.format = WebhookFormat::Slack;
        assert_eq!(
            body(&hook, &n, Some("https://s.example")),
            json!({"text": "The spec of “T” is ready for review <https://s.example/tasks/abc|Open the task>"})
        );
        assert_eq!(body(&hook, &n, None), json!({"text": "The spec of “T” is ready for review"}));
    }

    /// A loopback receiver answering its one request with `answer`; what it read comes back on
    /// the channel, or "PROBE" when nothing came before the test's own probe.
    fn receiver(answer: String) -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else { return };
            let mut read = vec![0_u8; 16 * 1024];
            let n = stream.read(&mut read).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&read[..n]).into_owned());
            let _ = stream.write_all(answer.as_bytes());
        });
        (url, rx)
    }

    fn hook(url: &str) -> Webhook {
        Webhook {
            name: "h".into(),
            url: url.to_owned(),
            format: WebhookFormat::Json,
            kinds: None,
            users: None,
            secret_header: Some(("X-Token".into(), "s3cret".into())),
        }
    }

    /// A receiver that redirects elsewhere fails the attempt: the notification and its secret
    /// header go nowhere else, and the error says why.
    #[tokio::test]
    async fn a_redirect_is_not_followed_and_the_secret_goes_nowhere_else() {
        let (elsewhere, reached) = receiver("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into());
        let redirect = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/stolen\r\nContent-Length: 0\r\n\r\n"
        );
        let (url, asked) = receiver(redirect);
        let http = client(Duration::from_secs(10)).unwrap();
        let err = post(&http, &hook(&format!("{url}/hook")), 7, &json!({"text": "t"})).await.unwrap_err();
        assert_eq!(err.http_status(), Some(307), "{err}");
        assert!(err.to_string().contains("follow no redirect"), "{err}");
        assert!(asked.recv().unwrap().contains("s3cret"), "the receiver got its secret header");
        // Nothing reached the redirect's target before this probe.
        let probe = std::net::TcpStream::connect(elsewhere.trim_start_matches("http://"))
            .map(|mut s| std::io::Write::write_all(&mut s, b"PROBE"));
        assert!(probe.is_ok_and(|written| written.is_ok()));
        assert_eq!(reached.recv().unwrap(), "PROBE", "the redirect was followed");
    }

    /// A receiver that cannot be reached fails the attempt with an error naming no part of its
    /// URL.
    #[tokio::test]
    async fn an_attempt_s_error_names_no_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/services/T0SECRET/B0SECRET", listener.local_addr().unwrap());
        drop(listener);
        let http = client(Duration::from_secs(10)).unwrap();
        let err = post(&http, &hook(&url), 7, &json!({"text": "t"})).await.unwrap_err();
        assert!(err.http_status().is_none(), "{err}");
        assert!(!err.to_string().contains("SECRET"), "the error names the URL: {err}");
        assert!(!err.to_string().contains("127.0.0.1"), "the error names the URL: {err}");
    }
}
