//! Planning through a coding agent (an `acp` planning profile): the agent reads the repository in
//! the task's worktree and writes the three documents to `.spectask/spec/`; spectask lints them,
//! asks for repairs (at most two rounds), stores the version and clears the scratch directory. An
//! agent that writes only `questions.md` makes a version of questions, answered before its first
//! draft. The repository's steering documents come with every prompt. Its turns are weighed and
//! counted as the task's planning ([`super::agent_turns`]).
//!
//! A design-first spec's first draft is written in two steps, in that order: the agent is asked for
//! design.md alone, and only once it is written for the requirements derived from it and the plan.

use spectask_agent::{AgentProfile, SessionOutcome, Workspace};
use spectask_core::{SpecDocument, SpecDocuments, SpecTask};
use spectask_git::{PlanningFiles, TaskHandle};
use spectask_spec::{SpecFiles, Template, Workflow};

use super::agent_turns::{AgentTurns, Turn};
use crate::ctx::Ctx;
use crate::implementation::agents;
use crate::job_error::JobError;
use crate::repos;

const MAX_REPAIR_ROUNDS: usize = 2;

/// What the planning agent came to: a draft, or a budget that stopped it.
pub(crate) enum Drafted {
    Draft(AgentDraft),
    /// A budget holds the task: nothing was drafted (the scratch directory is cleared).
    Held(spectask_core::BudgetHold),
}

/// The documents and the diagnostics left in them.
pub(crate) struct AgentDraft {
    pub documents: SpecDocuments,
    pub lint: Vec<String>,
    /// What the agent asks the person, from `.spectask/spec/questions.md`.
    pub questions: Vec<String>,
    /// The agent's own consistency check, from `.spectask/spec/consistency.md`.
    pub consistency: Vec<String>,
}

pub(crate) async fn plan(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    template: &Template,
) -> Result<Drafted, JobError> {
    let repository = ctx.store.repository(task.repository_id).await?;
    let repo = repos::open(ctx, &repository).await?;
    let name = TaskHandle::new(task.handle()).map_err(JobError::fatal_from)?;
    let (previous, asked) = revision_input(ctx, task).await?;
    let drafted_before = previous.is_some();
    let steering = repos::steering(&repo, 1).await?;
    let (worktree, output) = {
        let (repo, name) = (repo.clone(), name.clone());
        let first = template.requirements_file();
        repos::blocking(move || repo.prepare_planning_dir(&name, previous.as_ref(), first)).await?
    };
    // The planning agent reads the repository and writes only the planning folder.
    let workspace = agents::workspace(ctx, task, worktree, Some(output)).await?;
    let scratch = Scratch { repo: &repo, name: &name };
    // A first draft of a design-first spec: the design alone first, then what is derived from it.
    let design_first = template.base == Workflow::DesignFirst && !drafted_before;
    let prompt = first_prompt(task, template, &asked, steering.as_deref(), design_first);
    let result = run_agent(ctx, task, profile, template, &workspace, scratch, prompt, design_first).await;
    // The planning agent is done either way: the implementation gets its own instance.
    agents::stop(ctx, task.id).await?;
    let cleared = repos::blocking(move || repo.clear_planning_dir(&name)).await;
    let draft = result?;
    cleared?;
    Ok(draft)
}

/// The task's planning folder: where the agent writes and spectask reads.
#[derive(Clone, Copy)]
struct Scratch<'a> {
    repo: &'a spectask_git::Repo,
    name: &'a TaskHandle,
}

#[allow(clippy::too_many_arguments)]
async fn run_agent(
    ctx: &Ctx,
    task: &SpecTask,
    profile: &AgentProfile,
    template: &Template,
    workspace: &Workspace,
    scratch: Scratch<'_>,
    text: String,
    design_first: bool,
) -> Result<Drafted, JobError> {
    let instance = agents::instance(ctx, task, profile, workspace).await?;
    let mut turns = AgentTurns::open(ctx, task, instance, &workspace.worktree).await?;
    // A design-first draft: the design first; then what is derived from it, asked for anew.
    let (designed, text) = match design_first {
        true => (design_step(&mut turns, template, scratch, text).await, derive_prompt(template)),
        false => (Ok(None), text),
    };
    let draft = match designed {
        Ok(None) => drafts(&mut turns, template, scratch, text).await,
        Ok(Some(drafted)) => Ok(drafted),
        Err(err) => Err(err),
    };
    turns.close().await;
    draft
}

