use spectask_core::{Complexity, NewSpecTask, RepositoryId, SpecTaskId, TaskKind, WorkSessionState};

use super::*;
use crate::testing::session_standing;

fn task(complexity: Complexity) -> SpecTask {
    let repository = RepositoryId::from_uuid(uuid::Uuid::from_u128(7));
    let new = NewSpecTask { complexity, ..NewSpecTask::new(TaskKind::Spec, repository, "t", "p", "me") };
    new.into_spec_task(SpecTaskId::from_uuid(uuid::Uuid::from_u128(99)), chrono::Utc::now())
}

/// Session `n` on plan task `index`, or the whole plan's (on none), in `state`.
fn session(n: u128, index: Option<u32>, state: WorkSessionState) -> WorkSessionStanding {
    let session = session_standing(n, index, state);
    match index {
        Some(_) => session,
        None => WorkSessionStanding { name: Complexity::WHOLE_PLAN_SESSION.to_owned(), ..session },
    }
}

fn states(task: &SpecTask, plan: &str, sessions: &[WorkSessionStanding]) -> Vec<PlanTaskState> {
    super::states(task, &Plan::parse(plan), sessions, true).into_iter().map(|t| t.state).collect()
}

const FLAT: &str = "- [ ] 1. One\n- [ ] 2. Two\n- [ ] 3. Three\n- [ ] 4. Four\n- [ ] 5. Five\n- [x] 6. Six\n";

use PlanTaskState::{Done, InProgress, Pending};

#[test]
fn only_a_running_session_makes_its_plan_task_in_progress() {
    let sessions = [
        session(1, Some(0), WorkSessionState::Running),
        session(2, Some(1), WorkSessionState::Interrupted { reason: "paused by ann: stopped".into() }),
        session(3, Some(2), WorkSessionState::Blocked { waiting_on: vec![] }),
        session(4, Some(3), WorkSessionState::Pending),
        session(5, Some(4), WorkSessionState::Failed { reason: "check".into() }),
    ];
    // A stopped agent's interrupted session, a blocked one, a pending one and a failed one have not
    // done their work: their plan tasks are to do. The sixth, with no session, is as the plan says.
    assert_eq!(
        states(&task(Complexity::Complex), FLAT, &sessions),
        [InProgress, Pending, Pending, Pending, Pending, Done]
    );
}

#[test]
fn a_plan_task_is_done_once_every_session_on_it_completed() {
    let t = task(Complexity::Complex);
    let done = session(1, Some(0), WorkSessionState::Completed);
    let failed = session(2, Some(0), WorkSessionState::Failed { reason: "check".into() });
    let running = session(3, Some(0), WorkSessionState::Running);
    let cancelled = session(4, Some(0), WorkSessionState::Cancelled);
    assert_eq!(states(&t, FLAT, std::slice::from_ref(&done))[0], Done);
    assert_eq!(states(&t, FLAT, &[done.clone(), failed])[0], Pending, "part of its work failed");
    assert_eq!(states(&t, FLAT, &[done.clone(), running])[0], InProgress);
    assert_eq!(states(&t, FLAT, &[done, cancelled.clone()])[0], Done, "a cancelled session is left out");
    assert_eq!(states(&t, "- [ ] 1. One\n", &[cancelled])[0], Pending);
}

#[test]
fn a_parent_stands_as_its_required_sub_tasks_and_a_top_level_session_covers_them() {
    let plan = "- [ ] 1. Parent\n  - [ ] 1.1 A\n  - [ ] 1.2 B\n  - [ ]* 1.3 Optional\n- [ ] 2. Other\n";
    let t = task(Complexity::Complex);
    // One session per sub-task: the parent is in progress while one runs, done when all are.
    let a = session(1, Some(1), WorkSessionState::Completed);
    let b = session(2, Some(2), WorkSessionState::Running);
    assert_eq!(states(&t, plan, &[a.clone(), b.clone()])[..3], [InProgress, Done, InProgress]);
    let b = WorkSessionStanding { state: WorkSessionState::Completed, ..b };
    let all = super::states(&t, &Plan::parse(plan), &[a.clone(), b.clone()], true);
    assert_eq!(all.iter().map(|s| s.state).collect::<Vec<_>>(), [Done, Done, Done, Pending, Pending]);
    assert_eq!(all[0].sessions, [a.id, b.id]);
    // One session for the top-level task: its sub-tasks are where it is.
    let top = session(3, Some(0), WorkSessionState::Running);
    assert_eq!(states(&t, plan, &[top])[..4], [InProgress; 4]);
}

#[test]
fn a_whole_plan_session_is_on_every_required_task_without_its_own() {
    let plan = "- [ ] 1. One\n- [ ]* 2. Optional\n- [ ] 3. Round\n";
    let t = task(Complexity::Simple);
    let whole = session(1, None, WorkSessionState::Interrupted { reason: "restart".into() });
    let round = session(2, Some(2), WorkSessionState::Running);
    assert_eq!(states(&t, plan, &[whole.clone(), round]), [Pending, Pending, InProgress]);
    let whole = WorkSessionStanding { state: WorkSessionState::Running, ..whole };
    assert_eq!(states(&t, plan, &[whole]), [InProgress, Pending, InProgress]);
}

#[test]
fn in_a_converge_rounds_version_the_whole_plan_session_leaves_the_new_tasks_to_do() {
    let plan = "- [x] 1. One\n- [x] 2. Two\n- [ ] 3. Round\n";
    let t = task(Complexity::Simple);
    let whole = session(1, None, WorkSessionState::Completed);
    let round = |s: &[WorkSessionStanding]| -> Vec<PlanTaskState> {
        super::states(&t, &Plan::parse(plan), s, false).into_iter().map(|t| t.state).collect()
    };
    assert_eq!(round(std::slice::from_ref(&whole)), [Done, Done, Pending]);
    assert_eq!(
        round(&[whole.clone(), session(2, Some(2), WorkSessionState::Running)]),
        [Done, Done, InProgress]
    );
    // Before the round, the same session covers every open task.
    assert_eq!(states(&t, plan, &[whole]), [Done, Done, Done]);
}
