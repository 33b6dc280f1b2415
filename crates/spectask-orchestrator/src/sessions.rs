//! Work sessions of an implementation: made from the plan, blocked and unblocked by its
//! dependencies, started up to the per-task limit, and the task submitted for review when all are done.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use spectask_core::{
    CoordinationKind, PlanTaskRef, Priority, SpecTask, SpecTaskId, SpecTaskStatus, TaskKind, WorkSession,
    WorkSessionCommand, WorkSessionId, WorkSessionStatus,
};
use spectask_spec::Plan;
use spectask_store::{NewCoordination, NewWorkSession, Store, StoreError};

use crate::config::Granularity;
use crate::dispatch::JobError;
use crate::engine::Ctx;

/// The StartImplementation step (and every scheduling pass): the sessions the implementation calls
/// for exist, then they are scheduled. The task and its sessions are read once for both (again only
/// when sessions were made).
pub(crate) async fn start_implementation(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        return Ok(());
    }
    let existing = ctx.store.work_sessions_of(id).await?;
    let made = make_missing(&ctx.store, &ctx.plans, ctx.config.granularity, &task, &existing).await?;
    let sessions = if made.is_empty() { existing } else { ctx.store.work_sessions_of(id).await? };
    schedule(ctx, &task, sessions).await
}

/// [`make_sessions`] with this node's engine context.
pub(crate) async fn create_sessions(ctx: &Ctx, task: &SpecTask) -> Result<Vec<WorkSession>, JobError> {
    make_sessions(&ctx.store, &ctx.plans, ctx.config.granularity, task).await
}

/// Makes the sessions the implementation of `task` calls for that do not exist yet, and returns
/// them: what the engine does when implementation starts and at every scheduling pass, for a
/// person who asks for them now (`POST /spec-tasks/{id}/implementation-sessions`). The task's own
/// scheduling pass then starts them. `Fatal` when an approved plan has nothing to implement.
pub async fn make_implementation_sessions(
    store: &Store,
    granularity: Granularity,
    task: &SpecTask,
) -> Result<Vec<WorkSession>, JobError> {
    make_sessions(store, &crate::plans::Plans::default(), granularity, task).await
}

/// Makes the sessions the implementation calls for that do not exist yet: one per open plan task
/// (or per top-level task) of a spec task, whatever else was spawned meanwhile; for kinds without a
/// plan, one main session when the task has none (an editor's thread is one); and one per changes
/// request of an implementation review. Each is made in a write that re-reads the task, once.
async fn make_sessions(
    store: &Store,
    plans: &crate::plans::Plans,
    granularity: Granularity,
    task: &SpecTask,
) -> Result<Vec<WorkSession>, JobError> {
    let existing = store.work_sessions_of(task.id).await?;
    make_missing(store, plans, granularity, task, &existing).await
}

/// [`make_sessions`] knowing the sessions that exist.
async fn make_missing(
    store: &Store,
    plans: &crate::plans::Plans,
    granularity: Granularity,
    task: &SpecTask,
    existing: &[WorkSession],
) -> Result<Vec<WorkSession>, JobError> {
    let missing: Vec<NewWorkSession> = match task.kind {
        TaskKind::Spec => {
            let Some(plan) = crate::plans::approved(store, plans, task).await? else { return Ok(Vec::new()) };
            if task.implements_whole_plan() {
                let session = crate::whole_plan::session(task, &plan);
                if session.is_none() && existing.is_empty() {
                    return Err(JobError::Fatal("the approved plan has no open task to implement".into()));
                }
                // Made once: the store keeps one top-level session of a name without a plan task.
                session.into_iter().collect()
            } else {
                let units = plan_units(&plan, granularity);
                if units.is_empty() && existing.is_empty() {
                    return Err(JobError::Fatal("the approved plan has no open task to implement".into()));
                }
                let covered: Vec<usize> =
                    existing.iter().filter_map(|s| s.plan_task.as_ref().map(|p| p.index as usize)).collect();
                units
                    .into_iter()
                    .filter(|(_, _, p)| {
                        p.as_ref()
                            .is_none_or(|p| !covered.iter().any(|&c| related(&plan, c, p.index as usize)))
                    })
                    .map(|(name, description, plan_task)| new_session(task, name, description, plan_task))
                    .collect()
            }
        }
        TaskKind::Interactive | TaskKind::CodingSession if existing.is_empty() => {
            vec![new_session(task, task.title.clone(), task.prompt.clone(), None)]
        }
        TaskKind::Interactive | TaskKind::CodingSession => Vec::new(),
    };
    let mut made = Vec::new();
    if !missing.is_empty() {
        made.extend(make(store, task, missing, false).await?);
    }
    let follow_ups = crate::finish::missing_follow_ups(store, task, existing).await?;
    if !follow_ups.is_empty() {
        made.extend(make(store, task, follow_ups, true).await?);
    }
    Ok(made)
}

