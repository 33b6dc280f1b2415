//! What changed in a repository. `commits` reads branch tips, commits, the files they changed and
//! files' contents at a commit; `review` shows a task branch against its base, commit by commit and
//! hunk by hunk (the types in `diff`), reading git's diff output with `diff_parse`; `target` resolves what a review task
//! reviews (a branch or a commit range) and its diff.

pub(crate) mod commits;
pub(crate) mod diff;
mod diff_parse;
pub(crate) mod review;
pub(crate) mod target;
