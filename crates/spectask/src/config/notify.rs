//! `[notifications]` and `[[webhooks]]` of the configuration file: where notifications are sent
//! and how their deliveries are retried. Each error names the key and the value at fault.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use spectask_core::NotificationKind;
use spectask_orchestrator::{NotifyConfig, Webhook, WebhookFormat};

/// `[notifications]`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationsSection {
    max_attempts: Option<u32>,
    backoff_initial_seconds: Option<f64>,
    backoff_max_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
    dashboard_url: Option<String>,
}

/// One `[[webhooks]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookSection {
    name: String,
    url: String,
    /// `json` (default) or `slack`.
    format: Option<String>,
    kinds: Option<Vec<String>>,
    users: Option<Vec<String>>,
    /// A header sent with every request; its value is `secret`, or read from `secret_env`.
    secret_header: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
}

/// The notification settings; `env` reads an environment variable (`secret_env`).
pub(crate) fn read(
    section: NotificationsSection,
    webhooks: Vec<WebhookSection>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<NotifyConfig> {
    let mut config = NotifyConfig::default();
    if let Some(v) = section.max_attempts {
        if v == 0 {
            bail!("[notifications] max_attempts = 0; expected at least 1");
        }
        config.max_attempts = v;
    }
    if let Some(v) = section.backoff_initial_seconds {
        config.backoff_initial = seconds(v, "backoff_initial_seconds")?;
    }
    if let Some(v) = section.backoff_max_seconds {
        config.backoff_max = seconds(v, "backoff_max_seconds")?;
    }
    if config.backoff_max < config.backoff_initial {
        bail!("[notifications] backoff_max_seconds is below backoff_initial_seconds");
    }
    if let Some(v) = section.timeout_seconds {
        config.timeout = seconds(v, "timeout_seconds")?;
    }
    if let Some(url) = section.dashboard_url {
        http_url(&url).with_context(|| format!("[notifications] dashboard_url = {url:?}"))?;
        config.dashboard_url = Some(url);
    }
    for (index, section) in webhooks.into_iter().enumerate() {
        let webhook = webhook(section, env).with_context(|| format!("[[webhooks]] number {}", index + 1))?;
        if config.webhooks.iter().any(|w| w.name == webhook.name) {
            bail!("[[webhooks]] name = {:?} is used twice; each webhook needs its own name", webhook.name);
        }
        config.webhooks.push(webhook);
    }
    Ok(config)
}

fn webhook(section: WebhookSection, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Webhook> {
    let name = section.name.trim().to_owned();
    if name.is_empty() {
        bail!("name is empty");
    }
    http_url(&section.url).with_context(|| format!("url = {:?}", section.url))?;
    let format = match section.format.as_deref().unwrap_or("json") {
        "json" => WebhookFormat::Json,
        "slack" => WebhookFormat::Slack,
        other => bail!("format = {other:?}; expected json or slack"),
    };
    let kinds = section
        .kinds
        .map(|kinds| {
            kinds
                .iter()
                .map(|k| k.parse::<NotificationKind>().with_context(|| format!("kinds = [.., {k:?}, ..]")))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?;
    let secret = match (section.secret, section.secret_env) {
        (Some(_), Some(_)) => bail!("both secret and secret_env are set; give one"),
        (Some(value), None) => Some(value),
        (None, Some(var)) => Some(env(&var).with_context(|| format!("secret_env = {var:?} is not set"))?),
        (None, None) => None,
    };
    let secret_header = match (section.secret_header, secret) {
        (Some(header), Some(value)) => {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                bail!("secret_header = {header:?} is not an HTTP header name");
            }
            if reqwest::header::HeaderValue::from_str(&value).is_err() {
                bail!("the secret of secret_header = {header:?} is not a valid header value");
            }
            Some((header, value))
        }
        (Some(header), None) => bail!("secret_header = {header:?} needs secret or secret_env"),
        (None, Some(_)) => bail!("secret or secret_env needs secret_header (the header to send it in)"),
        (None, None) => None,
    };
    Ok(Webhook { name, url: section.url, format, kinds, users: section.users, secret_header })
}

fn http_url(text: &str) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(text).context("not a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("expected an http or https URL");
    }
    Ok(())
}

fn seconds(value: f64, key: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("[notifications] {key} = {value} is not a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<NotifyConfig> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            notifications: NotificationsSection,
            #[serde(default)]
            webhooks: Vec<WebhookSection>,
        }
        let file: File = toml::from_str(text)?;
        read(file.notifications, file.webhooks, &|var| (var == "HOOK_TOKEN").then(|| "s3cret".to_owned()))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn webhooks_are_read_with_their_filters_and_secret() {
        let config = parse(
            r#"
            [notifications]
            max_attempts = 3
            backoff_initial_seconds = 0.5
            dashboard_url = "https://spectask.example.com"

            [[webhooks]]
            name = "ops"
            url = "http://127.0.0.1:9/hook"

            [[webhooks]]
            name = "team"
            url = "https://hooks.slack.com/services/x"
            format = "slack"
            kinds = ["spec_ready", "failed"]
            users = ["ana"]
            secret_header = "X-Token"
            secret_env = "HOOK_TOKEN"
            "#,
        )
        .unwrap();
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.backoff_initial, Duration::from_millis(500));
        assert_eq!(config.webhooks[0].format, WebhookFormat::Json);
        assert_eq!(config.webhooks[0].kinds, None);
        let team = &config.webhooks[1];
        assert_eq!(team.kinds, Some(vec![NotificationKind::SpecReady, NotificationKind::Failed]));
        assert_eq!(team.users, Some(vec!["ana".to_owned()]));
        assert_eq!(team.secret_header, Some(("X-Token".into(), "s3cret".into())));
    }

    #[test]
    fn errors_name_the_key_and_value() {
        let hook = |extra: &str| format!("[[webhooks]]\nname = \"h\"\nurl = \"http://127.0.0.1/\"\n{extra}");
        assert!(error(&hook("format = \"teams\"")).contains("format = \"teams\"; expected json or slack"));
        assert!(error(&hook("kinds = [\"spec_redy\"]")).contains("kinds = [.., \"spec_redy\", ..]"));
        assert!(
            error(&hook("secret_env = \"NOPE\"\nsecret_header = \"X\""))
                .contains("secret_env = \"NOPE\" is not set")
        );
        assert!(error(&hook("secret_header = \"X\"")).contains("needs secret or secret_env"));
        assert!(error(&hook("colour = 1")).contains("unknown field `colour`"));
        assert!(error("[[webhooks]]\nname = \"h\"\nurl = \"ftp://x/\"").contains("url = \"ftp://x/\""));
        assert!(error(&format!("{}\n{}", hook(""), hook(""))).contains("name = \"h\" is used twice"));
        assert!(error("[notifications]\nmax_attempts = 0").contains("max_attempts = 0"));
    }
}
