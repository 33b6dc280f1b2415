//! The forge webhook deliveries taken: a delivery is taken once, by its id (GitHub's
//! `X-GitHub-Delivery`, GitLab's `X-Gitlab-Event-UUID`, Forgejo's `X-Forgejo-Delivery`) and by its
//! body's hash; a replay of either is known and changes nothing. Kept
//! [`WEBHOOK_DELIVERIES_KEPT`], longer than the forges offer to deliver one again.

use std::time::Duration;

use crate::database::codec::{millis, now};
use crate::{Store, StoreError};

/// How long a delivery taken is remembered.
pub const WEBHOOK_DELIVERIES_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

impl Store {
    /// Takes a delivery to connection `forge` whose id is `delivery` (when the forge sent one)
    /// and whose body hashes to `body_sha256`: `true` when it is new, `false` when a delivery
    /// with the same id or the same body was taken already (nothing is recorded then). Deliveries
    /// older than [`WEBHOOK_DELIVERIES_KEPT`] are forgotten on the way.
    pub async fn take_webhook_delivery(
        &self,
        forge: &str,
        delivery: Option<&str>,
        body_sha256: &str,
    ) -> Result<bool, StoreError> {
        let at = millis(now());
        let forgotten =
            at.saturating_sub(i64::try_from(WEBHOOK_DELIVERIES_KEPT.as_millis()).unwrap_or(i64::MAX));
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE taken_at < $1")
            .bind(forgotten)
            .execute(&mut *w.tx)
            .await?;
        let keys = delivery.map(|id| format!("id:{id}")).into_iter().chain([format!("body:{body_sha256}")]);
        for key in keys {
            let taken = sqlx::query(
                "INSERT INTO webhook_deliveries (forge, delivery, taken_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(forge)
            .bind(&key)
            .bind(at)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            if taken == 0 {
                // Dropped: rolled back, nothing of this delivery recorded.
                return Ok(false);
            }
        }
        w.commit().await?;
        Ok(true)
    }
}
