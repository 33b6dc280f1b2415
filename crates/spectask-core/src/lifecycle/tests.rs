//! Exhaustive tests over both transition tables, and property tests over random command sequences.

use proptest::prelude::*;

use super::*;
use crate::session::work_session::WorkSessionStatus as W;
use crate::task::spec_task::{SpecTaskStatus as S, TaskKind};

fn all_spec_commands() -> Vec<SpecTaskCommand> {
    use SpecTaskCommand as C;
    vec![
        C::StartSpecGeneration,
        C::SubmitSpec,
        C::FinishReview,
        C::RequestChanges,
        C::Approve,
        C::Reject,
        C::QueueImplementation,
        C::StartImplementation,
        C::SubmitImplementation,
        C::ApproveImplementation,
        C::RequestImplementationChanges,
        C::Converge,
        C::ResolveConflicts,
        C::OpenPullRequest,
        C::PullRequestMerged,
        C::PullRequestClosed,
        C::PullRequestChangesRequested,
        C::Fail { reason: "boom".into() },
        C::FailMerge { reason: "main has local changes".into() },
        C::Retry,
        C::Cancel,
    ]
}

/// Every state a SpecTask can be in: each status, and `failed` from every status it can fail in.
fn all_spec_states() -> Vec<SpecTaskState> {
    let mut states: Vec<_> =
        SpecTaskStatus::ALL.iter().filter(|s| **s != S::Failed).map(|s| SpecTaskState::at(*s)).collect();
    for from in SpecTaskStatus::ALL.iter().filter(|s| can_fail_from(**s)) {
        states.push(
            SpecTaskState::from_parts(S::Failed, Some(Failure { from: *from, reason: "boom".into() }))
                .unwrap(),
        );
    }
    states
}

