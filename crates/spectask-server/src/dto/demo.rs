//! The offline demo's sample repositories on the wire.

use serde::{Deserialize, Serialize};
use spectask_core::{Complexity, HoldBefore, Priority};
use utoipa::ToSchema;

/// A sample repository `spectask demo` offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemoRepoDto {
    /// The name to pass as `demo_repo` (`nodejs-todo`).
    pub name: String,
    pub description: String,
    /// Languages and frameworks.
    pub stack: String,
    /// The command running the sample's own tests, when it has tests.
    pub tests: Option<String>,
    /// The prompt of the sample's demo task: its scripted agents plan and implement it offline.
    pub prompt: String,
    /// The workflow its demo task follows (`feature`, `bugfix`).
    pub workflow: String,
    /// The workflows its scripted agents follow, its demo task's first: a task on it may choose one.
    pub workflows: Vec<String>,
    /// Where its repository is (the registered repository's path once it is made).
    pub path: String,
    /// Its scripted planner and coder: a task on it uses them unless others are chosen.
    pub planning_agent: String,
    pub implementation_agent: String,
    /// The branch a review task on it reviews, for a review sample.
    pub review_target: Option<String>,
}

/// `POST /api/v1/spec-tasks/from-demo`
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFromDemo {
    /// A name from `GET /demo-repos`; its repository is created on first use.
    pub demo_repo: String,
    /// Default: the sample's demo prompt. Whatever the prompt, the sample's scripted agents plan and
    /// implement the sample's demo change.
    pub prompt: Option<String>,
    pub priority: Option<Priority>,
    /// `simple`: one session implements the whole plan; `complex` (default): one per plan task.
    pub complexity: Option<Complexity>,
    /// Tasks this one waits for (ids, abbreviated ids or handles of your tasks).
    #[schema(max_items = 50)]
    pub depends_on: Option<Vec<String>>,
    /// The phase `depends_on` holds the task before (default `implementation`).
    pub hold_before: Option<HoldBefore>,
    /// The task's budget; left out: the configuration's default (`[budget]`).
    pub budget: Option<super::BudgetBody>,
    /// One of the sample's `workflows` (default: its demo task's, the first).
    #[schema(pattern = r"^[a-z][a-z0-9-]{0,39}$")]
    pub workflow: Option<String>,
    /// Default: the sample's scripted planner.
    pub planning_agent: Option<String>,
    /// Default: the sample's scripted coder.
    pub implementation_agent: Option<String>,
}
