//! What spectask says on the forge about a task's pull request: its body (the implementation
//! summary, with paths relative to the repository and the forge's own links to the spec and
//! history), and, after pushing a fix to it, which feedback the push answers.

use std::path::Path;

use spectask_core::SpecTask;
use spectask_core::session::coordination::FixAnswers;
use spectask_forge::{Forge, ForgeClient, ForgeRepo};

use super::forge_error;
use crate::ctx::Ctx;
use crate::job_error::JobError;

/// What the pull request says: the task, its implementation summary, where its spec and history
/// are (the forge's own pages), and the `Spec-Task` trailer. Paths on this machine (the task's
/// worktree, the repository's clone) are given relative to the repository.
pub(super) async fn body(
    ctx: &Ctx,
    client: &ForgeClient,
    task: &SpecTask,
    forge: &Forge,
    repo: &ForgeRepo,
    (design_docs, roots): (&str, &[&Path]),
) -> Result<String, JobError> {
    let summary = crate::views::implementation_summary(&ctx.store, task).await?;
    // The summary's own title line is the pull request's title.
    let summary = summary.split_once('\n').map_or("", |(_, rest)| rest).trim();
    let summary = repository_relative(summary, roots);
    let web_url = client.repo_access(repo).await.map_err(forge_error)?.web_url;
    let handle = task.handle();
    let page = |folder: &str| forge.kind.tree_url(&web_url, design_docs, &format!("{folder}/{handle}"));
    // The issue it was imported from, closed by the forge when this merges (spectask closes it too).
    let closes = match ctx.store.issue_of(task.id).await? {
        Some(issue) if issue.forge == forge.name && issue.repository == repo.to_string() => {
            format!("Closes #{}\n\n", issue.number)
        }
        _ => String::new(),
    };
    Ok(format!(
        "{summary}\n\n---\n\n{closes}The spec: [{design_docs}/specs/{handle}]({}) · the history: \
         [{design_docs}/sessions/{handle}]({})\n\nSpec-Task: {id}\n",
        page("specs"),
        page("sessions"),
        id = task.id,
    ))
}

/// `text` with each of `roots` (absolute paths on this machine, the innermost first) made
/// relative: `<root>/src/a.rs` is `src/a.rs`, the root alone `.`.
pub(super) fn repository_relative(text: &str, roots: &[&Path]) -> String {
    let mut text = text.to_owned();
    for root in roots {
        let root = root.to_string_lossy();
        let root = root.trim_end_matches('/');
        if root.is_empty() {
            continue;
        }
        text = text.replace(&format!("{root}/"), "").replace(root, ".");
    }
    text
}

/// The comment after pushing `head` to the pull request, saying which feedback it answers.
pub(super) fn pushed(head: &str, answers: &FixAnswers, handle: &str) -> String {
    let FixAnswers { reviewers, checks } = answers;
    let review =
        (!reviewers.is_empty()).then(|| format!("the changes {} asked in review", reviewers.join(", ")));
    let ticked: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
    let failing = (!checks.is_empty()).then(|| format!("a fix for the failing checks {}", ticked.join(", ")));
    let what = match (review, failing) {
        (Some(review), Some(failing)) => format!("{review} and {failing}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "the changes asked".to_owned(),
    };
    let short = head.get(..10).unwrap_or(head);
    format!("Pushed {short} with {what} (spec task `{handle}`).")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_machine_become_relative_to_the_repository() {
        let worktree = Path::new("/data/clones/app/.git-worktrees/1a-add");
        let clone = Path::new("/data/clones/app");
        let said = "wrote /data/clones/app/.git-worktrees/1a-add/src/a.rs and /data/clones/app/README.md in \
                    /data/clones/app/.git-worktrees/1a-add";
        assert_eq!(repository_relative(said, &[worktree, clone]), "wrote src/a.rs and README.md in .");
    }

    #[test]
    fn a_push_says_which_feedback_it_answers() {
        let answers = |reviewers: &[&str], checks: &[&str]| FixAnswers {
            reviewers: reviewers.iter().map(|r| (*r).to_owned()).collect(),
            checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        };
        let review = answers(&["alice"], &[]);
        assert_eq!(
            pushed("0123456789abcdef", &review, "1a-add"),
            "Pushed 0123456789 with the changes alice asked in review (spec task `1a-add`)."
        );
        let checks = answers(&[], &["lint", "test"]);
        assert!(pushed("abc", &checks, "h").contains("with a fix for the failing checks `lint`, `test`"));
        let both = answers(&["alice"], &["lint"]);
        assert!(
            pushed("abc", &both, "h").contains("asked in review and a fix for the failing checks `lint`")
        );
        assert!(pushed("abc", &FixAnswers::default(), "h").contains("with the changes asked ("));
    }
}