/// The whole legal table: (from, command verb, kinds it holds for, to). Failed rows are handled apart.
fn expected_spec(state: &SpecTaskState, kind: TaskKind, cmd: &SpecTaskCommand) -> Option<S> {
    use SpecTaskCommand as C;
    let planning = kind == TaskKind::Spec;
    match (state.status(), cmd) {
        (S::Done, C::FailMerge { .. }) => Some(S::Failed),
        (_, C::FailMerge { .. }) => None,
        (S::Done, C::ResolveConflicts) => Some(S::ImplementationQueued),
        (s, _) if s.is_terminal() => None,
        (S::Backlog, C::StartSpecGeneration) if planning => Some(S::SpecGeneration),
        (S::SpecRevision, C::StartSpecGeneration) => Some(S::SpecGeneration),
        (S::SpecGeneration, C::SubmitSpec) => Some(S::SpecReview),
        (S::SpecGeneration, C::FinishReview) => Some(S::Done),
        (S::SpecReview, C::RequestChanges) => Some(S::SpecRevision),
        (S::SpecReview, C::Approve) => Some(S::SpecApproved),
        (S::SpecReview, C::Reject) => Some(S::Rejected),
        (S::Backlog, C::QueueImplementation) if !planning => Some(S::ImplementationQueued),
        (S::SpecApproved, C::QueueImplementation) => Some(S::ImplementationQueued),
        (S::ImplementationQueued, C::StartImplementation) => Some(S::Implementation),
        (S::Implementation, C::SubmitImplementation) => Some(S::ImplementationReview),
        (S::ImplementationReview, C::ApproveImplementation) => Some(S::Done),
        (S::ImplementationReview, C::RequestImplementationChanges) => Some(S::ImplementationQueued),
        (S::ImplementationReview, C::Converge) if planning => Some(S::SpecApproved),
        (S::ImplementationReview, C::ResolveConflicts) => Some(S::ImplementationQueued),
        (S::ImplementationReview, C::OpenPullRequest) => Some(S::PullRequest),
        (S::PullRequest, C::PullRequestMerged) => Some(S::Done),
        (S::PullRequest, C::PullRequestClosed) => Some(S::ImplementationReview),
        (S::PullRequest, C::PullRequestChangesRequested) => Some(S::ImplementationQueued),
        (S::Failed, C::Retry) => Some(state.failure().unwrap().from),
        (S::Failed, C::Fail { .. }) => None,
        (_, C::Fail { .. }) => Some(S::Failed),
        (_, C::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

#[test]
fn every_spec_task_state_and_command_pair_matches_the_table() {
    let mut legal = 0;
    let mut pairs = 0;
    for kind in TaskKind::ALL {
        for state in all_spec_states() {
            for cmd in all_spec_commands() {
                pairs += 1;
                let got = state.apply(*kind, &cmd);
                match expected_spec(&state, *kind, &cmd) {
                    Some(to) => {
                        let t = got.unwrap_or_else(|e| panic!("{state:?} {cmd:?} {kind}: {e}"));
                        assert_eq!(t.to.status(), to, "{state:?} {cmd:?} {kind}");
                        legal += 1;
                    }
                    None => {
                        let err = got.expect_err(&format!("{state:?} {cmd:?} {kind} must fail"));
                        assert!(matches!(err, TransitionError::Illegal { .. }), "{err}");
                    }
                }
            }
        }
    }
    // 3 kinds × (12 plain statuses + 10 failed-from states) × 21 commands.
    assert_eq!(pairs, 3 * 22 * 21);
    assert!(legal > 100, "only {legal} legal pairs");
}

#[test]
fn spec_task_effects_say_what_to_do_next() {
    use SpecTaskCommand as C;
    use SpecTaskEffect as E;
    let at = SpecTaskState::at;
    let effects = |s: S, c: C| at(s).apply(TaskKind::Spec, &c).unwrap().effects;
    assert_eq!(effects(S::Backlog, C::StartSpecGeneration), vec![E::RunPlanner]);
    assert_eq!(effects(S::SpecReview, C::Approve), vec![E::CommitSpecHandoff]);
    assert_eq!(effects(S::SpecGeneration, C::FinishReview), vec![E::StopAgents], "a review merges nothing");
    assert_eq!(effects(S::ImplementationQueued, C::StartImplementation), vec![E::StartImplementation]);
    assert_eq!(
        effects(S::ImplementationReview, C::ApproveImplementation),
        vec![E::MergeTaskBranch, E::WriteImplementationComplete, E::StopAgents]
    );
    assert_eq!(effects(S::Implementation, C::Cancel), vec![E::StopAgents]);
}

#[test]
fn fail_records_the_reason_and_retry_returns_to_where_it_failed() {
    let running = SpecTaskState::at(S::Implementation);
    let failed =
        running.apply(TaskKind::Spec, &SpecTaskCommand::Fail { reason: "agent crashed".into() }).unwrap().to;
    assert_eq!(failed.status(), S::Failed);
    assert_eq!(failed.failure().unwrap().reason, "agent crashed");
    let retried = failed.apply(TaskKind::Spec, &SpecTaskCommand::Retry).unwrap();
    assert_eq!(retried.to, running);
    assert_eq!(retried.effects, vec![SpecTaskEffect::ResumeImplementation]);
}

#[test]
fn a_failed_merge_fails_the_done_task_and_its_retry_merges_again() {
    let done = SpecTaskState::at(S::Done);
    let reason = "merge_task_branch failed: main has local changes: README.md".to_owned();
    let failed = done.apply(TaskKind::Spec, &SpecTaskCommand::FailMerge { reason: reason.clone() }).unwrap();
    assert_eq!(failed.effects, vec![]);
    assert_eq!(failed.to.failure(), Some(&Failure { from: S::Done, reason }));
    let retried = failed.to.apply(TaskKind::Spec, &SpecTaskCommand::Retry).unwrap();
    assert_eq!(retried.to, done);
    assert_eq!(
        retried.effects,
        vec![SpecTaskEffect::MergeTaskBranch, SpecTaskEffect::WriteImplementationComplete]
    );
    let err = done.apply(TaskKind::Spec, &SpecTaskCommand::Fail { reason: "x".into() }).unwrap_err();
    assert_eq!(err.to_string(), "cannot fail spec task: it is done (it is finished)");
    let review = SpecTaskState::at(S::ImplementationReview);
    let err = review.apply(TaskKind::Spec, &SpecTaskCommand::FailMerge { reason: "x".into() }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot fail the merge of spec task: it is implementation_review (only a done task's merge can fail)"
    );
}

#[test]
fn cancelling_a_cancelled_task_names_the_status() {
    let cancelled = SpecTaskState::at(S::Cancelled);
    let err = cancelled.apply(TaskKind::Spec, &SpecTaskCommand::Cancel).unwrap_err();
    assert_eq!(err.to_string(), "cannot cancel spec task: it is cancelled (it is finished)");
}

#[test]
fn stored_states_that_no_transition_produces_are_refused() {
    assert!(SpecTaskState::from_parts(S::Failed, None).is_err());
    assert!(
        SpecTaskState::from_parts(S::Backlog, Some(Failure { from: S::Backlog, reason: "x".into() }))
            .is_err()
    );
    assert!(
        SpecTaskState::from_parts(S::Failed, Some(Failure { from: S::Cancelled, reason: "x".into() }))
            .is_err()
    );
    assert!(
        SpecTaskState::from_parts(S::Failed, Some(Failure { from: S::Done, reason: "x".into() })).is_ok()
    );
    assert!(SpecTaskState::from_parts(S::SpecReview, None).is_ok());
}

fn all_ws_commands() -> Vec<WorkSessionCommand> {
    use WorkSessionCommand as C;
    let other = WorkSessionId::from_uuid(uuid::Uuid::nil());
    vec![
        C::Block { waiting_on: vec![other] },
        C::Block { waiting_on: vec![] },
        C::Unblock,
        C::Start,
        C::Complete,
        C::Fail { reason: "boom".into() },
        C::Interrupt { reason: "server restarted".into() },
        C::Resume,
        C::Retry,
        C::Cancel,
    ]
}

fn all_ws_states() -> Vec<WorkSessionState> {
    use WorkSessionState as St;
    let other = WorkSessionId::from_uuid(uuid::Uuid::nil());
    vec![
        St::Pending,
        St::Blocked { waiting_on: vec![other] },
        St::Running,
        St::Completed,
        St::Failed { reason: "x".into() },
        St::Cancelled,
        St::Interrupted { reason: "x".into() },
    ]
}

fn expected_ws(state: &WorkSessionState, cmd: &WorkSessionCommand) -> Option<W> {
    use WorkSessionCommand as C;
    match (state.status(), cmd) {
        (s, _) if s.is_terminal() => None,
        (W::Pending | W::Blocked, C::Block { waiting_on }) if !waiting_on.is_empty() => Some(W::Blocked),
        (W::Blocked, C::Unblock) => Some(W::Pending),
        (W::Pending, C::Start) => Some(W::Running),
        (W::Running, C::Complete) => Some(W::Completed),
        (W::Running, C::Interrupt { .. }) => Some(W::Interrupted),
        (W::Interrupted, C::Resume) => Some(W::Running),
        (W::Pending | W::Blocked | W::Running | W::Interrupted, C::Fail { .. }) => Some(W::Failed),
        (W::Failed, C::Retry) => Some(W::Pending),
        (_, C::Cancel) => Some(W::Cancelled),
        _ => None,
    }
}

#[test]
fn every_work_session_state_and_command_pair_matches_the_table() {
    let mut pairs = 0;
    for state in all_ws_states() {
        for cmd in all_ws_commands() {
            pairs += 1;
            let got = state.apply(&cmd);
            match expected_ws(&state, &cmd) {
                Some(to) => assert_eq!(got.unwrap().to.status(), to, "{state:?} {cmd:?}"),
                None => assert!(
                    matches!(got, Err(TransitionError::Illegal { .. })),
                    "{state:?} {cmd:?} must fail, got {got:?}"
                ),
            }
        }
    }
    assert_eq!(pairs, 7 * 10);
}

#[test]
fn interrupted_sessions_resume_their_thread() {
    let t = WorkSessionState::Interrupted { reason: "x".into() }.apply(&WorkSessionCommand::Resume).unwrap();
    assert_eq!(t.to, WorkSessionState::Running);
    assert_eq!(t.effects, vec![WorkSessionEffect::ResumeThread]);
}

fn spec_command() -> impl Strategy<Value = SpecTaskCommand> {
    (0..all_spec_commands().len()).prop_map(|i| all_spec_commands()[i].clone())
}

fn ws_command() -> impl Strategy<Value = WorkSessionCommand> {
    (0..all_ws_commands().len()).prop_map(|i| all_ws_commands()[i].clone())
}

proptest! {
    #[test]
    fn random_spec_task_commands_never_reach_an_undefined_state(
        kind in 0..3usize,
        commands in proptest::collection::vec(spec_command(), 0..60),
    ) {
        let kind = TaskKind::ALL[kind];
        let mut state = SpecTaskState::backlog();
        for cmd in &commands {
            let was_terminal = state.is_terminal();
            match state.apply(kind, cmd) {
                Ok(t) => {
                    // Only a done task's merge (failed, or conflicting) leaves a terminal status.
                    let merge_failed = matches!(cmd, SpecTaskCommand::FailMerge { .. })
                        || (state.status() == S::Done && *cmd == SpecTaskCommand::ResolveConflicts);
                    prop_assert!(!was_terminal || merge_failed, "left terminal {:?} by {:?}", state, cmd);
                    // Every reachable state is one the store can load back.
                    let reloaded = SpecTaskState::from_parts(t.to.status(), t.to.failure().cloned());
                    prop_assert_eq!(reloaded.as_ref(), Ok(&t.to));
                    if !kind.has_planning() {
                        prop_assert!(!matches!(
                            t.to.status(),
                            S::SpecGeneration | S::SpecReview | S::SpecRevision | S::SpecApproved
                        ));
                    }
                    state = t.to;
                }
                Err(e) => prop_assert!(matches!(e, TransitionError::Illegal { .. }), "{}", e),
            }
        }
    }

    #[test]
    fn random_work_session_commands_keep_terminal_states_terminal(
        commands in proptest::collection::vec(ws_command(), 0..60),
    ) {
        let mut state = WorkSessionState::Pending;
        for cmd in &commands {
            let was_terminal = state.is_terminal();
            match state.apply(cmd) {
                Ok(t) => {
                    prop_assert!(!was_terminal);
                    if let WorkSessionState::Blocked { waiting_on } = &t.to {
                        prop_assert!(!waiting_on.is_empty());
                    }
                    state = t.to;
                }
                Err(e) => prop_assert!(matches!(e, TransitionError::Illegal { .. }), "{}", e),
            }
        }
    }
}

#[test]
fn only_a_budget_pauses_a_session_by_budget() {
    let interrupted = |reason: &str| WorkSessionState::Interrupted { reason: reason.to_owned() };
    assert!(interrupted("paused by budget: the task reached its budget of 10 tokens").is_paused_by_budget());
    assert!(!interrupted("paused by ada: lunch").is_paused_by_budget());
    assert!(!interrupted("paused by budgeteer").is_paused_by_budget());
    assert!(!interrupted("interrupted by shutdown").is_paused_by_budget());
    assert!(!WorkSessionState::Running.is_paused_by_budget());
}
