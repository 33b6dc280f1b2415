//! Threads opened from an editor (`spectask acp`): which SpecTask a new editor thread belongs to, and
//! its work session. An editor thread gets no prompt from spectask: the person's prompts reach it as
//! messages, and it stays open between turns until the editor closes it. Each of those prompts is
//! a turn of the session (`drive::editor_turn`), run on the node holding the task's lease and
//! relayed to the editor.

use std::path::{Path, PathBuf};

use serde_json::json;
use spectask_core::{
    NewSpecTask, Priority, Repository, SpecTask, SpecTaskId, SpecTaskStatus, TaskKind, WorkSession,
    WorkSessionId, WorkSessionPhase,
};
use spectask_store::{EditorOpening, NewWorkSession, Store, StoreError};

/// A new thread in an editor.
#[derive(Clone, Debug)]
pub struct EditorThreadRequest {
    /// The thread's directory (absolute): a registered repository, or a task's worktree inside one.
    pub cwd: PathBuf,
    /// The registered repository holding `cwd`, resolved and admitted for the caller by the API.
    pub repository: Repository,
    /// The task to attach to, when the editor names one.
    pub task: Option<SpecTaskId>,
    /// The agent profile for a task made for this thread.
    pub agent_profile: Option<String>,
    /// The editor's name (`zed`).
    pub client: String,
    /// Who opens it (recorded as the creator of a task made for it).
    pub created_by: String,
    /// Only this user's tasks are joined by directory (`None`: anyone's).
    pub owner: Option<String>,
    /// The session this thread was spawned from (its parent), in the same task.
    pub parent: Option<WorkSessionId>,
}

#[derive(Debug, thiserror::Error)]
pub enum EditorThreadError {
    #[error("task {handle} is a task of another repository than the one holding {cwd}")]
    OtherRepository { handle: String, cwd: PathBuf },
    #[error("the thread's directory {path} cannot be read: {reason}")]
    BadCwd { path: PathBuf, reason: String },
    #[error(
        "task {handle} is {status}: editor threads open while a task is in implementation, or on an \
         interactive task that has not finished"
    )]
    TaskNotOpen { handle: String, status: SpecTaskStatus },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the work session of a new editor thread: in the given task, else in the task whose worktree
/// holds `cwd`, else in a new `interactive` task for the repository holding `cwd`.
pub async fn open_editor_thread(
    store: &Store,
    request: EditorThreadRequest,
) -> Result<(SpecTask, WorkSession), EditorThreadError> {
    let cwd = request
        .cwd
        .canonicalize()
        .map_err(|e| EditorThreadError::BadCwd { path: request.cwd.clone(), reason: e.to_string() })?;
    let opening = EditorOpening { client: request.client.clone(), cwd: cwd.display().to_string() };
    let task = match request.task {
        Some(id) => {
            let task = store.spec_task(id).await?;
            if task.repository_id != request.repository.id {
                return Err(EditorThreadError::OtherRepository { handle: task.handle(), cwd });
            }
            task
        }
        None => match task_at(store, &request.repository, &cwd, request.owner.as_deref()).await? {
            Some(task) => task,
            None => {
                let new = new_task(&request, &request.repository, &cwd);
                let made =
                    store.create_editor_task(new, |task| new_session(&request, task, &cwd, 0), &opening);
                return Ok(made.await?);
            }
        },
    };
    let open = match task.status() {
        SpecTaskStatus::Implementation => true,
        // An interactive task before its implementation starts: the sessions made now are its own
        // (implementation makes a main session only when none exists).
        SpecTaskStatus::Backlog | SpecTaskStatus::ImplementationQueued => task.kind == TaskKind::Interactive,
        _ => false,
    };
    if !open {
        return Err(EditorThreadError::TaskNotOpen { handle: task.handle(), status: task.status() });
    }
    let count = store.work_sessions_of(task.id).await?.len();
    let session = store.create_editor_session(new_session(&request, &task, &cwd, count), &opening).await?;
    // Scheduling is the engine's: a job for the task wakes it.
    store.request_advance(task.id).await?;
    Ok((task, session))
}

fn new_session(request: &EditorThreadRequest, task: &SpecTask, cwd: &Path, count: usize) -> NewWorkSession {
    NewWorkSession {
        spec_task_id: task.id,
        parent_id: request.parent,
        spawned_by_id: request.parent,
        name: format!("{} thread {}", request.client, count + 1),
        description: format!("A thread opened from {} in {}", request.client, cwd.display()),
        phase: WorkSessionPhase::Implementation,
        plan_task: None,
        agent_profile: request.agent_profile.clone(),
        agent_config: json!({}),
        priority: task.priority,
    }
}

fn new_task(request: &EditorThreadRequest, repository: &Repository, cwd: &Path) -> NewSpecTask {
    let dir = cwd.file_name().map_or_else(|| cwd.display().to_string(), |n| n.to_string_lossy().into_owned());
    NewSpecTask {
        title: format!("{} threads in {dir}", request.client),
        prompt: format!(
            "Work with the person in {} on {}: they send their requests as messages.",
            request.client,
            cwd.display()
        ),
        kind: TaskKind::Interactive,
        complexity: spectask_core::Complexity::default(),
        repository_id: repository.id,
        planning_agent: None,
        implementation_agent: request.agent_profile.clone(),
        workflow: spectask_core::DEFAULT_WORKFLOW.to_owned(),
        workflow_base: spectask_core::DEFAULT_WORKFLOW.to_owned(),
        review_target: None,
        priority: Priority::default(),
        created_by: request.created_by.clone(),
    }
}

/// The task whose worktree in `repository` holds `cwd`, when it is one of `owner`'s.
async fn task_at(
    store: &Store,
    repository: &Repository,
    cwd: &Path,
    owner: Option<&str>,
) -> Result<Option<SpecTask>, EditorThreadError> {
    let worktrees = repository.path.join(spectask_git::WORKTREES_DIR);
    let handle = cwd.strip_prefix(&worktrees).ok().and_then(|rest| rest.components().next());
    if let Some(handle) = handle.and_then(|h| h.as_os_str().to_str())
        && let Ok(id) = store.resolve_spec_task(handle).await
    {
        let task = store.spec_task(id).await?;
        if task.repository_id == repository.id && owner.is_none_or(|owner| task.created_by == owner) {
            return Ok(Some(task));
        }
    }
    Ok(None)
}
