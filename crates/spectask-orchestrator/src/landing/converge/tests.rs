use spectask_core::WorkSessionId;
use spectask_core::events::payload::WorkSessionCheck;

use super::*;
use crate::views::review::{CheckResult, CriterionReview, ReviewPlanTask, SessionReview};

const PLAN: &str = "- [ ] 1. Users\n  - _Requirements: 1.1_\n- [ ] 2. Login\n  - _Requirements: 1.2_\n";

fn session(
    name: &str,
    plan_task: Option<u32>,
    status: WorkSessionStatus,
    passed: Option<bool>,
) -> SessionReview {
    let check = |passed| CheckResult {
        at: spectask_core::Timestamp::default(),
        check: WorkSessionCheck {
            expects_failure: false,
            command: "npm test".into(),
            passed,
            exit_code: Some(u32::from(!passed)),
            signal: None,
            timed_out: false,
            output: String::new(),
            truncated: false,
            round: 1,
            rounds: 1,
            outcome: String::new(),
        },
    };
    SessionReview {
        id: WorkSessionId::from_uuid(uuid::Uuid::nil()),
        name: name.into(),
        status,
        plan_task_index: plan_task,
        summary: None,
        commits: vec![],
        checks: passed.into_iter().map(check).collect(),
    }
}

fn criterion(id: &str, commits: &[&str]) -> CriterionReview {
    criterion_of(id, commits, &[])
}

/// A criterion the plan tasks at `plan_tasks` name.
fn criterion_of(id: &str, commits: &[&str], plan_tasks: &[usize]) -> CriterionReview {
    CriterionReview {
        id: id.into(),
        requirement_id: "1".into(),
        requirement_title: None,
        text: format!("criterion {id}"),
        plan_tasks: plan_tasks
            .iter()
            .map(|&index| ReviewPlanTask { index, id: Some((index + 1).to_string()), title: String::new() })
            .collect(),
        work_session_ids: vec![],
        commits: commits.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn done(done: &[usize], before: &[usize]) -> Done {
    Done { done: done.to_vec(), before: before.to_vec() }
}

fn review(sessions: Vec<SessionReview>, criteria: Vec<CriterionReview>) -> ImplementationReview {
    ImplementationReview { commits: vec![], criteria, sessions, reproduction: None, summary: String::new() }
}

#[test]
fn a_plan_task_left_undone_a_failing_check_and_a_criterion_without_commit_are_gaps() {
    let plan = Plan::parse(PLAN);
    let review = review(
        vec![session("1 Users", Some(0), WorkSessionStatus::Completed, Some(false))],
        vec![criterion("1.1", &["abc"]), criterion("1.2", &[]), criterion("1.3", &[])],
    );
    let found = gaps(&plan, &done(&[0], &[]), &review);
    assert_eq!(
        found,
        [
            Gap::PlanTaskNotDone {
                label: "2".into(),
                title: "Login".into(),
                requirements: vec!["1.2".into()]
            },
            Gap::FailingCheck {
                session: "1 Users".into(),
                command: "npm test".into(),
                requirements: vec!["1.1".into()]
            },
            Gap::CriterionWithoutCommit { criterion: "1.2".into(), text: "criterion 1.2".into() },
            Gap::CriterionWithoutCommit { criterion: "1.3".into(), text: "criterion 1.3".into() },
        ]
    );
    let titles: Vec<String> = proposal(&found).into_iter().map(|t| t.title).collect();
    // 1.2 is named by the task finishing plan task 2: no second task for it.
    assert_eq!(
        titles,
        ["Finish plan task 2: Login", "Make `npm test` pass after \"1 Users\"", "Implement criterion 1.3"]
    );
}

#[test]
fn a_finished_implementation_has_no_gaps() {
    let plan = Plan::parse(PLAN);
    let review = review(
        vec![
            session("1 Users", Some(0), WorkSessionStatus::Completed, Some(true)),
            session("2 Login", Some(1), WorkSessionStatus::Completed, None),
        ],
        vec![criterion("1.1", &["abc"]), criterion("1.2", &["def"])],
    );
    assert_eq!(gaps(&plan, &done(&[0, 1], &[]), &review), []);
    // A bugfix's reproduction check fails as it must: no gap.
    let mut reproduced = review;
    reproduced.sessions[0].checks[0].check.passed = false;
    reproduced.sessions[0].checks[0].check.expects_failure = true;
    assert_eq!(gaps(&plan, &done(&[0, 1], &[]), &reproduced), []);
}

#[test]
fn work_done_before_the_task_is_no_gap() {
    // Plan task 1 was ticked when the spec was taken up; a session did plan task 2.
    let plan =
        Plan::parse("- [x] 1. Users\n  - _Requirements: 1.1_\n- [ ] 2. Login\n  - _Requirements: 1.2_\n");
    let review = review(
        vec![session("2 Login", Some(1), WorkSessionStatus::Completed, Some(true))],
        vec![criterion_of("1.1", &[], &[0]), criterion_of("1.2", &["abc"], &[1])],
    );
    assert_eq!(gaps(&plan, &done(&[0, 1], &[0]), &review), []);
    // A criterion no plan task names may be what the untraced work before did.
    let untraced = Plan::parse("- [x] 1. Users\n- [ ] 2. Login\n  - _Requirements: 1.2_\n");
    let review = review_of(&review, vec![criterion_of("1.1", &[], &[]), criterion_of("1.2", &["abc"], &[1])]);
    assert_eq!(gaps(&untraced, &done(&[0, 1], &[0]), &review), []);
    // Without work before the task, the same criterion is a gap.
    assert_eq!(
        gaps(&untraced, &done(&[0, 1], &[]), &review),
        [Gap::CriterionWithoutCommit { criterion: "1.1".into(), text: "criterion 1.1".into() }]
    );
    // Work before the task that names other criteria does not stand for this one.
    assert_eq!(
        gaps(&plan, &done(&[0, 1], &[0]), &review),
        [Gap::CriterionWithoutCommit { criterion: "1.1".into(), text: "criterion 1.1".into() }]
    );
}

fn review_of(review: &ImplementationReview, criteria: Vec<CriterionReview>) -> ImplementationReview {
    ImplementationReview { criteria, ..review.clone() }
}
