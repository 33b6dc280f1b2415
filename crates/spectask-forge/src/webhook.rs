//! Webhook deliveries from a forge: their proof checked against the connection's secret, and
//! the repository they are about. A delivery only makes spectask read sooner what it would read
//! anyway; it is never trusted for a state.
//!
//! GitHub signs the body (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`), Forgejo and Gitea
//! too (`X-Forgejo-Signature` / `X-Gitea-Signature: <hex>`); GitLab sends the secret itself
//! (`X-Gitlab-Token`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::connections::{Forge, ForgeKind};
use crate::remote_url::ForgeRepo;

/// Why a delivery is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("webhooks are off for forge {0}: set webhook_secret_env in its [forges.{0}] table")]
    Off(String),
    #[error("the delivery carries no {0} header")]
    Unsigned(&'static str),
    #[error("the delivery's signature does not match the forge's webhook secret")]
    BadSignature,
}

impl Forge {
    /// The headers a delivery's proof may come in, in the order they are read.
    pub fn webhook_headers(&self) -> &'static [&'static str] {
        match self.kind {
            ForgeKind::GitHub => &["x-hub-signature-256"],
            ForgeKind::GitLab => &["x-gitlab-token"],
            ForgeKind::Forgejo => &["x-forgejo-signature", "x-gitea-signature"],
        }
    }

    /// The headers a delivery's id may come in, in the order they are read: GitHub's
    /// `X-GitHub-Delivery`, GitLab's `X-Gitlab-Event-UUID` (and the `Idempotency-Key` it sends
    /// again with a retried delivery), Forgejo's `X-Forgejo-Delivery` or Gitea's
    /// `X-Gitea-Delivery`.
    pub fn webhook_delivery_headers(&self) -> &'static [&'static str] {
        match self.kind {
            ForgeKind::GitHub => &["x-github-delivery"],
            ForgeKind::GitLab => &["idempotency-key", "x-gitlab-event-uuid"],
            ForgeKind::Forgejo => &["x-forgejo-delivery", "x-gitea-delivery"],
        }
    }

    /// Checks a delivery's proof (the first of [`Forge::webhook_headers`] it carries) against the
    /// secret, over its exact body; compared in constant time.
    pub fn verify_webhook(&self, body: &[u8], proof: Option<&str>) -> Result<(), WebhookError> {
        let secret = self.webhook_secret.as_deref().ok_or_else(|| WebhookError::Off(self.name.clone()))?;
        let proof = proof.map(str::trim).ok_or(WebhookError::Unsigned(self.webhook_headers()[0]))?;
        let signature = match self.kind {
            ForgeKind::GitLab => {
                let same: bool = proof.as_bytes().ct_eq(secret.as_bytes()).into();
                return if same { Ok(()) } else { Err(WebhookError::BadSignature) };
            }
            ForgeKind::GitHub => proof.strip_prefix("sha256="),
            ForgeKind::Forgejo => Some(proof.strip_prefix("sha256=").unwrap_or(proof)),
        };
        let given = signature.and_then(decode_hex).ok_or(WebhookError::BadSignature)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookError::BadSignature)?;
        mac.update(body);
        mac.verify_slice(&given).map_err(|_| WebhookError::BadSignature)
    }
}

/// The repository a delivery is about, when it names one: `repository.full_name` (GitHub,
/// Forgejo) or `project.path_with_namespace` (GitLab).
pub fn webhook_repository(payload: &serde_json::Value) -> Option<ForgeRepo> {
    let full = payload["repository"]["full_name"]
        .as_str()
        .or_else(|| payload["project"]["path_with_namespace"].as_str())?;
    let (owner, name) = full.rsplit_once('/')?;
    Some(ForgeRepo { owner: owner.to_owned(), name: name.to_owned() })
}

/// The SHA-256 of a delivery's body, in lower-case hex: what the forge signed, so what a replay
/// under another delivery id still carries.
pub fn webhook_body_sha256(body: &[u8]) -> String {
    use sha2::Digest;
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
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
        of_kind(ForgeKind::GitHub, secret)
    }

    fn of_kind(kind: ForgeKind, secret: Option<&str>) -> Forge {
        Forge {
            name: "gh".into(),
            kind,
            host: "github.com".into(),
            api_url: url::Url::parse("https://api.github.com").unwrap(),
            poll_interval: std::time::Duration::from_secs(60),
            token: "t".into(),
            webhook_secret: secret.map(str::to_owned),
            repositories: None,
            wire: std::sync::Arc::new(crate::transport::Wire::new("test").unwrap()),
        }
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    #[test]
    fn gitlab_sends_its_secret_and_forgejo_signs_without_a_prefix() {
        let body = br#"{"object_kind":"merge_request","project":{"path_with_namespace":"acme/web/app"}}"#;
        let gitlab = of_kind(ForgeKind::GitLab, Some("s3cret"));
        assert_eq!(gitlab.verify_webhook(body, Some("s3cret")), Ok(()));
        assert_eq!(gitlab.verify_webhook(body, Some("s3cre")), Err(WebhookError::BadSignature));
        assert_eq!(gitlab.verify_webhook(body, None), Err(WebhookError::Unsigned("x-gitlab-token")));
        let forgejo = of_kind(ForgeKind::Forgejo, Some("s3cret"));
        let signed = sign("s3cret", body);
        assert_eq!(forgejo.verify_webhook(body, signed.strip_prefix("sha256=")), Ok(()));
        assert_eq!(forgejo.verify_webhook(body, Some(&sign("other", body))), Err(WebhookError::BadSignature));
        let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
        let repo = webhook_repository(&payload).unwrap();
        assert_eq!((repo.owner.as_str(), repo.name.as_str()), ("acme/web", "app"));
    }

    #[test]
    fn a_delivery_signed_with_the_secret_is_accepted_and_any_other_refused() {
        let body = br#"{"action":"closed"}"#;
        let gh = forge(Some("s3cret"));
        assert_eq!(gh.verify_webhook(body, Some(&sign("s3cret", body))), Ok(()));
        assert_eq!(gh.verify_webhook(body, Some(&sign("other", body))), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(b"{}", Some(&sign("s3cret", body))), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(body, Some("sha256=zz")), Err(WebhookError::BadSignature));
        assert_eq!(gh.verify_webhook(body, None), Err(WebhookError::Unsigned("x-hub-signature-256")));
        assert!(matches!(
            forge(None).verify_webhook(body, Some(&sign("s3cret", body))),
            Err(WebhookError::Off(_))
        ));
    }
}
