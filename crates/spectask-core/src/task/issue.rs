//! The forge issue a SpecTask was imported from.

use serde::Serialize;

use crate::ids::SpecTaskId;

/// A task's issue on its repository's forge: where the work was asked for. spectask comments on
/// it when it takes it up and closes it when the task's pull request merges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskIssue {
    pub spec_task_id: SpecTaskId,
    /// The forge connection's name in the configuration.
    pub forge: String,
    /// `owner/name` on the forge.
    pub repository: String,
    pub number: u64,
    /// Its page on the forge.
    pub url: String,
    pub title: String,
    /// Whether spectask closed it (its task's pull request merged).
    pub closed: bool,
}
