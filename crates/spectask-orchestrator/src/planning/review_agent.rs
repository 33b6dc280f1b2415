//! A review task's one step: its coding agent reads the target's code and diff in a worktree at the
//! reviewed head and writes `.spectask/review/findings.md`; spectask checks the findings (faults go
//! back to the agent, at most two rounds), commits them as `specs/<task>/review.md` on the
//! design-docs branch and ends the task at `done`. The agent writes nothing but its findings (its
//! sandbox), and nothing of its worktree is merged.

use spectask_agent::profiles::ProfileKind;
use spectask_agent::{AgentProfile, PermissionPolicy, Workspace};
use spectask_core::{SpecTask, SpecTaskCommand};
use spectask_git::{CommitId, FileWrite, GitError, Repo, ReviewRange, TaskHandle, Trailer};
use spectask_spec::review::{FINDINGS_FILE, FORMAT_RULES};
use spectask_spec::{Finding, FindingError, parse_findings, render_report};
use spectask_store::StoreError;

use super::agent_turns::{AgentTurns, Turn};
use crate::ctx::Ctx;
use crate::ctx::design_docs_writer::{AtTip, CommitDraft, Contribution};
use crate::implementation::agents;
use crate::job_error::JobError;
use crate::repos;

const MAX_REPAIR_ROUNDS: usize = 2;
/// How much of the diff the first prompt carries; the agent reads the rest from the worktree.
const MAX_DIFF_BYTES: usize = 48 * 1024;