/// The first step of a design-first draft: turns until design.md is written (at most the repair
/// rounds). `None` once it is; a draft when the agent asked questions alone or a budget held it.
async fn design_step(
    turns: &mut AgentTurns<'_>,
    template: &Template,
    Scratch { repo, name }: Scratch<'_>,
    mut text: String,
) -> Result<Option<Drafted>, JobError> {
    for _ in 0..=MAX_REPAIR_ROUNDS {
        match turns.prompt(&text).await? {
            Turn::Held(hold) => return Ok(Some(Drafted::Held(hold))),
            Turn::Ended(stop) if stop != "end_turn" => {
                return Err(JobError::retry(format!("the planning agent ended its turn with {stop}")));
            }
            Turn::Ended(_) => {}
        }
        let files = {
            let (repo, name) = (repo.clone(), name.clone());
            let first = template.requirements_file();
            repos::blocking(move || repo.read_planning_dir(&name, first)).await?
        };
        if files.design.as_deref().is_some_and(|t| !t.trim().is_empty()) {
            return Ok(None);
        }
        let questions = files.questions.as_deref().map(spectask_planner::question_list).unwrap_or_default();
        if !questions.is_empty() {
            return Ok(Some(Drafted::Draft(AgentDraft {
                documents: SpecDocuments::default(),
                lint: Vec::new(),
                questions,
                consistency: Vec::new(),
            })));
        }
        text = "This spec is written design first, and its design is not written yet: \
                .spectask/spec/design.md is missing or empty. Write it now, and nothing else yet; then \
                answer with one line saying so."
            .to_owned();
    }
    Err(JobError::retry("the planning agent did not write design.md".to_owned()))
}

/// Turns until the agent's documents are written and lint clean (or the repair rounds run out).
async fn drafts(
    turns: &mut AgentTurns<'_>,
    template: &Template,
    Scratch { repo, name }: Scratch<'_>,
    mut text: String,
) -> Result<Drafted, JobError> {
    let mut round = 0;
    loop {
        let stop = match turns.prompt(&text).await {
            Ok(Turn::Ended(stop)) => stop,
            Ok(Turn::Held(hold)) => return Ok(Drafted::Held(hold)),
            Err(err) => return Err(err),
        };
        if stop != "end_turn" {
            return Err(JobError::retry(format!("the planning agent ended its turn with {stop}")));
        }
        let files = {
            let (repo, name) = (repo.clone(), name.clone());
            let first = template.requirements_file();
            repos::blocking(move || repo.read_planning_dir(&name, first)).await?
        };
        let missing: Vec<&str> = [
            (template.requirements_file(), &files.requirements),
            ("design.md", &files.design),
            ("tasks.md", &files.tasks),
        ]
        .iter()
        .filter(|(_, f)| f.as_deref().is_none_or(|t| t.trim().is_empty()))
        .map(|(n, _)| *n)
        .collect();
        let report = template.lint(&SpecFiles {
            requirements: files.requirements.as_deref(),
            design: files.design.as_deref(),
            tasks: files.tasks.as_deref(),
        });
        let lint: Vec<String> = report.grouped().iter().map(ToString::to_string).collect();
        let questions = files.questions.as_deref().map(spectask_planner::question_list).unwrap_or_default();
        // Questions and no document at all: the agent needs the answers before a first draft.
        if missing.len() == SpecDocument::ALL.len() && !questions.is_empty() {
            return Ok(Drafted::Draft(AgentDraft {
                documents: SpecDocuments::default(),
                lint: Vec::new(),
                questions,
                consistency: Vec::new(),
            }));
        }
        if missing.is_empty() && (!report.has_errors() || round == MAX_REPAIR_ROUNDS) {
            let consistency =
                files.consistency.as_deref().map(spectask_planner::consistency_list).unwrap_or_default();
            return Ok(Drafted::Draft(AgentDraft {
                documents: documents(files),
                lint,
                questions,
                consistency,
            }));
        }
        if round == MAX_REPAIR_ROUNDS {
            return Err(JobError::retry(format!("the planning agent did not write {}", missing.join(", "))));
        }
        round += 1;
        text = repair_prompt(&missing, &report.errors().map(ToString::to_string).collect::<Vec<_>>());
    }
}

/// What the agent is asked for: the first version, the first version once its questions are
/// answered, or the next version after a review.
enum Asked {
    First,
    /// The previous version asked questions alone; the person's review answers them.
    Answers {
        questions: Vec<String>,
        review: String,
    },
    Revision {
        review: String,
    },
}

/// For a later version: the previous one (put back in the scratch directory, when it has
/// documents) and what was asked of it.
async fn revision_input(ctx: &Ctx, task: &SpecTask) -> Result<(Option<PlanningFiles>, Asked), JobError> {
    if task.spec_version == 0 {
        return Ok((None, Asked::First));
    }
    let previous = ctx.store.spec_version(task.id, Some(task.spec_version)).await?;
    let review =
        ctx.store.reviews_of(task.id).await?.into_iter().rev().find(|r| r.version == task.spec_version);
    let mut comments = review.as_ref().map(|r| r.comments.clone()).unwrap_or_default();
    for c in review.iter().flat_map(|r| &r.line_comments) {
        let at = c.line.map(|l| format!(":{l}")).unwrap_or_default();
        comments.push_str(&format!("\n- {}{at}: {}", c.document.file_name(), c.comment));
    }
    if previous.documents.is_empty() {
        return Ok((None, Asked::Answers { questions: previous.questions, review: comments }));
    }
    let documents = previous.documents;
    let files = PlanningFiles {
        requirements: Some(documents.requirements),
        design: Some(documents.design),
        tasks: Some(documents.tasks),
        questions: None,
        consistency: None,
    };
    Ok((Some(files), Asked::Revision { review: comments }))
}

