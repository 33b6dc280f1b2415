//! Taking up a spec a repository already has (a Kiro, cc-sdd or spec-kit folder on its default
//! branch) as a SpecTask at spec review, or approved at once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use spectask_core::{Complexity, NewSpecTask, Priority, ReviewDecision, SpecDocuments, TaskKind};
use spectask_spec::{Template, adopt_folder, title_of_folder};
use spectask_store::{NewSpecReview, NewSpecVersion};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{SpecTaskDto, gate_approval, lint_errors};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{check_complexity, register_repository, task_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(adopt_spec))
}

/// `POST /api/v1/spec-tasks/adopt`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptSpec {
    /// The repository: its id or URL (registered already), or the absolute path of a git
    /// repository on the server's machine (registered on first use; a member's only under the
    /// directories the operator allows).
    #[schema(
        pattern = r"^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*|/[^\x00-\x1f\x7f]*)\s*$"
    )]
    pub repo: String,
    /// The spec folder inside the repository, as its default branch holds it
    /// (`.kiro/specs/user-auth`, `specs/003-chat-export`).
    #[schema(pattern = r"^[^/\s][^\s]*$")]
    pub folder: String,
    /// Not blank; the folder's name when left out.
    #[schema(pattern = r"\S")]
    pub title: Option<String>,
    /// Approve it at once: it is committed to the design-docs branch and implemented without a
    /// spec review (default false: it waits in spec review). A spec with lint errors is refused
    /// (409 `lint_errors`, nothing taken up) unless `despite_lint` gives a reason.
    pub approve: Option<bool>,
    /// With `approve`: approve although the spec has lint errors, for this reason (not blank),
    /// recorded with the review.
    #[schema(pattern = r"\S")]
    pub despite_lint: Option<String>,
    pub complexity: Option<Complexity>,
    pub priority: Option<Priority>,
    pub implementation_agent: Option<String>,
}

/// Take up an existing spec folder as a SpecTask: its documents become version 1 byte for byte
/// (tasks already ticked stay done and are not implemented again); it waits in spec review, or is
/// approved at once with `approve`.
#[utoipa::path(post, path = "/spec-tasks/adopt", tag = "spec-tasks", request_body = AdoptSpec,
    responses((status = 201, description = "The task, at spec review or approved", body = SpecTaskDto)))]
async fn adopt_spec(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AdoptSpec>,
) -> Result<(StatusCode, Json<SpecTaskDto>), ApiError> {
    let folder = body.folder.trim_end_matches('/').to_owned();
    if folder.split('/').any(|part| part.is_empty() || part == "..") {
        return Err(ApiError::bad_request(
            "invalid_folder",
            format!("{folder:?} is not a folder inside the repository"),
        ));
    }
    let title = match body.title.as_deref().map(str::trim) {
        Some("") => return Err(ApiError::bad_request("invalid_title", "title is empty")),
        Some(title) => title.to_owned(),
        None => title_of_folder(&folder),
    };
    let repository = register_repository(&state, &caller, &body.repo).await?;
    let repo = crate::routes::workflows::open(&state, &repository).await?;
    let files = {
        let (folder, repo) = (folder.clone(), repo.clone());
        tokio::task::spawn_blocking(move || repo.default_branch_files(&[folder.as_str()], &[])).await??
    };
    if files.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_folder",
            format!(
                "{folder} holds no files on the repository's default branch ({})",
                repository.default_branch
            ),
        ));
    }
    let adopted = adopt_folder(&folder, &files)
        .map_err(|e| ApiError::bad_request("invalid_spec_folder", e.to_string()))?;
    let complexity = body.complexity.unwrap_or_default();
    check_complexity(&Template::builtin(adopted.workflow), complexity)?;
    // Linted as its workflow's specs are: its gates and the repository's steering rules too.
    let template = spectask_orchestrator::with_steering(&repo, Template::builtin(adopted.workflow))
        .await
        .map_err(crate::routes::workflows::job_error)?;
    let [first, design, tasks] = &adopted.sources;
    let documents = [
        first.as_deref().map(|path| (path, adopted.requirements.as_str())),
        design.as_deref().map(|path| (path, adopted.design.as_str())),
        tasks.as_deref().map(|path| (path, adopted.tasks.as_str())),
    ];
    let lint: Vec<String> =
        template.lint_folder(documents).grouped().iter().map(ToString::to_string).collect();
    // An approval at once passes the lint gate before anything is taken up.
    let approval = match body.approve {
        Some(true) => {
            let comments = format!("Approved when taken up from {folder}.");
            let route = "`despite_lint` in the body; `spectask task adopt --approve --despite-lint REASON`";
            Some(gate_approval(&lint_errors(&lint), body.despite_lint.as_deref(), &comments, route)?)
        }
        _ if body.despite_lint.is_some() => {
            return Err(ApiError::bad_request("invalid_body", "despite_lint goes with approve"));
        }
        _ => None,
    };
    let mut new = NewSpecTask::new(
        TaskKind::Spec,
        repository.id,
        title,
        format!("Take up the spec in {folder} and implement what its plan leaves open."),
        caller.name.clone(),
    );
    new.workflow = adopted.workflow.name().to_owned();
    new.workflow_base = adopted.workflow.name().to_owned();
    new.complexity = complexity;
    new.priority = body.priority.unwrap_or_default();
    new.implementation_agent = body.implementation_agent;
    let version = NewSpecVersion {
        documents: SpecDocuments {
            requirements: adopted.requirements,
            design: adopted.design,
            tasks: adopted.tasks,
        },
        planner: format!("adopted from {folder}"),
        usage: serde_json::json!([]),
        lint,
        questions: Vec::new(),
        consistency: Vec::new(),
    };
    let mut task = state.store.adopt_spec(new, version).await?;
    if let Some(comments) = approval {
        let review = NewSpecReview {
            decision: ReviewDecision::Approve,
            comments,
            line_comments: Vec::new(),
            reviewer: caller.signature(),
        };
        task = state.store.review_spec(&task, review).await?.0.value;
    }
    Ok((StatusCode::CREATED, Json(task_dto(&state, &task).await?)))
}
