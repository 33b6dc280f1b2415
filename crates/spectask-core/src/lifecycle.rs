//! The lifecycle state machines of SpecTasks and WorkSessions (PRODUCT.md §3).
//!
//! Both are pure functions `(state, command) -> Result<Transition, TransitionError>`. This module is
//! the only place that decides whether a status may change; the store persists a transition's `to`
//! state and nothing else can produce one.

use serde::Serialize;

use crate::ids::WorkSessionId;
use crate::named_enum;
use crate::session::work_session::WorkSessionStatus;
use crate::task::spec_task::{SpecTaskStatus, TaskKind};

#[cfg(test)]
mod tests;

/// The result of a legal command: the new state and what must happen because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition<S, E> {
    pub to: S,
    pub effects: Vec<E>,
}

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {command} {entity}: it is {status}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Illegal { entity: &'static str, command: &'static str, status: &'static str, hint: Option<&'static str> },
    #[error("stored {entity} state is inconsistent: {detail}")]
    InvalidState { entity: &'static str, detail: String },
}

// ---------------------------------------------------------------------------------------------
// SpecTask
// ---------------------------------------------------------------------------------------------

/// Why a SpecTask failed, and the status a retry returns it to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Failure {
    pub from: SpecTaskStatus,
    pub reason: String,
}

/// A SpecTask's lifecycle state. `failure` is present exactly when the status is `failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecTaskState {
    status: SpecTaskStatus,
    failure: Option<Failure>,
}

impl SpecTaskState {
    pub fn backlog() -> Self {
        Self::at(SpecTaskStatus::Backlog)
    }

    fn at(status: SpecTaskStatus) -> Self {
        Self { status, failure: None }
    }

    /// Rebuilds a stored state, refusing combinations no transition can produce.
    pub fn from_parts(status: SpecTaskStatus, failure: Option<Failure>) -> Result<Self, TransitionError> {
        let invalid = |detail: String| TransitionError::InvalidState { entity: "spec task", detail };
        match (status, &failure) {
            (SpecTaskStatus::Failed, None) => Err(invalid("status failed without a reason".into())),
            (SpecTaskStatus::Failed, Some(f)) if !can_fail_from(f.from) => {
                Err(invalid(format!("failed from {}, which cannot be resumed", f.from)))
            }
            (other, Some(_)) if other != SpecTaskStatus::Failed => {
                Err(invalid(format!("status {other} with a failure reason")))
            }
            _ => Ok(Self { status, failure }),
        }
    }

