//! The end of a work session's turn: its changes committed to the task branch with trailers, its
//! plan task ticked, the coordination log told, and the implementation moved forward.

use spectask_core::session::coordination::{HandoffData, HandoffStep};
use spectask_core::{
    CoordinationKind, HistoryFile, SpecTask, SpecTaskId, WorkSession, WorkSessionId, WorkSessionStatus,
};
use spectask_git::{CommitId, CommittedChanges, HooksDir, Repo, TaskHandle, WorkSessionCommit};
use spectask_spec::PlanTaskState;
use spectask_store::{CommitRecord, NewCoordination, NewHistoryEntry};

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
/// session: its commit's history is kept, and it takes them in another turn. In a repository
/// without a remote, nothing is pushed, and the session completes while git commits
/// ([`finish_while_committing`]).
pub(crate) async fn finish(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    summary: Option<&str>,
    commit: Commit,
) -> Result<bool, JobError> {
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let decider = sessions::decider(ctx, task).await?;
    let (committed, left) = match commit {
        Commit::Found(commit) => (Some(committed_changes(&repo, commit).await?), LeftOut::default()),
        Commit::Make(hooks) if repo.remote().is_none() => {
            let on = (&repo, &name);
            match Box::pin(finish_while_committing(ctx, task, session, summary, on, hooks, &decider)).await? {
                Finished::Completed(completed) => return Ok(completed),
                Finished::NotStaged(committed, left) => (committed, left),
            }
        }
        Commit::Make(hooks) => {
            commit_session_changes(ctx, task, session, (&repo, &name), hooks, None).await?
        }
    };
    repos::push_task_work(task, &repo).await?;
    let summary_text = summary.unwrap_or_default();
    let record = commit_record(task, session, summary_text, committed.as_ref(), &left);
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

/// How [`finish_while_committing`] ended.
enum Finished {
    /// As [`finish`] ends: whether the session completed.
    Completed(bool),
    /// Git found nothing to stage, or concluded a merge: what it committed, to be recorded as
    /// [`finish`] records it.
    NotStaged(Option<CommittedChanges>, LeftOut),
}

/// [`finish`] in a repository without a remote, where no push waits between the commit and the
/// completion. Once what the commit takes is fixed under the task's lock and noted (git's status
/// listed it, when nothing can refuse the commit; else git staged it and the hooks passed:
/// `Repo::commit_checked_work_session_telling`), the session is completed in one write with its
/// task's scheduling, which counts its work as committed: no other spectask commit of the task
/// comes before it. The write logs the completion; the sessions it starts run while git stages
/// and commits, and are first prompted only once the changes are staged (`drive::first_prompt`'s
/// `completed_work_staged`, told through [`Ctx::staging`]); the commit's record is a second
/// write. A session left completed without that record (a node that died, a commit or a write
/// that failed) is recovered by its drive's retry from its noted commit (see
/// [`commit_completed`]), which every other commit of the worktree makes first meanwhile
/// (`spectask-git`'s `plumbing/told_commit.rs`).
async fn finish_while_committing(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    summary: Option<&str>,
    on: (&Repo, &TaskHandle),
    hooks: Option<HooksDir>,
    decider: &sessions::Decider,
) -> Result<Finished, JobError> {
    // Until the commit is on record, this node's sessions of the task are first prompted only
    // once git staged the changes.
    let staging = ctx.staging.begin(task.id, session.id);
    let (tell, told) = tokio::sync::oneshot::channel();
    let tell = Tell { told: Some(tell), staged: staging.teller() };
    let making = commit_session_changes(ctx, task, session, on, hooks, Some(tell));
    tokio::pin!(making);
    let files = tokio::select! {
        // Told before the commit ends: a commit that ended untold took nothing the worktree held.
        biased;
        Ok(files) = told => files,
        made = &mut making => {
            let (committed, left) = made?;
            return Ok(Finished::NotStaged(committed, left));
        }
    };
    // The log tells of the completion before what it starts, as the people reading it expect.
    let summary_text = summary.unwrap_or_default();
    let log = completion_log(task, session, summary_text, Some(files));
    let decide = |view: &spectask_store::SchedulingView<'_>| {
        let mut committed = view.committed.clone();
        committed.insert(session.id);
        decider.decide(&spectask_store::SchedulingView { sessions: view.sessions, committed: &committed })
    };
    let scheduling = crate::ctx::handed::scheduling(ctx, &decide);
    let completion =
        ctx.store.complete_work_session_unless_messages(session, summary, log, Some(scheduling)).await;
    // What the write started runs now, beside git's commit.
    if let Ok(Some(done)) = &completion {
        crate::ctx::handed::pass_to_engine(ctx, &done.scheduled);
    }
    // The commit is made whatever the write did: its record follows it. A commit that failed
    // leaves the session completed with its commit noted: the drive's retry makes it.
    let made = making.await;
    let Some(done) = completion? else {
        let (committed, left) = made?;
        let record = commit_record(task, session, summary_text, committed.as_ref(), &left);
        if let Some(history) = record.history {
            ctx.store.append_history(&[history]).await?;
        }
        return Ok(Finished::Completed(false));
    };
    let (committed, left) = made?;
    let record = commit_record(task, session, summary_text, committed.as_ref(), &left);
    let decide = |view: &spectask_store::SchedulingView<'_>| decider.decide(view);
    let scheduling = crate::ctx::handed::scheduling(ctx, &decide);
    let scheduled = ctx.store.record_work_session_committed(&done.session, record, scheduling).await?;
    crate::ctx::handed::pass_to_engine(ctx, &scheduled);
    let started: Vec<WorkSession> = done.scheduled.started.into_iter().chain(scheduled.started).collect();
    tick_done(ctx, task, &done.session, &started).await?;
    Ok(Finished::Completed(true))
}

