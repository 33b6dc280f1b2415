//! Idempotency keys: a state-changing request sent with an `Idempotency-Key` (the IETF HTTP
//! draft's header) is answered once per user and key. The first request claims the key with its
//! fingerprint (its method, path and body, hashed by the caller); its answer is kept; a repeat
//! gets that answer back and changes nothing. Another request with the same key is refused. Keys
//! are kept [`IDEMPOTENCY_TTL`]; a claim left unanswered for [`IDEMPOTENCY_ABANDONED`] (its node
//! stopped mid-request) frees the key.

use std::time::Duration;

use crate::database::codec::{get, millis, now};
use crate::{Store, StoreError};

/// How long a key's answer is kept.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long a key may stay claimed without an answer before it is taken as abandoned.
pub const IDEMPOTENCY_ABANDONED: Duration = Duration::from_secs(10 * 60);

/// The first answer to a key's request, as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is new: answer the request, then keep the answer (or release the key).
    New,
    /// The same request was answered before: this is its answer.
    Answered(KeptAnswer),
    /// The same request is being answered now.
    InFlight,
    /// The key was used for another request.
    OtherRequest,
}

impl Store {
    /// Claims `key` of `user` for the request whose fingerprint is `fingerprint`.
    pub async fn claim_idempotency_key(
        &self,
        user: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<KeyClaim, StoreError> {
        let at = millis(now());
        let kept_since = at.saturating_sub(ms(IDEMPOTENCY_TTL));
        let abandoned_since = at.saturating_sub(ms(IDEMPOTENCY_ABANDONED));
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE created_at < $1 OR (status IS NULL AND created_at < $2)",
        )
        .bind(kept_since)
        .bind(abandoned_since)
        .execute(&self.pool)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (user_name, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(key)
        .bind(fingerprint)
        .bind(at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if claimed == 1 {
            return Ok(KeyClaim::New);
        }
        let row = sqlx::query(
            "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE user_name = $1 AND key = $2",
        )
        .bind(user)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        // Deleted between the insert and the read (it expired that moment): the next try claims it.
        let Some(row) = row else { return Ok(KeyClaim::InFlight) };
        if get::<String>(&row, "fingerprint")? != fingerprint {
            return Ok(KeyClaim::OtherRequest);
        }
        let Some(status) = get::<Option<i64>>(&row, "status")? else { return Ok(KeyClaim::InFlight) };
        Ok(KeyClaim::Answered(KeptAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: get(&row, "content_type")?,
            body: get::<Option<String>>(&row, "body")?.unwrap_or_default(),
        }))
    }

    /// Keeps the answer to the request that claimed `key` of `user`.
    pub async fn keep_idempotent_answer(
        &self,
        user: &str,
        key: &str,
        answer: &KeptAnswer,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 WHERE user_name = $1 AND key = $2",
        )
        .bind(user)
        .bind(key)
        .bind(i64::from(answer.status))
        .bind(answer.content_type.as_deref())
        .bind(&answer.body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Frees `key` of `user` without an answer (its request failed on the server's side, or its
    /// answer cannot be kept): a repeat runs again.
    pub async fn release_idempotency_key(&self, user: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE user_name = $1 AND key = $2 AND status IS NULL")
            .bind(user)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
