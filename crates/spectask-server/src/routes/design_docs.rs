//! A task's documents as the design-docs branch holds them: progress.md, design.md and the current
//! plan task, every file of `specs/<task>/` and `sessions/<task>/` with the commit they were read at,
//! and `specs/<task>/` as a tar.gz download.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use spectask_core::SpecTask;
use spectask_git::{GitError, Repo, SpecFile, TaskHandle, sessions_dir, spec_dir, spec_path};
use spectask_orchestrator::{Opening, views};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{DesignDocFileDto, DesignDocsDto, DesignDocsFilesDto};
use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_design_docs))
        .routes(routes!(get_design_docs_files))
        .routes(routes!(download_documents))
}

/// The task's registered repository and its `<task>` name.
pub(crate) async fn task_repo(state: &AppState, task: &SpecTask) -> Result<(Repo, TaskHandle), ApiError> {
    let repository = state.store.repository(task.repository_id).await?;
    let name =
        TaskHandle::new(task.handle()).map_err(|e| ApiError::bad_request("invalid_task", e.to_string()))?;
    // A database recovered on another machine names repositories git here does not know yet; a
    // repository registered by URL on another node is read from this node's clone.
    let clones_dir = state.clones_dir.clone();
    let repo = tokio::task::spawn_blocking(move || {
        spectask_orchestrator::local_repo(&repository, clones_dir.as_deref(), Opening::Open)
    })
    .await??;
    Ok((repo, name))
}

/// progress.md and design.md as the design-docs branch holds them, and the current plan task.
#[utoipa::path(get, path = "/spec-tasks/{id}/design-docs", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The documents", body = DesignDocsDto)))]
async fn get_design_docs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<DesignDocsDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let (repo, name) = task_repo(&state, &task).await?;
    let (progress, design) = tokio::task::spawn_blocking(move || {
        let read = |file| -> Result<Option<String>, GitError> {
            Ok(repo
                .read_design_doc(&spec_path(&name, file))?
                .map(|b| String::from_utf8_lossy(&b).into_owned()))
        };
        Ok::<_, GitError>((read(SpecFile::Progress)?, read(SpecFile::Design)?))
    })
    .await??;
    // The current plan task by the one progress rule, not progress.md's markers: those are written
    // a moment after the sessions' states change.
    let sessions = state.store.work_session_standings_of(task.id).await?;
    let plan = views::progress::task_progress(&state.store, &task, &sessions).await?;
    let current = plan.current_or_next();
    Ok(Json(DesignDocsDto {
        spec_task_id: task.id,
        current_task_index: current.map(|t| t.index),
        current_task_id: current.and_then(|t| t.id.clone()),
        progress_md: progress,
        design_md: design,
    }))
}

/// Text files up to this size are shown in full; larger ones only by path and size.
const SHOWN_BYTES: usize = 256 * 1024;

/// The task's files on the design-docs branch (`specs/<task>/`, then `sessions/<task>/`), all read
/// at one commit, with their text: what "View specs in git" shows.
#[utoipa::path(get, path = "/spec-tasks/{id}/design-docs/files", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The files", body = DesignDocsFilesDto)))]
async fn get_design_docs_files(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<DesignDocsFilesDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let (repo, name) = task_repo(&state, &task).await?;
    let branch = repo.design_docs_branch().to_owned();
    let read_branch = branch.clone();
    let (commit, files) = tokio::task::spawn_blocking(move || {
        let Some(tip) = repo.branch_tip(&read_branch)? else { return Ok((None, Vec::new())) };
        let mut files = Vec::new();
        for dir in [spec_dir(&name), sessions_dir(&name)] {
            for path in repo.list_design_doc_files(&dir)? {
                // Listed at the tip now, read at `tip`: a file added since is left for the next read.
                let Some(bytes) = repo.read_file_at(tip, &path)? else { continue };
                let content =
                    (bytes.len() <= SHOWN_BYTES).then(|| String::from_utf8(bytes.clone()).ok()).flatten();
                files.push(DesignDocFileDto { path, bytes: bytes.len(), content });
            }
        }
        Ok::<_, GitError>((Some(tip.to_string()), files))
    })
    .await??;
    Ok(Json(DesignDocsFilesDto { spec_task_id: task.id, branch, commit, files }))
}

/// `specs/<task>/` of the design-docs branch as a tar.gz.
#[utoipa::path(get, path = "/spec-tasks/{id}/download-documents", tag = "specs", params(TaskPath),
    responses((status = 200, description = "The spec folder", content_type = "application/gzip",
        body = Vec<u8>)))]
async fn download_documents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Response, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let (repo, name) = task_repo(&state, &task).await?;
    let archive_name = name.clone();
    let archive = tokio::task::spawn_blocking(move || repo.spec_archive(&archive_name)).await??;
    let Some(bytes) = archive else {
        return Err(ApiError::not_found(format!(
            "task {} has no documents on the design-docs branch yet",
            task.handle()
        )));
    };
    let disposition = format!("attachment; filename=\"{name}-specs.tar.gz\"");
    Ok(([(CONTENT_TYPE, "application/gzip".to_owned()), (CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
