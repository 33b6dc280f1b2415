//! Logging in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// An API token (`spt_…`, from `spectask token create --user NAME`).
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmIDto {
    /// The user's name (`local` on a server without users).
    pub name: String,
    /// Whether the server runs open: no users, one local user who sees everything.
    pub open: bool,
    /// `admin` (the local user of an open server, or a user given the role) or `member`.
    #[schema(pattern = "^(admin|member)$")]
    pub role: String,
}

impl WhoAmIDto {
    pub(crate) fn new(caller: crate::Caller, open: bool) -> Self {
        let role = if caller.admin { "admin" } else { "member" };
        Self { name: caller.name, open, role: role.to_owned() }
    }
}

/// A live login session of the caller (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginSessionDto {
    pub id: String,
    /// The API token it was opened with: revoking it ends the session.
    pub token_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: spectask_core::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: spectask_core::Timestamp,
}
