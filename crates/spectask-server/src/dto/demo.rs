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
}
