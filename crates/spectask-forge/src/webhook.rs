//! Webhook deliveries from a forge: their signature checked against the connection's secret, and
//! the repository they are about. A delivery only makes spectask read sooner what it would read
//! anyway; it is never trusted for a state.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::connections::Forge;
use crate::remote_url::ForgeRepo;

/// Why a delivery is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("webhooks are off for forge {0}: set webhook_secret_env in its [forges.{0}] table")]
    Off(String),
    #[error("the delivery carries no X-Hub-Signature-256 header")]
    Unsigned,
    #[error("the delivery's signature does not match the forge's webhook secret")]
    BadSignature,
}

impl Forge {
    /// Checks a delivery's `X-Hub-Signature-256` (`sha256=<hex>`) over its exact body.
    pub fn verify_webhook(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookError> {
        let secret = self.webhook_secret.as_deref().ok_or_else(|| WebhookError::Off(self.name.clone()))?;
        let signature = signature.ok_or(WebhookError::Unsigned)?;
        let given = signature
            .trim()
            .strip_prefix("sha256=")
            .and_then(decode_hex)
            .ok_or(WebhookError::BadSignature)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::BadSignature)?;
        mac.update(body);
        // Compared in constant time.
        mac.verify_slice(&given).map_err(|_| WebhookError::BadSignature)
    }
}

/// The repository a delivery is about (`repository.full_name`), when it names one.
pub fn webhook_repository(payload: &serde_json::Value) -> Option<ForgeRepo> {
    let full = payload["repository"]["full_name"].as_str()?;
    let (owner, name) = full.split_once('/')?;
    Some(ForgeRepo { owner: owner.to_owned(), name: name.to_owned() })
}

/// Lower-case hex to bytes. Hand-written: eight lines, and the one hex codec the crate needs.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forge(secret: Option<&str>) -> Forge {
        Forge {
            name: "gh".into(),
            kind: crate::ForgeKind::GitHub,
            host: "github.com".into(),
            api_url: url::Url::parse("https://api.github.com").unwrap(),
            poll_interval: std::time::Duration::from_secs(60),
            token: "t".into(),
            webhook_secret: secret.map(str::to_owned),
        }
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    #[test]
    fn a_delivery_signed_with_the_secret_is_accepted_and_any_other_refused() {
        let body = br#"{"action":"closed"}"#;
        let gh = forge(Some("s3cret"));
        assert_eq!(gh.verify_webhook(body, Some(&sign("s3cret", body))), Ok(()));
        assert_eq!(gh.verify_webhook(body, Some(&sign("other", body))), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(b"{}", Some(&sign("s3cret", body))), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(body, Some("sha256=zz")), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(body, None), Err(WebhookError::Unsigned));
        assert!(matches!(
            forge(None).verify_webhook(body, Some(&sign("s3cret", body))),
            Err(WebhookError::Off(_))
        ));
    }
}
