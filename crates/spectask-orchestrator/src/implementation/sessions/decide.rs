//! The scheduling decision of one task's implementation, pure: from the task's sessions as the
//! store's write reads them (`SchedulingView`) and the approved plan, which sessions wait for which,
//! which are unblocked, which start under the per-task limit and in what order, and the progress
//! snapshot they leave. The store carries the decision out in the write that read its input.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use spectask_core::{CoordinationKind, WorkSession, WorkSessionCommand, WorkSessionId, WorkSessionStatus};
use spectask_spec::Plan;
use spectask_store::{Schedule, SchedulingView, SessionMove};

use super::entry;

/// How one task's scheduling is decided: by its approved plan (`None` for kinds without one), with at
/// most `limit` sessions running at once.
#[derive(Clone, Debug)]
pub(crate) struct Decider {
    pub plan: Option<Arc<Plan>>,
    pub limit: usize,
}

impl Decider {
    /// The decision on the task `view` shows (see [`decide`]).
    pub(crate) fn decide(&self, view: &SchedulingView<'_>) -> Schedule {
        decide(self.plan.as_deref(), self.limit, view)
    }
}

/// Decides the scheduling of the task `view` shows: blocks pending sessions whose dependencies are
/// not all done, unblocks blocked ones whose are, and starts ready ones while fewer than `limit`
/// sessions run (or are interrupted), the highest priority first, then the session with the longest
/// chain of sessions waiting on it (so the critical path starts early), then plan order.
///
/// A session counts as done once its commit step ran (its changes are on the task branch), or,
/// as the view its completion's write passes says, once they are staged for a commit no other
/// spectask commit can come before (`work::finish`, without a remote): a dependent session never
/// starts on, or commits, work that is not yet attributed. A session whose only unmet
/// dependencies are completed sessions waiting for their commit competes for the slots as
/// if ready, and a slot it wins is kept for it: a session completing (which frees its slot before its
/// commit) does not give that slot to a session that would rank below its own dependents.
pub(crate) fn decide(plan: Option<&Plan>, limit: usize, view: &SchedulingView<'_>) -> Schedule {
    let sessions = view.sessions;
    let waits = plan.map(|plan| waits(plan, sessions)).unwrap_or_default();
    let completed = |s: &&WorkSession| s.status() == WorkSessionStatus::Completed;
    let done: HashSet<WorkSessionId> =
        sessions.iter().filter(completed).filter(|s| view.committed.contains(&s.id)).map(|s| s.id).collect();
    let committing: HashSet<WorkSessionId> =
        sessions.iter().filter(completed).filter(|s| !view.committed.contains(&s.id)).map(|s| s.id).collect();
    let mut after: Vec<WorkSession> = sessions.to_vec();
    let mut moves = Vec::new();
    // Sessions ready to start, and (`false`) those ready once the commits under way are recorded.
    let mut ready: Vec<(usize, bool)> = Vec::new();
    for (i, session) in sessions.iter().enumerate() {
        let unmet: Vec<WorkSessionId> = waits
            .get(&session.id)
            .map(|d| d.iter().filter(|d| !done.contains(d)).copied().collect())
            .unwrap_or_default();
        let soon = !unmet.is_empty() && unmet.iter().all(|d| committing.contains(d));
        if soon && matches!(session.status(), WorkSessionStatus::Pending | WorkSessionStatus::Blocked) {
            ready.push((i, false));
        }
        match session.status() {
            WorkSessionStatus::Pending if !unmet.is_empty() => {
                let message = format!("waiting for {}", names_of(sessions, &unmet));
                let command = WorkSessionCommand::Block { waiting_on: unmet };
                moves.push(step(&mut after[i], command, CoordinationKind::SessionBlocked, message));
            }
            WorkSessionStatus::Blocked if unmet.is_empty() => {
                let message = "dependencies done".to_owned();
                moves.push(step(
                    &mut after[i],
                    WorkSessionCommand::Unblock,
                    CoordinationKind::SessionUnblocked,
                    message,
                ));
                ready.push((i, true));
            }
            WorkSessionStatus::Pending if unmet.is_empty() => ready.push((i, true)),
            _ => {}
        }
    }
    let chains = chain_lengths(&waits);
    ready.sort_by_key(|&(i, _)| {
        let s = &sessions[i];
        (
            std::cmp::Reverse(s.priority),
            std::cmp::Reverse(chains.get(&s.id).copied().unwrap_or(0)),
            s.plan_task.as_ref().map(|p| p.index),
            s.created_at,
        )
    });
    let busy =
        |s: &&WorkSession| matches!(s.status(), WorkSessionStatus::Running | WorkSessionStatus::Interrupted);
    let running = sessions.iter().filter(busy).count();
    for (i, now) in ready.into_iter().take(limit.saturating_sub(running)) {
        if !now {
            continue;
        }
        let what =
            sessions[i].plan_task.as_ref().map_or_else(|| sessions[i].name.clone(), |p| p.title.clone());
        let message = format!("started: {what}");
        moves.push(step(&mut after[i], WorkSessionCommand::Start, CoordinationKind::SessionStarted, message));
    }
    let progress = (!after.is_empty()).then(|| crate::implementation::progress_updates::snapshot(&after));
    Schedule { moves, progress }
}

