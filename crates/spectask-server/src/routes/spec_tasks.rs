//! SpecTasks: create from a prompt, list, show, cancel.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use spectask_core::{
    Complexity, NewSpecTask, Repository, SpecTask, SpecTaskCommand, SpecTaskId, SpecTaskStatus, derive_title,
};
use spectask_store::{Prerequisites, SpecTaskFilter};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use spectask_orchestrator::{MAX_PROMPT_BYTES, views};

use crate::dto::{AttentionDto, CreateSpecTask, ListSpecTasks, PageDto, SetPrerequisites, SpecTaskDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::TaskPath;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_spec_tasks))
        .routes(routes!(create_spec_task))
        .routes(routes!(get_spec_task))
        .routes(routes!(cancel_spec_task))
        .routes(routes!(set_prerequisites))
}

/// Create a SpecTask from a prompt against a git repository (registered on first use); it starts
/// in `backlog`.
#[utoipa::path(post, path = "/spec-tasks/from-prompt", tag = "spec-tasks",
    request_body = CreateSpecTask,
    responses((status = 201, description = "The task, in backlog", body = SpecTaskDto)))]
async fn create_spec_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateSpecTask>,
) -> Result<(StatusCode, Json<SpecTaskDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(create(&state, &caller, body).await?)))
}

/// A new SpecTask in backlog, the caller's (also `POST /tasks`).
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    body: CreateSpecTask,
) -> Result<SpecTaskDto, ApiError> {
    // Refused before anything is registered.
    checked_prompt(&body.prompt)?;
    owner(caller, body.created_by.clone())?;
    let repository = register_repository(state, caller, &body.repo).await?;
    create_in(state, caller, repository, body).await
}

/// [`create`] in `repository`, registered already (`body.repo` is not read).
pub(crate) async fn create_in(
    state: &AppState,
    caller: &Caller,
    repository: Repository,
    body: CreateSpecTask,
) -> Result<SpecTaskDto, ApiError> {
    let body = crate::routes::demo::with_sample_defaults(state, &repository, body)?;
    let created_by = owner(caller, body.created_by)?;
    let prompt = checked_prompt(&body.prompt)?;
    let title = match body.title.as_deref().map(str::trim) {
        Some("") => return Err(ApiError::bad_request("invalid_title", "title is empty")),
        Some(title) => title.to_owned(),
        None => derive_title(prompt),
    };
    let prerequisites = Prerequisites {
        tasks: resolve_all(state, caller, body.depends_on.as_deref().unwrap_or_default()).await?,
        hold_before: body.hold_before.unwrap_or_default(),
    };
    let budget = body.budget.as_ref().map(crate::dto::BudgetBody::budget).transpose()?;
    let complexity = body.complexity.unwrap_or_default();
    let (workflow, workflow_base) = match body.workflow {
        None => (spectask_core::DEFAULT_WORKFLOW.to_owned(), spectask_core::DEFAULT_WORKFLOW.to_owned()),
        Some(name) => {
            let template = crate::routes::workflows::checked(state, &repository, &name).await?;
            check_complexity(&template, complexity)?;
            (name, template.base.name().to_owned())
        }
    };
    let kind = body.kind.unwrap_or_default();
    let review_target =
        crate::routes::review_report::checked_target(state, &repository, &workflow, kind, body.review_target)
            .await?;
    // Planning spends too: nothing new starts while a daily budget of its repository or user holds.
    let repository_id = repository.id.to_string();
    let hold = spectask_orchestrator::daily_hold(&state.store, &state.budgets, &repository_id, &created_by);
    if let Some(hold) = hold.await? {
        return Err(ApiError::conflict(
            "budget_reached",
            format!("{}: raise it ({}) first", hold.why, hold.raise),
        ));
    }
    let new = NewSpecTask {
        title,
        prompt: prompt.to_owned(),
        kind,
        complexity,
        repository_id: repository.id,
        planning_agent: body.planning_agent,
        implementation_agent: body.implementation_agent,
        workflow,
        workflow_base,
        review_target,
        priority: body.priority.unwrap_or_default(),
        created_by,
    };
    let task = state.store.create_spec_task_after(new, &prerequisites, budget.as_ref()).await?;
    task_dto(state, &task).await
}

/// A bugfix (or a template on it) runs the test reproducing the bug as a session of its own, to show
/// it failing before the fix: one session for the whole plan cannot.
pub(crate) fn check_complexity(
    template: &spectask_spec::Template,
    complexity: Complexity,
) -> Result<(), ApiError> {
    if template.base == spectask_spec::Workflow::Bugfix && complexity == Complexity::Simple {
        return Err(ApiError::bad_request(
            "invalid_complexity",
            format!(
                "the {} workflow runs the test reproducing the bug as a session of its own, and shows it \
                 failing before the fix: complexity `simple` (one session for the whole plan) cannot; \
                 leave complexity out",
                template.name
            ),
        ));
    }
    Ok(())
}

