//! The SpecTask: one user request against one repository, through its whole lifecycle.

use serde::{Deserialize, Serialize};

use crate::ids::{RepositoryId, ShortId, SpecTaskId, slugify};
use crate::lifecycle::SpecTaskState;
use crate::{Timestamp, named_enum};

/// What kind of work a SpecTask is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Planning → human gate → implementation (the default).
    #[default]
    Spec,
    /// No planning; one long-lived session that spawns work as asked.
    Interactive,
    /// One focused session, no plan.
    CodingSession,
}
named_enum!(TaskKind, "task kind", {
    Spec => "spec",
    Interactive => "interactive",
    CodingSession => "coding_session",
});

impl TaskKind {
    /// Whether the kind goes through planning and the spec gate.
    pub fn has_planning(self) -> bool {
        matches!(self, TaskKind::Spec)
    }
}

/// How a spec task's approved plan is implemented: the person's expectation when creating it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    /// One work session implements the whole plan.
    Simple,
    /// One work session per plan task, in parallel as the plan's dependencies allow (the default).
    #[default]
    Complex,
}
named_enum!(Complexity, "complexity", {
    Simple => "simple",
    Complex => "complex",
});

impl Complexity {
    /// The name of the one work session implementing a simple task's whole plan.
    pub const WHOLE_PLAN_SESSION: &'static str = "Implement the whole plan";
}

/// Scheduling priority: higher runs first when slots are scarce.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}
named_enum!(Priority, "priority", {
    Low => "low",
    Normal => "normal",
    High => "high",
    Urgent => "urgent",
});

impl Priority {
    /// The rank stored in the database, so that `ORDER BY priority DESC` schedules correctly.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

/// The phase a SpecTask is in. Changed only through [`crate::lifecycle`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpecTaskStatus {
    Backlog,
    SpecGeneration,
    SpecReview,
    SpecRevision,
    SpecApproved,
    ImplementationQueued,
    Implementation,
    ImplementationReview,
    /// Approved and handed off as a pull request on the repository's forge: done when the forge
    /// says it merged.
    PullRequest,
    Done,
    Rejected,
    Cancelled,
    Failed,
}
named_enum!(SpecTaskStatus, "spec task status", {
    Backlog => "backlog",
    SpecGeneration => "spec_generation",
    SpecReview => "spec_review",
    SpecRevision => "spec_revision",
    SpecApproved => "spec_approved",
    ImplementationQueued => "implementation_queued",
    Implementation => "implementation",
    ImplementationReview => "implementation_review",
    PullRequest => "pull_request",
    Done => "done",
    Rejected => "rejected",
    Cancelled => "cancelled",
    Failed => "failed",
});

impl SpecTaskStatus {
    /// No person's command leaves a terminal status; only a done task's merge, failing for good,
    /// makes it `failed` (`SpecTaskCommand::FailMerge`).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Rejected | Self::Cancelled)
    }
}

/// A SpecTask as stored. Its lifecycle state is only ever replaced by a transition's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpecTask {
    pub id: SpecTaskId,
    pub short_id: ShortId,
    pub slug: String,
    pub title: String,
    pub prompt: String,
    pub kind: TaskKind,
    pub complexity: Complexity,
    pub state: SpecTaskState,
    pub repository_id: RepositoryId,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    /// The workflow template its spec follows: `feature`, `design-first`, `bugfix`, or a
    /// repository's own (`.spectask/templates/<name>.toml`).
    pub workflow: String,
    /// The built-in workflow `workflow` is or builds on (`feature`, `design-first`, `bugfix`,
    /// `review`): what names the spec's documents.
    pub workflow_base: String,
    /// What a `review` task reviews: a branch, or a commit range `A..B`.
    pub review_target: Option<String>,
    pub priority: Priority,
    /// The newest spec version (0 before the first one is generated).
    pub spec_version: u32,
    /// Who asked for it; WIP limits per user count by this.
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    /// Optimistic-concurrency version: every write checks and bumps it.
    pub version: i64,
}

impl SpecTask {
    /// `<short id>-<slug>`: the name of the task's spec folder, branch and worktree.
    pub fn handle(&self) -> String {
        format!("{}-{}", self.short_id, self.slug)
    }

    pub fn status(&self) -> SpecTaskStatus {
        self.state.status()
    }

    /// Whether the task is implemented by one session for its whole plan (a simple spec task).
    pub fn implements_whole_plan(&self) -> bool {
        self.kind == TaskKind::Spec && self.complexity == Complexity::Simple
    }

    /// Whether `session` is the one implementing this task's whole plan (not one spawned beside
    /// it, nor a follow-up of the implementation review).
    pub fn is_whole_plan_session(&self, session: &crate::WorkSession) -> bool {
        self.whole_plan_session(session.plan_task.is_some(), session.parent_id.is_some(), &session.name)
    }

