//! The end of a work session's turn: its changes committed to the task branch with trailers, its
//! plan task ticked, the coordination log told, and the implementation moved forward.

use spectask_core::session::coordination::{HandoffData, HandoffStep};
use spectask_core::{
    CoordinationKind, HistoryFile, SpecTask, SpecTaskId, WorkSession, WorkSessionId, WorkSessionStatus,
};
use spectask_git::{CommitId, CommittedChanges, HooksDir, Repo, TaskHandle, WorkSessionCommit};
use spectask_spec::PlanTaskState;
use spectask_store::{CommitRecord, NewCoordination};

use crate::ctx::Ctx;
use crate::history::{markers, record};
use crate::implementation::sessions::{self, advance, entry};
use crate::job_error::JobError;
use crate::repos;

/// The CommitChanges step (a session a person completed), and the drive of a session found completed
/// (its earlier drive was cut off after completing it): its changes committed unless they already
/// are, then its plan task ticked (again: a tick that changes nothing writes nothing).
pub(crate) async fn commit_changes(ctx: &Ctx, id: WorkSessionId) -> Result<(), JobError> {
    let session = ctx.store.work_session(id).await?;
    if session.status() != WorkSessionStatus::Completed {
        return Ok(());
    }
    let task = ctx.store.spec_task(session.spec_task_id).await?;
    if ctx.store.work_session_committed(id).await? {
        // Not again: what is uncommitted in the worktree now is other sessions' work.
        return tick_done(ctx, &task, &session, &[]).await;
    }
    let summary = ctx.store.work_session_summary(id).await?.unwrap_or_default();
    commit_completed(ctx, &task, &session, &summary, Vec::new()).await
}

/// How [`finish`] comes by the session's commit.
pub(crate) enum Commit {
    /// The commit a run of the session's drive cut off after it made already.
    Found(CommitId),
    /// Made now, running the repository's hooks where this completion's pre-commit check found
    /// them (`None`: where the configuration says).
    Make(Option<HooksDir>),
}

/// The end of a running session whose turn its drive found complete. Its changes are committed
/// to the task branch (unless [`Commit::Found`]: a run cut off after it made it already), and pushed
/// until the remote holds them; only then is the session completed, in one write with its commit's
/// record and its task's scheduling (which starts what the commit unblocks, in the slot it
/// leaves). Its plan task is ticked after. A node that dies at any point of this loses no
/// completed session's work: before the write, the session is still running, and another node
/// finds its commit on the remote (or does its work again). False when messages wait for the
/// session: its commit's history is kept, and it takes them in another turn.
pub(crate) async fn finish(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    summary: Option<&str>,
    commit: Commit,
) -> Result<bool, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let (committed, left) = match commit {
        Commit::Found(commit) => (Some(committed_changes(&repo, commit).await?), LeftOut::default()),
        Commit::Make(hooks) => commit_session_changes(ctx, task, session, (&repo, &name), hooks).await?,
    };
    repos::push_task_work(task, &repo).await?;
    let summary_text = summary.unwrap_or_default();
    let record = commit_record(task, session, summary_text, committed.as_ref(), &left);
    let decider = sessions::decider(ctx, task).await?;
    let decide = |view: &spectask_store::SchedulingView<'_>| decider.decide(view);
    let scheduling = crate::ctx::handed::scheduling(ctx, &decide);
    let kept = record.history.clone();
    let Some(done) = ctx.store.complete_committed_work_session(session, summary, record, scheduling).await?
    else {
        if let Some(history) = kept {
            ctx.store.append_history(&[history]).await?;
        }
        return Ok(false);
    };
    crate::ctx::handed::pass_to_engine(ctx, &done.scheduled);
    tick_done(ctx, task, &done.session, &done.scheduled.started).await?;
    Ok(true)
}

/// The commit a run of the session's drive made before it was cut off (after its commit, or its
/// push), on the task branch as this node has it, brought level with the remote's: another node
/// that made it pushed it before it could complete the session. `None`: its work is not committed.
pub(crate) async fn earlier_commit(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<Option<CommitId>, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    crate::implementation::agents::worktree_in(ctx, &repo, task).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let id = session.id.to_string();
    repos::blocking(move || repo.session_commit(&name, &id)).await
}

/// The files `commit` (a session's, made earlier) changed.
async fn committed_changes(repo: &Repo, commit: CommitId) -> Result<CommittedChanges, JobError> {
    let reading = repo.clone();
    let files = repos::blocking(move || {
        let parent = reading.commit_info(commit)?.parents.first().copied();
        reading.changed_files(parent, commit)
    })
    .await?;
    Ok(CommittedChanges { commit, changed_files: files })
}

