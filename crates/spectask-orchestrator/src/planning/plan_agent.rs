//! Planning through a coding agent (an `acp` planning profile): the agent reads the repository in
//! the task's worktree and writes the three documents to `.spectask/spec/`; spectask lints them,
//! asks for repairs (at most two rounds), stores the version and clears the scratch directory.

use spectask_agent::{AgentEvent, AgentProfile, SessionOutcome, Workspace};
use spectask_core::{SpecDocuments, SpecTask};
use spectask_git::{PlanningFiles, TaskHandle};
use spectask_spec::{SpecFiles, lint_spec};

use crate::dispatch::JobError;
use crate::engine::Ctx;
use crate::history::audit::{self, Finding};
use crate::implementation::agents;
use crate::repos;

const MAX_REPAIR_ROUNDS: usize = 2;

/// The documents and the diagnostics left in them.
pub(crate) struct AgentDraft {
    pub documents: SpecDocuments,
    pub lint: Vec<String>,
}

pub(crate) async fn plan(ctx: &Ctx, task: &SpecTask, profile: &AgentProfile) -> Result<AgentDraft, JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let name = TaskHandle::new(task.handle()).map_err(|e| JobError::Fatal(e.to_string()))?;
    let (previous, comments) = revision_input(ctx, task).await?;
    let (worktree, output) = {
        let (repo, name) = (repo.clone(), name.clone());
        repos::blocking(move || repo.prepare_planning_dir(&name, previous.as_ref())).await?
    };
    // The planning agent reads the repository and writes only the planning folder.
    let workspace = agents::workspace(ctx, task, worktree, Some(output)).await?;
    let result = run_agent(ctx, task, profile, &workspace, &repo, &name, comments).await;
    // The planning agent is done either way: the implementation gets its own instance.
    agents::stop(ctx, task.id).await?;
    let cleared = repos::blocking(move || repo.clear_planning_dir(&name)).await;
    let draft = result?;
    cleared?;
    Ok(draft)
}

async fn run_agent(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    workspace: &Workspace,
    repo: &spectask_git::Repo,
    name: &TaskHandle,
    comments: Option<String>,
) -> Result<AgentDraft, JobError> {
    let instance = agents::instance(ctx, task, profile, workspace).await?;
    let worktree = &workspace.worktree;
    let (events, mut rx) = instance.event_channel();
    // The planning conversation is not recorded (drained so the agent never blocks); what the
    // sandbox refused it is published.
    let (audit_ctx, task_id) = (ctx.clone(), task.id);
    let drain = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let (kind, finding) = match &event {
                AgentEvent::EditOutsideWorktree(f) => (Finding::EditOutsideWorktree, f),
                AgentEvent::AccessRefused(f) => (Finding::AccessRefused, f),
                _ => continue,
            };
            audit::publish(&audit_ctx, task_id, None, kind, finding).await;
        }
    });
    let thread = instance.new_thread(worktree, events).await.map_err(agent_error)?;
    let mut text = first_prompt(task, comments.as_deref());
    let mut round = 0;
    let draft = loop {
        let stop = instance.prompt(&thread, &text).await.map_err(agent_error)?;
        if stop != "end_turn" {
            break Err(JobError::Retry(format!("the planning agent ended its turn with {stop}")));
        }
        let files = {
            let (repo, name) = (repo.clone(), name.clone());
            repos::blocking(move || repo.read_planning_dir(&name)).await?
        };
        let missing: Vec<&str> = [
            ("requirements.md", &files.requirements),
            ("design.md", &files.design),
            ("tasks.md", &files.tasks),
        ]
        .iter()
        .filter(|(_, f)| f.as_deref().is_none_or(|t| t.trim().is_empty()))
        .map(|(n, _)| *n)
        .collect();
        let report = lint_spec(&SpecFiles {
            requirements: files.requirements.as_deref(),
            design: files.design.as_deref(),
            tasks: files.tasks.as_deref(),
        });
        let lint: Vec<String> = report.grouped().iter().map(ToString::to_string).collect();
        if missing.is_empty() && (!report.has_errors() || round == MAX_REPAIR_ROUNDS) {
            break Ok(AgentDraft { documents: documents(files), lint });
        }
        if round == MAX_REPAIR_ROUNDS {
            break Err(JobError::Retry(format!("the planning agent did not write {}", missing.join(", "))));
        }
        round += 1;
        text = repair_prompt(&missing, &report.errors().map(ToString::to_string).collect::<Vec<_>>());
    };
    let _ = instance.close_thread(&thread).await;
    drain.abort();
    draft
}

/// For a revision: the previous version (put back in the scratch directory) and the comments.
async fn revision_input(
    ctx: &Ctx,
    task: &SpecTask,
) -> Result<(Option<PlanningFiles>, Option<String>), JobError> {
    if task.spec_version == 0 {
        return Ok((None, None));
    }
    let previous = ctx.store.spec_version(task.id, Some(task.spec_version)).await?.documents;
    let review =
        ctx.store.reviews_of(task.id).await?.into_iter().rev().find(|r| r.version == task.spec_version);
    let mut comments = review.as_ref().map(|r| r.comments.clone()).unwrap_or_default();
    for c in review.iter().flat_map(|r| &r.line_comments) {
        let at = c.line.map(|l| format!(":{l}")).unwrap_or_default();
        comments.push_str(&format!("\n- {}{at}: {}", c.document.file_name(), c.comment));
    }
    let files = PlanningFiles {
        requirements: Some(previous.requirements),
        design: Some(previous.design),
        tasks: Some(previous.tasks),
    };
    Ok((Some(files), Some(comments)))
}

fn first_prompt(task: &SpecTask, comments: Option<&str>) -> String {
    let goal = match comments {
        None => format!(
            "Write the spec for this change to the repository in your working directory:\n\n{}\n",
            task.prompt
        ),
        Some(comments) => format!(
            "Revise the spec in .spectask/spec/ for this change:\n\n{}\n\nThe reviewer asked for these changes:\n\n{comments}\n",
            task.prompt
        ),
    };
    format!(
        "{goal}\nRead the code you need, then write three files: .spectask/spec/requirements.md, \
         .spectask/spec/design.md and .spectask/spec/tasks.md (relative to your working directory). \
         Change nothing else. When the files are written, answer with one line saying so.\n\n\
         The documents follow these rules:\n\n{}",
        spectask_planner::SPEC_FORMAT_RULES
    )
}

fn repair_prompt(missing: &[&str], errors: &[String]) -> String {
    let mut text = String::from("The spec in .spectask/spec/ is not finished:\n\n");
    for m in missing {
        text.push_str(&format!("- {m} is missing or empty\n"));
    }
    for e in errors.iter().take(60) {
        text.push_str(&format!("- {e}\n"));
    }
    text.push_str("\nFix the files in place, then answer with one line saying so.");
    text
}

fn documents(files: PlanningFiles) -> SpecDocuments {
    SpecDocuments {
        requirements: files.requirements.unwrap_or_default(),
        design: files.design.unwrap_or_default(),
        tasks: files.tasks.unwrap_or_default(),
    }
}

fn agent_error(err: spectask_agent::AgentError) -> JobError {
    match err.session_outcome() {
        SessionOutcome::Interrupted => JobError::Retry(err.to_string()),
        SessionOutcome::Failed => JobError::Fatal(err.to_string()),
    }
}
