//! The forge connections of the server's configuration and what their tokens may do: what
//! `spectask forge check` shows. A token itself is never part of an answer.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use spectask_core::RepositoryId;
use spectask_forge::{Forge, ForgeClient};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check_forges)).routes(routes!(forge_webhook))
}

/// What a webhook delivery did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// How many of the repository's open pull requests are now due for a reading.
    pub due: u64,
    /// The delivery was taken before (its id or its body): it changed nothing.
    pub replayed: bool,
}

/// A forge's webhook delivery, proved with the connection's `webhook_secret_env`: GitHub's
/// `X-Hub-Signature-256` or Forgejo's `X-Forgejo-Signature` over the body, GitLab's
/// `X-Gitlab-Token`. Needs no API token: the proof is the credential. It only makes the
/// repository's open pull requests due for a reading now; what they say is read from the forge.
/// A delivery is taken once: one whose id (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID` /
/// `Idempotency-Key`, `X-Forgejo-Delivery` / `X-Gitea-Delivery`) or body was taken before is
/// answered 200 and changes nothing. An unknown connection, one with webhooks off and a delivery
/// without the right proof are refused alike (the same status and body), so that a caller
/// without the secret learns nothing of which connections exist.
#[utoipa::path(post, path = "/forges/{name}/webhook", tag = "repos",
    params(("name" = String, Path, description = "The forge connection's name")),
    request_body(content = Object, description = "The forge's event, as it sends it"),
    responses((status = 202, description = "Taken", body = WebhookAnswer),
        (status = 200, description = "Taken before: changed nothing", body = WebhookAnswer),
        (status = 400, description = "A proved delivery that is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "No such connection, webhooks off for it, unsigned, or not signed with its secret", body = crate::error::ErrorBody)))]
async fn forge_webhook(
    State(state): State<AppState>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(axum::http::StatusCode, Json<WebhookAnswer>), ApiError> {
    // One refusal for every caller without the proof, whatever the reason, which is logged.
    let refused = |why: String| {
        tracing::info!(forge = %name, %why, "refused a webhook delivery");
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "webhook_refused",
            "the delivery does not carry the webhook secret of a forge connection of this name".to_owned(),
        )
    };
    let Some(forge) = state.forges.named(&name) else {
        return Err(refused("no forge connection of this name".to_owned()));
    };
    let header = |names: &[&str]| {
        names.iter().find_map(|name| headers.get(*name)).and_then(|v| v.to_str().ok()).map(str::trim)
    };
    let signature = header(forge.webhook_headers());
    forge.verify_webhook(&body, signature).map_err(|err| refused(err.to_string()))?;
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the delivery is not JSON: {e}")))?;
    let delivery = header(forge.webhook_delivery_headers()).filter(|id| !id.is_empty());
    let digest = spectask_forge::webhook_body_sha256(&body);
    if !state.store.take_webhook_delivery(&forge.name, delivery, &digest).await? {
        tracing::info!(forge = %forge.name, delivery = delivery.unwrap_or("-"), "a webhook delivery taken before came again: ignored");
        return Ok((axum::http::StatusCode::OK, Json(WebhookAnswer { due: 0, replayed: true })));
    }
    let due = match spectask_forge::webhook_repository(&payload) {
        Some(repo) => state.store.pull_requests_due_now(&forge.name, &repo.to_string()).await?,
        None => 0,
    };
    Ok((axum::http::StatusCode::ACCEPTED, Json(WebhookAnswer { due, replayed: false })))
}

/// A forge connection, checked now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgeCheckDto {
    /// Its name in the configuration (`[forges.<name>]`).
    pub name: String,
    /// `github`, `gitlab` or `forgejo`.
    pub kind: &'static str,
    /// The host repositories' remote URLs name.
    pub host: String,
    pub api_url: String,
    /// The user the token acts as; `None` when the check failed (see `error`), or when the token
    /// may not read its user and needs not (a Forgejo token without `read:user`).
    pub login: Option<String>,
    /// The token's scopes (a GitHub classic token's, a GitLab token's); `None` where the forge
    /// does not list them (a GitHub fine-grained token, Forgejo) or when the check failed.
    pub scopes: Option<Vec<String>>,
    /// Scopes the token lacks for opening pull requests.
    pub missing_scopes: Vec<String>,
    /// Why the token could not be checked (refused, the forge unreachable).
    pub error: Option<String>,
    /// The caller's repositories registered by a URL on this forge, and what the token may do there.
    pub repositories: Vec<ForgeRepositoryDto>,
}

/// What a connection's token may do in one repository.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgeRepositoryDto {
    pub repository_id: RepositoryId,
    /// `owner/name` on the forge.
    pub forge_repository: String,
    /// Whether the token may push and open pull requests there; `None` when it could not be read.
    pub push: Option<bool>,
    pub error: Option<String>,
}

/// Check every forge connection's token: its user, scopes, and access to the caller's repositories.
#[utoipa::path(get, path = "/forges", tag = "repos",
    responses((status = 200, description = "The connections, checked now", body = Vec<ForgeCheckDto>)))]
async fn check_forges(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ForgeCheckDto>>, ApiError> {
    let repositories = crate::repositories::access::callers_repositories(&state, &caller).await?;
    let mut answer = Vec::new();
    for forge in state.forges.iter() {
        let mut dto = ForgeCheckDto {
            name: forge.name.clone(),
            kind: forge.kind.as_str(),
            host: forge.host.clone(),
            api_url: forge.api_url.to_string(),
            login: None,
            scopes: None,
            missing_scopes: Vec::new(),
            error: None,
            repositories: Vec::new(),
        };
        match check(forge, &mut dto, &repositories).await {
            Ok(()) => {}
            Err(err) => dto.error = Some(err.to_string()),
        }
        answer.push(dto);
    }
    Ok(Json(answer))
}

async fn check(
    forge: &Forge,
    dto: &mut ForgeCheckDto,
    repositories: &[spectask_core::Repository],
) -> Result<(), spectask_forge::ForgeError> {
    let client = ForgeClient::new(forge);
    let report = client.token_report().await?;
    dto.login = report.login;
    dto.scopes = report.scopes;
    dto.missing_scopes = report.missing;
    for repository in repositories {
        let Some(url) = repository.remote_url.as_deref() else { continue };
        let Some((_, forge_repo)) = spectask_forge::parse_remote(url).filter(|(host, _)| *host == forge.host)
        else {
            continue;
        };
        // One the connection does not serve is not asked about with its token.
        let (push, error) = if !forge.serves(&forge_repo) {
            (None, Some(format!("not served by this connection, which serves {}", forge.serving())))
        } else {
            match client.repo_access(&forge_repo).await {
                Ok(access) => (Some(access.push), None),
                Err(err) => (None, Some(err.to_string())),
            }
        };
        dto.repositories.push(ForgeRepositoryDto {
            repository_id: repository.id,
            forge_repository: forge_repo.to_string(),
            push,
            error,
        });
    }
    Ok(())
}