/// The owner of a new task: the caller; only the open server's local user may name another
/// (scripts did).
fn owner(caller: &Caller, requested: Option<String>) -> Result<String, ApiError> {
    match requested {
        Some(name) if caller.sees_all => Ok(name),
        // Acting as someone else is a matter of permission: 403.
        Some(name) if name != caller.name => Err(ApiError::forbidden(
            "invalid_created_by",
            format!("created_by {name:?} is not you ({}); leave it out", caller.name),
        )),
        _ => Ok(caller.name.clone()),
    }
}

/// The tasks `references` name among the caller's (another user's is not found, as an unknown id).
pub(crate) async fn resolve_all(
    state: &AppState,
    caller: &Caller,
    references: &[String],
) -> Result<Vec<SpecTaskId>, ApiError> {
    let mut ids = Vec::with_capacity(references.len());
    for reference in references {
        // A reference that cannot name a task names none: 404, as one that names nobody's.
        let id = match state.store.resolve_spec_task_of(reference, caller.owner_filter()).await {
            Err(spectask_store::StoreError::InvalidReference { .. }) => {
                return Err(ApiError::not_found(format!("no spec task matches {reference:?}")));
            }
            id => id?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Replace a SpecTask's prerequisites: it starts (its implementation, or its planning with
/// `hold_before = planning`) only once every one is done. Refused once its implementation has
/// started, and when they would make a cycle (409).
#[utoipa::path(put, path = "/spec-tasks/{id}/prerequisites", tag = "spec-tasks", params(TaskPath),
    request_body = SetPrerequisites,
    responses((status = 200, description = "The task with its prerequisites", body = SpecTaskDto)))]
async fn set_prerequisites(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
    ApiJson(body): ApiJson<SetPrerequisites>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let wanted = Prerequisites {
        tasks: resolve_all(&state, &caller, &body.depends_on).await?,
        hold_before: body.hold_before.unwrap_or_default(),
    };
    state.store.set_prerequisites(task.id, &wanted, &caller.name).await?;
    let task = state.store.spec_task(task.id).await?;
    task_dto(&state, &task).await.map(Json)
}

/// The prompt without surrounding whitespace, if it is not empty and not over the limit.
pub(crate) fn checked_prompt(prompt: &str) -> Result<&str, ApiError> {
    let prompt = prompt.trim();
    if prompt.is_empty() {
        return Err(ApiError::bad_request("invalid_prompt", "prompt is empty"));
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "prompt_too_large",
            format!("prompt is {} bytes; the limit is {MAX_PROMPT_BYTES}", prompt.len()),
        ));
    }
    Ok(prompt)
}

/// The repository a new task names: by id or URL, one registered already; by path, registered
/// on first use (design-docs branch and worktree; idempotent), as `POST /repos` would.
pub(crate) async fn register_repository(
    state: &AppState,
    caller: &Caller,
    reference: &str,
) -> Result<Repository, ApiError> {
    use crate::repositories::resolve::{Reference, registered};
    match Reference::parse(reference)? {
        Reference::Path(_) => {
            let wanted = crate::routes::repos::RegistrationRequest::default();
            Ok(crate::routes::repos::register(state, caller, reference, &wanted).await?.repository)
        }
        Reference::Id(_) | Reference::Url(_) => registered(state, caller, reference).await,
    }
}

/// SpecTasks, newest first, one page at a time.
#[utoipa::path(get, path = "/spec-tasks", tag = "spec-tasks", params(ListSpecTasks),
    responses((status = 200, description = "One page of tasks", body = PageDto<SpecTaskDto>)))]
async fn list_spec_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListSpecTasks>,
) -> Result<Json<PageDto<SpecTaskDto>>, ApiError> {
    page(&state, &caller, query).await.map(Json)
}