/// A move of `session` by `command`, logged as `kind` with `message`; `session` becomes what the move
/// makes of it.
fn step(
    session: &mut WorkSession,
    command: WorkSessionCommand,
    kind: CoordinationKind,
    message: String,
) -> SessionMove {
    let log = entry(session, kind, message);
    // The decision moves a session only as its state allows (the write applies the same transition).
    if let Ok(transition) = session.state.apply(&command) {
        session.state = transition.to;
    }
    SessionMove { session: session.id, command, log }
}

/// For each session, the sessions it must wait for (from the plan's dependencies; a dependency on a
/// parent task means all of that parent's sessions).
pub(crate) fn waits(plan: &Plan, sessions: &[WorkSession]) -> HashMap<WorkSessionId, Vec<WorkSessionId>> {
    let mut waits = HashMap::new();
    let graph = plan.dependency_graph();
    let by_index: HashMap<usize, WorkSessionId> =
        sessions.iter().filter_map(|s| s.plan_task.as_ref().map(|p| (p.index as usize, s.id))).collect();
    // The sessions covering plan task `i`: itself, or every session under it.
    let covering = |i: usize| -> Vec<WorkSessionId> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(j) = stack.pop() {
            if let Some(id) = by_index.get(&j) {
                out.push(*id);
            } else if let Some(t) = plan.tasks().get(j) {
                stack.extend(t.children.iter().copied());
            }
        }
        out
    };
    for session in sessions {
        let Some(plan_task) = &session.plan_task else { continue };
        let mut deps: Vec<WorkSessionId> = Vec::new();
        let mut index = Some(plan_task.index as usize);
        // A task's own dependencies, and those of its ancestors.
        while let Some(i) = index {
            for &d in graph.depends_on(i) {
                deps.extend(covering(d).into_iter().filter(|id| *id != session.id));
            }
            index = plan.tasks().get(i).and_then(|t| t.parent);
        }
        deps.sort();
        deps.dedup();
        waits.insert(session.id, deps);
    }
    waits
}

/// For each session, the number of sessions on the longest chain that waits on it (0 for none).
pub(crate) fn chain_lengths(
    waits: &HashMap<WorkSessionId, Vec<WorkSessionId>>,
) -> HashMap<WorkSessionId, usize> {
    let mut dependents: HashMap<WorkSessionId, Vec<WorkSessionId>> = HashMap::new();
    for (session, deps) in waits {
        for dep in deps {
            dependents.entry(*dep).or_default().push(*session);
        }
    }
    fn longest(
        id: WorkSessionId,
        dependents: &HashMap<WorkSessionId, Vec<WorkSessionId>>,
        memo: &mut HashMap<WorkSessionId, usize>,
        depth: usize,
    ) -> usize {
        if let Some(known) = memo.get(&id) {
            return *known;
        }
        // The plan's graph is acyclic (the linter refuses cycles); the depth bound guards anyway.
        let value = if depth > 10_000 {
            0
        } else {
            dependents
                .get(&id)
                .map(|next| {
                    next.iter().map(|n| 1 + longest(*n, dependents, memo, depth + 1)).max().unwrap_or(0)
                })
                .unwrap_or(0)
        };
        memo.insert(id, value);
        value
    }
    let mut memo = HashMap::new();
    for id in waits.keys() {
        longest(*id, &dependents, &mut memo, 0);
    }
    memo
}