    pub fn status(&self) -> SpecTaskStatus {
        self.status
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// Applies `command` to a task of `kind` in this state.
    pub fn apply(
        &self,
        kind: TaskKind,
        command: &SpecTaskCommand,
    ) -> Result<Transition<SpecTaskState, SpecTaskEffect>, TransitionError> {
        use SpecTaskCommand as C;
        use SpecTaskEffect as E;
        use SpecTaskStatus as S;

        let illegal = |hint: Option<&'static str>| TransitionError::Illegal {
            entity: "spec task",
            command: command.verb(),
            status: self.status.as_str(),
            hint,
        };
        let go = |to: S, effects: Vec<E>| Ok(Transition { to: Self::at(to), effects });

        match (self.status, command) {
            // A done task's merge runs after approval; when it fails for good the task shows it,
            // and a retry merges again.
            (S::Done, C::FailMerge { reason }) => Ok(Transition {
                to: Self {
                    status: S::Failed,
                    failure: Some(Failure { from: S::Done, reason: reason.clone() }),
                },
                effects: vec![],
            }),
            (_, C::FailMerge { .. }) => Err(illegal(Some("only a done task's merge can fail"))),
            // The default branch moved after the approval and merging it conflicts: the task's
            // agent resolves it, and the person reviews the result again.
            (S::Done, C::ResolveConflicts) => go(S::ImplementationQueued, vec![]),
            (s, _) if s.is_terminal() => Err(illegal(Some("it is finished"))),

            (S::Backlog, C::StartSpecGeneration) if !kind.has_planning() => {
                Err(illegal(Some("this kind of task has no planning phase")))
            }
            (S::Backlog | S::SpecRevision, C::StartSpecGeneration) => {
                go(S::SpecGeneration, vec![E::RunPlanner])
            }
            (S::SpecGeneration, C::SubmitSpec) => go(S::SpecReview, vec![]),
            // A review task's report is committed: nothing to approve, implement or merge.
            (S::SpecGeneration, C::FinishReview) => go(S::Done, vec![E::StopAgents]),
            (S::SpecReview, C::RequestChanges) => go(S::SpecRevision, vec![]),
            (S::SpecReview, C::Approve) => go(S::SpecApproved, vec![E::CommitSpecHandoff]),
            (S::SpecReview, C::Reject) => go(S::Rejected, vec![E::StopAgents]),

            (S::Backlog, C::QueueImplementation) if kind.has_planning() => {
                Err(illegal(Some("a spec task needs an approved spec first")))
            }
            (S::Backlog | S::SpecApproved, C::QueueImplementation) => go(S::ImplementationQueued, vec![]),
            (S::ImplementationQueued, C::StartImplementation) => {
                go(S::Implementation, vec![E::StartImplementation])
            }
            (S::Implementation, C::SubmitImplementation) => {
                go(S::ImplementationReview, vec![E::SummarizeImplementation])
            }
            (S::ImplementationReview, C::ApproveImplementation) => {
                go(S::Done, vec![E::MergeTaskBranch, E::WriteImplementationComplete, E::StopAgents])
            }
            // Approved where the repository hands off through its forge.
            (S::ImplementationReview, C::OpenPullRequest) => {
                go(S::PullRequest, vec![E::OpenPullRequest, E::StopAgents])
            }
            (S::PullRequest, C::PullRequestMerged) => {
                go(S::Done, vec![E::TakeUpMerge, E::WriteImplementationComplete, E::StopAgents])
            }
            // A reviewer on the forge asked for changes: the agent addresses them (through admission).
            (S::PullRequest, C::PullRequestChangesRequested) => go(S::ImplementationQueued, vec![]),
            // Closed unmerged by someone on the forge: the person decides again.
            (S::PullRequest, C::PullRequestClosed) => go(S::ImplementationReview, vec![]),
            // Back through admission, like any task taking a WIP slot; the StartImplementation
            // step makes the session addressing the comments.
            (S::ImplementationReview, C::RequestImplementationChanges) => go(S::ImplementationQueued, vec![]),
            // A converge round: the plan tasks a person approved are a new spec version, handed off
            // like the first, then implemented in sessions of their own.
            (S::ImplementationReview, C::Converge) if kind.has_planning() => {
                go(S::SpecApproved, vec![E::CommitSpecHandoff])
            }
            // The default branch moved and merging it conflicts: the task's agent resolves it in a
            // session of its own before the person reviews (through admission, likewise).
            (S::ImplementationReview, C::ResolveConflicts) => go(S::ImplementationQueued, vec![]),

            (S::Failed, C::Fail { .. }) => Err(illegal(Some("it has already failed"))),
            (from, C::Fail { reason }) => Ok(Transition {
                to: Self { status: S::Failed, failure: Some(Failure { from, reason: reason.clone() }) },
                effects: vec![E::StopAgents],
            }),
            (S::Failed, C::Retry) => {
                let from =
                    self.failure.as_ref().map(|f| f.from).ok_or_else(|| TransitionError::InvalidState {
                        entity: "spec task",
                        detail: "status failed without a reason".into(),
                    })?;
                go(from, retry_effects(from))
            }
            (_, C::Cancel) => go(S::Cancelled, vec![E::StopAgents]),

            _ => Err(illegal(None)),
        }
    }
}

/// Whether a task can fail in this status: every non-terminal, non-failed status, and `done`,
/// whose merge may fail.
fn can_fail_from(status: SpecTaskStatus) -> bool {
    status == SpecTaskStatus::Done || (!status.is_terminal() && status != SpecTaskStatus::Failed)
}

/// What a retry must redo when it returns a failed task to `status`: what the status's work left
/// undone, and for a done task whose merge failed, the merge and what follows it.
fn retry_effects(status: SpecTaskStatus) -> Vec<SpecTaskEffect> {
    match status {
        SpecTaskStatus::Done => {
            vec![SpecTaskEffect::MergeTaskBranch, SpecTaskEffect::WriteImplementationComplete]
        }
        other => resume_effects(other),
    }
}

/// What a retry must redo when it returns a task to `status`; also what a task rebuilt from git in
/// `status` must redo, since nothing of its work in flight survived.
pub fn resume_effects(status: SpecTaskStatus) -> Vec<SpecTaskEffect> {
    use SpecTaskEffect as E;
    use SpecTaskStatus as S;
    match status {
        S::SpecGeneration => vec![E::RunPlanner],
        S::SpecApproved => vec![E::CommitSpecHandoff],
        S::Implementation => vec![E::ResumeImplementation],
        S::ImplementationReview => vec![E::SummarizeImplementation],
        S::PullRequest => vec![E::OpenPullRequest],
        _ => vec![],
    }
}