/// What a session's commit cannot hold: the submodules holding changes of their own, and files
/// written under submodules not checked out here (git takes neither).
#[derive(Default)]
struct LeftOut {
    submodules: Vec<String>,
    absent: Vec<String>,
}

/// Commits what `session` changed to the task branch with its trailers, running the hooks in
/// `hooks` (where the configuration says, when `None`); with what it cannot hold.
async fn commit_session_changes(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    (repo, name): (&Repo, &TaskHandle),
    hooks: Option<HooksDir>,
) -> Result<(Option<CommittedChanges>, LeftOut), JobError> {
    let implements = requirement_ids(ctx, task, session).await?;
    let commit = WorkSessionCommit {
        message: format!("{}: {}", task.handle(), session.name),
        spec_task: task.id.to_string(),
        work_session: session.id.to_string(),
        implements,
        // Only what the session reported changing; when it reported nothing, everything.
        paths: Some(ctx.store.touched_paths(session.id).await?).filter(|p| !p.is_empty()),
    };
    let (committing, name) = (repo.clone(), name.clone());
    let (committed, submodules, absent) = repos::blocking(move || {
        let committed = committing.commit_checked_work_session(&name, &commit, hooks.as_ref())?;
        let absent = committing.files_in_absent_submodules(&name)?;
        Ok((committed, committing.submodules_with_changes(&name)?, absent))
    })
    .await?;
    Ok((committed, LeftOut { submodules, absent }))
}

/// What a session's commit records: its history entry, and its coordination entries (its plan
/// task done, its completion).
fn commit_record(
    task: &SpecTask,
    session: &WorkSession,
    summary: &str,
    committed: Option<&CommittedChanges>,
    left: &LeftOut,
) -> CommitRecord {
    // Changes inside a submodule belong to its own repository: reported, never dropped silently.
    let listed = |paths: &[String]| paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
    let mut left_out = String::new();
    if !left.submodules.is_empty() {
        left_out.push_str(&format!(
            "Not committed: changes inside the submodule(s) {}, which belong to their own repositories \
             (commit them there).\n\n",
            listed(&left.submodules)
        ));
    }
    if !left.absent.is_empty() {
        left_out.push_str(&format!(
            "Not committed: {}, written under a submodule that is not checked out here (its repository \
             could not be fetched); git cannot take files there.\n\n",
            listed(&left.absent)
        ));
    }
    let history = match committed {
        Some(c) => {
            let files: Vec<String> =
                c.changed_files.iter().map(|f| format!("- `{}` ({:?})", f.path, f.change)).collect();
            let text = format!(
                "## Commit {}\n\n{}\n\n{left_out}Reasoning: {}\n\n",
                c.commit,
                files.join("\n"),
                summary.trim()
            );
            Some(record::entry(session, HistoryFile::CodeChanges, text))
        }
        None if !left_out.is_empty() => {
            Some(record::entry(session, HistoryFile::CodeChanges, format!("## Commit (none)\n\n{left_out}")))
        }
        None => None,
    };
    let whole_plan = task.is_whole_plan_session(session);
    let plan_id = session.plan_task.as_ref().and_then(|p| p.id.clone()).filter(|_| !whole_plan);
    let mut coordination = Vec::new();
    // A session that committed nothing did no work the plan can count: the log says so.
    let done = match (&plan_id, committed.is_some()) {
        _ if whole_plan && committed.is_some() => Some("every plan task done".to_owned()),
        _ if whole_plan => Some("the whole plan ended with no change".to_owned()),
        (Some(plan_id), true) => Some(format!("{plan_id} done")),
        (Some(plan_id), false) => Some(format!("{plan_id} ended with no change")),
        (None, _) => None,
    };
    if let Some(done) = done {
        coordination.push(entry(session, CoordinationKind::PlanTaskDone, done));
    }
    let files = committed.map(|c| c.changed_files.len()).unwrap_or(0);
    let line = summary.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned();
    let message = format!("completed ({files} files changed) {line}");
    coordination.push(entry(session, CoordinationKind::SessionCompleted, message));
    CommitRecord { history, coordination }
}