/// Makes sessions unless they exist; a task that left implementation meanwhile gets none.
async fn make(
    store: &Store,
    task: &SpecTask,
    sessions: Vec<NewWorkSession>,
    spawned: bool,
) -> Result<Vec<WorkSession>, JobError> {
    match store.make_missing_work_sessions(task.id, sessions, spawned).await {
        Ok(made) => Ok(made),
        Err(StoreError::Transition(_)) => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}

/// A top-level implementation session of `task`.
pub(crate) fn new_session(
    task: &SpecTask,
    name: String,
    description: String,
    plan_task: Option<PlanTaskRef>,
) -> NewWorkSession {
    NewWorkSession {
        plan_task,
        priority: task.priority,
        ..NewWorkSession::implementation(task.id, name, description)
    }
}

type Unit = (String, String, Option<PlanTaskRef>);

/// Whether plan tasks `a` and `b` are one, or one holds the other: a session of either covers the
/// other (sessions made per top-level task, or per leaf, when the granularity changed since).
fn related(plan: &Plan, a: usize, b: usize) -> bool {
    // Up the parent links (a tree: at most one step per plan task).
    let holds = |outer: usize, inner: usize| {
        let mut at = Some(inner);
        for _ in 0..=plan.tasks().len() {
            match at {
                Some(i) if i == outer => return true,
                Some(i) => at = plan.tasks().get(i).and_then(|t| t.parent),
                None => return false,
            }
        }
        false
    };
    holds(a, b) || holds(b, a)
}

/// The plan tasks that become sessions: open, not optional; leaves, or top-level tasks with their
/// sub-tasks folded into the description.
fn plan_units(plan: &Plan, granularity: Granularity) -> Vec<Unit> {
    let tasks = plan.tasks();
    let chosen = tasks.iter().filter(|t| {
        let open = t.state != spectask_spec::PlanTaskState::Done && !t.optional;
        match granularity {
            Granularity::PlanTask => open && t.children.is_empty(),
            Granularity::TopLevel => open && t.parent.is_none(),
        }
    });
    chosen
        .map(|t| {
            let mut description = t.details.join("\n");
            if granularity == Granularity::TopLevel {
                for &child in &t.children {
                    if let Some(c) = tasks.get(child) {
                        description.push_str(&format!(
                            "\n- [ ] {} {}",
                            c.id.as_deref().unwrap_or(""),
                            c.title
                        ));
                    }
                }
            }
            let label = t.id.as_deref().map(|i| format!("{i} ")).unwrap_or_default();
            (
                format!("{label}{}", t.title),
                description.trim().to_owned(),
                Some(PlanTaskRef {
                    index: u32::try_from(t.index).unwrap_or(u32::MAX),
                    id: t.id.clone(),
                    title: t.title.clone(),
                    description: description.trim().to_owned(),
                }),
            )
        })
        .collect()
}

/// For each session, the sessions it must wait for (from the plan's dependencies; a dependency on a
/// parent task means all of that parent's sessions).
async fn waits(
    ctx: &Ctx,
    task: &SpecTask,
    sessions: &[WorkSession],
) -> Result<HashMap<WorkSessionId, Vec<WorkSessionId>>, JobError> {
    let mut waits = HashMap::new();
    let Some(plan) = crate::plans::approved(&ctx.store, &ctx.plans, task).await? else { return Ok(waits) };
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
    Ok(waits)
}

/// Moves the implementation forward: blocks and unblocks by dependencies, starts sessions up to the
/// per-task limit, and submits the task for review when every session completed.
///
/// One writer per task: this runs only in the task's own jobs (StartImplementation,
/// ResumeImplementation, AdvanceImplementation), which the job queue runs one
/// at a time per task, on whichever node; a session's commit step queues an AdvanceImplementation
/// rather than deciding itself. The two decisions that must hold against every other writer (a
/// start under the limit, the submission when all is done) are re-checked by the store inside their
/// own write transaction.
///
/// A session counts as done once its commit step ran (its changes are on the task branch), so a
/// dependent session never starts on, or commits, work that is not yet attributed.
pub(crate) async fn advance(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        return Ok(());
    }
    let sessions = ctx.store.work_sessions_of(id).await?;
    schedule(ctx, &task, sessions).await
}