/// Everything that can be asked of a SpecTask's lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum SpecTaskCommand {
    /// Backlog (spec kind) or spec_revision → spec_generation.
    StartSpecGeneration,
    /// The planner produced a spec version: spec_generation → spec_review.
    SubmitSpec,
    /// A review task's report is committed: spec_generation → done.
    FinishReview,
    RequestChanges,
    Approve,
    Reject,
    /// spec_approved → implementation_queued; backlog → implementation_queued for kinds without planning.
    QueueImplementation,
    StartImplementation,
    /// Every work session completed: implementation → implementation_review.
    SubmitImplementation,
    ApproveImplementation,
    RequestImplementationChanges,
    /// A converge round's plan tasks, approved into a new spec version: implementation_review →
    /// spec_approved, whose hand-off queues their implementation.
    Converge,
    /// The implementation is approved where the repository's merge policy is a pull request:
    /// implementation_review → pull_request.
    OpenPullRequest,
    /// The forge says the task's pull request merged: pull_request → done.
    PullRequestMerged,
    /// The task's pull request was closed without merging: pull_request → implementation_review.
    PullRequestClosed,
    /// A reviewer asked for changes on the task's pull request: pull_request →
    /// implementation_queued, for a session addressing them.
    PullRequestChangesRequested,
    /// Merging the default branch into the task branch conflicts: implementation_review (before the
    /// review) or done (at the merge after approval) → implementation_queued, for a session
    /// resolving it.
    ResolveConflicts,
    Fail {
        reason: String,
    },
    /// The merge of a done task failed for good: done → failed, and a retry merges again.
    FailMerge {
        reason: String,
    },
    Retry,
    Cancel,
}

impl SpecTaskCommand {
    /// The verb used in messages: "cannot {verb} spec task".
    pub fn verb(&self) -> &'static str {
        match self {
            Self::StartSpecGeneration => "start spec generation for",
            Self::SubmitSpec => "submit a spec for",
            Self::FinishReview => "finish the review of",
            Self::RequestChanges => "request spec changes on",
            Self::Approve => "approve the spec of",
            Self::Reject => "reject",
            Self::QueueImplementation => "queue implementation of",
            Self::StartImplementation => "start implementation of",
            Self::SubmitImplementation => "submit the implementation of",
            Self::ApproveImplementation => "approve the implementation of",
            Self::RequestImplementationChanges => "request implementation changes on",
            Self::Converge => "converge",
            Self::ResolveConflicts => "send merge conflicts back to",
            Self::OpenPullRequest => "open a pull request for",
            Self::PullRequestMerged => "record the merged pull request of",
            Self::PullRequestClosed => "record the closed pull request of",
            Self::PullRequestChangesRequested => "send the pull request's review back to",
            Self::Fail { .. } => "fail",
            Self::FailMerge { .. } => "fail the merge of",
            Self::Retry => "retry",
            Self::Cancel => "cancel",
        }
    }
}

/// What the orchestrator must do because of a SpecTask transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecTaskEffect {
    RunPlanner,
    CommitSpecHandoff,
    StartImplementation,
    ResumeImplementation,
    SummarizeImplementation,
    MergeTaskBranch,
    /// Opens (or finds) the task's pull request on the repository's forge.
    OpenPullRequest,
    /// The forge merged the task's pull request: the clone takes up the remote's default branch.
    TakeUpMerge,
    WriteImplementationComplete,
    StopAgents,
}
named_enum!(SpecTaskEffect, "spec task effect", {
    RunPlanner => "run_planner",
    CommitSpecHandoff => "commit_spec_handoff",
    StartImplementation => "start_implementation",
    ResumeImplementation => "resume_implementation",
    SummarizeImplementation => "summarize_implementation",
    MergeTaskBranch => "merge_task_branch",
    OpenPullRequest => "open_pull_request",
    TakeUpMerge => "take_up_merge",
    WriteImplementationComplete => "write_implementation_complete",
    StopAgents => "stop_agents",
});

// ---------------------------------------------------------------------------------------------
// WorkSession
// ---------------------------------------------------------------------------------------------

/// How the reason of an interruption a person asked for (a pause) begins; see
/// [`WorkSessionState::is_paused`].
pub const PAUSED_BY: &str = "paused by ";

/// A WorkSession's lifecycle state, with the detail some statuses carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum WorkSessionState {
    Pending,
    Blocked { waiting_on: Vec<WorkSessionId> },
    Running,
    Completed,
    Failed { reason: String },
    Cancelled,
    Interrupted { reason: String },
}