/// Commits what a completed `session` changed to the task branch with its trailers (a session a
/// person completed, or one completed before its commit by an earlier version), pushes it until
/// the remote holds it, then records the commit, the coordination entries and the committed mark
/// with the task's scheduling in one write (which starts what the commit unblocks); then ticks its
/// plan task done and those of the sessions started since (`started`) and by that write in
/// progress. `summary` is what the session reported last. The task's worktree is made here when
/// this node has none (another node held the task): what the session left uncommitted on that
/// node's disk is then out of reach, and said so in the task's coordination log.
pub(crate) async fn commit_completed(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    summary: &str,
    mut started: Vec<WorkSession>,
) -> Result<(), JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let made_here = crate::implementation::agents::task_worktree(ctx, &repo, task).await?.worktree_created;
    // Committing again after a crash before the record finds nothing left to commit: the commit
    // made then is the session's.
    let (mut committed, left) = commit_session_changes(ctx, task, session, (&repo, &name), None).await?;
    if committed.is_none()
        && let Some(commit) = earlier_commit(ctx, task, session).await?
    {
        committed = Some(committed_changes(&repo, commit).await?);
    }
    if committed.is_none() && made_here && repo.remote().is_some() {
        let message = format!(
            "session {} was completed while another node held the task; what it left uncommitted there \
             did not reach the remote",
            session.name
        );
        let entry = NewCoordination {
            spec_task_id: task.id,
            kind: CoordinationKind::Handoff,
            from_session: Some(session.id),
            to_session: None,
            message,
            data: HandoffData::from(HandoffStep::Commit { session: session.id.to_string() }).data(),
        };
        ctx.store.record_coordination_unless_logged(entry).await?;
    }
    repos::push_task_work(task, &repo).await?;
    let record = commit_record(task, session, summary, committed.as_ref(), &left);
    // The commit's history, the coordination entries (a rerun after a crash that came after they
    // were written does not log them twice), the committed mark and the task's scheduling, decided
    // on the sessions as that write reads them: one write, which starts the sessions this commit
    // unblocks. The plan task is ticked after it: the tick is not on the way to those sessions (their
    // prompts mark completed sessions' plan tasks done themselves, `markers::as_sessions_stand`); the step
    // ends only once it is committed, and a rerun ticks again (an unchanged document is not rewritten).
    let decider = sessions::decider(ctx, task).await?;
    // The threads it starts are claimed for this node in that write and handed to its engine.
    let decide = |view: &spectask_store::SchedulingView<'_>| decider.decide(view);
    let scheduling = crate::ctx::handed::scheduling(ctx, &decide);
    let scheduled = ctx.store.record_work_session_committed(session, record, scheduling).await?;
    crate::ctx::handed::pass_to_engine(ctx, &scheduled);
    started.extend(scheduled.started);
    tick_done(ctx, task, session, &started).await
}

/// Ticks the plan task `session` implemented done (every plan task, for a whole-plan session), and
/// those of the sessions its commit `started` in progress, in one commit.
async fn tick_done(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    started: &[WorkSession],
) -> Result<(), JobError> {
    if task.is_whole_plan_session(session) {
        markers::set_all(ctx, task, PlanTaskState::Done).await?;
        return markers::set_each(ctx, task, markers::in_progress(started)).await;
    }
    let done = session.plan_task.as_ref().and_then(|p| p.id.clone()).map(|id| (id, PlanTaskState::Done));
    markers::set_each(ctx, task, done.into_iter().chain(markers::in_progress(started)).collect()).await
}

/// The requirement ids the session's plan task references (its `Implements:` trailer).
async fn requirement_ids(
    ctx: &Ctx,
    task: &spectask_core::SpecTask,
    session: &spectask_core::WorkSession,
) -> Result<Vec<String>, JobError> {
    let Some(plan) = crate::ctx::plans::approved(&ctx.store, &ctx.plans, task).await? else {
        return Ok(Vec::new());
    };
    if task.is_whole_plan_session(session) {
        return Ok(crate::implementation::whole_plan::requirement_ids(&plan));
    }
    let Some(plan_task) = &session.plan_task else { return Ok(Vec::new()) };
    Ok(plan.tasks().get(plan_task.index as usize).map(|t| t.requirements.clone()).unwrap_or_default())
}