fn names_of(sessions: &[WorkSession], ids: &[WorkSessionId]) -> String {
    ids.iter()
        .filter_map(|id| sessions.iter().find(|s| s.id == *id).map(|s| s.name.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use spectask_core::WorkSessionState;
    use spectask_core::session::coordination::SessionData;

    use super::*;
    use crate::testing::work_session;

    fn moves(schedule: &Schedule) -> Vec<(String, &'static str)> {
        let word = |c: &WorkSessionCommand| match c {
            WorkSessionCommand::Block { .. } => "block",
            WorkSessionCommand::Unblock => "unblock",
            WorkSessionCommand::Start => "start",
            _ => "other",
        };
        schedule
            .moves
            .iter()
            .map(|m| {
                (serde_json::from_value::<SessionData>(m.log.data.clone()).unwrap().session, word(&m.command))
            })
            .collect()
    }

    /// 1, 2 and 3 open the plan side by side; 4 waits for 1 and 2; 5 for 4.
    const PLAN: &str = "# Plan\n\n- [ ] 1. One (P)\n- [ ] 2. Two (P)\n- [ ] 3. Three (P)\n\
                        - [ ] 4. Four\n  - _Depends: 1, 2_\n- [ ] 5. Five\n  - _Depends: 4_\n";

    #[test]
    fn waiting_sessions_are_blocked_and_the_longest_chain_starts_first_under_the_limit() {
        let plan = Plan::parse(PLAN);
        let sessions: Vec<WorkSession> =
            (0..5).map(|i| work_session(u128::from(i) + 1, Some(i), WorkSessionState::Pending)).collect();
        let committed = HashSet::new();
        let schedule = decide(Some(&plan), 2, &SchedulingView { sessions: &sessions, committed: &committed });
        let made = moves(&schedule);
        let blocked: Vec<&str> =
            made.iter().filter(|(_, w)| *w == "block").map(|(s, _)| s.as_str()).collect();
        assert_eq!(blocked, ["s4", "s5"], "{made:?}");
        let started: Vec<&str> =
            made.iter().filter(|(_, w)| *w == "start").map(|(s, _)| s.as_str()).collect();
        // s1 and s2 each have a chain of two waiting on them, s3 none: they go first, two at a time.
        assert_eq!(started, ["s1", "s2"], "{made:?}");
        let progress = schedule.progress.expect("a snapshot");
        assert!(progress.starts_with("### 0 of 5 sessions done"), "{progress}");
        assert!(
            progress.contains("- running: s1, s2") && progress.contains("- blocked: s4, s5"),
            "{progress}"
        );
        assert!(progress.contains("- pending: s3"), "{progress}");
    }

    #[test]
    fn a_session_is_unblocked_and_started_once_its_dependencies_are_committed() {
        let plan = Plan::parse(PLAN);
        let mut sessions: Vec<WorkSession> =
            (0..5).map(|i| work_session(u128::from(i) + 1, Some(i), WorkSessionState::Completed)).collect();
        let (one, two) = (sessions[0].id, sessions[1].id);
        sessions[2].state = WorkSessionState::Interrupted { reason: "restart".into() };
        sessions[3].state = WorkSessionState::Blocked { waiting_on: vec![one, two] };
        sessions[4].state = WorkSessionState::Blocked { waiting_on: vec![sessions[3].id] };
        // 2 completed but its commit step has not run: 4 still waits.
        let only_one: HashSet<WorkSessionId> = [one].into();
        let view = SchedulingView { sessions: &sessions, committed: &only_one };
        assert_eq!(moves(&decide(Some(&plan), 2, &view)), Vec::<(String, &str)>::new());
        let both: HashSet<WorkSessionId> = [one, two].into();
        let view = SchedulingView { sessions: &sessions, committed: &both };
        assert_eq!(moves(&decide(Some(&plan), 2, &view)), [("s4".into(), "unblock"), ("s4".into(), "start")]);
        // The interrupted session holds its slot: at a limit of one, s4 is unblocked but waits.
        assert_eq!(moves(&decide(Some(&plan), 1, &view)), [("s4".into(), "unblock")]);
    }

    /// A completion frees its slot before its commit: a ready session that ranks below the completed
    /// session's dependents does not take it; one that ranks above, or a second free slot, does.
    #[test]
    fn a_slot_is_kept_for_the_dependents_of_a_session_whose_commit_is_under_way() {
        let plan = Plan::parse(PLAN);
        let mut sessions: Vec<WorkSession> =
            (0..5).map(|i| work_session(u128::from(i) + 1, Some(i), WorkSessionState::Pending)).collect();
        let (one, two) = (sessions[0].id, sessions[1].id);
        sessions[0].state = WorkSessionState::Completed;
        sessions[1].state = WorkSessionState::Completed;
        sessions[3].state = WorkSessionState::Blocked { waiting_on: vec![one, two] };
        sessions[4].state = WorkSessionState::Blocked { waiting_on: vec![sessions[3].id] };
        // 1 completed, its commit under way; 2 committed. s4 (a chain of one behind it) will be ready
        // when 1's commit is recorded; s3 (nothing behind it) is ready now.
        let committed: HashSet<WorkSessionId> = [two].into();
        let view = SchedulingView { sessions: &sessions, committed: &committed };
        assert_eq!(
            moves(&decide(Some(&plan), 1, &view)),
            Vec::<(String, &str)>::new(),
            "the slot waits for s4"
        );
        assert_eq!(moves(&decide(Some(&plan), 2, &view)), [("s3".into(), "start")]);
        // Once 1's commit is recorded, s4 takes the slot.
        let both: HashSet<WorkSessionId> = [one, two].into();
        let view = SchedulingView { sessions: &sessions, committed: &both };
        assert_eq!(moves(&decide(Some(&plan), 1, &view)), [("s4".into(), "unblock"), ("s4".into(), "start")]);
    }
}
