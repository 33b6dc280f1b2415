//! Users and their API tokens. A token is 256 random bits, shown once when created; the store keeps
//! only its HMAC-SHA256 under a [`TokenKey`] that lives outside the database (the server's data
//! directory), so a copy of the database lets nobody call the API. A user is known by a unique name,
//! which is what a SpecTask's `created_by` names.

use hmac::{KeyInit, Mac};
use sha2::Sha256;
use spectask_core::Timestamp;
use uuid::Uuid;

use crate::database::codec::{get, hex, millis, now, opt_time, time};
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

    pub(crate) fn digest(&self, token: &str) -> Result<String, StoreError> {
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
    pub role: UserRole,
    pub created_at: Timestamp,
}

/// What a user may do beyond their own repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// The operator's delegate: registers repositories anywhere on the server's disk, by
    /// `file://` URL or local path, and gives roles.
    Admin,
    /// Registers repositories under the configured roots and by the allowed URL schemes only.
    #[default]
    Member,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Member => "member",
        }
    }
}

impl std::fmt::Display for UserRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for UserRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(UserRole::Admin),
            "member" => Ok(UserRole::Member),
            other => Err(format!("role {other:?} is not admin or member")),
        }
    }
}

/// Names a person cannot take: spectask itself pauses sessions as `budget` (see
/// `WorkSessionState::is_paused_by_budget`), and what an open server did is `local`'s: a user by
/// that name would be a member of every repository registered then.
const RESERVED_USER_NAMES: &[&str] = &[spectask_core::BUDGET_PAUSE, LOCAL_USER];

/// Why a name cannot be a user's: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit, and
/// not a name spectask uses itself.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if RESERVED_USER_NAMES.contains(&name) {
        return Err(format!("user name {name:?} is reserved: spectask uses it itself"));
    }
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
    /// Adds a user with `role`; an invalid or taken name is `InvalidInput`.
    pub async fn add_user(&self, name: &str, role: UserRole) -> Result<User, StoreError> {
        check_user_name(name).map_err(StoreError::InvalidInput)?;
        if self.user_named(name).await?.is_some() {
            return Err(StoreError::InvalidInput(format!("user {name:?} already exists")));
        }
        let user = User { id: Uuid::now_v7().to_string(), name: name.to_owned(), role, created_at: now() };
        let mut w = self.begin_write().await?;
        // A name no longer on the server that owns or may use a repository counts as a member's;
        // an administrator of that name must not make it the operator's.
        crate::repositories::keep_member_access(&mut w).await?;
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(role.as_str())
            .bind(millis(user.created_at))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(user)
    }

    /// Gives the user `name` the role `role`; an unknown user is `NotFound`. A member made an
    /// administrator leaves the repositories they used trusted as a member's
    /// (`keep_member_access`).
    pub async fn set_user_role(&self, name: &str, role: UserRole) -> Result<User, StoreError> {
        let mut w = self.begin_write().await?;
        crate::repositories::keep_member_access(&mut w).await?;
        let done = sqlx::query("UPDATE users SET role = $1 WHERE name = $2")
            .bind(role.as_str())
            .bind(name)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { entity: "user", reference: name.to_owned() });
        }
        self.user_named(name)
            .await?
            .ok_or_else(|| StoreError::NotFound { entity: "user", reference: name.to_owned() })
    }

    /// The user of this name, if any.
    pub async fn user_named(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, role, created_at FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
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

    /// The user a token belongs to; `None` for anything that is not a live token (unknown or
    /// revoked). Read from the database on every call: nothing caches it, so a token revoked on one
    /// node is refused by every node from then on.
    pub async fn user_of_token(&self, key: &TokenKey, token: &str) -> Result<Option<User>, StoreError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(key.digest(token)?)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| user_from_row(&row)).transpose()
    }
}

/// An API token as listed: never its secret (only its keyed hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    /// Its user's name.
    pub user: String,
    pub created_at: Timestamp,
    /// When it was revoked; a revoked token names nobody.
    pub revoked_at: Option<Timestamp>,
}

macro_rules! token_columns {
    () => {
        "SELECT t.id, u.name, t.created_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
    };
}

impl Store {
    /// The API tokens of the user `name` (every user's when `None`), oldest first.
    pub async fn api_tokens(&self, name: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        if let Some(name) = name
            && self.user_named(name).await?.is_none()
        {
            return Err(StoreError::NotFound { entity: "user", reference: name.to_owned() });
        }
        let rows = match name {
            Some(name) => {
                sqlx::query(concat!(token_columns!(), "WHERE u.name = $1 ORDER BY t.created_at, t.id"))
                    .bind(name)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(concat!(token_columns!(), "ORDER BY u.name, t.created_at, t.id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(api_token).collect()
    }

    /// Revokes the token `reference` names: the token itself (`spt_…`), its id or a unique prefix of
    /// it. From the next request on no node accepts it. Revoking a revoked token changes nothing.
    pub async fn revoke_api_token(&self, key: &TokenKey, reference: &str) -> Result<ApiToken, StoreError> {
        let reference = reference.trim();
        let rows = if reference.starts_with(API_TOKEN_PREFIX) {
            sqlx::query(concat!(token_columns!(), "WHERE t.token_hash = $1"))
                .bind(key.digest(reference)?)
                .fetch_all(&self.pool)
                .await?
        } else if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            sqlx::query(concat!(token_columns!(), "WHERE t.id LIKE $1 ORDER BY t.id"))
                .bind(format!("{}%", reference.to_ascii_lowercase()))
                .fetch_all(&self.pool)
                .await?
        } else {
            return Err(StoreError::InvalidInput(format!(
                "{reference:?} names no API token: give the token (spt_…) or its id from `spectask token list`"
            )));
        };
        let mut found: Vec<ApiToken> = rows.iter().map(api_token).collect::<Result<_, _>>()?;
        let token = match found.len() {
            0 => return Err(StoreError::NotFound { entity: "API token", reference: reference.to_owned() }),
            1 => found.remove(0),
            _ => {
                return Err(StoreError::Ambiguous {
                    entity: "API token",
                    reference: reference.to_owned(),
                    candidates: found.into_iter().map(|t| t.id).collect(),
                });
            }
        };
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        let revoked_at = now();
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(millis(revoked_at))
            .bind(&token.id)
            .execute(&self.pool)
            .await?;
        Ok(ApiToken { revoked_at: Some(revoked_at), ..token })
    }

    /// Whether any user exists (a server that started open begins to require tokens once one does).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT id FROM users LIMIT 1").fetch_optional(&self.pool).await?.is_some())
    }
}

fn api_token(row: &sqlx::any::AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get(row, "id")?,
        user: get(row, "name")?,
        created_at: time(row, "created_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = get(row, "role")?;
    Ok(User {
        id: get(row, "id")?,
        name: get(row, "name")?,
        role: role.parse().map_err(StoreError::corrupt)?,
        created_at: time(row, "created_at")?,
    })
}
