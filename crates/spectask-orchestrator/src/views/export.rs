//! The export report: one markdown document of a SpecTask — what was asked, the spec's acceptance
//! criteria and the plan tasks that implement each, the sessions with their outcomes and commits
//! (the implementation summary), and the coordination timeline.

use std::fmt::Write as _;

use spectask_core::{CoordinationEvent, SpecTask};
use spectask_spec::{RequirementsDoc, parse_requirements};
use spectask_store::{Store, StoreError};

use crate::views::plan_tasks::{PlanTaskStatus, plan_task_states};
use crate::views::summary::implementation_summary;

/// `task`'s report as one markdown document.
pub async fn report(store: &Store, task: &SpecTask) -> Result<String, StoreError> {
    let spec = match task.spec_version {
        0 => None,
        version => Some(store.spec_version(task.id, Some(version)).await?),
    };
    let repository = store.repository(task.repository_id).await?;
    let summary = implementation_summary(store, task).await?;
    let log = store.coordination_log(task.id).await?;
    // Each plan task's state as its sessions give it (the approved tasks.md has every box open).
    let sessions = store.work_session_standings_of(task.id).await?;
    let criteria = spec
        .as_ref()
        .map(|v| (parse_requirements(&v.documents.requirements), plan_task_states(task, v, &sessions)));
    let mut out = header(task, &repository.path.display().to_string());
    out.push_str(&acceptance(criteria.as_ref()));
    // The summary's own title repeats ours: its sections (the headings at line starts) follow.
    let body = summary.split_once("\n## ").map(|(_, rest)| format!("## {rest}")).unwrap_or_default();
    out.push_str(&body);
    out.push_str(&timeline(&log));
    Ok(out)
}

fn header(task: &SpecTask, repository: &str) -> String {
    let mut out = format!("# {} ({})\n\n", task.title, task.handle());
    let _ = writeln!(out, "- Status: {}", task.status());
    let _ = writeln!(out, "- Kind: {}", task.kind);
    let _ = writeln!(out, "- Repository: {repository}");
    let _ = writeln!(out, "- Created by {} at {}", task.created_by, task.created_at.to_rfc3339());
    if let Some(done) = task.completed_at {
        let _ = writeln!(out, "- Ended at {}", done.to_rfc3339());
    }
    let _ = writeln!(out, "- Spec version: {}\n", task.spec_version);
    out.push_str("## Prompt\n\n");
    for line in task.prompt.lines() {
        let _ = writeln!(out, "> {line}");
    }
    out.push('\n');
    out
}

/// Each acceptance criterion with the plan tasks naming it (or its requirement).
fn acceptance(spec: Option<&(RequirementsDoc, Vec<PlanTaskStatus>)>) -> String {
    let mut out = String::from("## Acceptance criteria\n\n");
    let Some((requirements, plan)) = spec else {
        out.push_str("No spec (this task was not planned).\n\n");
        return out;
    };
    let mut any = false;
    for requirement in &requirements.requirements {
        for criterion in &requirement.criteria {
            any = true;
            let implementing: Vec<String> = plan
                .iter()
                .filter(|t| t.requirements.iter().any(|r| *r == criterion.id || *r == requirement.id))
                .map(|t| format!("{} {} ({})", t.id.as_deref().unwrap_or("-"), t.title, t.state))
                .collect();
            let by = match implementing.is_empty() {
                true => "no plan task names it".to_owned(),
                false => format!("implemented by {}", implementing.join("; ")),
            };
            let _ = writeln!(out, "- **{}** {} — {by}", criterion.id, criterion.text);
        }
    }
    if !any {
        out.push_str("The requirements name no acceptance criteria.\n");
    }
    out.push('\n');
    out
}

fn timeline(log: &[CoordinationEvent]) -> String {
    let mut out = String::from("\n## Coordination timeline\n\n");
    if log.is_empty() {
        out.push_str("Nothing was coordinated.\n");
    }
    for event in log {
        let _ = writeln!(out, "- {} · {} · {}", event.at.to_rfc3339(), event.kind, event.message);
    }
    out
}
