//! One attempt of a delivery: the body in the webhook's format, one POST, its answer.

use serde_json::{Value, json};
use spectask_core::Notification;

use crate::config::{Webhook, WebhookFormat};

/// The header naming the notification: a receiver told twice (a node stopped after sending and
/// before recording) recognises it.
pub(crate) const NOTIFICATION_HEADER: &str = "x-spectask-notification";

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("HTTP {status}")]
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
    let response = request.send().await.map_err(|e| SendError::Request(describe(&e)))?;
    let status = response.status().as_u16();
    if response.status().is_success() { Ok(status) } else { Err(SendError::Status { status }) }
}

/// reqwest's error with its causes (the top one alone says little: "error sending request").
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
}
