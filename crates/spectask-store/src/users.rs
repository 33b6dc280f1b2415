//! Users and their API tokens. A token is 256 random bits, shown once when created; the store keeps
//! only its HMAC-SHA256 under a [`TokenKey`] that lives outside the database (the server's data
//! directory), so a copy of the database lets nobody call the API. A user is known by a unique name,
//! which is what a SpecTask's `created_by` names.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use spectask_core::Timestamp;
use uuid::Uuid;

use crate::codec::{get, hex, millis, now, time};
use crate::{Store, StoreError};

/// Every API token starts with this, so that one found in a log or a file is recognisable.
pub const API_TOKEN_PREFIX: &str = "spt_";

/// The one user of a server that runs open (on loopback, before any user exists).
pub const LOCAL_USER: &str = "local";

/// The secret API tokens are hashed under. 32 random bytes, kept as 64 hex digits in a file.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(…)")
    }
}

impl TokenKey {
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Randomness(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Reads 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a token key is 64 hex digits".to_owned());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    fn digest(&self, token: &str) -> Result<String, StoreError> {
        // HMAC takes keys of any length; the error cannot happen with 32 bytes.
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .map_err(|e| StoreError::corrupt(format!("token key: {e}")))?;
        mac.update(token.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }
}

/// A person who calls the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// Why a name cannot be a user's: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn check_user_name(name: &str) -> Result<(), String> {
    let valid_chars =
        name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let starts_well = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if name.is_empty() || name.len() > 64 || !valid_chars || !starts_well {
        return Err(format!(
            "user name {name:?} is not 1 to 64 of a-z, 0-9, '.', '_', '-' starting with a letter or digit"
        ));
    }
    Ok(())
}

impl Store {
    /// Adds a user; an invalid or taken name is `InvalidInput`.
    pub async fn add_user(&self, name: &str) -> Result<User, StoreError> {
        check_user_name(name).map_err(StoreError::InvalidInput)?;
        if self.user_named(name).await?.is_some() {
            return Err(StoreError::InvalidInput(format!("user {name:?} already exists")));
        }
        let user = User { id: Uuid::now_v7().to_string(), name: name.to_owned(), created_at: now() };
        sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(millis(user.created_at))
            .execute(&self.pool)
            .await?;
        Ok(user)
    }

    /// The user of this name, if any.
    pub async fn user_named(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| user(&row)).transpose()
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name, created_at FROM users ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(user).collect()
    }

    /// A new API token for the user `name` (which must exist). Returned once; only its keyed hash
    /// is kept.
    pub async fn create_api_token(&self, key: &TokenKey, name: &str) -> Result<String, StoreError> {
        let user = self
            .user_named(name)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "user", reference: name.to_owned() })?;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Randomness(e.to_string()))?;
        let token = format!("{API_TOKEN_PREFIX}{}", hex(&bytes));
        sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(Uuid::now_v7().to_string())
            .bind(&user.id)
            .bind(key.digest(&token)?)
            .bind(millis(now()))
            .execute(&self.pool)
            .await?;
        Ok(token)
    }

    /// The user a token belongs to; `None` for anything that is not a live token.
    pub async fn user_of_token(&self, key: &TokenKey, token: &str) -> Result<Option<User>, StoreError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.name, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1",
        )
        .bind(key.digest(token)?)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| user(&row)).transpose()
    }
}

fn user(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User { id: get(row, "id")?, name: get(row, "name")?, created_at: time(row, "created_at")? })
}
