//! Verified completion: the repository's check command (`repo add --check`), run in the task's
//! worktree in the agent's sandbox after a turn that claims completion. [`super::send_back`] sends a
//! failure back to the thread with its output a bounded number of times; then the session fails with
//! it. Every check is a decision in the session's history and a `work_session.check` event. Two
//! checks come before the command and stand in for it when they refuse: no conflict markers left
//! in a merge under way, and the repository's `pre-commit` hook. The untracked files the command
//! creates (byte code, caches, reports) are its by-products, never committed.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::{AgentInstance, CheckRun};
use spectask_core::WorkSessionCommand;
use spectask_core::events::payload::{WorkSessionCheck, WorkSessionTransitioned};
use spectask_core::{Event, EventKind, HistoryFile, RepositoryId, SpecTask, WorkSession};
use spectask_git::{HooksDir, PreCommitCheck, TaskHandle};

use super::reproduction;
use crate::ctx::Ctx;
use crate::drive::send_back::Verdict;
use crate::history::record;
use crate::job_error::JobError;
use crate::views::DECISION_PREFIX;

/// Runs the repository's check (when it has one) on what the session's turns left. The rounds
/// already sent back are counted from the session's `work_session.check` events, so they add up
/// over every drive of the session (the engine's retries, restarts, resumes); a person's retry of
/// the failed session starts them again. `found`: where the repository's hooks were found as the
/// last turn ended ([`look_up_hooks`]). With the verdict, where the pre-commit check found them
/// (when it ran), for the session's commit.
pub(crate) async fn run_check(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    (instance, worktree): (&Arc<AgentInstance>, &Path),
    found: Option<HooksDir>,
) -> Result<(Verdict, Option<HooksDir>), JobError> {
    // Apart from each other, so at once: the check's command, the conflicts left, the paths to check.
    let (repository, unresolved, touched) = tokio::try_join!(
        async { Ok::<_, JobError>(ctx.store.repository(task.repository_id).await?) },
        crate::implementation::follow_ups::unresolved(ctx, task),
        async { Ok(ctx.store.touched_paths(session.id).await?) },
    )?;
    let limits = ctx.config.checks;
    let (refused, hooks) = match unresolved.as_slice() {
        [] => {
            let check = pre_commit_refusal(ctx, task, session, touched, found).await?;
            (check.refusal.map(|output| (PRE_COMMIT, output)), check.hooks)
        }
        files => {
            let output = format!("conflict markers remain in: {}", files.join(", "));
            (Some((CONFLICT_MARKERS, output)), None)
        }
    };
    // Whether the repository's own command ran (not a refusal standing in for it).
    let (command, run, own_check) = match (refused, repository.check_command.as_deref()) {
        (Some((label, output)), _) => {
            let exit = spectask_agent::confinement::terminal::ExitInfo { code: Some(1), signal: None };
            (label.to_owned(), CheckRun { exit, output, truncated: false, timed_out: false }, false)
        }
        (None, None) => return Ok((Verdict::Complete, hooks)),
        (None, Some(command)) => {
            // What the check creates in the worktree is not the work: its by-products are noted,
            // so no commit takes them (see `Repo::note_check_products`).
            let repo = crate::repos::open_id(ctx, task.repository_id).await?;
            let name = spectask_git::TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
            let (looking, named) = (repo.clone(), name.clone());
            let before = crate::repos::blocking(move || looking.task_untracked(&named)).await?;
            let run = instance
                .run_check(worktree, command, limits.time_limit, limits.output_bytes)
                .await
                .map_err(JobError::fatal_from)?;
            let created = crate::repos::blocking(move || repo.note_check_products(&name, &before)).await?;
            if !created.is_empty() {
                tracing::info!(task = %task.handle(), files = created.len(), "left out what the check created");
            }
            (command.to_owned(), run, true)
        }
    };
    // The repository's own check, on a bugfix's reproduction task: it must fail.
    let expects_failure = own_check && reproduction::writes_the_reproduction_test(ctx, task, session).await;
    let command = command.as_str();
    let kinds = [EventKind::WorkSessionTransitioned, EventKind::WorkSessionCheck];
    let sent_back = rounds_sent_back(&ctx.store.events_of_work_session(task.id, session.id, &kinds).await?);
    let round = sent_back + 1;
    let (verdict, outcome) = if expects_failure {
        reproduction::verdict(command, &run, (sent_back, limits.rounds))
    } else if run.passed() {
        (Verdict::Complete, "passed")
    } else if sent_back < limits.rounds {
        (Verdict::SendBack(send_back_prompt(command, &run, round, limits.rounds + 1)), "sent_back")
    } else {
        let reason = format!(
            "the check `{command}` still fails after {} round(s) sent back to the agent ({}): {}",
            limits.rounds,
            ending(&run),
            run.output.trim()
        );
        (Verdict::Fail(reason), "failed")
    };
    record::history(ctx, session, HistoryFile::Decisions, decision(command, &run, outcome)).await?;
    let payload = WorkSessionCheck {
        expects_failure,
        command: command.to_owned(),
        passed: run.passed(),
        exit_code: run.exit.code,
        signal: run.exit.signal.clone(),
        timed_out: run.timed_out,
        output: run.output.clone(),
        truncated: run.truncated,
        round,
        rounds: limits.rounds + 1,
        outcome: outcome.to_owned(),
    };
    ctx.store.publish_event(Some(session.spec_task_id), Some(session.id), &payload).await?;
    Ok((verdict, hooks))
}