    /// [`Self::is_whole_plan_session`], of where the session stands.
    pub fn is_whole_plan_standing(&self, session: &crate::WorkSessionStanding) -> bool {
        self.whole_plan_session(session.plan_task_index.is_some(), session.parent_id.is_some(), &session.name)
    }

    /// The rule of both: a top-level session on no plan task, named as the whole plan's.
    fn whole_plan_session(&self, on_plan_task: bool, has_parent: bool, name: &str) -> bool {
        self.implements_whole_plan() && !on_plan_task && !has_parent && name == Complexity::WHOLE_PLAN_SESSION
    }
}

/// What a caller supplies to create a SpecTask; the store adds id, timestamps and state.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSpecTask {
    pub title: String,
    pub prompt: String,
    pub kind: TaskKind,
    pub complexity: Complexity,
    pub repository_id: RepositoryId,
    pub planning_agent: Option<String>,
    pub implementation_agent: Option<String>,
    /// The workflow template's name ([`DEFAULT_WORKFLOW`] unless a person chose one).
    pub workflow: String,
    /// The built-in workflow it is or builds on.
    pub workflow_base: String,
    /// What a `review` task reviews: a branch, or a commit range `A..B` (`None` for other workflows).
    pub review_target: Option<String>,
    pub priority: Priority,
    pub created_by: String,
}

/// The workflow a task follows unless a person chooses another: requirements first.
pub const DEFAULT_WORKFLOW: &str = "feature";

/// The workflow of a task that reviews code instead of changing it: its planning step runs the
/// review, and it ends at `done` once the report is committed.
pub const REVIEW_WORKFLOW: &str = "review";

impl NewSpecTask {
    /// A task of `kind` on the repository with the configured default agents and normal priority;
    /// callers set what differs.
    pub fn new(
        kind: TaskKind,
        repository_id: RepositoryId,
        title: impl Into<String>,
        prompt: impl Into<String>,
        created_by: impl Into<String>,
    ) -> NewSpecTask {
        NewSpecTask {
            title: title.into(),
            prompt: prompt.into(),
            kind,
            complexity: Complexity::default(),
            repository_id,
            planning_agent: None,
            implementation_agent: None,
            workflow: DEFAULT_WORKFLOW.to_owned(),
            workflow_base: DEFAULT_WORKFLOW.to_owned(),
            review_target: None,
            priority: Priority::Normal,
            created_by: created_by.into(),
        }
    }

    /// Builds the SpecTask in `backlog` from the generated id and the current time.
    pub fn into_spec_task(self, id: SpecTaskId, now: Timestamp) -> SpecTask {
        SpecTask {
            id,
            short_id: ShortId::of(id),
            slug: slugify(&self.title),
            title: self.title,
            prompt: self.prompt,
            kind: self.kind,
            complexity: self.complexity,
            state: SpecTaskState::backlog(),
            repository_id: self.repository_id,
            planning_agent: self.planning_agent,
            implementation_agent: self.implementation_agent,
            workflow: self.workflow,
            workflow_base: self.workflow_base,
            review_target: self.review_target,
            priority: self.priority,
            spec_version: 0,
            created_by: self.created_by,
            created_at: now,
            updated_at: now,
            started_at: None,
            completed_at: None,
            version: 1,
        }
    }
}

/// A title from the prompt's first non-empty line, cut at a word boundary to at most 72 characters.
pub fn derive_title(prompt: &str) -> String {
    const MAX: usize = 72;
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() <= MAX {
        return line.to_owned();
    }
    let mut title = String::new();
    for word in line.split_whitespace() {
        let extra = word.chars().count() + usize::from(!title.is_empty());
        if title.chars().count() + extra > MAX {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        title = line.chars().take(MAX).collect();
    }
    title
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_title_uses_first_non_empty_line() {
        assert_eq!(derive_title("\n\n  Add JWT auth  \nmore"), "Add JWT auth");
    }

    #[test]
    fn derive_title_cuts_long_lines_at_a_word() {
        let prompt = "word ".repeat(40);
        let title = derive_title(&prompt);
        assert!(title.chars().count() <= 72);
        assert!(title.ends_with("word"));
    }

    #[test]
    fn status_names_round_trip_and_unknown_names_list_the_choices() {
        for status in SpecTaskStatus::ALL {
            assert_eq!(status.as_str().parse::<SpecTaskStatus>().unwrap(), *status);
        }
        let err = "finished".parse::<SpecTaskStatus>().unwrap_err();
        assert!(err.to_string().contains("expected one of: backlog, spec_generation"));
    }

    #[test]
    fn complexity_defaults_to_complex_and_names_its_choices() {
        assert_eq!(Complexity::default(), Complexity::Complex);
        let err = "medium".parse::<Complexity>().unwrap_err();
        assert!(err.to_string().contains("expected one of: simple, complex"), "{err}");
    }

    #[test]
    fn priority_rank_orders_like_the_enum() {
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), Some(*p));
        }
        assert!(Priority::Urgent.rank() > Priority::Low.rank());
    }
}
