//! `POST /editor/threads`: a new thread in an editor becomes a work session (and its older form,
//! `POST /zed-threads/create-session`).

use std::path::PathBuf;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_agent::McpServerSpec;
use spectask_core::{EditorMcpServer, WorkSessionId};
use spectask_orchestrator::{EditorThreadError, EditorThreadRequest, open_editor_thread};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{CreateEditorSessionBody, EditorThreadBody, EditorThreadDto};
use crate::extract::ApiJson;
use crate::routes::spec_tasks::{load, task_dto};
use crate::routes::work_sessions::{load_session, session_dto};
use crate::{ApiError, AppState, Caller};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_thread)).routes(routes!(create_zed_session))
}

/// A new thread in an editor: its work session, in the named task, the task whose worktree holds
/// `cwd`, or a new interactive task for the registered repository holding `cwd`. The session gets
/// no prompt from spectask; the editor's prompts reach it as messages. The editor's MCP servers
/// reach its agent beside spectask's coordination server.
#[utoipa::path(post, path = "/editor/threads", tag = "editor", request_body = EditorThreadBody,
    responses((status = 201, description = "The thread's work session and task", body = EditorThreadDto)))]
async fn open_thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EditorThreadBody>,
) -> Result<(StatusCode, Json<EditorThreadDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(open(&state, &caller, body, None).await?)))
}

/// The work session of a new editor thread (also `POST /editor/events` and
/// `POST /zed-threads/create-session`), spawned from `parent` when one is given.
pub(super) async fn open(
    state: &AppState,
    caller: &Caller,
    body: EditorThreadBody,
    parent: Option<WorkSessionId>,
) -> Result<EditorThreadDto, ApiError> {
    let cwd = std::path::PathBuf::from(body.cwd.trim());
    if !cwd.is_absolute() {
        return Err(ApiError::bad_request(
            "invalid_cwd",
            format!("cwd {:?} is not an absolute path", body.cwd),
        ));
    }
    // Resolved and admitted before anything else: a directory of someone else's repository is
    // answered as one outside every repository.
    let repository = crate::repositories::resolve::holding(state, caller, &cwd).await?;
    let task = match body.task.as_deref() {
        Some(reference) => Some(load(state, caller, reference).await?.id),
        None => None,
    };
    if let Some(profile) = &body.agent_profile {
        state
            .profiles
            .get(profile)
            .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "unknown_agent", e.to_string()))?;
    }
    let client = body.client.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or("editor");
    let tools = editor_tools(body.mcp_servers)?;
    let request = EditorThreadRequest {
        cwd,
        repository,
        task,
        agent_profile: body.agent_profile,
        client: client.chars().take(40).collect(),
        created_by: caller.name.clone(),
        owner: caller.owner_filter().map(str::to_owned),
        parent,
    };
    let (task, session) = open_editor_thread(&state.store, request).await.map_err(|err| match err {
        EditorThreadError::Store(err) => ApiError::from(err),
        EditorThreadError::OtherRepository { .. } => {
            ApiError::new(StatusCode::CONFLICT, "task_of_other_repository", err.to_string())
        }
        // A directory that is not there (or not readable): as for anything named that is not there.
        EditorThreadError::BadCwd { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "invalid_cwd", err.to_string())
        }
        EditorThreadError::TaskNotOpen { .. } => {
            ApiError::new(StatusCode::CONFLICT, "task_not_open", err.to_string())
        }
    })?;
    // The thread's agent runs on the node holding the task's lease, as every editor turn does: this
    // node takes it when it is free, so the thread opens where its editor is connected, and keeps the
    // editor's servers for it. Held by another node, the thread is opened there and the editor's
    // turns, relayed to it, bring their servers.
    let holder = state.store.take_task_lease(task.id, &state.node, state.task_lease).await?;
    if holder.is_none() {
        state.runtime.editor_turns().set_tools(session.id, tools);
    }
    Ok(EditorThreadDto {
        spec_task: task_dto(state, &task).await?,
        work_session: session_dto(state, &session).await?,
    })
}

/// An editor thread becomes a work session of the given task (or the task whose worktree holds
/// `cwd`, or a new interactive task), spawned from `parent_session` when given.
#[utoipa::path(post, path = "/zed-threads/create-session", tag = "editor", request_body = CreateEditorSessionBody,
    responses((status = 201, description = "The session and its task", body = EditorThreadDto)))]
async fn create_zed_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateEditorSessionBody>,
) -> Result<(StatusCode, Json<EditorThreadDto>), ApiError> {
    let parent = match body.parent_session.as_deref() {
        Some(parent) => Some(load_session(&state, &caller, parent).await?),
        None => None,
    };
    let task = match (body.spec_task.as_deref(), &parent) {
        (Some(reference), _) => Some(load(&state, &caller, reference).await?),
        (None, Some(parent)) => Some(state.store.spec_task(parent.spec_task_id).await?),
        (None, None) => None,
    };
    if let (Some(task), Some(parent)) = (&task, &parent)
        && parent.spec_task_id != task.id
    {
        return Err(ApiError::bad_request(
            "invalid_parent",
            format!("work session {} is not part of task {}", parent.name, task.handle()),
        ));
    }
    let request = EditorThreadBody {
        cwd: body.cwd,
        task: task.map(|t| t.id.to_string()),
        agent_profile: body.agent_profile,
        client: Some(body.client.unwrap_or_else(|| "zed".into())),
        mcp_servers: Vec::new(),
    };
    let opened = open(&state, &caller, request, parent.map(|p| p.id)).await?;
    Ok((StatusCode::CREATED, Json(opened)))
}

/// The stdio MCP servers an editor gives a thread's agent, each with a name and an absolute command.
pub(super) fn editor_tools(servers: Vec<EditorMcpServer>) -> Result<Vec<McpServerSpec>, ApiError> {
    if let Some(server) =
        servers.iter().find(|s| s.name.trim().is_empty() || !PathBuf::from(&s.command).is_absolute())
    {
        return Err(ApiError::bad_request(
            "invalid_mcp_server",
            format!("MCP server {:?}: a stdio server needs a name and an absolute command path", server.name),
        ));
    }
    let spec = |s: EditorMcpServer| McpServerSpec {
        name: s.name,
        command: s.command.into(),
        args: s.args,
        env: s.env.into_iter().collect(),
    };
    Ok(servers.into_iter().map(spec).collect())
}
