//! The implementation review in one response: the task branch's diff against its base and its
//! commits (from git), each acceptance criterion with what implements it (from the approved spec,
//! the sessions and the commits' trailers), and the repository check's results (the
//! `work_session.check` events).

use axum::Json;
use axum::extract::State;
use spectask_core::{Event, EventKind, SpecTask, WorkSession, WorkSessionId};
use spectask_git::{BranchReview, CommitInfo, DiffLimits, FileChange, FileDiff, LineKind};
use spectask_spec::{Plan, parse_requirements};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    CheckResultDto, CriterionReviewDto, DiffLineDto, DiffLineKind, FileChangeDto, FileDiffDto, HunkDto,
    ImplementationReviewDto, ReviewCommitDto, ReviewPlanTaskDto, SessionReviewDto, TrailerDto,
};
use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::design_docs::task_repo;
use crate::routes::spec_tasks::load;
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_implementation_review))
}

/// Everything the implementation review shows: the branch's diff and commits against its base,
/// the acceptance criteria with the plan tasks, sessions and commits implementing each, and every
/// session's check results.
#[utoipa::path(get, path = "/spec-tasks/{id}/implementation-review", tag = "work-sessions",
    params(TaskPath),
    responses((status = 200, description = "The review", body = ImplementationReviewDto)))]
async fn get_implementation_review(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ImplementationReviewDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    let repository = state.store.repository(task.repository_id).await?;
    let (repo, handle) = task_repo(&state, &task).await?;
    let branch = handle.branch();
    let spec_task = task.id.to_string();
    let git = tokio::task::spawn_blocking(move || {
        repo.task_branch_review(&handle, &spec_task, DiffLimits::default())
    })
    .await??;
    let sessions = state.store.work_sessions_of(task.id).await?;
    let checks = state.store.events_of_spec_task_kind(task.id, EventKind::WorkSessionCheck).await?;
    let commits: Vec<ReviewCommitDto> = git
        .as_ref()
        .map(|g| g.commits.iter().map(|c| commit_dto(c, &sessions)).collect())
        .unwrap_or_default();
    let mut details = state.store.work_session_details(task.id).await?;
    let session_views = sessions
        .iter()
        .map(|session| {
            let summary = details.remove(&session.id).and_then(|(_, s)| s).filter(|s| !s.trim().is_empty());
            session_dto(session, summary, &commits, &checks)
        })
        .collect();
    let criteria = match task.spec_version {
        0 => Vec::new(),
        version => {
            let spec = state.store.spec_version(task.id, Some(version)).await?.documents;
            criteria(&task, (&spec.requirements, &spec.tasks), &sessions, &commits)
        }
    };
    let summary = spectask_orchestrator::implementation_summary(&state.store, &task).await?;
    Ok(Json(review_dto(
        &task,
        (branch, repository.default_branch),
        git,
        commits,
        criteria,
        session_views,
        summary,
    )))
}

fn review_dto(
    task: &SpecTask,
    (branch, base_branch): (String, String),
    git: Option<BranchReview>,
    commits: Vec<ReviewCommitDto>,
    criteria: Vec<CriterionReviewDto>,
    sessions: Vec<SessionReviewDto>,
    summary: String,
) -> ImplementationReviewDto {
    let (base_commit, head_commit, merged, files, files_left_out) = match git {
        Some(g) => (
            Some(g.base.to_string()),
            Some(g.head.to_string()),
            g.merged,
            g.files.into_iter().map(file_dto).collect(),
            g.files_left_out,
        ),
        None => (None, None, false, Vec::new(), 0),
    };
    ImplementationReviewDto {
        spec_task_id: task.id,
        status: task.status(),
        branch,
        base_branch,
        base_commit,
        head_commit,
        merged,
        commits,
        files,
        files_left_out,
        criteria,
        sessions,
        summary,
    }
}

fn trailer<'a>(commit: &'a CommitInfo, key: &str) -> Option<&'a str> {
    commit.trailers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn commit_dto(commit: &CommitInfo, sessions: &[WorkSession]) -> ReviewCommitDto {
    let work_session_id = trailer(commit, "Work-Session")
        .and_then(|v| v.parse::<WorkSessionId>().ok())
        .filter(|id| sessions.iter().any(|s| s.id == *id));
    let implements = trailer(commit, "Implements")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    ReviewCommitDto {
        id: commit.id.to_string(),
        subject: commit.message.lines().next().unwrap_or_default().to_owned(),
        message: commit.message.clone(),
        trailers: commit
            .trailers
            .iter()
            .map(|(key, value)| TrailerDto { key: key.clone(), value: value.clone() })
            .collect(),
        work_session_id,
        implements,
    }
}

