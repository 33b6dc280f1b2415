//! The sandbox audit's findings (edits outside the worktree, refused accesses) as spectask records
//! them: a decision line in the session's history and an `agent.sandbox` event on the stream.

use spectask_agent::events::SandboxFinding;
use spectask_core::events::payload::AgentSandbox;
use spectask_core::{SpecTaskId, WorkSessionId};

use crate::ctx::Ctx;

/// Which finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finding {
    EditOutsideWorktree,
    AccessRefused,
}

impl Finding {
    fn as_str(self) -> &'static str {
        match self {
            Finding::EditOutsideWorktree => "edit_outside_worktree",
            Finding::AccessRefused => "access_refused",
        }
    }
}

/// The decision line for the session's history, e.g. `- sandbox: edit outside the worktree,
/// refused by the sandbox: /home/u/x (tool call t1 "write x")`.
pub(crate) fn decision(kind: Finding, finding: &SandboxFinding) -> String {
    let paths: Vec<String> = finding.paths.iter().map(|p| p.display().to_string()).collect();
    let paths = if paths.is_empty() { "no path reported".to_owned() } else { paths.join(", ") };
    let title = finding.title.as_deref().map(|t| format!(" {t:?}")).unwrap_or_default();
    let what = match kind {
        Finding::EditOutsideWorktree => format!("edit outside the worktree, {}", finding.detail),
        Finding::AccessRefused => format!("access refused ({})", finding.detail),
    };
    format!("- sandbox: {what}: {paths} (tool call {}{title})\n", finding.tool_call_id)
}

/// Publishes the finding on the event stream (logged, not fatal, when the store is unavailable).
pub(crate) async fn publish(
    ctx: &Ctx,
    task: SpecTaskId,
    session: Option<WorkSessionId>,
    kind: Finding,
    finding: &SandboxFinding,
) {
    let payload = AgentSandbox {
        finding: kind.as_str().to_owned(),
        tool_call_id: finding.tool_call_id.clone(),
        title: finding.title.clone(),
        paths: finding.paths.clone(),
        detail: finding.detail.clone(),
        refused: finding.refused,
    };
    if let Err(err) = ctx.store.publish_event(Some(task), session, &payload).await {
        tracing::warn!(%err, %task, "cannot publish a sandbox finding");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_name_the_paths_and_the_tool_call() {
        let finding = SandboxFinding {
            tool_call_id: "t1".into(),
            title: Some("write x".into()),
            paths: vec!["/home/u/x".into()],
            detail: "refused by the sandbox".into(),
            refused: true,
        };
        assert_eq!(
            decision(Finding::EditOutsideWorktree, &finding),
            "- sandbox: edit outside the worktree, refused by the sandbox: /home/u/x (tool call t1 \"write x\")\n"
        );
        let refused = SandboxFinding { paths: vec![], title: None, detail: "EACCES".into(), ..finding };
        assert_eq!(
            decision(Finding::AccessRefused, &refused),
            "- sandbox: access refused (EACCES): no path reported (tool call t1)\n"
        );
    }
}