/// The ResumeImplementation step (after a retry of a failed task): failed sessions are retried,
/// interrupted ones resumed, completed ones whose commit never got through (it failed the task)
/// have their commit step queued, then scheduling continues.
pub(crate) async fn resume_implementation(ctx: &Ctx, id: SpecTaskId) -> Result<(), JobError> {
    let task = ctx.store.spec_task(id).await?;
    if task.status() != spectask_core::SpecTaskStatus::Implementation {
        return Ok(());
    }
    crate::implementation::sessions::create_sessions(ctx, &task).await?;
    for session in ctx.store.work_sessions_of(id).await? {
        let command = match session.status() {
            WorkSessionStatus::Failed => spectask_core::WorkSessionCommand::Retry,
            WorkSessionStatus::Interrupted => spectask_core::WorkSessionCommand::Resume,
            // Its commit runs on the session's own key, never beside a retry of its drive.
            WorkSessionStatus::Completed if !ctx.store.work_session_committed(session.id).await? => {
                ctx.store.request_commit(&session).await?;
                continue;
            }
            _ => continue,
        };
        match ctx.store.transition_work_session(&session, &command).await {
            Ok(_)
            | Err(spectask_store::StoreError::Conflict { .. } | spectask_store::StoreError::Transition(_)) => {
            }
            Err(err) => return Err(err.into()),
        }
    }
    advance(ctx, id).await
}

