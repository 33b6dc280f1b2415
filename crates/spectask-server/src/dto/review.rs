//! `GET /spec-tasks/{id}/implementation-review`: everything a reviewer reads before merging, in one
//! response — the branch's diff against its base, its commits with their trailers, each acceptance
//! criterion with the plan tasks, sessions and commits implementing it, and the checks' results.

use serde::Serialize;
use spectask_core::{SpecTaskId, SpecTaskStatus, Timestamp, WorkSessionId, WorkSessionStatus};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImplementationReviewDto {
    pub spec_task_id: SpecTaskId,
    pub status: SpecTaskStatus,
    /// The task's branch, `spectask/<handle>`.
    pub branch: String,
    /// The repository's default branch, which the task merges into.
    pub base_branch: String,
    /// The diff's two ends; both absent while the branch does not exist yet.
    pub base_commit: Option<String>,
    pub head_commit: Option<String>,
    /// The default branch contains the task's commits.
    pub merged: bool,
    /// The commits after the base, oldest first.
    pub commits: Vec<ReviewCommitDto>,
    pub files: Vec<FileDiffDto>,
    /// Changed files not listed (past the response's bound).
    pub files_left_out: usize,
    /// Every acceptance criterion of the approved spec, in document order (empty without a spec).
    pub criteria: Vec<CriterionReviewDto>,
    pub sessions: Vec<SessionReviewDto>,
    /// A bugfix's evidence: its reproduction test failing before the fix, the check passing after.
    pub reproduction: Option<ReproductionDto>,
    /// The implementation summary (markdown), with the files two sessions both changed.
    pub summary: String,
    /// The converge pass: what was not built as the spec says, and the plan tasks proposed for it.
    pub convergence: ConvergenceDto,
}

/// A converge pass over the implementation, and the task's rounds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConvergenceDto {
    /// Rounds approved so far.
    pub rounds: u32,
    /// Rounds a task may have (`[orchestrator] converge_rounds`).
    pub max_rounds: u32,
    /// A pass found nothing, recorded in the coordination log, and no changes were asked since.
    pub converged: bool,
    pub gaps: Vec<ConvergeGapDto>,
    /// The plan tasks `POST converge` would append to the plan, in order.
    pub proposed: Vec<ProposedPlanTaskDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConvergeGapDto {
    pub kind: ConvergeGapKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConvergeGapKind {
    PlanTaskNotDone,
    FailingCheck,
    CriterionWithoutCommit,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedPlanTaskDto {
    pub title: String,
    pub details: Vec<String>,
    /// The criterion or requirement ids it implements.
    pub requirements: Vec<String>,
}

/// `POST /spec-tasks/{id}/converge`: what approving the pass did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConvergedDto {
    /// The pass found nothing: the convergence is recorded, the task stays in review.
    pub converged: bool,
    /// The round approved (none when converged).
    pub round: Option<u32>,
    /// The plan tasks added to the new spec version, `<id> <title>`.
    pub added: Vec<String>,
    pub task: super::SpecTaskDto,
}

/// A bugfix's reproduction test failing before the fix, and the check passing after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReproductionDto {
    /// The session that wrote the test, and its check failing on it.
    pub before_session_id: WorkSessionId,
    pub before: CheckResultDto,
    /// The last check passing after it, and its session; absent while the bug is not fixed.
    pub after_session_id: Option<WorkSessionId>,
    pub after: Option<CheckResultDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCommitDto {
    pub id: String,
    /// The message's first line.
    pub subject: String,
    pub message: String,
    pub trailers: Vec<TrailerDto>,
    /// The session its `Work-Session` trailer names, when that is one of the task's.
    pub work_session_id: Option<WorkSessionId>,
    /// The criterion or requirement ids of its `Implements` trailer.
    pub implements: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrailerDto {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeDto {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileDiffDto {
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    pub change: FileChangeDto,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
    pub hunks: Vec<HunkDto>,
    /// Lines past the response's bound were left out.
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HunkDto {
    /// `@@ -old_start,old_lines +new_start,new_lines @@ …`
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLineDto>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffLineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffLineDto {
    pub kind: DiffLineKind,
    pub old_line: Option<u32>,
    pub new_line: Option<u32>,
    pub text: String,
}

/// One acceptance criterion and what implements it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionReviewDto {
    /// `2.3`.
    pub id: String,
    pub requirement_id: String,
    pub requirement_title: Option<String>,
    pub text: String,
    /// The plan tasks naming it (or its requirement).
    pub plan_tasks: Vec<ReviewPlanTaskDto>,
    /// The sessions of those plan tasks.
    pub work_session_ids: Vec<WorkSessionId>,
    /// Commits naming it (or its requirement) in `Implements`, or made by those sessions.
    pub commits: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPlanTaskDto {
    /// Position in the plan, 0-based.
    pub index: usize,
    pub id: Option<String>,
    pub title: String,
}

/// One work session: its outcome, commits and the repository check's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionReviewDto {
    pub id: WorkSessionId,
    pub name: String,
    pub status: WorkSessionStatus,
    /// The plan task's position, when it implements one.
    pub plan_task_index: Option<u32>,
    pub summary: Option<String>,
    pub commits: Vec<String>,
    /// Every check after a turn that claimed completion, oldest first.
    pub checks: Vec<CheckResultDto>,
}

/// One run of the repository's check command (a `work_session.check` event).
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResultDto {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub command: String,
    pub passed: bool,
    /// `passed`, `reproduced` (a bugfix's reproduction test failed, as it must), `sent_back` (the
    /// result went back to the agent) or `failed` (no round left).
    pub outcome: String,
    /// A bugfix's reproduction check, which must fail.
    pub expects_failure: bool,
    pub exit_code: Option<u32>,
    pub timed_out: bool,
    /// The output's end, bounded.
    pub output: String,
    pub round: u32,
    pub rounds: u32,
}