/// [`advance`] with the task and its sessions as this step read them. Each session this pass moves
/// is replaced by what its write returned, so the pass reads none of them again; what another
/// writer moved meanwhile makes that write a conflict (the session is read again and started if
/// still pending) or queues a pass of its own (a session ended by a person or committed).
async fn schedule(ctx: &Ctx, task: &SpecTask, mut sessions: Vec<WorkSession>) -> Result<(), JobError> {
    let id = task.id;
    let waits = waits(ctx, task, &sessions).await?;
    let committed = ctx.store.committed_work_sessions(id).await?;
    let completed: HashSet<WorkSessionId> = sessions
        .iter()
        .filter(|s| s.status() == WorkSessionStatus::Completed && committed.contains(&s.id))
        .map(|s| s.id)
        .collect();
    let mut ready = Vec::new();
    for i in 0..sessions.len() {
        let session = &sessions[i];
        let unmet: Vec<WorkSessionId> = waits
            .get(&session.id)
            .map(|d| d.iter().filter(|d| !completed.contains(d)).copied().collect())
            .unwrap_or_default();
        match session.status() {
            WorkSessionStatus::Pending if !unmet.is_empty() => {
                let log = entry(
                    session,
                    CoordinationKind::SessionBlocked,
                    format!("waiting for {}", names_of(&sessions, &unmet)),
                );
                let command = WorkSessionCommand::Block { waiting_on: unmet };
                if let Some(blocked) = apply(ctx, session, &command, log).await? {
                    sessions[i] = blocked;
                }
            }
            WorkSessionStatus::Blocked if unmet.is_empty() => {
                let log = entry(session, CoordinationKind::SessionUnblocked, "dependencies done".to_owned());
                if let Some(unblocked) = apply(ctx, session, &WorkSessionCommand::Unblock, log).await? {
                    sessions[i] = unblocked;
                    ready.push(i);
                }
            }
            WorkSessionStatus::Pending => ready.push(i),
            _ => {}
        }
    }
    // Priority first; then the session with the longest chain of sessions waiting on it, so the
    // critical path starts early; then plan order.
    let chains = chain_lengths(&waits);
    ready.sort_by_key(|&i| {
        let s = &sessions[i];
        (
            std::cmp::Reverse(s.priority),
            std::cmp::Reverse(chains.get(&s.id).copied().unwrap_or(0)),
            s.plan_task.as_ref().map(|p| p.index),
            s.created_at,
        )
    });
    // The store counts them again in the write that starts one; a pass that sees the task at its
    // limit leaves the start to the pass a session's end queues.
    let busy =
        |s: &&WorkSession| matches!(s.status(), WorkSessionStatus::Running | WorkSessionStatus::Interrupted);
    let mut running = sessions.iter().filter(busy).count();
    for i in ready {
        if running >= ctx.config.max_parallel_sessions {
            break;
        }
        let started = match start(ctx, &sessions[i]).await? {
            Start::Started(started) => started,
            // The task runs as many sessions as it may.
            Start::Full => break,
            // Moved meanwhile (cancelled, paused, started by another writer).
            Start::Moved => continue,
        };
        sessions[i] = *started;
        running += 1;
    }
    // The store decides the submission again in its own write; a pass that sees a session
    // unfinished leaves it to the pass its end queues.
    let finished = |s: &WorkSession| match s.status() {
        WorkSessionStatus::Completed => committed.contains(&s.id),
        WorkSessionStatus::Cancelled => true,
        _ => false,
    };
    if sessions.iter().all(finished) && !committed.is_empty() {
        ctx.store.submit_implementation_when_finished(id).await?;
    }
    crate::progress_updates::record(ctx, task, &sessions).await
}