pub(crate) async fn run(ctx: &Ctx, task: &SpecTask) -> Result<(), JobError> {
    let target = task
        .review_target
        .clone()
        .ok_or_else(|| JobError::fatal("a review task without a review target".to_owned()))?;
    let profile_name = task
        .implementation_agent
        .clone()
        .or_else(|| ctx.config.default_implementation_agent.clone())
        .ok_or_else(|| {
            JobError::fatal(
                "no agent to review with: set one on the task or [orchestrator] default_implementation_agent",
            )
        })?;
    let profile = ctx.profiles.get(&profile_name).map_err(JobError::fatal_from)?;
    if !matches!(profile.kind, ProfileKind::Acp { .. }) {
        return Err(JobError::fatal(format!(
            "agent profile {profile_name} cannot review code: it is not an acp agent"
        )));
    }
    // Its one write would wait for a person who cannot answer: approvals belong to work sessions.
    if profile.permission_policy() == PermissionPolicy::Ask {
        return Err(JobError::fatal(format!(
            "agent profile {profile_name} asks a person before it writes, and a review task's agent has no \
             work session to ask in: review with a profile whose permission_policy is not ask"
        )));
    }
    let repo = repos::open_id(ctx, task.repository_id).await?;
    let range = {
        let repo = repo.clone();
        // A target gone since the task was made fails it for good, saying which.
        repos::blocking(move || repo.review_range(&target)).await?
    };
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let (worktree, output) = {
        let (repo, name) = (repo.clone(), name.clone());
        repos::blocking(move || repo.prepare_review_dir(&name, range.head)).await?
    };
    // The agent reads the repository and writes only its findings.
    let workspace = agents::workspace(ctx, task, worktree, Some(output)).await?;
    let result = review(ctx, task, profile, &workspace, &repo, &range).await;
    agents::stop(ctx, task.id).await?;
    let cleared = {
        let (repo, name) = (repo.clone(), name.clone());
        repos::blocking(move || repo.clear_planning_dir(&name)).await
    };
    let findings = match result? {
        Reviewed::Findings(findings) => findings,
        Reviewed::Held(hold) => {
            // The review goes on once no budget holds the task.
            cleared?;
            ctx.store.hold_for_budget(task.id, &hold).await?;
            return Ok(());
        }
    };
    cleared?;
    commit_report(ctx, task, &repo, &range, &findings).await?;
    match ctx.store.transition_spec_task(task, &SpecTaskCommand::FinishReview).await {
        // Cancelled while the agent reviewed: the report stays, the task as it is.
        Ok(_) | Err(StoreError::Conflict { .. } | StoreError::Transition(_)) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// The agent's turns until its findings parse (or the rounds run out).
async fn review(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    workspace: &Workspace,
    repo: &Repo,
    range: &ReviewRange,
) -> Result<Reviewed, JobError> {
    let diff = {
        let (repo, range) = (repo.clone(), range.clone());
        repos::blocking(move || repo.review_diff(&range, MAX_DIFF_BYTES)).await?
    };
    let instance = agents::instance(ctx, task, profile, workspace).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let mut turns = AgentTurns::open(ctx, task, instance, &workspace.worktree).await?;
    let mut text = first_prompt(task, range, &diff);
    let mut round = 0;
    let findings = loop {
        let stop = match turns.prompt(&text).await {
            Ok(Turn::Ended(stop)) => stop,
            Ok(Turn::Held(hold)) => break Ok(Reviewed::Held(hold)),
            Err(err) => break Err(err),
        };
        if stop != "end_turn" {
            break Err(JobError::retry(format!("the reviewing agent ended its turn with {stop}")));
        }
        let written = {
            let (repo, name, head) = (repo.clone(), name.clone(), range.head);
            repos::blocking(move || read_findings(&repo, &name, head)).await?
        };
        let faults = match written {
            FindingsFile::Findings(findings) => break Ok(Reviewed::Findings(findings)),
            FindingsFile::Faults(faults) => faults.iter().map(ToString::to_string).collect(),
            FindingsFile::Nothing => vec![format!(".spectask/review/{FINDINGS_FILE} is missing")],
        };
        if round == MAX_REPAIR_ROUNDS {
            break Err(JobError::fatal(format!(
                "the reviewing agent's findings are not valid: {}",
                faults.join("; ")
            )));
        }
        round += 1;
        text = repair_prompt(&faults);
    };
    turns.close().await;
    findings
}

/// What the reviewing agent came to: its findings, or a budget that stopped it.
enum Reviewed {
    Findings(Vec<Finding>),
    Held(spectask_core::BudgetHold),
}

/// What the agent left in its findings file.
enum FindingsFile {
    Nothing,
    Faults(Vec<FindingError>),
    Findings(Vec<Finding>),
}

/// The agent's findings file, checked against the reviewed code at `head`.
fn read_findings(repo: &Repo, name: &TaskHandle, head: CommitId) -> Result<FindingsFile, GitError> {
    let Some(text) = repo.read_review_file(name, FINDINGS_FILE)? else { return Ok(FindingsFile::Nothing) };
    let mut failed = None;
    let parsed = parse_findings(&text, |path| match repo.read_file_at(head, path) {
        Ok(file) => file.map(|bytes| line_count(&bytes)),
        Err(GitError::InvalidFilePath { .. }) => None,
        Err(err) => {
            failed = Some(err);
            None
        }
    });
    match (failed, parsed) {
        (Some(err), _) => Err(err),
        (None, Ok(findings)) => Ok(FindingsFile::Findings(findings)),
        (None, Err(faults)) => Ok(FindingsFile::Faults(faults)),
    }
}

/// The lines of a file, the last one counted without its end of line.
fn line_count(bytes: &[u8]) -> u32 {
    let ends = bytes.iter().filter(|b| **b == b'\n').count();
    let unended = usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    u32::try_from(ends + unended).unwrap_or(u32::MAX)
}

fn first_prompt(task: &SpecTask, range: &ReviewRange, diff: &spectask_git::ReviewDiff) -> String {
    let mut text = format!(
        "Review the changes of {} ({}..{}) in the repository in your working directory, which holds \
         the reviewed code. Do not change any file: write your findings to .spectask/review/{FINDINGS_FILE} \
         (relative to your working directory), then answer with one line saying so.\n\n",
        range.target, range.base, range.head
    );
    if task.prompt.trim() != range.target {
        text.push_str(&format!("What to look for:\n\n{}\n\n", task.prompt.trim()));
    }
    text.push_str("The changed files:\n\n");
    for file in &diff.files {
        text.push_str(&format!("- {}\n", file.path));
    }
    text.push_str(&format!(
        "\nThe diff{}:\n\n```diff\n{}```\n\n",
        if diff.truncated { " (cut; read the files for the rest)" } else { "" },
        diff.diff
    ));
    text.push_str(FORMAT_RULES);
    text
}

fn repair_prompt(faults: &[String]) -> String {
    let mut text = format!("The findings in .spectask/review/{FINDINGS_FILE} cannot be taken:\n\n");
    for fault in faults.iter().take(60) {
        text.push_str(&format!("- {fault}\n"));
    }
    text.push_str("\nFix the file in place (the format is as before), then answer with one line saying so.");
    text
}

/// `specs/<task>/review.md`, through the node's design-docs writer.
async fn commit_report(
    ctx: &Ctx,
    task: &SpecTask,
    repo: &Repo,
    range: &ReviewRange,
    findings: &[Finding],
) -> Result<(), JobError> {
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let report = render_report(&range.target, findings);
    let path = spectask_git::review_report_path(&name);
    let subject = format!("review({name}): {} finding(s) on {}", findings.len(), range.target);
    let task_id = task.id.to_string();
    let part = Box::new(move |_: &CommitDraft<'_>| -> Result<AtTip, GitError> {
        let trailers = vec![Trailer::new("Spec-Task", task_id.clone())?];
        let writes = vec![FileWrite::put(path.clone(), report.as_bytes())];
        Ok(AtTip::Write(Contribution { subject: subject.clone(), trailers, writes }))
    });
    ctx.design_docs.write(repo, part).await.map(drop)
}
