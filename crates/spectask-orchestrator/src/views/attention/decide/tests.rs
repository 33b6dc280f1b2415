use spectask_core::{Failure, NewSpecTask, RepositoryId, SpecTaskState, TaskKind};

use super::*;
use crate::testing::session_standing;

fn id(n: u128) -> SpecTaskId {
    SpecTaskId::from_uuid(uuid::Uuid::from_u128(n))
}

/// Task `n` titled `t<n>` in `status` (failed from implementation with `reason` when failed).
fn task(n: u128, status: SpecTaskStatus) -> SpecTask {
    let repository = RepositoryId::from_uuid(uuid::Uuid::from_u128(7));
    let mut task = NewSpecTask::new(TaskKind::Spec, repository, format!("t{n}"), "p", "me")
        .into_spec_task(id(n), chrono::Utc::now());
    let failure = (status == SpecTaskStatus::Failed)
        .then(|| Failure { from: SpecTaskStatus::Implementation, reason: "the check failed".into() });
    task.state = SpecTaskState::from_parts(status, failure).unwrap();
    task
}

fn prerequisite(n: u128, status: SpecTaskStatus) -> Prerequisite {
    Prerequisite { id: id(n), title: format!("t{n}"), status }
}

fn kinds(items: &[Attention]) -> Vec<AttentionKind> {
    items.iter().map(Attention::kind).collect()
}

#[test]
fn a_permission_request_makes_a_running_session_wait_for_you() {
    let t = task(99, SpecTaskStatus::Implementation);
    let running = session_standing(1, Some(0), WorkSessionState::Running);
    let facts = Facts {
        sessions: HashMap::from([(
            t.id,
            vec![running.clone(), session_standing(2, Some(1), WorkSessionState::Running)],
        )]),
        permissions: vec![PendingPermission {
            approval_id: "a1".into(),
            work_session_id: running.id,
            title: Some("Write src/auth/tokens.js".into()),
            requested_at: chrono::Utc::now(),
        }],
        ..Facts::default()
    };
    let items = attention(&[t], &facts);
    assert_eq!(kinds(&items), [AttentionKind::Permission]);
    let item = &items[0];
    assert!(item.needs_you());
    assert_eq!(item.kind().label(), "Waiting for you");
    assert_eq!(item.session.as_ref().map(|s| s.0), Some(running.id));
    assert_eq!(item.text(), "“s1” asks for your permission: Write src/auth/tokens.js.");
    assert_eq!(item.path(), format!("/sessions/{}", running.id));
}

#[test]
fn reviews_and_questions_wait_for_you() {
    let (spec, questions, implementation) = (
        task(1, SpecTaskStatus::SpecReview),
        task(2, SpecTaskStatus::SpecReview),
        task(3, SpecTaskStatus::ImplementationReview),
    );
    let facts = Facts {
        versions: HashMap::from([
            (spec.id, VersionFacts { version: 2, questions: 0, questions_only: false }),
            (questions.id, VersionFacts { version: 1, questions: 3, questions_only: true }),
        ]),
        ..Facts::default()
    };
    let items = attention(&[spec, questions, implementation], &facts);
    assert_eq!(
        kinds(&items),
        [AttentionKind::SpecReview, AttentionKind::Questions, AttentionKind::ImplementationReview]
    );
    assert_eq!(items[0].text(), "Version 2 of the spec is ready for your review.");
    assert_eq!(items[1].text(), "The planner asks 3 questions before it writes the spec.");
    assert!(items.iter().all(Attention::needs_you));
}

#[test]
fn a_hold_names_its_root_cause_through_every_task_between() {
    // t1 waits for t2, which waits for t3, which failed: t2 is held by t3, and so is t1, through t2.
    let t1 = task(1, SpecTaskStatus::ImplementationQueued);
    let facts = Facts {
        prerequisites: HashMap::from([
            (
                id(1),
                (HoldBefore::Implementation, vec![prerequisite(2, SpecTaskStatus::ImplementationQueued)]),
            ),
            (
                id(2),
                (
                    HoldBefore::Implementation,
                    vec![prerequisite(4, SpecTaskStatus::Done), prerequisite(3, SpecTaskStatus::Failed)],
                ),
            ),
        ]),
        ..Facts::default()
    };
    let items = attention(&[t1], &facts);
    assert_eq!(kinds(&items), [AttentionKind::Held]);
    let held = &items[0];
    assert_eq!(held.root().map(|r| r.id), Some(id(3)));
    assert!(held.needs_you(), "a failed root waits for a person");
    let (short2, short3) = (id(2).short().to_string(), id(3).short().to_string());
    assert_eq!(held.text(), format!("Held: prerequisite {short3} “t3” failed (through {short2})."));
    assert_eq!(held.action(), format!("Retry {short3}, or remove it from this task's prerequisites."));
}

