//! SpecTasks on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{
    Complexity, HoldBefore, Priority, Repository, RepositoryId, SpecTask, SpecTaskId, SpecTaskStatus,
    TaskKind, Timestamp,
};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/v1/spec-tasks/from-prompt`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpecTask {
    /// What to do: not blank.
    #[schema(pattern = r"\S")]
    pub prompt: String,
    /// The repository: its id or URL (registered already), or the absolute path of a git
    /// repository on the server's machine (registered on first use; a member's only under the
    /// directories the operator allows).
    #[schema(
        pattern = r"^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*|/[^\x00-\x1f\x7f]*)\s*$"
    )]
    pub repo: String,
    /// Not blank; the prompt's first line when left out.
    #[schema(pattern = r"\S")]
    pub title: Option<String>,
    pub kind: Option<TaskKind>,
    /// How a spec task's plan is implemented (default `complex`: a session per plan task).
    pub complexity: Option<Complexity>,
    pub priority: Option<Priority>,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    pub created_by: Option<String>,
    /// Tasks this one waits for (ids, abbreviated ids or handles of your tasks): it starts only
    /// once every one of them is done.
    #[schema(max_items = 50)]
    pub depends_on: Option<Vec<String>>,
    /// The phase `depends_on` holds the task before (default `implementation`: it is planned
    /// meanwhile).
    pub hold_before: Option<HoldBefore>,
    /// The task's budget; left out: the configuration's default (`[budget]`).
    pub budget: Option<super::BudgetBody>,
    /// The workflow template its spec follows: `feature` (the default), `design-first`, `bugfix`,
    /// or one of the repository's own (`GET /repos/{id}/workflows`).
    #[schema(pattern = r"^[a-z][a-z0-9-]{0,39}$")]
    pub workflow: Option<String>,
    /// For the `review` workflow (and only for it): what to review, a branch of the repository or
    /// a commit range `A..B`.
    #[schema(pattern = r"^[A-Za-z0-9_+][A-Za-z0-9_./+-]*$", max_length = 401)]
    pub review_target: Option<String>,
}

/// `PUT /api/v1/spec-tasks/{id}/prerequisites` body: the task's prerequisites, replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPrerequisites {
    /// Tasks this one waits for (ids, abbreviated ids or handles of your tasks); empty: none.
    #[schema(max_items = 50)]
    pub depends_on: Vec<String>,
    /// The phase they hold the task before (default `implementation`).
    pub hold_before: Option<HoldBefore>,
}

/// A task's prerequisites: what it waits for before `hold_before`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrerequisitesDto {
    pub hold_before: HoldBefore,
    pub tasks: Vec<PrerequisiteDto>,
}

/// One task another waits for.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrerequisiteDto {
    pub id: SpecTaskId,
    pub short_id: String,
    pub title: String,
    pub status: SpecTaskStatus,
}

impl From<spectask_store::PrerequisitesView> for PrerequisitesDto {
    fn from(view: spectask_store::PrerequisitesView) -> Self {
        let tasks = view
            .tasks
            .into_iter()
            .map(|p| PrerequisiteDto {
                id: p.id,
                short_id: p.id.short().to_string(),
                title: p.title,
                status: p.status,
            })
            .collect();
        PrerequisitesDto { hold_before: view.hold_before, tasks }
    }
}

/// `GET /api/v1/spec-tasks` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSpecTasks {
    /// Only tasks in this status.
    #[param(value_type = Option<SpecTaskStatus>)]
    pub status: Option<String>,
    /// A repository: its id, its URL or a path inside it.
    #[param(
        pattern = r"^\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|(https?|git)://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,4})?(/[A-Za-z0-9._~%+/-]*)?|[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~%+-][A-Za-z0-9._~%+/-]*|file:///[A-Za-z0-9._~%+/-]*|/[^\x00-\x1f\x7f]*)\s*$"
    )]
    pub repo: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryRef {
    pub id: RepositoryId,
    pub path: String,
}

impl From<&Repository> for RepositoryRef {
    fn from(r: &Repository) -> Self {
        Self { id: r.id, path: r.path.display().to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureDto {
    /// The status the task failed in.
    pub from: SpecTaskStatus,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpecTaskDto {
    pub id: SpecTaskId,
    pub short_id: String,
    /// `<short id>-<slug>`: the name of the task's spec folder, branch and worktree.
    pub handle: String,
    pub title: String,
    pub prompt: String,
    pub kind: TaskKind,
    /// `simple`: one work session implements the whole plan; `complex`: one per plan task.
    pub complexity: Complexity,
    /// The workflow template its spec follows (`feature`, `design-first`, `bugfix` or the
    /// repository's own).
    pub workflow: String,
    /// The built-in workflow it is or builds on (`feature`, `design-first`, `bugfix` or `review`):
    /// what its documents are and which comes first.
    pub workflow_base: String,
    /// The file name of its spec's first document: `requirements.md`, or `bugfix.md`.
    pub requirements_file: String,
    /// What a `review` task reviews: a branch, or a commit range `A..B`.
    pub review_target: Option<String>,
    pub status: SpecTaskStatus,
    pub failure: Option<FailureDto>,
    pub repository: RepositoryRef,
    /// The task's worktree (`<repository>/.git-worktrees/<handle>`), once it exists: where its
    /// code is worked on and what an editor opens.
    pub worktree_path: Option<String>,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    pub priority: Priority,
    pub spec_version: u32,
    /// Why the task waits to start, when it does (a WIP limit).
    pub queue_reason: Option<String>,
    /// The task's pull request on its repository's forge, as last read, once it has one.
    pub pull_request: Option<spectask_core::TaskPullRequest>,
    /// The forge issue the task was imported from, when it was.
    pub issue: Option<spectask_core::TaskIssue>,
    /// What the task waits for (in the task's own view; null in listings, whose `queue_reason`
    /// says what a waiting task waits for).
    pub prerequisites: Option<PrerequisitesDto>,
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    /// Increases with every change of the task.
    pub version: i64,
    /// Tokens and cost of all the task's sessions and planner calls.
    pub usage: super::UsageDto,
    /// Where the task stands against its budget (its own, else the configuration's default).
    pub budget: super::BudgetDto,
    /// What the task and its sessions wait for (`GET /attention` has every task's); empty when
    /// nothing does.
    pub attention: Vec<super::AttentionDto>,
    /// Where it stands in its plan, as a board's card shows it (`/progress` has the whole of it).
    pub plan: PlanStandingDto,
}

/// Where a task stands in its plan.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PlanStandingDto {
    /// Required plan tasks done, in percent (0 without a plan).
    pub percent: u8,
    /// Plan tasks in its spec (0 without a plan).
    pub plan_tasks: usize,
    /// Its sessions running now.
    pub sessions_running: usize,
}

impl From<spectask_orchestrator::views::progress::PlanStanding> for PlanStandingDto {
    fn from(s: spectask_orchestrator::views::progress::PlanStanding) -> Self {
        Self { percent: s.percent, plan_tasks: s.plan_tasks, sessions_running: s.sessions_running }
    }
}

impl SpecTaskDto {
    /// The task's wire form with what the task row says; the callers add what other rows say.
    pub fn new(task: &SpecTask, repository: &Repository, budget: super::BudgetDto) -> Self {
        Self {
            id: task.id,
            short_id: task.short_id.to_string(),
            handle: task.handle(),
            title: task.title.clone(),
            prompt: task.prompt.clone(),
            kind: task.kind,
            complexity: task.complexity,
            workflow: task.workflow.clone(),
            workflow_base: task.workflow_base.clone(),
            requirements_file: requirements_file(&task.workflow_base).to_owned(),
            review_target: task.review_target.clone(),
            status: task.status(),
            failure: task.state.failure().map(|f| FailureDto { from: f.from, reason: f.reason.clone() }),
            repository: repository.into(),
            worktree_path: worktree_path(task, repository),
            planning_agent: task.planning_agent.clone(),
            implementation_agent: task.implementation_agent.clone(),
            priority: task.priority,
            spec_version: task.spec_version,
            queue_reason: None,
            pull_request: None,
            issue: None,
            prerequisites: None,
            created_by: task.created_by.clone(),
            created_at: task.created_at,
            updated_at: task.updated_at,
            started_at: task.started_at,
            completed_at: task.completed_at,
            version: task.version,
            usage: super::UsageDto::default(),
            budget,
            attention: Vec::new(),
            plan: PlanStandingDto::default(),
        }
    }
}

fn worktree_path(task: &SpecTask, repository: &Repository) -> Option<String> {
    let handle = spectask_git::TaskHandle::new(task.handle()).ok()?;
    let path = spectask_git::task_worktree_path(&repository.path, &handle);
    path.is_dir().then(|| path.display().to_string())
}

/// The first document's file name of a task whose workflow is or builds on `workflow_base`.
pub(crate) fn requirements_file(workflow_base: &str) -> &'static str {
    spectask_spec::Workflow::requirements_file_of(workflow_base)
}
