//! A bugfix's reproduction check. The plan of a bugfix spec starts with a task that writes a test
//! reproducing the bug (gate W002), and the plan's order runs it first. On that task's sessions the
//! repository's check must fail: a pass means no test shows the bug yet, and the work goes back to
//! the agent. The later tasks fix the bug, and their check must pass. The implementation review
//! shows both: failing before the fix, passing after (`views/review.rs`).

use spectask_agent::CheckRun;
use spectask_core::{SpecTask, WorkSession};
use spectask_spec::{Plan, Workflow};

use super::repo_check::ending;
use super::send_back::Verdict;
use crate::ctx::Ctx;

/// Whether `session` implements the first task of a bugfix plan (or one of its sub-tasks).
pub(super) async fn writes_the_reproduction_test(ctx: &Ctx, task: &SpecTask, session: &WorkSession) -> bool {
    let Some(plan_task) = &session.plan_task else { return false };
    if task.workflow_base != Workflow::Bugfix.name() {
        return false;
    }
    let tasks = match ctx.store.spec_version(task.id, Some(task.spec_version)).await {
        Ok(version) => version.documents.tasks,
        Err(err) => {
            tracing::warn!(task = %task.id, %err, "reading the plan for the reproduction check failed");
            return false;
        }
    };
    in_first_task(&Plan::parse(&tasks), plan_task.index as usize)
}

/// Whether the plan task at `index` is the plan's first top-level task or below it.
fn in_first_task(plan: &Plan, index: usize) -> bool {
    let Some(first) = plan.tasks().iter().find(|t| t.parent.is_none()) else { return false };
    let mut at = plan.tasks().get(index);
    while let Some(task) = at {
        if task.index == first.index {
            return true;
        }
        at = task.parent.and_then(|parent| plan.tasks().get(parent));
    }
    false
}

/// The verdict on a reproduction check: a failure by exit status reproduces the bug; a pass (or a
/// timeout, or a kill: no test result) goes back to the agent while rounds are left.
pub(super) fn verdict(
    command: &str,
    run: &CheckRun,
    (sent_back, rounds): (u32, u32),
) -> (Verdict, &'static str) {
    let reproduced = !run.passed() && !run.timed_out && run.exit.code.is_some();
    if reproduced {
        return (Verdict::Complete, "reproduced");
    }
    if sent_back < rounds {
        return (Verdict::SendBack(send_back_prompt(command, run, sent_back + 2, rounds + 1)), "sent_back");
    }
    let reason = format!(
        "the check `{command}` still does not fail on a test reproducing the bug after {rounds} round(s) \
         sent back to the agent ({})",
        if run.passed() { "it passes".to_owned() } else { ending(run) }
    );
    (Verdict::Fail(reason), "failed")
}

/// What the thread is told when its reproduction check does not fail as it must.
fn send_back_prompt(command: &str, run: &CheckRun, round: u32, rounds: u32) -> String {
    let found = if run.passed() {
        "passes, so no test shows the bug yet".to_owned()
    } else {
        format!("ended without a test result ({})", ending(run))
    };
    format!(
        "This plan task writes a test that reproduces the bug, and the repository's check `{command}` \
         must fail because of it before the bug is fixed. After your turn it {found}. Write (or correct) \
         the test so that it fails on the current code, and do not fix the bug in this task: later plan \
         tasks do. End your turn when the check fails on your test: it runs again (round {round} of \
         {rounds})."
    )
}

#[cfg(test)]
mod tests {
    use spectask_agent::confinement::terminal::ExitInfo;

    use super::*;

    fn run(code: Option<u32>, timed_out: bool) -> CheckRun {
        CheckRun {
            exit: ExitInfo { code, signal: code.is_none().then(|| "SIGKILL".to_owned()) },
            output: String::new(),
            truncated: false,
            timed_out,
        }
    }

    #[test]
    fn the_first_task_and_its_sub_tasks_write_the_reproduction_test() {
        let plan = Plan::parse(
            "# Tasks\n\n- [ ] 1. Write a failing test\n  - [ ] 1.1 Reproduce the upload\n- [ ] 2. Fix the bug\n",
        );
        let at = |id: &str| plan.tasks().iter().find(|t| t.id.as_deref() == Some(id)).unwrap().index;
        assert!(in_first_task(&plan, at("1")));
        assert!(in_first_task(&plan, at("1.1")));
        assert!(!in_first_task(&plan, at("2")));
        assert!(!in_first_task(&plan, 99));
    }

    #[test]
    fn a_failing_exit_reproduces_and_a_pass_or_a_timeout_goes_back() {
        assert_eq!(verdict("make test", &run(Some(1), false), (0, 2)).1, "reproduced");
        let (back, outcome) = verdict("make test", &run(Some(0), false), (0, 2));
        assert_eq!(outcome, "sent_back");
        let Verdict::SendBack(prompt) = back else { panic!("sent back") };
        assert!(
            prompt.contains("passes, so no test shows the bug yet") && prompt.contains("round 2 of 3"),
            "{prompt}"
        );
        assert_eq!(verdict("make test", &run(Some(1), true), (0, 2)).1, "sent_back");
        let (failed, outcome) = verdict("make test", &run(Some(0), false), (2, 2));
        assert_eq!(outcome, "failed");
        assert!(matches!(failed, Verdict::Fail(reason) if reason.contains("it passes")));
    }
}
