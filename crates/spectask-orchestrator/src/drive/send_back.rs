//! What a session's last turn is sent back to its thread for before the session may complete: the
//! one place where checks after a turn answer the agent in the same thread. A plan task's session
//! that changed nothing is told so and asked once more; when it still changes nothing, it completes
//! flagged (its summary says so, and with it the coordination log, the events and the
//! implementation review) instead of counting as done silently. Then the repository's own check
//! command ([`super::repo_check`]): a failure goes back with its output up to `check_rounds`
//! times, and one more fails the session with it.

use std::path::Path;
use std::sync::Arc;

use spectask_agent::AgentInstance;
use spectask_core::{PlanTaskRef, SpecTask, WorkSession};

use crate::ctx::Ctx;
use crate::drive::repo_check;
use crate::implementation::agents;
use crate::job_error::JobError;

/// What a session's turns on this drive did, for what is sent back.
#[derive(Debug, Default)]
pub(crate) struct AfterTurns {
    /// The thread had been prompted before this drive (a resumed session): what its earlier
    /// drives did is known only from the worktree.
    resumed: bool,
    /// A command ran in one of this drive's turns: it may have changed files nobody reported.
    ran_commands: bool,
    /// One of this drive's turns reported changing files.
    touched: bool,
    /// The session was asked again because it changed nothing.
    asked_again: bool,
    /// Where the last pre-commit check found the repository's hooks: its commit runs those.
    hooks: Option<spectask_git::HooksDir>,
    /// Where the last turn found them as it ended, for the check after it.
    found: Option<spectask_git::HooksDir>,
}

/// What the session's thread is told next, or how its summary must read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing to send back: the session may complete with its summary as it is.
    Complete,
    /// Send this text to the thread as the next turn.
    SendBack(String),
    /// Complete, with this summary instead (the flag and what the agent said).
    Flagged(String),
    /// No round left: the session fails with this reason.
    Fail(String),
}

impl AfterTurns {
    /// For a drive of a session whose thread was (`resumed`) or was not prompted before.
    pub(crate) fn new(resumed: bool) -> AfterTurns {
        AfterTurns { resumed, ..AfterTurns::default() }
    }

    /// Notes a finished turn; its last message.
    pub(crate) fn note_turn(&mut self, turn: crate::drive::TurnEnd) -> String {
        self.ran_commands |= turn.ran_commands;
        self.touched |= turn.touched;
        self.found = turn.hooks;
        turn.last_message
    }

    /// Where the pre-commit check of this completion found the repository's hooks, for its commit
    /// (taken: a later completion checks again).
    pub(crate) fn take_hooks(&mut self) -> Option<spectask_git::HooksDir> {
        self.hooks.take()
    }

    /// Decides what the session's turns so far come to, in the worktree its agent `instance` works in; `last` is
    /// the agent's last message.
    pub(crate) async fn decide_after_turns(
        &mut self,
        ctx: &Ctx,
        task: &SpecTask,
        session: &WorkSession,
        (instance, worktree): (&Arc<AgentInstance>, &Path),
        last: &str,
    ) -> Result<Verdict, JobError> {
        self.hooks = None;
        if let Some(plan_task) = &session.plan_task
            && !self.ran_commands
            && !self.touched
            && changed_nothing(ctx, task, session, self.resumed).await?
        {
            if !self.asked_again {
                self.asked_again = true;
                return Ok(Verdict::SendBack(no_changes_prompt(plan_task)));
            }
            return Ok(Verdict::Flagged(flagged_summary(plan_task, last)));
        }
        let found = self.found.take();
        let (verdict, hooks) = repo_check::run_check(ctx, task, session, (instance, worktree), found).await?;
        self.hooks = hooks;
        Ok(verdict)
    }
}

/// No file reported changed by the session and, for a resumed one, none changed in the task's
/// worktree that another session did not report (an earlier drive's command would have left its
/// changes there). A session on its first drive is judged by what it reported alone: the worktree
/// also holds what parallel sessions are writing at that moment.
async fn changed_nothing(
    ctx: &Ctx,
    task: &SpecTask,
    session: &WorkSession,
    resumed: bool,
) -> Result<bool, JobError> {
    if !ctx.store.touched_paths(session.id).await?.is_empty() {
        return Ok(false);
    }
    if !resumed {
        return Ok(true);
    }
    let mut unexplained = agents::uncommitted(ctx, task).await?;
    if unexplained.is_empty() {
        return Ok(true);
    }
    for other in ctx.store.work_sessions_of(task.id).await? {
        if other.id != session.id {
            let theirs = ctx.store.touched_paths(other.id).await?;
            unexplained.retain(|path| !theirs.contains(path));
        }
    }
    Ok(unexplained.is_empty())
}

fn label(plan_task: &PlanTaskRef) -> String {
    let id = plan_task.id.as_deref().map(|i| format!("{i} ")).unwrap_or_default();
    format!("{id}{}", plan_task.title)
}

/// The turn that tells the agent it changed nothing.
pub(crate) fn no_changes_prompt(plan_task: &PlanTaskRef) -> String {
    let mut out = format!(
        "You made no changes in the worktree, yet your task calls for them: {}.\n\n",
        label(plan_task)
    );
    if !plan_task.description.trim().is_empty() {
        out.push_str(&format!("{}\n\n", plan_task.description.trim()));
    }
    out.push_str(
        "Make the changes it requires now. If they are already in place, say where they are; spectask \
         will flag this task for the reviewer if nothing changes.",
    );
    out
}

/// The summary of a session that changed nothing even when asked again.
fn flagged_summary(plan_task: &PlanTaskRef, last: &str) -> String {
    let mut out = format!(
        "No changes: plan task {} calls for changes, and the agent made none, even when asked again.",
        label(plan_task)
    );
    if !last.trim().is_empty() {
        out.push_str(&format!("\n\nThe agent said: {}", last.trim()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_and_the_flag_name_the_plan_task() {
        let plan_task = PlanTaskRef {
            index: 0,
            id: Some("1.2".into()),
            title: "Add the login route".into(),
            description: "POST /login".into(),
        };
        let prompt = no_changes_prompt(&plan_task);
        assert!(prompt.starts_with("You made no changes"), "{prompt}");
        assert!(prompt.contains("1.2 Add the login route") && prompt.contains("POST /login"), "{prompt}");
        let flag = flagged_summary(&plan_task, "Nothing to do.\n");
        assert!(flag.starts_with("No changes: plan task 1.2 Add the login route"), "{flag}");
        assert!(flag.ends_with("The agent said: Nothing to do."), "{flag}");
    }
}
