//! A person's decision of the implementation review: approve (merged, or the branch kept, or a
//! pull request opened, as the repository's merge policy says) or request changes. The decision is
//! logged in the write that moves the task, so one that loses a race to another decision, or to the
//! orchestrator, leaves no trace: no stray entry, and no follow-up session made from it.

use spectask_core::session::coordination::ReviewerDecision;
use spectask_core::{
    CoordinationKind, ImplementationDecision, MergePolicy, Repository, ReviewEntry, SpecTask, SpecTaskCommand,
};
use spectask_store::{NewCoordination, Store, StoreError};

/// What the person decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    RequestChanges,
}

/// Records `reviewer`'s `decision` on `task` as the reviewer saw it, and moves the task, in one
/// write: a `task` changed meanwhile fails with a conflict and logs nothing. An approval where the
/// merge policy is a pull request first asks `forge_ready` whether the repository's forge can take
/// one (its error is the answer).
pub async fn review_implementation<E: From<StoreError>>(
    store: &Store,
    task: &SpecTask,
    decision: Decision,
    reviewer: ReviewerDecision,
    forge_ready: impl FnOnce(&Repository) -> Result<(), E>,
) -> Result<SpecTask, E> {
    let command = match decision {
        Decision::Approve => {
            let repository = store.repository(task.repository_id).await?;
            if repository.merge_policy == MergePolicy::PullRequest {
                forge_ready(&repository)?;
                SpecTaskCommand::OpenPullRequest
            } else {
                SpecTaskCommand::ApproveImplementation
            }
        }
        Decision::RequestChanges => SpecTaskCommand::RequestImplementationChanges,
    };
    let decision = match decision {
        Decision::Approve => ImplementationDecision::Approve(reviewer),
        Decision::RequestChanges => ImplementationDecision::RequestChanges(reviewer),
    };
    let entry = NewCoordination {
        spec_task_id: task.id,
        kind: CoordinationKind::ReviewDecision,
        from_session: None,
        to_session: None,
        message: format!("implementation review: {}", decision.word().replace('_', " ")),
        data: ReviewEntry::from(decision).data(),
    };
    Ok(store.transition_spec_task_logged(task, &command, entry).await?.value)
}

#[cfg(test)]
mod tests {
    use spectask_core::{SpecTaskCommand, SpecTaskStatus};
    use spectask_store::StoreError;

    use super::*;
    use crate::testing::{Backend, Fixture};

    fn by(reviewer: &str, comments: &str) -> ReviewerDecision {
        ReviewerDecision { comments: comments.to_owned(), reviewer: reviewer.to_owned(), source: None }
    }

    /// Two people decide on the review they both see: the first decision moves the task, the
    /// second conflicts and leaves nothing in the log (a stray "request changes" would count as a
    /// review round and make a follow-up session).
    #[tokio::test]
    async fn a_decision_that_loses_the_race_leaves_no_trace() {
        let f = Fixture::new(Backend::Sqlite).await;
        let task = f.task_in_implementation().await;
        let store = f.store();
        let seen =
            store.apply_to_spec_task(task.id, &SpecTaskCommand::SubmitImplementation).await.unwrap().value;
        assert_eq!(seen.status(), SpecTaskStatus::ImplementationReview);
        let no_forge = |_: &Repository| -> Result<(), StoreError> { panic!("no pull request policy here") };

        let approved =
            review_implementation(store, &seen, Decision::Approve, by("alice", ""), no_forge).await.unwrap();
        assert_ne!(approved.status(), SpecTaskStatus::ImplementationReview);
        let late =
            review_implementation(store, &seen, Decision::RequestChanges, by("bob", "rename"), no_forge);
        assert!(matches!(late.await, Err(StoreError::Conflict { .. })));

        let log = store.coordination_of_kind(task.id, CoordinationKind::ReviewDecision).await.unwrap();
        let decisions: Vec<_> =
            log.iter().filter_map(ReviewEntry::of).filter_map(|e| e.decision().cloned()).collect();
        assert_eq!(decisions, [ImplementationDecision::Approve(by("alice", ""))], "{log:#?}");
    }
}