/// How a refusal of the repository's `pre-commit` hook is named, as a check.
const PRE_COMMIT: &str = "git hook run pre-commit";

/// How files of a merge under way that still hold conflict markers are named, as a check.
const CONFLICT_MARKERS: &str = "no conflict markers left";

/// What the repository's `pre-commit` hook says of the session's work (the paths it `touched`,
/// all of it but its siblings' files to commit when none), staged as its commit will be: its output when it refuses, and where the
/// hooks are (`found` already, or looked up now). Checked before the session completes, so a
/// refusal goes back to the agent like a failing check rather than failing the commit afterwards.
async fn pre_commit_refusal(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    touched: Vec<String>,
    found: Option<HooksDir>,
) -> Result<PreCommitCheck, JobError> {
    let repo = crate::repos::open_id(ctx, task.repository_id).await?;
    let name = spectask_git::TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    // As the session's commit will take them (`implementation::work`'s `session_commit`).
    let paths = Some(touched).filter(|p| !p.is_empty());
    let siblings_paths = match paths {
        Some(_) => Vec::new(),
        None => crate::implementation::work::siblings_paths(ctx, task, session).await?,
    };
    crate::repos::blocking(move || repo.pre_commit_refusal(&name, paths.as_deref(), &siblings_paths, found))
        .await
}

/// The task a turn of spectask's is judged in when it ends well: where its repository's hooks are
/// is looked up as the turn ends ([`look_up_hooks`]).
#[derive(Debug, Clone)]
pub(crate) struct JudgedIn {
    repository: RepositoryId,
    task: TaskHandle,
}

impl JudgedIn {
    /// `None` for a task whose handle git cannot name (its check reports that).
    pub(crate) fn task(task: &SpecTask) -> Option<JudgedIn> {
        let handle = TaskHandle::new(task.handle()).ok()?;
        Some(JudgedIn { repository: task.repository_id, task: handle })
    }
}

/// Where the repository's hooks are for the task's worktree, looked up (one `git config`) while
/// the turn's last records are written, so that the check after it runs no such process on the
/// way to the session's commit. `None` when the repository's hooks are not run, or when the
/// lookup failed: the check then looks itself, and reports what fails.
pub(crate) async fn look_up_hooks(ctx: Ctx, judged: JudgedIn) -> Option<HooksDir> {
    let repo = crate::repos::open_id(&ctx, judged.repository).await.ok()?;
    let found = crate::repos::blocking(move || repo.task_hooks(&judged.task)).await;
    found.unwrap_or_else(|err| {
        tracing::debug!(%err, "cannot look up the repository's hooks as the turn ends");
        None
    })
}

/// Failing checks sent back to the session since it was last retried by a person, from its
/// transition and check events in order.
fn rounds_sent_back(events: &[Event]) -> u32 {
    events.iter().fold(0, |rounds, event| {
        if let Some(transition) = event.payload_as::<WorkSessionTransitioned>() {
            return match transition.command {
                WorkSessionCommand::Retry => 0,
                _ => rounds,
            };
        }
        match event.payload_as::<WorkSessionCheck>() {
            Some(check) if check.outcome == "sent_back" => rounds + 1,
            _ => rounds,
        }
    })
}

/// How the check ended, in words: `exit 1`, `killed by SIGKILL`, `timed out`.
pub(super) fn ending(run: &CheckRun) -> String {
    match (&run.exit.code, &run.exit.signal) {
        _ if run.timed_out => "timed out".to_owned(),
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by {signal}"),
        (None, None) => "no exit status".to_owned(),
    }
}

