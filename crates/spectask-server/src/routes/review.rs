//! The implementation review in one response: the task branch's diff against its base (from git),
//! and the orchestrator's review view (`views::review`): its commits, each acceptance criterion with
//! what implements it, each session's commits and check results, and the converge pass over them
//! (`landing::converge`), which `POST converge` approves.

use axum::Json;
use axum::extract::State;
use spectask_core::SpecTask;
use spectask_git::{BranchReview, DiffLimits, FileChange, FileDiff, LineKind};
use spectask_orchestrator::landing::converge::{self, ConvergeError, ConvergeOutcome, Convergence, Gap};
use spectask_orchestrator::views;
use spectask_orchestrator::views::review::{
    CheckResult, CriterionReview, ImplementationReview, ReviewCommit, SessionReview,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::{
    CheckResultDto, ConvergeGapDto, ConvergeGapKind, ConvergedDto, ConvergenceDto, CriterionReviewDto,
    DiffLineDto, DiffLineKind, FileChangeDto, FileDiffDto, HunkDto, ImplementationReviewDto,
    ProposedPlanTaskDto, ReproductionDto, ReviewCommitDto, ReviewPlanTaskDto, SessionReviewDto, TrailerDto,
};
use crate::extract::ApiPath;
use crate::params::TaskPath;
use crate::routes::design_docs::task_repo;
use crate::routes::spec_tasks::{load, task_dto};
use crate::{ApiError, AppState, Caller};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_implementation_review)).routes(routes!(converge_task))
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
    let (branch, git, review) = review_of(&state, &task).await?;
    let pass = converge::convergence(&state.store, &task, &review, state.converge_rounds).await?;
    Ok(Json(review_dto(&task, (branch, repository.default_branch), git, review, pass)))
}

/// Approve the converge pass the implementation review shows: its proposed plan tasks are appended
/// to the plan as a new spec version, handed off and implemented in sessions of their own; when it
/// proposes nothing, the convergence is recorded in the coordination log and the task stays in
/// review. 409 when the task is not in its implementation review or has had its rounds.
#[utoipa::path(post, path = "/spec-tasks/{id}/converge", tag = "work-sessions", params(TaskPath),
    responses((status = 200, description = "What the pass did", body = ConvergedDto)))]
async fn converge_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(TaskPath { id }): ApiPath<TaskPath>,
) -> Result<Json<ConvergedDto>, ApiError> {
    let task = load(&state, &caller, &id).await?;
    task.state.apply(task.kind, &spectask_core::SpecTaskCommand::Converge)?;
    let (_, _, review) = review_of(&state, &task).await?;
    let pass = converge::convergence(&state.store, &task, &review, state.converge_rounds).await?;
    let done = converge::approve(&state.store, &task, &pass).await.map_err(|err| match err {
        ConvergeError::Store(err) => err.into(),
        err @ ConvergeError::RoundsUsed(_) => ApiError::conflict("converge_rounds_used", err.to_string()),
    })?;
    let (converged, round, added, task) = match done {
        ConvergeOutcome::Converged(task) => (true, None, Vec::new(), task),
        ConvergeOutcome::Round { task, round, added } => (false, Some(round), added, task),
    };
    Ok(Json(ConvergedDto { converged, round, added, task: task_dto(&state, &task).await? }))
}

/// The task's branch, its review from git (none before the branch exists) and the review view.
async fn review_of(
    state: &AppState,
    task: &SpecTask,
) -> Result<(String, Option<BranchReview>, ImplementationReview), ApiError> {
    let (repo, handle) = task_repo(state, task).await?;
    let branch = handle.branch();
    let spec_task = task.id.to_string();
    let git = tokio::task::spawn_blocking(move || {
        repo.task_branch_review(&handle, &spec_task, DiffLimits::default())
    })
    .await??;
    let commits = git.as_ref().map(|g| g.commits.as_slice()).unwrap_or_default();
    let review = views::review::implementation_review(&state.store, task, commits).await?;
    Ok((branch, git, review))
}

fn review_dto(
    task: &SpecTask,
    (branch, base_branch): (String, String),
    git: Option<BranchReview>,
    review: ImplementationReview,
    pass: Convergence,
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
        commits: review.commits.into_iter().map(commit_dto).collect(),
        files,
        files_left_out,
        criteria: review.criteria.into_iter().map(criterion_dto).collect(),
        sessions: review.sessions.into_iter().map(session_dto).collect(),
        reproduction: review.reproduction.map(|r| {
            let (after_session_id, after) =
                r.after.map_or((None, None), |(id, c)| (Some(id), Some(check_dto(c))));
            ReproductionDto {
                before_session_id: r.before.0,
                before: check_dto(r.before.1),
                after_session_id,
                after,
            }
        }),
        summary: review.summary,
        convergence: convergence_dto(pass),
    }
}

fn convergence_dto(pass: Convergence) -> ConvergenceDto {
    ConvergenceDto {
        rounds: pass.rounds,
        max_rounds: pass.max_rounds,
        converged: pass.converged,
        gaps: pass
            .gaps
            .iter()
            .map(|gap| ConvergeGapDto {
                kind: match gap {
                    Gap::PlanTaskNotDone { .. } => ConvergeGapKind::PlanTaskNotDone,
                    Gap::FailingCheck { .. } => ConvergeGapKind::FailingCheck,
                    Gap::CriterionWithoutCommit { .. } => ConvergeGapKind::CriterionWithoutCommit,
                },
                message: gap.to_string(),
            })
            .collect(),
        proposed: pass
            .proposed
            .into_iter()
            .map(|t| ProposedPlanTaskDto { title: t.title, details: t.details, requirements: t.requirements })
            .collect(),
    }
}

fn commit_dto(commit: ReviewCommit) -> ReviewCommitDto {
    ReviewCommitDto {
        id: commit.id,
        subject: commit.subject,
        message: commit.message,
        trailers: commit.trailers.into_iter().map(|(key, value)| TrailerDto { key, value }).collect(),
        work_session_id: commit.work_session_id,
        implements: commit.implements,
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

fn session_dto(session: SessionReview) -> SessionReviewDto {
    SessionReviewDto {
        id: session.id,
        name: session.name,
        status: session.status,
        plan_task_index: session.plan_task_index,
        summary: session.summary,
        commits: session.commits,
        checks: session.checks.into_iter().map(check_dto).collect(),
    }
}

fn check_dto(CheckResult { at, check }: CheckResult) -> CheckResultDto {
    CheckResultDto {
        at,
        command: check.command,
        passed: check.passed,
        outcome: check.outcome,
        expects_failure: check.expects_failure,
        exit_code: check.exit_code,
        timed_out: check.timed_out,
        output: check.output,
        round: check.round,
        rounds: check.rounds,
    }
}

fn criterion_dto(criterion: CriterionReview) -> CriterionReviewDto {
    CriterionReviewDto {
        id: criterion.id,
        requirement_id: criterion.requirement_id,
        requirement_title: criterion.requirement_title,
        text: criterion.text,
        plan_tasks: criterion
            .plan_tasks
            .into_iter()
            .map(|t| ReviewPlanTaskDto { index: t.index, id: t.id, title: t.title })
            .collect(),
        work_session_ids: criterion.work_session_ids,
        commits: criterion.commits,
    }
}
