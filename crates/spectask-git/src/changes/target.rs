//! What a review task reviews: a branch (against where it left the default branch) or a commit
//! range `A..B`, resolved to two commits, with the diff between them as the reviewer reads it.

use crate::error::GitError;
use crate::names::CommitId;
use crate::plumbing::changed_files::ChangedFile;
use crate::repository::registration::Repo;

/// A review target resolved in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRange {
    /// The target as the person wrote it: `feature/login`, or `main..feature/login`.
    pub target: String,
    /// Where the reviewed changes start: the range's first commit, or the branch's merge base with
    /// the default branch.
    pub base: CommitId,
    /// The reviewed code: the range's last commit, or the branch's tip.
    pub head: CommitId,
}

/// The changes a review reads: the files `base..head` changed and their diff, cut at a bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDiff {
    pub files: Vec<ChangedFile>,
    /// `git diff base head`, at most the bound's bytes (cut at a line).
    pub diff: String,
    /// The diff was longer than the bound.
    pub truncated: bool,
}

impl Repo {
    /// Resolves `target`: `A..B` (each a branch, tag or commit), or a branch (local, or the
    /// remote's). Refused with [`GitError::InvalidReviewTarget`] naming what is wrong: a name that
    /// is no commit, or a target with nothing to review.
    pub fn review_range(&self, target: &str) -> Result<ReviewRange, GitError> {
        let target = target.trim();
        let invalid = |reason: String| GitError::InvalidReviewTarget { target: target.to_owned(), reason };
        if target.is_empty() {
            return Err(invalid("it is empty: name a branch, or a commit range A..B".to_owned()));
        }
        let (base, head) = match target.split_once("..") {
            Some((_, to)) if to.starts_with('.') => {
                return Err(invalid("A...B is not taken: write the range as A..B".to_owned()));
            }
            Some((from, to)) => {
                let commit = |name: &str| -> Result<CommitId, GitError> {
                    self.commit_named(name)?.ok_or_else(|| {
                        invalid(format!("`{name}` is not a branch, tag or commit of the repository"))
                    })
                };
                (commit(from)?, commit(to)?)
            }
            None => {
                let remote = self.remote().map(|r| format!("refs/remotes/{r}/{target}"));
                let head = match self.tip_of(target)? {
                    Some(tip) if crate::names::is_safe_ref_name(target) => Some(tip),
                    _ => match remote.filter(|_| crate::names::is_safe_ref_name(target)) {
                        Some(remote) => self.ref_tip(&remote)?,
                        None => None,
                    },
                };
                let head = head.ok_or_else(|| {
                    invalid(format!(
                        "there is no branch named `{target}` (a review target is a branch, or a commit range A..B)"
                    ))
                })?;
                let (default, tip) = (self.default_tip()?.to_string(), head.to_string());
                let base =
                    CommitId::from_git(&self.main_git().reading().run(&["merge-base", &default, &tip])?)?;
                (base, head)
            }
        };
        if base == head || self.commits_between(Some(base), head)?.is_empty() {
            return Err(invalid(format!(
                "it has no commits to review (its changes are already in {})",
                if target.contains("..") { "its first commit" } else { self.default_branch() }
            )));
        }
        Ok(ReviewRange { target: target.to_owned(), base, head })
    }

    /// The files `range` changed and its diff, at most `max_bytes` of it.
    pub fn review_diff(&self, range: &ReviewRange, max_bytes: usize) -> Result<ReviewDiff, GitError> {
        let files = self.changed_files(Some(range.base), range.head)?;
        let (base, head) = (range.base.to_string(), range.head.to_string());
        let out = self.main_git().reading().run(&["diff", "--no-color", "--no-ext-diff", &base, &head])?;
        let text = String::from_utf8_lossy(&out);
        let truncated = text.len() > max_bytes;
        let diff = if truncated {
            let cut = text[..text.floor_char_boundary(max_bytes)].rfind('\n').map_or(0, |i| i + 1);
            text[..cut].to_owned()
        } else {
            text.into_owned()
        };
        Ok(ReviewDiff { files, diff, truncated })
    }

    /// The commit `name` (a branch, tag or commit id) names; `None` when it names none or is not
    /// a plain name (an option, a revision expression).
    fn commit_named(&self, name: &str) -> Result<Option<CommitId>, GitError> {
        if !crate::names::is_safe_ref_name(name) {
            return Ok(None);
        }
        self.ref_tip(name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{RegisterOptions, init_repository};

    fn repo_with_branch() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("r");
        init_repository(&root, &[("README.md", "# r\n"), ("src/a.rs", "fn a() {}\n")], "init").unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git").args(args).current_dir(&root).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        };
        git(&["checkout", "-q", "-b", "feature/b"]);
        std::fs::write(root.join("src/b.rs"), "fn b() {}\n").unwrap();
        git(&["add", "."]);
        git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "add b"]);
        git(&["checkout", "-q", "main"]);
        let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
        (dir, repo)
    }

    #[test]
    fn a_branch_is_reviewed_from_where_it_left_the_default_branch() {
        let (_dir, repo) = repo_with_branch();
        let range = repo.review_range("feature/b").unwrap();
        assert_eq!(Some(range.base), repo.branch_tip("main").unwrap());
        let diff = repo.review_diff(&range, 10_000).unwrap();
        assert_eq!(diff.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["src/b.rs"]);
        assert!(diff.diff.contains("+fn b() {}") && !diff.truncated, "{}", diff.diff);
        let cut = repo.review_diff(&range, 20).unwrap();
        assert!(cut.truncated && cut.diff.len() <= 20);
        let same = repo.review_range("main..feature/b").unwrap();
        assert_eq!((same.base, same.head), (range.base, range.head));
    }

    #[test]
    fn a_target_that_names_nothing_to_review_is_refused_saying_why() {
        let (_dir, repo) = repo_with_branch();
        let cases = [
            ("nope", "there is no branch named `nope`"),
            ("main..nope", "`nope` is not a branch, tag or commit"),
            ("--all..main", "`--all` is not a branch"),
            ("main...feature/b", "write the range as A..B"),
            ("main", "no commits to review"),
            ("feature/b..main", "no commits to review"),
            ("  ", "it is empty"),
        ];
        for (target, wanted) in cases {
            let error = repo.review_range(target).unwrap_err();
            assert!(error.to_string().contains(wanted), "{target}: {error}");
            assert_eq!(error.category(), crate::ErrorCategory::InvalidInput, "{target}");
        }
    }
}
