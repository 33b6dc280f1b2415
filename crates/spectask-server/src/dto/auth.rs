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
}
