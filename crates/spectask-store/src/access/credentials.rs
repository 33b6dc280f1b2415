//! Session credentials: what a work session's agent (through the MCP server it launches) presents to
//! the coordination API. 256 random bits, shown once when issued; the store keeps only their SHA-256,
//! so a copy of the database lets nobody act as a session. A credential names exactly one work
//! session; issuing a new one for it replaces the old.

use sha2::{Digest, Sha256};
use spectask_core::{WorkSession, WorkSessionId};

use crate::database::codec::{hex, millis, now, parse};
use crate::{Store, StoreError};

/// Every session credential starts with this, so that one found in a log or a file is recognisable.
pub const SESSION_CREDENTIAL_PREFIX: &str = "stc_";

impl Store {
    /// A new credential for `session`, replacing any earlier one. Returned once; only its hash is kept.
    pub async fn issue_session_credential(&self, session: WorkSessionId) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Randomness(e.to_string()))?;
        let credential = format!("{SESSION_CREDENTIAL_PREFIX}{}", hex(&bytes));
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_credentials (work_session_id, token_hash, issued_at) VALUES ($1, $2, $3) \
             ON CONFLICT (work_session_id) DO UPDATE SET token_hash = excluded.token_hash, \
             issued_at = excluded.issued_at",
        )
        .bind(session.to_string())
        .bind(digest(&credential))
        .bind(millis(now()))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(credential)
    }

    /// The work session a credential names, as it is now; `None` for an unknown (or replaced) one.
    /// Whether the session may still act (it has not finished) is the caller's decision.
    pub async fn session_of_credential(&self, credential: &str) -> Result<Option<WorkSession>, StoreError> {
        if !credential.starts_with(SESSION_CREDENTIAL_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT work_session_id FROM session_credentials WHERE token_hash = $1")
            .bind(digest(credential))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.work_session(parse(&row, "work_session_id")?).await?)),
            None => Ok(None),
        }
    }
}

fn digest(credential: &str) -> String {
    hex(&Sha256::digest(credential.as_bytes()))
}