fn file_dto(file: FileDiff) -> FileDiffDto {
    let change = match file.change {
        FileChange::Added => FileChangeDto::Added,
        FileChange::Modified => FileChangeDto::Modified,
        FileChange::Deleted => FileChangeDto::Deleted,
    };
    let hunks = file
        .hunks
        .into_iter()
        .map(|h| HunkDto {
            header: h.header,
            old_start: h.old_start,
            old_lines: h.old_lines,
            new_start: h.new_start,
            new_lines: h.new_lines,
            lines: h
                .lines
                .into_iter()
                .map(|l| DiffLineDto {
                    kind: match l.kind {
                        LineKind::Context => DiffLineKind::Context,
                        LineKind::Added => DiffLineKind::Added,
                        LineKind::Removed => DiffLineKind::Removed,
                    },
                    old_line: l.old_line,
                    new_line: l.new_line,
                    text: l.text,
                })
                .collect(),
        })
        .collect();
    FileDiffDto {
        path: file.path,
        old_path: file.old_path,
        change,
        binary: file.binary,
        additions: file.additions,
        deletions: file.deletions,
        hunks,
        truncated: file.truncated,
    }
}

fn session_dto(
    session: &WorkSession,
    summary: Option<String>,
    commits: &[ReviewCommitDto],
    checks: &[Event],
) -> SessionReviewDto {
    SessionReviewDto {
        id: session.id,
        name: session.name.clone(),
        status: session.status(),
        plan_task_index: session.plan_task.as_ref().map(|p| p.index),
        summary,
        commits: commits
            .iter()
            .filter(|c| c.work_session_id == Some(session.id))
            .map(|c| c.id.clone())
            .collect(),
        checks: checks.iter().filter(|e| e.work_session_id == Some(session.id)).map(check_dto).collect(),
    }
}

fn check_dto(event: &Event) -> CheckResultDto {
    let p = &event.payload;
    let text = |key: &str| p[key].as_str().unwrap_or_default().to_owned();
    let number = |key: &str| p[key].as_u64().and_then(|n| u32::try_from(n).ok());
    CheckResultDto {
        at: event.at,
        command: text("command"),
        passed: p["passed"].as_bool().unwrap_or(false),
        outcome: text("outcome"),
        exit_code: number("exit_code"),
        timed_out: p["timed_out"].as_bool().unwrap_or(false),
        output: text("output"),
        round: number("round").unwrap_or(1),
        rounds: number("rounds").unwrap_or(1),
    }
}

/// Each acceptance criterion with the plan tasks naming it (or its requirement), their sessions
/// (a simple task's one session for the whole plan implements every plan task), and the commits
/// implementing it: named in `Implements`, or made by one of those sessions.
fn criteria(
    task: &SpecTask,
    (requirements, tasks): (&str, &str),
    sessions: &[WorkSession],
    commits: &[ReviewCommitDto],
) -> Vec<CriterionReviewDto> {
    let plan = Plan::parse(tasks);
    let mut out = Vec::new();
    for requirement in parse_requirements(requirements).requirements {
        for criterion in &requirement.criteria {
            let names = |id: &String| *id == criterion.id || *id == requirement.id;
            let plan_tasks: Vec<ReviewPlanTaskDto> = plan
                .tasks()
                .iter()
                .filter(|t| t.requirements.iter().any(names))
                .map(|t| ReviewPlanTaskDto { index: t.index, id: t.id.clone(), title: t.title.clone() })
                .collect();
            let work_session_ids: Vec<WorkSessionId> = sessions
                .iter()
                .filter(|s| match &s.plan_task {
                    Some(p) => plan_tasks.iter().any(|t| t.index == p.index as usize),
                    None => !plan_tasks.is_empty() && task.is_whole_plan_session(s),
                })
                .map(|s| s.id)
                .collect();
            let commits = commits
                .iter()
                .filter(|c| {
                    c.implements.iter().any(names)
                        || c.work_session_id.is_some_and(|s| work_session_ids.contains(&s))
                })
                .map(|c| c.id.clone())
                .collect();
            out.push(CriterionReviewDto {
                id: criterion.id.clone(),
                requirement_id: requirement.id.clone(),
                requirement_title: requirement.title.clone(),
                text: criterion.text.clone(),
                plan_tasks,
                work_session_ids,
                commits,
            });
        }
    }
    out
}
