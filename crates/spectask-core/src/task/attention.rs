//! Attention: what a task or one of its sessions waits for, in the one vocabulary every client
//! shows (the API, the dashboard, `spectask task …`, notifications). The orchestrator's attention
//! view decides it from the store's facts; this is only the words.

use serde::{Deserialize, Serialize};

use crate::named_enum;

/// What a task or a session waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    /// A session's agent asks a person's permission for a tool call.
    Permission,
    /// The planner asks questions before it writes the spec.
    Questions,
    /// The spec waits for a person's review.
    SpecReview,
    /// The implementation waits for a person's review.
    ImplementationReview,
    /// A budget that holds the task is reached: its work is paused.
    Budget,
    /// A running session's agent went silent.
    Stalled,
    /// The task, or one of its sessions, failed.
    Failed,
    /// A prerequisite holds the task.
    Held,
}
named_enum!(AttentionKind, "attention kind", {
    Permission => "permission",
    Questions => "questions",
    SpecReview => "spec_review",
    ImplementationReview => "implementation_review",
    Budget => "budget",
    Stalled => "stalled",
    Failed => "failed",
    Held => "held",
});

impl AttentionKind {
    /// The few words a badge shows, the same on every screen and in the CLI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Permission | Self::Questions | Self::SpecReview | Self::ImplementationReview => {
                "Waiting for you"
            }
            Self::Budget => "Paused by budget",
            Self::Stalled => "Stalled",
            Self::Failed => "Failed",
            Self::Held => "Held",
        }
    }
}

/// Which budget paused a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetHolder {
    /// The task's own budget (or the configuration's default for tasks).
    Task,
    /// The daily budget of the task's repository.
    Repository,
    /// The daily budget of the user who created the task.
    User,
}
named_enum!(BudgetHolder, "budget holder", {
    Task => "task",
    Repository => "repository",
    User => "user",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_waited_for_in_the_same_words_whatever_is_asked() {
        let asked = [
            AttentionKind::Permission,
            AttentionKind::Questions,
            AttentionKind::SpecReview,
            AttentionKind::ImplementationReview,
        ];
        assert!(asked.iter().all(|k| k.label() == "Waiting for you"));
        assert_eq!(AttentionKind::Held.label(), "Held");
        assert_eq!("budget".parse::<AttentionKind>().unwrap(), AttentionKind::Budget);
    }
}