/// One page of the caller's SpecTasks (also `GET /tasks`), in a constant number of queries (their
/// usage in two, whatever the page's size).
pub(crate) async fn page(
    state: &AppState,
    caller: &Caller,
    query: ListSpecTasks,
) -> Result<PageDto<SpecTaskDto>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(str::parse::<SpecTaskStatus>)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit {limit} is not between 1 and 500"),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request("invalid_query", format!("offset {offset} is negative")));
    }
    let repository_id = match query.repo.as_deref() {
        Some(repo) => Some(find_repository(state, caller, repo).await?.id),
        None => None,
    };
    let created_by = caller.owner_filter().map(str::to_owned);
    let filter = SpecTaskFilter { status, repository_id, created_by, limit, offset };
    // A constant number of queries per page: the tasks with why the waiting ones wait, their
    // count and the repositories.
    let page = state.store.list_spec_tasks_waiting(&filter).await?;
    let repositories: HashMap<_, _> =
        state.store.list_repositories().await?.into_iter().map(|r| (r.id, r)).collect();
    let ids: Vec<_> = page.items.iter().map(|(task, _)| task.id).collect();
    let mut standings = state.store.budget_standings(&ids, &state.budgets.task).await?;
    let tasks: Vec<SpecTask> = page.items.iter().map(|(task, _)| task.clone()).collect();
    let (attention, sessions) = views::attention::attention_and_sessions(&state.store, &tasks).await?;
    let mut attention = attention_by_task(&attention);
    let mut plans = views::progress::plan_standings(&state.store, &tasks, sessions).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for (task, queue_reason) in page.items {
        let repository = repositories.get(&task.repository_id).ok_or_else(|| {
            ApiError::not_found(format!("repository {} of task {}", task.repository_id, task.id))
        })?;
        let standing = standings
            .remove(&task.id)
            .ok_or_else(|| ApiError::not_found(format!("the budget of task {}", task.id)))?;
        let mut dto = SpecTaskDto::new(&task, repository, (&standing).into());
        // Why a task waits shows in the list too, not only in `show` (a task that ended while it
        // waited keeps its last reason in the row).
        let waits = matches!(
            task.status(),
            SpecTaskStatus::Backlog | SpecTaskStatus::SpecRevision | SpecTaskStatus::ImplementationQueued
        );
        dto.queue_reason = queue_reason.filter(|_| waits);
        dto.usage = (&standing.spent).into();
        dto.attention = attention.remove(&task.id).unwrap_or_default();
        dto.plan = plans.remove(&task.id).unwrap_or_default().into();
        items.push(dto);
    }
    Ok(PageDto { items, total: page.total, limit: page.limit, offset: page.offset })
}

/// A registered repository the caller uses, by id, URL or path.
async fn find_repository(state: &AppState, caller: &Caller, repo: &str) -> Result<Repository, ApiError> {
    crate::repositories::resolve::registered(state, caller, repo).await
}

/// One SpecTask.
#[utoipa::path(get, path = "/spec-tasks/{id}", tag = "spec-tasks", params(TaskPath),
    responses((status = 200, description = "The task", body = SpecTaskDto)))]
async fn get_spec_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    task_dto(&state, &task).await.map(Json)
}

/// Cancel a SpecTask: its agents stop; branches and worktrees stay.
#[utoipa::path(post, path = "/spec-tasks/{id}/cancel", tag = "spec-tasks", params(TaskPath),
    responses((status = 200, description = "The cancelled task", body = SpecTaskDto)))]
async fn cancel_spec_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<SpecTaskDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let applied = state.store.apply_to_spec_task(task.id, &SpecTaskCommand::Cancel).await?;
    task_dto(&state, &applied.value).await.map(Json)
}

/// The SpecTask a reference names among the caller's: another user's is not found (404, as an
/// unknown id), never shown.
pub(crate) async fn load(state: &AppState, caller: &Caller, reference: &str) -> Result<SpecTask, ApiError> {
    let id: SpecTaskId = state.store.resolve_spec_task_of(reference, caller.owner_filter()).await?;
    Ok(state.store.spec_task(id).await?)
}

/// The wire form of one task, with its repository and why it waits (if it does). Its reads do
/// not depend on each other: they are made at once, so the page waits for the slowest of them
/// rather than for their sum (each takes a reader of its own while the store is busy).
pub(crate) async fn task_dto(state: &AppState, task: &SpecTask) -> Result<SpecTaskDto, ApiError> {
    let store = &state.store;
    let tasks = std::slice::from_ref(task);
    let attention_and_plan = async {
        let (attention, sessions) = views::attention::attention_and_sessions(store, tasks).await?;
        let plans = views::progress::plan_standings(store, tasks, sessions).await?;
        Ok::<_, spectask_store::StoreError>((attention, plans))
    };
    let (repository, standing, (attention, plans), queue_reason, pull_request, issue, prerequisites) = tokio::try_join!(
        store.repository(task.repository_id),
        store.budget_standing(task.id, &state.budgets.task),
        attention_and_plan,
        store.queue_reason(task.id),
        store.pull_request_of(task.id),
        store.issue_of(task.id),
        store.prerequisites(task.id),
    )?;
    let mut dto = SpecTaskDto::new(task, &repository, (&standing).into());
    dto.attention = attention.iter().map(Into::into).collect();
    dto.plan = plans.get(&task.id).copied().unwrap_or_default().into();
    dto.queue_reason = queue_reason;
    dto.pull_request = pull_request;
    dto.issue = issue;
    dto.prerequisites = Some(prerequisites.into());
    dto.usage = (&standing.spent).into();
    Ok(dto)
}

/// Attention items by their task, in the order given.
pub(crate) fn attention_by_task(
    items: &[views::attention::Attention],
) -> HashMap<SpecTaskId, Vec<AttentionDto>> {
    let mut by_task: HashMap<SpecTaskId, Vec<AttentionDto>> = HashMap::new();
    for item in items {
        by_task.entry(item.spec_task_id).or_default().push(item.into());
    }
    by_task
}