/// What a finish is told from git's thread as the session's commit goes: how many files the
/// commit takes, once that is fixed and noted; and, for [`Ctx::staging`], once they are staged.
struct Tell {
    told: Option<tokio::sync::oneshot::Sender<usize>>,
    staged: crate::ctx::StagedTeller,
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
/// `hooks` (where the configuration says, when `None`); with what it cannot hold. `staged` is told
/// once what the commit takes is noted, and once it is staged
/// (`Repo::commit_checked_work_session_telling`).
async fn commit_session_changes(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    (repo, name): (&Repo, &TaskHandle),
    hooks: Option<HooksDir>,
    staged: Option<Tell>,
) -> Result<(Option<CommittedChanges>, LeftOut), JobError> {
    let commit = session_commit(ctx, task, session).await?;
    let (committing, name) = (repo.clone(), name.clone());
    let (committed, submodules, absent) = repos::blocking(move || {
        let (told, staged) = match staged {
            Some(Tell { told, staged }) => (told, Some(staged)),
            None => (None, None),
        };
        let told = |paths: &[String]| {
            if let Some(told) = told {
                // Nobody listening: the finish went away, and the commit is found again later.
                let _ = told.send(paths.len());
            }
        };
        let staged = || {
            if let Some(staged) = staged {
                staged.tell();
            }
        };
        let hooks = hooks.as_ref();
        let committed =
            committing.commit_checked_work_session_telling(&name, &commit, hooks, told, staged)?;
        let absent = committing.files_in_absent_submodules(&name)?;
        Ok((committed, committing.submodules_with_changes(&name)?, absent))
    })
    .await?;
    Ok((committed, LeftOut { submodules, absent }))
}

/// The commit of what `session` changed: its message, trailers and paths.
async fn session_commit(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<WorkSessionCommit, JobError> {
    // Only what the session reported changing; when it reported nothing, everything but what
    // the task's other sessions reported and have yet to commit (their agents may still write).
    let paths = Some(ctx.store.touched_paths(session.id).await?).filter(|p| !p.is_empty());
    let siblings_paths = match paths {
        Some(_) => Vec::new(),
        None => siblings_paths(ctx, task, session).await?,
    };
    Ok(WorkSessionCommit {
        message: format!("{}: {}", task.handle(), session.name),
        spec_task: task.id.to_string(),
        work_session: session.id.to_string(),
        implements: requirement_ids(ctx, task, session).await?,
        paths,
        siblings_paths,
    })
}

/// The files the task's other sessions reported changing and have not committed yet.
pub(crate) async fn siblings_paths(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
) -> Result<Vec<String>, JobError> {
    let mut paths: Vec<String> = ctx
        .store
        .touched_paths_uncommitted(task.id)
        .await?
        .into_iter()
        .filter(|(id, _)| *id != session.id)
        .flat_map(|(_, paths)| paths)
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
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
    let files = committed.map(|c| c.changed_files.len());
    CommitRecord {
        history: commit_history(session, summary, committed, left),
        coordination: completion_log(task, session, summary, files),
    }
}

/// The history entry of a session's commit: its files, what it left out, and the reasoning.
fn commit_history(
    session: &WorkSession,
    summary: &str,
    committed: Option<&CommittedChanges>,
    left: &LeftOut,
) -> Option<NewHistoryEntry> {
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
    match committed {
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
    }
}

/// The coordination entries of a session's completion: its plan task done (or ended with no
/// change), and how many files its commit changed (`files`; `None`: it committed nothing).
fn completion_log(
    task: &SpecTask,
    session: &WorkSession,
    summary: &str,
    files: Option<usize>,
) -> Vec<NewCoordination> {
    let whole_plan = task.is_whole_plan_session(session);
    let plan_id = session.plan_task.as_ref().and_then(|p| p.id.clone()).filter(|_| !whole_plan);
    let mut coordination = Vec::new();
    // A session that committed nothing did no work the plan can count: the log says so.
    let done = match (&plan_id, files.is_some()) {
        _ if whole_plan && files.is_some() => Some("every plan task done".to_owned()),
        _ if whole_plan => Some("the whole plan ended with no change".to_owned()),
        (Some(plan_id), true) => Some(format!("{plan_id} done")),
        (Some(plan_id), false) => Some(format!("{plan_id} ended with no change")),
        (None, _) => None,
    };
    if let Some(done) = done {
        coordination.push(entry(session, CoordinationKind::PlanTaskDone, done));
    }
    let files = files.unwrap_or(0);
    let line = summary.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned();
    let message = format!("completed ({files} files changed) {line}");
    coordination.push(entry(session, CoordinationKind::SessionCompleted, message));
    coordination
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
    let (mut committed, left) = if ctx.store.work_session_completion_logged(session.id).await? {
        // Completed once git noted its commit (`finish_while_committing`): they are in that
        // commit, or in the noted one, which takes them from the index or, not staged yet, from
        // the worktree, where no session was first prompted since. The sessions it started may
        // write there once they are staged: the worktree is not listed again.
        let commit = session_commit(ctx, task, session).await?;
        let (staging, name) = (repo.clone(), name.clone());
        let committed = repos::blocking(move || staging.commit_staged_work_session(&name, &commit)).await?;
        (committed, LeftOut::default())
    } else {
        // Committing again after a crash before the record finds nothing left to commit: the
        // commit made then is the session's.
        commit_session_changes(ctx, task, session, (&repo, &name), None, None).await?
    };
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
mod tests;
