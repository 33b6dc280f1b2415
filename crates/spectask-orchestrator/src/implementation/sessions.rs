//! Work sessions of an implementation: made from the plan, blocked and unblocked by its
//! dependencies, started up to the per-task limit, and the task submitted for review when all are done.

use spectask_core::session::coordination::SessionData;
use spectask_core::{
    CoordinationKind, PlanTaskRef, Priority, SpecTask, SpecTaskId, SpecTaskStatus, TaskKind, WorkSession,
};
use spectask_spec::Plan;
use spectask_store::{NewCoordination, NewWorkSession, Store, StoreError};

pub(crate) use self::decide::Decider;
use crate::config::Granularity;
use crate::ctx::Ctx;
use crate::job_error::JobError;

/// The StartImplementation step (and every scheduling pass): the sessions the implementation calls
/// for exist, then they are scheduled.
pub(crate) async fn start_implementation(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        return Ok(());
    }
    let existing = ctx.store.work_sessions_of(id).await?;
    make_missing(&ctx.store, &ctx.plans, ctx.config.granularity, &task, &existing).await?;
    schedule(ctx, &task).await
}

/// The StartImplementation step: the task's agent is started while its sessions are made and
/// scheduled ([`start_implementation`]).
pub(crate) async fn begin_implementation(
    ctx: &Ctx,
    id: SpecTaskId,
    stop: &tokio_util::sync::CancellationToken,
) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() == SpecTaskStatus::Implementation {
        crate::implementation::agents::warm_up(ctx, &task, stop);
    }
    start_implementation(ctx, id).await
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
    make_sessions(store, &crate::ctx::plans::Plans::default(), granularity, task).await
}

/// Makes the sessions the implementation calls for that do not exist yet: one per open plan task
/// (or per top-level task) of a spec task, whatever else was spawned meanwhile; for kinds without a
/// plan, one main session when the task has none (an editor's thread is one); and one per changes
/// request of an implementation review, and one per merge of the default branch sent back with
/// conflicts. Each is made in a write that re-reads the task, once.
async fn make_sessions(
    store: &Store,
    plans: &crate::ctx::plans::Plans,
    granularity: Granularity,
    task: &SpecTask,
) -> Result<Vec<WorkSession>, JobError> {
    let existing = store.work_sessions_of(task.id).await?;
    make_missing(store, plans, granularity, task, &existing).await
}

/// [`make_sessions`] knowing the sessions that exist.
async fn make_missing(
    store: &Store,
    plans: &crate::ctx::plans::Plans,
    granularity: Granularity,
    task: &SpecTask,
    existing: &[WorkSession],
) -> Result<Vec<WorkSession>, JobError> {
    let missing: Vec<NewWorkSession> = match task.kind {
        TaskKind::Spec => {
            let Some(plan) = crate::ctx::plans::approved(store, plans, task).await? else {
                return Ok(Vec::new());
            };
            // A simple task's plan is one session's; the plan tasks its converge rounds add (the
            // rest ticked done in the round's version) get one each, as a complex task's do.
            let rounds = if task.implements_whole_plan() {
                let log = store.coordination_of_kind(task.id, CoordinationKind::Converge).await?;
                crate::implementation::follow_ups::rounds(&log)
            } else {
                0
            };
            if task.implements_whole_plan() && rounds == 0 {
                let session = crate::implementation::whole_plan::session(task, &plan);
                if session.is_none() && existing.is_empty() {
                    return Err(JobError::fatal("the approved plan has no open task to implement"));
                }
                // Made once: the store keeps one top-level session of a name without a plan task.
                session.into_iter().collect()
            } else {
                let units = plan_units(&plan, granularity);
                if units.is_empty() && existing.is_empty() {
                    return Err(JobError::fatal("the approved plan has no open task to implement"));
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
    let follow_ups = crate::implementation::follow_ups::missing_follow_ups(store, task, existing).await?;
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

/// Moves the implementation forward: blocks and unblocks by dependencies, starts sessions up to the
/// per-task limit, and submits the task for review when every session is finished.
///
/// One writer per task: every scheduling decision (this pass, and those a session's completion and
/// its commit step make in the writes that record them) is taken inside the store's write transaction
/// that carries it out, on the sessions as that write reads them (`decide`), so no two decisions for
/// a task are ever made at once, on whichever node, and none on a snapshot another writer moved on
/// from.
pub(crate) async fn advance(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != SpecTaskStatus::Implementation {
        return Ok(());
    }
    schedule(ctx, &task).await
}

/// The task's scheduling, decided on its sessions as the store's write reads them and carried out in
/// that write; then the plan tasks of the sessions it started are ticked in progress.
async fn schedule(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let decider = decider(ctx, task).await?;
    let decide = |view: &spectask_store::SchedulingView<'_>| decider.decide(view);
    let scheduled =
        ctx.store.schedule_implementation(task.id, crate::ctx::handed::scheduling(ctx, &decide)).await?;
    crate::ctx::handed::pass_to_engine(ctx, &scheduled);
    // The plan tasks of the sessions it started, in progress (the pass ends once that is committed).
    crate::history::markers::set_each(ctx, task, crate::history::markers::in_progress(&scheduled.started))
        .await
}

/// How this node decides the scheduling of `task`: by its approved plan, under the per-task limit.
pub(crate) async fn decider(ctx: &Ctx, task: &SpecTask) -> Result<Decider, JobError> {
    let plan = crate::ctx::plans::approved(&ctx.store, &ctx.plans, task).await?;
    Ok(Decider { plan, limit: ctx.config.max_parallel_sessions })
}

/// The coordination entry `session` makes: what happened to it, with its name and plan task.
pub(crate) fn entry(session: &WorkSession, kind: CoordinationKind, message: String) -> NewCoordination {
    let data = SessionData {
        session: session.name.clone(),
        plan_task: session.plan_task.as_ref().and_then(|p| p.id.clone()),
    }
    .data();
    NewCoordination {
        spec_task_id: session.spec_task_id,
        kind,
        from_session: Some(session.id),
        to_session: None,
        message,
        data,
    }
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

mod decide;
#[cfg(test)]
mod tests;