#[cfg(test)]
mod tests {
    use spectask_core::{SpecTaskCommand, WorkSessionCommand};

    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn running_the_commit_step_twice_commits_and_logs_once() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, session) = crate::testing::ctx_with_session(dir.path()).await;
        let store = ctx.store.clone();
        let running =
            store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
        store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();
        let worktree = crate::implementation::agents::worktree(&ctx, &task).await.unwrap();
        std::fs::write(worktree.join("new.txt"), "x\n").unwrap();

        commit_changes(&ctx, session.id).await.unwrap();
        commit_changes(&ctx, session.id).await.unwrap();

        let completed = store
            .coordination_log(task.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == CoordinationKind::SessionCompleted)
            .count();
        assert_eq!(completed, 1, "the rerun does not log the session's completion again");
        let commits = store
            .history_of_session(session.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.file == HistoryFile::CodeChanges)
            .count();
        assert_eq!(commits, 1, "the rerun finds nothing left to commit");
        // A sibling's work in progress is not taken for this session's by a later rerun (this one
        // reported no paths: its commit takes everything).
        std::fs::write(worktree.join("sibling.txt"), "half done\n").unwrap();
        commit_changes(&ctx, session.id).await.unwrap();
        let uncommitted = crate::implementation::agents::uncommitted(&ctx, &task).await.unwrap();
        assert!(uncommitted.iter().any(|p| p.contains("sibling.txt")), "{uncommitted:?}");
    }

    /// The commit step of a completed session runs on a node that never made the task's worktree
    /// (the node that held the task died): it makes the worktree rather than fail the task
    /// ("worktree … was not created by spectask"), and records the session committed.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_commit_step_on_a_node_without_the_worktree_makes_it() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, _task, session) = crate::testing::ctx_with_session(dir.path()).await;
        let store = ctx.store.clone();
        let running =
            store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
        store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();

        commit_changes(&ctx, session.id).await.unwrap();

        assert!(store.work_session_committed(session.id).await.unwrap());
    }

    /// A retried task's completed session whose commit never got through is committed by a step on
    /// the session's own key (never beside a retry of its drive), not by the task's step.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_retried_task_queues_the_commit_of_a_completed_session() {
        let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
        let task = f.task_in_implementation().await;
        let session = f.session(&task, "s").await;
        let store = f.store().clone();
        let running =
            store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
        store.complete_work_session_unless_messages(&running, None, None).await.unwrap().unwrap();
        let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
        std::fs::write(worktree.join("s.txt"), "s\n").unwrap();

        resume_implementation(&f.ctx, task.id).await.unwrap();
        resume_implementation(&f.ctx, task.id).await.unwrap();

        assert!(!store.work_session_committed(session.id).await.unwrap(), "not committed by the task's step");
        let commit = spectask_core::JobKind::WorkSession(spectask_core::WorkSessionEffect::CommitChanges);
        let jobs = store.jobs_of(task.id).await.unwrap();
        let queued: Vec<_> =
            jobs.iter().filter(|j| j.kind == commit && j.work_session_id == Some(session.id)).collect();
        assert_eq!(queued.len(), 1, "queued once: {jobs:#?}");
        f.run_while(|j| j.kind == commit || crate::testing::scheduling(j)).await;
        assert!(store.work_session_committed(session.id).await.unwrap());
    }

    /// A drive that finds its session completed (its earlier run was cut off between the completion
    /// and the commit, which the drive makes itself) commits it, once.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_drive_that_finds_its_session_completed_commits_it() {
        let dir = tempfile::tempdir().unwrap();
        let (ctx, task, session) = crate::testing::ctx_with_session(dir.path()).await;
        let store = ctx.store.clone();
        let running =
            store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
        store.complete_work_session_unless_messages(&running, Some("wrote it"), None).await.unwrap().unwrap();
        let worktree = crate::implementation::agents::worktree(&ctx, &task).await.unwrap();
        std::fs::write(worktree.join("new.txt"), "x\n").unwrap();
        let jobs = store.jobs_of(task.id).await.unwrap();
        assert!(jobs.is_empty() || jobs.iter().all(|j| j.work_session_id.is_none()), "{jobs:#?}");

        let cancel = tokio_util::sync::CancellationToken::new();
        crate::drive::drive(&ctx, task.id, session.id, &cancel).await.unwrap();

        assert!(store.work_session_committed(session.id).await.unwrap());
        let log = store.coordination_log(task.id).await.unwrap();
        let completed: Vec<_> = log.iter().filter(|e| e.kind == CoordinationKind::SessionCompleted).collect();
        assert_eq!(completed.len(), 1, "{log:#?}");
        assert!(completed[0].message.contains("(1 files changed) wrote it"), "{}", completed[0].message);
        assert!(crate::implementation::agents::uncommitted(&ctx, &task).await.unwrap().is_empty());
    }

    /// The commit step's write schedules the task before its plan task's tick is committed: a tick
    /// waiting for the node's design-docs writer does not hold back the sessions the commit unblocks,
    /// and the step still ends only once the tick is committed.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_sessions_a_commit_unblocks_start_before_the_tick_is_committed() {
        let f = crate::testing::Fixture::new(crate::testing::Backend::Sqlite).await;
        let task = f
            .spec_task_with_plan("# Implementation Plan\n\n- [ ] 1. One\n- [ ] 2. Two\n  - _Depends: 1_\n")
            .await;
        let plan_task = |index: u32, title: &str| spectask_core::PlanTaskRef {
            index,
            id: Some((index + 1).to_string()),
            title: title.into(),
            description: String::new(),
        };
        let new = |index: u32, title: &str| spectask_store::NewWorkSession {
            plan_task: Some(plan_task(index, title)),
            ..spectask_store::NewWorkSession::implementation(task.id, title.to_lowercase(), "")
        };
        let store = f.store().clone();
        for command in [
            SpecTaskCommand::Approve,
            SpecTaskCommand::QueueImplementation,
            SpecTaskCommand::StartImplementation,
        ] {
            store.apply_to_spec_task(task.id, &command).await.unwrap();
        }
        let session = store.create_work_session(new(0, "One")).await.unwrap();
        let two = store.create_work_session(new(1, "Two")).await.unwrap();
        let running =
            store.record_work_session_transition(&session, &WorkSessionCommand::Start).await.unwrap().value;
        store.record_work_session_transition(&running, &WorkSessionCommand::Complete).await.unwrap();
        let worktree = crate::implementation::agents::worktree(&f.ctx, &task).await.unwrap();
        std::fs::write(worktree.join("one.txt"), "1\n").unwrap();

        let node_writer = f.ctx.design_docs.of(&f.repo().await);
        let writer = node_writer.hold().await;
        let ctx = f.ctx.clone();
        let step = tokio::spawn(async move { commit_changes(&ctx, session.id).await });
        node_writer.until_waiting(1).await;
        let two = store.work_session(two.id).await.unwrap();
        assert_eq!(
            two.status(),
            WorkSessionStatus::Running,
            "the unblocked session started while the tick waits"
        );
        let jobs = store.jobs_of(task.id).await.unwrap();
        assert!(
            jobs.iter().any(|j| j.kind
                == spectask_core::JobKind::WorkSession(spectask_core::WorkSessionEffect::StartThread)
                && j.work_session_id == Some(two.id)),
            "its thread is queued while the tick waits: {jobs:#?}"
        );
        assert!(!step.is_finished(), "the step waits for its tick");
        drop(writer);
        step.await.unwrap().unwrap();
        let repo = f.repo().await;
        let tasks = repo.read_design_doc(&format!("specs/{}/tasks.md", task.handle())).unwrap().unwrap();
        let tasks = String::from_utf8(tasks).unwrap();
        assert!(tasks.contains("- [x] 1. One"), "the plan task is ticked:\n{tasks}");
        assert!(tasks.contains("- [~] 2. Two"), "the started session's plan task is in progress:\n{tasks}");
        let log = repo.commit_log(repo.design_docs_branch(), None).unwrap();
        let ticks: Vec<&str> =
            log.iter().map(|c| c.message.as_str()).filter(|m| m.starts_with("progress(")).collect();
        assert!(ticks.iter().any(|m| m.contains("1 done, 2 in progress")), "in one commit: {ticks:#?}");
    }
}
