//! The dashboard's logins: `POST /auth/login` trades an API token for a session whose random
//! secret goes in the browser's cookie. Only the secret's keyed hash is kept. A session lasts
//! [`LOGIN_SESSION_TTL`], ends at logout, and ends with the token it was opened with.

use std::time::Duration;

use spectask_core::Timestamp;
use uuid::Uuid;

use crate::access::users::{User, user_from_row};
use crate::database::codec::{get, hex, millis, now, time};
use crate::{Store, StoreError, TokenKey};

/// Every login session secret starts with this.
pub const LOGIN_SESSION_PREFIX: &str = "sps_";

/// How long a login lasts.
pub const LOGIN_SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A login session as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSession {
    pub id: String,
    pub user: String,
    /// The API token it was opened with.
    pub token_id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Store {
    /// Opens a login session for the user of the live API token `token`: its secret (shown once),
    /// or `None` when the token names nobody.
    pub async fn open_login_session(
        &self,
        key: &TokenKey,
        token: &str,
    ) -> Result<Option<String>, StoreError> {
        let Some(token_id) = self.live_token_id(key, token).await? else { return Ok(None) };
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Randomness(e.to_string()))?;
        let secret = format!("{LOGIN_SESSION_PREFIX}{}", hex(&bytes));
        let created = now();
        let ttl = i64::try_from(LOGIN_SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO login_sessions (id, secret_hash, token_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(key.digest(&secret)?)
        .bind(token_id)
        .bind(millis(created))
        .bind(millis(created).saturating_add(ttl))
        .execute(&self.pool)
        .await?;
        Ok(Some(secret))
    }

    /// The user a login session's secret belongs to: `None` unless the session exists, has not
    /// expired, and its token is not revoked. Read on every call, never cached.
    pub async fn user_of_login_session(
        &self,
        key: &TokenKey,
        secret: &str,
    ) -> Result<Option<User>, StoreError> {
        if !secret.starts_with(LOGIN_SESSION_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.created_at FROM login_sessions s \
             JOIN api_tokens t ON t.id = s.token_id JOIN users u ON u.id = t.user_id \
             WHERE s.secret_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
        )
        .bind(key.digest(secret)?)
        .bind(millis(now()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    /// Ends the login session whose secret is `secret`; whether there was one.
    pub async fn close_login_session(&self, key: &TokenKey, secret: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM login_sessions WHERE secret_hash = $1")
            .bind(key.digest(secret)?)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    /// The live login sessions of the user `name`, oldest first.
    pub async fn login_sessions_of(&self, name: &str) -> Result<Vec<LoginSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, u.name, s.token_id, s.created_at, s.expires_at FROM login_sessions s \
             JOIN api_tokens t ON t.id = s.token_id JOIN users u ON u.id = t.user_id \
             WHERE u.name = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL ORDER BY s.created_at, s.id",
        )
        .bind(name)
        .bind(millis(now()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoginSession {
                    id: get(row, "id")?,
                    user: get(row, "name")?,
                    token_id: get(row, "token_id")?,
                    created_at: time(row, "created_at")?,
                    expires_at: time(row, "expires_at")?,
                })
            })
            .collect()
    }

    /// Ends the login session `id` of the user `name`; whether it was theirs and live.
    pub async fn revoke_login_session(&self, name: &str, id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM login_sessions WHERE id = $1 AND token_id IN \
             (SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.name = $2)",
        )
        .bind(id)
        .bind(name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted == 1)
    }

    /// The id of the live API token `token`.
    async fn live_token_id(&self, key: &TokenKey, token: &str) -> Result<Option<String>, StoreError> {
        if !token.starts_with(crate::access::users::API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(key.digest(token)?)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| get::<String>(&row, "id")).transpose()
    }
}