/// What the thread is told when its work fails the check.
fn send_back_prompt(command: &str, run: &CheckRun, round: u32, rounds: u32) -> String {
    let cut = if run.truncated { " (its end)" } else { "" };
    format!(
        "The repository's check `{command}` failed after your turn ({}), so this work is not complete \
         yet. Its output{cut}:\n\n```text\n{}\n```\n\nFix what it reports, then end your turn: the check \
         runs again (round {} of {rounds}).",
        ending(run),
        run.output.trim_end(),
        round + 1
    )
}

/// The decision line (and output) in the session's history.
fn decision(command: &str, run: &CheckRun, outcome: &str) -> String {
    let result = if run.passed() { "passed".to_owned() } else { format!("failed ({})", ending(run)) };
    let what = match outcome {
        "reproduced" => ", as a reproduction test must before the fix",
        "sent_back" if run.passed() => ", so no test reproduces the bug yet: sent back to the agent",
        "sent_back" => ", sent back to the agent",
        "failed" => ", no round left: the session fails",
        _ => "",
    };
    let mut line = format!("{DECISION_PREFIX}{command}`: {result}{what}\n");
    if !run.passed() && !run.output.trim().is_empty() {
        line.push_str(&format!("\n```text\n{}\n```\n\n", run.output.trim_end()));
    }
    line
}

#[cfg(test)]
mod tests {
    use spectask_agent::confinement::terminal::ExitInfo;
    use spectask_core::WorkSessionStatus;

    use super::*;

    fn run(code: Option<u32>, output: &str, timed_out: bool) -> CheckRun {
        CheckRun {
            exit: ExitInfo { code, signal: code.is_none().then(|| "SIGKILL".to_owned()) },
            output: output.to_owned(),
            truncated: false,
            timed_out,
        }
    }

    #[test]
    fn a_failing_check_is_sent_back_with_its_output_and_the_round() {
        let prompt = send_back_prompt("npm test", &run(Some(1), "1 failing\n", false), 1, 4);
        assert!(prompt.contains("`npm test` failed after your turn (exit 1)"), "{prompt}");
        assert!(prompt.contains("```text\n1 failing\n```"), "{prompt}");
        assert!(prompt.ends_with("(round 2 of 4)."), "{prompt}");
    }

    #[test]
    fn rounds_add_up_over_drives_until_a_person_retries_the_session() {
        let event = |kind, payload: serde_json::Value| Event {
            seq: 0,
            kind,
            spec_task_id: None,
            work_session_id: None,
            payload,
            at: chrono::DateTime::UNIX_EPOCH,
        };
        let check = |outcome: &str| {
            let run = run(Some(1), "", false);
            let check = WorkSessionCheck {
                expects_failure: false,
                command: "make".into(),
                passed: false,
                exit_code: run.exit.code,
                signal: None,
                timed_out: false,
                output: String::new(),
                truncated: false,
                round: 1,
                rounds: 4,
                outcome: outcome.to_owned(),
            };
            event(EventKind::WorkSessionCheck, serde_json::to_value(check).unwrap())
        };
        let moved = |command: &str| {
            let reason = "r".to_owned();
            let command = match command {
                "interrupt" => WorkSessionCommand::Interrupt { reason },
                "fail" => WorkSessionCommand::Fail { reason },
                "resume" => WorkSessionCommand::Resume,
                _ => WorkSessionCommand::Retry,
            };
            let (from, to) = (WorkSessionStatus::Running, WorkSessionStatus::Running);
            let moved = WorkSessionTransitioned { from, to, command, effects: Vec::new() };
            event(EventKind::WorkSessionTransitioned, serde_json::to_value(moved).unwrap())
        };
        let interrupted = vec![check("sent_back"), moved("interrupt"), moved("resume"), check("sent_back")];
        assert_eq!(rounds_sent_back(&interrupted), 2);
        let retried = [interrupted, vec![check("failed"), moved("fail"), moved("retry"), check("sent_back")]];
        assert_eq!(rounds_sent_back(&retried.concat()), 1);
        assert_eq!(rounds_sent_back(&[check("passed")]), 0);
    }

    #[test]
    fn decisions_say_how_the_check_ended() {
        assert_eq!(decision("make", &run(Some(0), "ok", false), "passed"), "- check `make`: passed\n");
        assert_eq!(
            decision("make", &run(None, "", true), "failed"),
            "- check `make`: failed (timed out), no round left: the session fails\n"
        );
        assert_eq!(
            decision("make", &run(Some(2), "boom\n", false), "sent_back"),
            "- check `make`: failed (exit 2), sent back to the agent\n\n```text\nboom\n```\n\n"
        );
    }
}
