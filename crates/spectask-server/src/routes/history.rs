//! Session history: record an entry (durable at once, committed to git by the recorder, announced
//! on the live stream), read a work session's history, and force the recorder to commit a task's
//! pending history (and state) now.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::HistoryFile;
use spectask_orchestrator::JobError;
use spectask_store::NewHistoryEntry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    CommitProgressDto, HistoryCommitDto, HistoryEntryDto, HistoryQuery, RecordHistory, SessionHistoryDto,
};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{SessionPath, TaskPath};
use crate::routes::spec_tasks::load;
use crate::routes::work_sessions::load_session;
use crate::{ApiError, AppState, Caller};

/// Largest history entry accepted, in bytes.
const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// History entries in a page, by default and at most.
const DEFAULT_PAGE: i64 = 500;
const MAX_PAGE: i64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_history))
        .routes(routes!(record_history))
        .routes(routes!(commit_progress))
}

/// A page of a work session's recorded history (conversation, code changes, decisions, activity),
/// oldest first; `next_after` continues it.
#[utoipa::path(get, path = "/work-sessions/{id}/history", tag = "history", params(SessionPath, HistoryQuery),
    responses((status = 200, description = "A page of the history", body = SessionHistoryDto)))]
async fn get_history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<SessionHistoryDto>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        let message = format!("limit {limit} is not between 1 and {MAX_PAGE}");
        return Err(ApiError::bad_request("invalid_limit", message));
    }
    let file = query.file.as_deref().map(history_file).transpose()?;
    let session = load_session(&state, &caller, &id).await?;
    // One more than asked says whether another page follows.
    let mut entries = state.store.history_page(session.id, query.after.unwrap_or(0), limit + 1, file).await?;
    let more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Json(SessionHistoryDto {
        work_session_id: session.id,
        spec_task_id: session.spec_task_id,
        next_after: entries.last().filter(|_| more).map(|e| e.seq),
        entries: entries.iter().map(HistoryEntryDto::from).collect(),
    }))
}

/// A per-session history file by name.
fn history_file(name: &str) -> Result<HistoryFile, ApiError> {
    name.parse().ok().filter(|f: &HistoryFile| f.is_per_session()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_file",
            format!(
                "history file {name:?} is not one of conversation, code_changes, decisions, activity_log"
            ),
        )
    })
}

/// Record an entry of a work session's history (durable at once, committed to git in batches).
#[utoipa::path(post, path = "/work-sessions/{id}/record-history", tag = "history", params(SessionPath),
    request_body = RecordHistory,
    responses((status = 201, description = "The entry", body = HistoryEntryDto)))]
async fn record_history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(SessionPath { id }): ApiPath<SessionPath>,
    ApiJson(body): ApiJson<RecordHistory>,
) -> Result<(StatusCode, Json<HistoryEntryDto>), ApiError> {
    let file = history_file(&body.file)?;
    if body.content.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_content", "history content is empty"));
    }
    if body.content.len() > MAX_ENTRY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "content_too_large",
            format!("history content is {} bytes; the limit is {MAX_ENTRY_BYTES}", body.content.len()),
        ));
    }
    let session = load_session(&state, &caller, &id).await?;
    let entry = NewHistoryEntry {
        spec_task_id: session.spec_task_id,
        work_session_id: Some(session.id),
        file,
        content: body.content,
    };
    let seq = state.store.append_history(std::slice::from_ref(&entry)).await?;
    // A transcript on screen is read again; the entry is recorded whether this is told or not.
    let told = state
        .store
        .publish_event(
            Some(session.spec_task_id),
            Some(session.id),
            &spectask_core::events::payload::WorkSessionHistory { entries: 1 },
        )
        .await;
    if let Err(err) = told {
        tracing::warn!(%err, session = %session.id, "cannot announce a recorded history entry");
    }
    let after = seq.first().map_or(0, |seq| seq - 1);
    let recorded = state.store.history_page(session.id, after, 1, None).await?;
    let entry = recorded
        .first()
        .filter(|e| seq.first() == Some(&e.seq))
        .ok_or_else(|| ApiError::not_found(format!("history entry {seq:?} of work session {id}")))?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

/// Commit the task's pending history and state to the design-docs branch now.
#[utoipa::path(post, path = "/spec-tasks/{id}/commit-progress", tag = "history", params(TaskPath),
    responses((status = 200, description = "What was committed", body = CommitProgressDto)))]
async fn commit_progress(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<CommitProgressDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let report = spectask_orchestrator::commit_progress(&state.store, &state.here(), task.id)
        .await
        .map_err(flush_error)?;
    let pending =
        state.store.history_of_task(task.id).await?.iter().filter(|e| e.committed_at.is_none()).count();
    let commits = report
        .commits
        .into_iter()
        .map(|c| HistoryCommitDto { commit: c.commit, entries: c.seqs.len(), seqs: c.seqs, tasks: c.tasks })
        .collect();
    Ok(Json(CommitProgressDto { spec_task_id: task.id, commits, reconciled: report.reconciled, pending }))
}

fn flush_error(err: JobError) -> ApiError {
    match err {
        JobError::Fatal { reason, .. } => ApiError::new(StatusCode::CONFLICT, "needs_attention", reason),
        JobError::Retry { reason, .. } | JobError::Wait { reason, .. } => {
            tracing::warn!(%reason, "committing history on request failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "history could not be committed now; try again",
            )
        }
        JobError::Interrupted => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the server is shutting down")
        }
    }
}