impl WorkSessionState {
    pub fn status(&self) -> WorkSessionStatus {
        match self {
            Self::Pending => WorkSessionStatus::Pending,
            Self::Blocked { .. } => WorkSessionStatus::Blocked,
            Self::Running => WorkSessionStatus::Running,
            Self::Completed => WorkSessionStatus::Completed,
            Self::Failed { .. } => WorkSessionStatus::Failed,
            Self::Cancelled => WorkSessionStatus::Cancelled,
            Self::Interrupted { .. } => WorkSessionStatus::Interrupted,
        }
    }

    pub fn is_terminal(&self) -> bool {
        self.status().is_terminal()
    }

    /// Interrupted because a person paused it: it waits for a person to resume it.
    pub fn is_paused(&self) -> bool {
        matches!(self, Self::Interrupted { reason } if reason.starts_with(PAUSED_BY))
    }

    /// Paused because a budget that holds its task was reached: it goes on by itself once no
    /// budget holds the task (a person raised it, or a new day began for a daily budget).
    pub fn is_paused_by_budget(&self) -> bool {
        matches!(self, Self::Interrupted { reason }
            if reason.strip_prefix(PAUSED_BY).is_some_and(|r| r.starts_with(crate::BUDGET_PAUSE)
                && r[crate::BUDGET_PAUSE.len()..].starts_with(':')))
    }

    /// Applies `command` to a work session in this state.
    pub fn apply(
        &self,
        command: &WorkSessionCommand,
    ) -> Result<Transition<WorkSessionState, WorkSessionEffect>, TransitionError> {
        use WorkSessionCommand as C;
        use WorkSessionEffect as E;
        use WorkSessionState as S;

        let illegal = |hint: Option<&'static str>| TransitionError::Illegal {
            entity: "work session",
            command: command.verb(),
            status: self.status().as_str(),
            hint,
        };
        let go = |to: S, effects: Vec<E>| Ok(Transition { to, effects });

        match (self, command) {
            (s, _) if s.is_terminal() => Err(illegal(Some("it is finished"))),
            (S::Pending | S::Blocked { .. }, C::Block { waiting_on }) => {
                if waiting_on.is_empty() {
                    Err(illegal(Some("blocking needs at least one session to wait on")))
                } else {
                    go(S::Blocked { waiting_on: waiting_on.clone() }, vec![])
                }
            }
            (S::Blocked { .. }, C::Unblock) => go(S::Pending, vec![]),
            (S::Pending, C::Start) => go(S::Running, vec![E::StartThread]),
            (S::Running, C::Complete) => go(S::Completed, vec![E::CommitChanges]),
            (S::Running, C::Interrupt { reason }) => go(S::Interrupted { reason: reason.clone() }, vec![]),
            (S::Interrupted { .. }, C::Resume) => go(S::Running, vec![E::ResumeThread]),
            (S::Failed { .. }, C::Fail { .. }) => Err(illegal(Some("it has already failed"))),
            // A running session's turn is cancelled by its driving step when the session ends.
            (S::Running | S::Pending | S::Blocked { .. } | S::Interrupted { .. }, C::Fail { reason }) => {
                go(S::Failed { reason: reason.clone() }, vec![])
            }
            (S::Failed { .. }, C::Retry) => go(S::Pending, vec![]),
            (_, C::Cancel) => go(S::Cancelled, vec![]),
            _ => Err(illegal(None)),
        }
    }
}

/// Everything that can be asked of a WorkSession's lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum WorkSessionCommand {
    Block {
        waiting_on: Vec<WorkSessionId>,
    },
    Unblock,
    Start,
    Complete,
    Fail {
        reason: String,
    },
    /// Its agent process died or the server stopped while it ran.
    Interrupt {
        reason: String,
    },
    Resume,
    Retry,
    Cancel,
}

impl WorkSessionCommand {
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Block { .. } => "block",
            Self::Unblock => "unblock",
            Self::Start => "start",
            Self::Complete => "complete",
            Self::Fail { .. } => "fail",
            Self::Interrupt { .. } => "interrupt",
            Self::Resume => "resume",
            Self::Retry => "retry",
            Self::Cancel => "cancel",
        }
    }
}

/// What the agent runtime must do because of a WorkSession transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkSessionEffect {
    StartThread,
    ResumeThread,
    CommitChanges,
}
named_enum!(WorkSessionEffect, "work session effect", {
    StartThread => "start_thread",
    ResumeThread => "resume_thread",
    CommitChanges => "commit_changes",
});
