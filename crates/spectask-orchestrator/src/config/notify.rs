//! The webhooks of the configuration and the bounds of their deliveries.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use spectask_core::{Notification, NotificationKind};

/// How a webhook's body is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The notification as a JSON object (`id`, `kind`, `text`, `spec_task_id`, …).
    Json,
    /// A Slack incoming webhook's message: `{"text": …}`.
    Slack,
}

/// One `[[webhooks]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Its name: the key of its deliveries.
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    /// The kinds it is sent; `None`: every kind.
    pub kinds: Option<Vec<NotificationKind>>,
    /// Whose tasks' notifications it is sent; `None`: everyone's.
    pub users: Option<Vec<String>>,
    /// A header sent with every request (a token the receiver checks): name and value.
    pub secret_header: Option<(String, String)>,
}

impl Webhook {
    /// Whether `notification` goes to this webhook.
    pub fn wants(&self, notification: &Notification) -> bool {
        self.kinds.as_ref().is_none_or(|kinds| kinds.contains(&notification.kind))
            && self.users.as_ref().is_none_or(|users| users.contains(&notification.owner))
    }
}

/// Where notifications go and how their deliveries are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyConfig {
    pub webhooks: Vec<Webhook>,
    /// Attempts of one delivery before it is marked failed.
    pub max_attempts: u32,
    /// Delay before the second attempt; doubles per attempt (plus jitter) up to `backoff_max`.
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// One attempt's bound: connecting, sending and reading the answer.
    pub timeout: Duration,
    /// The dashboard's address as people reach it (`https://spectask.example.com`): payloads then
    /// link the task's page; without it they carry its path only.
    pub dashboard_url: Option<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            max_attempts: 5,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
            dashboard_url: None,
        }
    }
}

impl NotifyConfig {
    /// The webhooks `notification` goes to, by name.
    pub(crate) fn route(&self, notification: &Notification) -> Vec<String> {
        self.webhooks.iter().filter(|w| w.wants(notification)).map(|w| w.name.clone()).collect()
    }

    /// The delay after the `attempts`-th failed attempt: from `backoff_initial`, doubling, with
    /// jitter, at most `backoff_max`.
    pub(crate) fn backoff(&self, attempts: u32) -> Duration {
        let step = attempts.saturating_sub(1) as usize;
        ExponentialBuilder::new()
            .with_jitter()
            .with_min_delay(self.backoff_initial)
            .with_max_delay(self.backoff_max)
            .without_max_times()
            .build()
            .nth(step)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(kind: NotificationKind, owner: &str) -> Notification {
        Notification {
            id: 1,
            kind,
            spec_task_id: spectask_core::SpecTaskId::from_uuid(uuid::Uuid::nil()),
            task_title: "t".into(),
            owner: owner.into(),
            text: "x".into(),
            path: "/tasks/x".into(),
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_notification_goes_to_the_webhooks_of_its_kind_and_owner() {
        let hook = |name: &str, kinds: Option<Vec<NotificationKind>>, users: Option<Vec<String>>| Webhook {
            name: name.into(),
            url: "http://127.0.0.1:1/".into(),
            format: WebhookFormat::Json,
            kinds,
            users,
            secret_header: None,
        };
        let config = NotifyConfig {
            webhooks: vec![
                hook("all", None, None),
                hook("specs", Some(vec![NotificationKind::SpecReady]), None),
                hook("ana", None, Some(vec!["ana".into()])),
            ],
            ..NotifyConfig::default()
        };
        assert_eq!(config.route(&notification(NotificationKind::SpecReady, "ana")), ["all", "specs", "ana"]);
        assert_eq!(config.route(&notification(NotificationKind::Failed, "bo")), ["all"]);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let config = NotifyConfig {
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(3),
            ..NotifyConfig::default()
        };
        assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(&config.backoff(1)));
        assert_eq!(config.backoff(9), Duration::from_secs(3));
    }
}