#[test]
fn a_hold_on_a_task_still_at_work_goes_on_by_itself_and_a_rejected_root_is_preferred() {
    let at_work = Facts {
        prerequisites: HashMap::from([(
            id(1),
            (HoldBefore::Implementation, vec![prerequisite(2, SpecTaskStatus::Implementation)]),
        )]),
        ..Facts::default()
    };
    let t1 = task(1, SpecTaskStatus::ImplementationQueued);
    let items = attention(std::slice::from_ref(&t1), &at_work);
    assert_eq!(kinds(&items), [AttentionKind::Held]);
    assert!(!items[0].needs_you());
    assert!(items[0].text().ends_with("which is being implemented."), "{}", items[0].text());

    // Two prerequisites: one at work, one rejected. The rejected one is what a person acts on,
    // and it cannot be retried.
    let mut both = at_work.clone();
    both.prerequisites.insert(
        id(1),
        (
            HoldBefore::Implementation,
            vec![prerequisite(2, SpecTaskStatus::Implementation), prerequisite(5, SpecTaskStatus::Rejected)],
        ),
    );
    let items = attention(&[t1], &both);
    assert_eq!(items[0].root().map(|r| r.id), Some(id(5)));
    assert!(items[0].needs_you());
    assert!(items[0].action().contains("cannot be retried"), "{}", items[0].action());
}

#[test]
fn prerequisites_held_before_implementation_do_not_hold_planning() {
    let facts = Facts {
        prerequisites: HashMap::from([(
            id(1),
            (HoldBefore::Implementation, vec![prerequisite(2, SpecTaskStatus::Failed)]),
        )]),
        ..Facts::default()
    };
    assert!(attention(&[task(1, SpecTaskStatus::Backlog)], &facts).is_empty());
}

#[test]
fn a_budget_hold_names_the_budget_that_holds() {
    let t = task(1, SpecTaskStatus::Implementation);
    let why = "the repository's daily budget of 1000 tokens is reached for 2025-01-01 (spent 1200 tokens)";
    let hold =
        BudgetHoldMark { holder: BudgetHolder::Repository, why: why.into(), since: chrono::Utc::now() };
    let facts = Facts { budget_holds: HashMap::from([(t.id, hold)]), ..Facts::default() };
    let items = attention(std::slice::from_ref(&t), &facts);
    assert_eq!(kinds(&items), [AttentionKind::Budget]);
    assert!(matches!(items[0].waiting, Waiting::Budget { holder: BudgetHolder::Repository, .. }));
    assert_eq!(items[0].text(), format!("The{}.", &why[3..]));
    assert!(items[0].action().contains("wait for the day to end"), "{}", items[0].action());
    // A failed task is told as failed; its hold is no second item.
    assert_eq!(kinds(&attention(&[task(1, SpecTaskStatus::Failed)], &facts)), [AttentionKind::Failed]);
}

#[test]
fn failures_and_stalls_wait_for_you() {
    let failed = task(1, SpecTaskStatus::Failed);
    let t = task(2, SpecTaskStatus::Implementation);
    let silent =
        WorkSessionStanding { spec_task_id: t.id, ..session_standing(3, Some(0), WorkSessionState::Running) };
    let broken = WorkSessionStanding {
        spec_task_id: t.id,
        ..session_standing(4, Some(1), WorkSessionState::Failed { reason: "no change".into() })
    };
    let now = chrono::Utc::now();
    let facts = Facts {
        sessions: HashMap::from([(t.id, vec![silent.clone(), broken])]),
        stalls: HashMap::from([(
            silent.id,
            StallMark { since: now, last_activity_at: now, policy: "notify".into() },
        )]),
        ..Facts::default()
    };
    let items = attention(&[failed, t], &facts);
    assert_eq!(kinds(&items), [AttentionKind::Failed, AttentionKind::Stalled, AttentionKind::Failed]);
    assert_eq!(items[0].text(), "The task failed: the check failed");
    assert_eq!(items[2].text(), "“s4” failed: no change");
    assert!(items.iter().all(Attention::needs_you));
}

#[test]
fn a_silent_planning_agent_is_told_on_its_task_while_it_plans() {
    let planning = task(1, SpecTaskStatus::SpecGeneration);
    let reviewed = task(2, SpecTaskStatus::SpecReview);
    let now = chrono::Utc::now();
    let mark = StallMark { since: now, last_activity_at: now, policy: "notify".into() };
    let facts = Facts {
        // A mark left on a task that moved on is no stall of its planning.
        planning_stalls: HashMap::from([(planning.id, mark.clone()), (reviewed.id, mark)]),
        ..Facts::default()
    };
    let items = attention(&[planning.clone(), reviewed], &facts);
    assert_eq!(kinds(&items), [AttentionKind::Stalled, AttentionKind::SpecReview]);
    let item = &items[0];
    assert_eq!((item.session.clone(), item.text()), (None, "The planning agent went silent.".to_owned()));
    assert_eq!(item.action(), "Wait for it to speak again, or cancel the task.");
    assert_eq!(item.path(), format!("/tasks/{}", planning.id));
}
