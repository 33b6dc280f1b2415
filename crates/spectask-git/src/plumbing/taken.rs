//! What a commit of a worktree's changes takes: those at given paths, or every change but the
//! check's by-products and what other sessions of the task are writing, as `git status` lists
//! them now. The session's commit and its pre-commit check list them the same way.

use crate::error::GitError;
use crate::plumbing::commit::Worktree;
use crate::plumbing::status::{Status, is_unmerged};

/// Which of a worktree's changes a commit takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Changes<'a> {
    /// Those at these paths only.
    At(&'a [String]),
    /// Every change but the check's by-products and those at these paths (another session's).
    AllBut(&'a [String]),
}

impl Changes<'_> {
    /// Every change but the check's by-products.
    pub(crate) const ALL: Changes<'static> = Changes::AllBut(&[]);

    pub(super) fn paths(&self) -> Option<&[String]> {
        match self {
            Changes::At(paths) => Some(paths),
            Changes::AllBut(_) => None,
        }
    }
}

/// What a commit takes ([`Worktree::taken`]).
pub(crate) struct Taken {
    /// The commit HEAD named (`None` for an unborn branch, or when git did not look: no paths).
    pub(crate) head: Option<String>,
    /// The paths with changes it takes.
    pub(crate) paths: Vec<String>,
    /// Whether they are staged by name: `git add --all` would take more.
    pub(crate) one_by_one: bool,
    /// Whether a merge conflict is left unresolved among the changes.
    pub(crate) unmerged: bool,
}

impl Worktree {
    /// What a commit of `changes` takes, as git's status lists them now, on `branch`.
    pub(crate) fn taken(&self, branch: &str, changes: Changes<'_>) -> Result<Taken, GitError> {
        let Status { head, entries, .. } = self.changes_on(branch, changes.paths())?;
        let unmerged = entries.iter().any(|(xy, _)| is_unmerged(xy));
        // A commit of every change leaves out what the repository's check created, and what
        // another session of the task is writing.
        let (entries, left_out) = match changes {
            Changes::AllBut(theirs) => {
                let (mut entries, products) = self.without_check_products(entries);
                let before = entries.len();
                entries.retain(|(_, path)| !theirs.contains(path));
                let left_out = products + before - entries.len();
                (entries, left_out)
            }
            Changes::At(_) => (entries, 0),
        };
        let one_by_one = matches!(changes, Changes::At(_)) || left_out > 0;
        Ok(Taken { head, paths: entries.into_iter().map(|(_, path)| path).collect(), one_by_one, unmerged })
    }
}