/// How starting a pending session went.
enum Start {
    Started(Box<WorkSession>),
    /// The task runs as many sessions as it may.
    Full,
    /// The session is no longer pending.
    Moved,
}

/// Starts `session` under the per-task limit, logging it in the same write; a session another writer
/// touched since this pass read it is read again and started if it is still pending.
async fn start(ctx: &Ctx, session: &WorkSession) -> Result<Start, JobError> {
    let limit = ctx.config.max_parallel_sessions;
    let what = session.plan_task.as_ref().map(|p| p.title.clone()).unwrap_or_else(|| session.name.clone());
    let log = entry(session, CoordinationKind::SessionStarted, format!("started: {what}"));
    let mut current = session.clone();
    for _ in 0..2 {
        match ctx.store.start_work_session_within(&current, limit, log.clone()).await {
            Ok(Some(started)) => return Ok(Start::Started(Box::new(started))),
            Ok(None) => return Ok(Start::Full),
            Err(StoreError::Conflict { .. }) => {
                current = ctx.store.work_session(session.id).await?;
                if current.status() != WorkSessionStatus::Pending {
                    return Ok(Start::Moved);
                }
            }
            Err(StoreError::Transition(_)) => return Ok(Start::Moved),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(Start::Moved)
}

/// For each session, the number of sessions on the longest chain that waits on it (0 for none).
fn chain_lengths(waits: &HashMap<WorkSessionId, Vec<WorkSessionId>>) -> HashMap<WorkSessionId, usize> {
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

/// Applies a command whose effects the engine queues, with its coordination entry in the same write,
/// returning the session it made; `None` when another worker got there first.
async fn apply(
    ctx: &Ctx,
    session: &WorkSession,
    command: &WorkSessionCommand,
    log: NewCoordination,
) -> Result<Option<WorkSession>, JobError> {
    match ctx.store.schedule_work_session(session, command, log).await {
        Ok(moved) => Ok(Some(moved)),
        Err(StoreError::Conflict { .. } | StoreError::Transition(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The coordination entry `session` makes: what happened to it, with its name and plan task.
pub(crate) fn entry(session: &WorkSession, kind: CoordinationKind, message: String) -> NewCoordination {
    let data = json!({ "session": session.name, "plan_task": session.plan_task.as_ref().and_then(|p| p.id.clone()) });
    NewCoordination {
        spec_task_id: session.spec_task_id,
        kind,
        from_session: Some(session.id),
        to_session: None,
        message,
        data,
    }
}

fn names_of(sessions: &[WorkSession], ids: &[WorkSessionId]) -> String {
    ids.iter()
        .filter_map(|id| sessions.iter().find(|s| s.id == *id).map(|s| s.name.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a spawned session is.
#[derive(Clone, Debug)]
pub struct SpawnRequest {
    pub name: String,
    pub description: String,
    pub agent_profile: Option<String>,
    pub priority: Priority,
}

/// Creates a child session of `parent` (or a top-level one) in a task under implementation, and
/// schedules it. The task's status is checked in the write that creates the session, so a task
/// submitted for review meanwhile refuses it rather than keeping a session that never runs.
pub async fn spawn(
    store: &spectask_store::Store,
    task: &SpecTask,
    parent: Option<&WorkSession>,
    request: SpawnRequest,
) -> Result<WorkSession, StoreError> {
    store
        .spawn_work_session(NewWorkSession {
            parent_id: parent.map(|p| p.id),
            spawned_by_id: parent.map(|p| p.id),
            agent_profile: request.agent_profile,
            priority: request.priority,
            ..NewWorkSession::implementation(task.id, request.name, request.description)
        })
        .await
}

#[cfg(test)]
mod tests;