fn first_prompt(
    task: &SpecTask,
    template: &Template,
    asked: &Asked,
    steering: Option<&str>,
    design_first: bool,
) -> String {
    let goal = match asked {
        Asked::First => format!(
            "Write the spec for this change to the repository in your working directory:\n\n{}\n",
            task.prompt
        ),
        Asked::Answers { questions, review } => {
            let asked: String =
                questions.iter().enumerate().map(|(n, q)| format!("{}. {q}\n", n + 1)).collect();
            format!(
                "Write the spec for this change to the repository in your working directory:\n\n{}\n\n\
                 You asked these before writing it:\n\n{asked}\nThe person's reply:\n\n{review}\n\n\
                 Write the spec now, following the answers; ask again only what they leave open.\n",
                task.prompt
            )
        }
        Asked::Revision { review } => format!(
            "Revise the spec in .spectask/spec/ for this change:\n\n{}\n\nThe reviewer asked for these changes:\n\n{review}\n",
            task.prompt
        ),
    };
    let first = template.requirements_file();
    let mut text = if design_first {
        format!(
            "{goal}\nThis spec is written design first, in two steps. Now read the code you need, then \
             write .spectask/spec/design.md alone, and nothing else yet: {first} and tasks.md are derived \
             from the design in the next step. If something the request leaves open would change the spec \
             substantially, also write .spectask/spec/questions.md: at most five numbered questions for \
             the person; only when no sound design can be written without the answers, write \
             questions.md alone. When design.md is written, answer with one line saying so.\n\n"
        )
    } else {
        format!(
            "{goal}\nRead the code you need, then write three files: .spectask/spec/{first}, \
         .spectask/spec/design.md and .spectask/spec/tasks.md (relative to your working directory). \
         Change nothing else. If something the request leaves open would change the spec substantially, \
         also write .spectask/spec/questions.md: at most five numbered questions for the person. Usually \
         write the three files as well, assuming the likeliest answers; only when no sound spec can be \
         written without the answers, write questions.md alone: the first version is written once they \
         are answered. Then check the three documents against \
         each other (every criterion implemented by a task, every design component built, no criterion \
         contradicting another), resolve what you can, and list what you leave in \
         .spectask/spec/consistency.md, one per line as `file:line: what` (write no such file when they \
         agree). When the files are written, \
         answer with one line saying so.\n\n"
        )
    };
    if let Some(steering) = steering {
        text.push_str(steering.trim_end());
        text.push_str("\n\n");
    }
    text.push_str("The documents follow these rules:\n\n");
    text.push_str(spectask_planner::SPEC_FORMAT_RULES);
    let workflow = template.planner_rules();
    if !workflow.is_empty() {
        text.push('\n');
        text.push_str(&workflow);
    }
    text
}

/// The second step of a design-first draft: what is derived from the design the agent wrote.
fn derive_prompt(template: &Template) -> String {
    let first = template.requirements_file();
    format!(
        "The design is written. Write the spec's other documents now, from it: derive \
         .spectask/spec/{first} from .spectask/spec/design.md (every component under \"Components and \
         Interfaces\" wanted by at least one requirement that names it, and no requirement asking for \
         something the design does not provide), then write .spectask/spec/tasks.md, following the \
         design's components in dependency order. Change design.md only where the requirements show it \
         lacks something. Then check the three documents against each other (every criterion \
         implemented by a task, every design component built, no criterion contradicting another), \
         resolve what you can, and list what you leave in .spectask/spec/consistency.md, one per line \
         as `file:line: what` (write no such file when they agree). When the files are written, answer \
         with one line saying so."
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
    text.push_str(
        "\nFix the files in place, bring .spectask/spec/consistency.md up to date with them (delete it \
         when nothing is left), then answer with one line saying so.",
    );
    text
}

fn documents(files: PlanningFiles) -> SpecDocuments {
    SpecDocuments {
        requirements: files.requirements.unwrap_or_default(),
        design: files.design.unwrap_or_default(),
        tasks: files.tasks.unwrap_or_default(),
    }
}

pub(super) fn agent_error(err: spectask_agent::AgentError) -> JobError {
    match err.session_outcome() {
        SessionOutcome::Interrupted => JobError::retry_from(err),
        SessionOutcome::Failed => JobError::fatal_from(err),
    }
}
