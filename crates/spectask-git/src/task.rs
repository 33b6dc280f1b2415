//! A SpecTask's code branch, from its creation to its merge. `branch` makes the branch and its
//! worktree, commits each work session's changes and removes them without losing work; `integrate`
//! brings the default branch into it before review; `merge` lands it on the default branch.

pub(crate) mod branch;
pub(crate) mod integrate;
pub(crate) mod merge;
