//! The files the repository's check created in a task's worktree (its by-products, listed in the
//! worktree's admin dir): noted once the check ran, and left out of a session's commit.

use std::collections::BTreeSet;

use crate::error::GitError;
use crate::plumbing::commit::{Worktree, write_atomically};
use crate::plumbing::status::{CHECK_PRODUCTS, check_products, status_entries};

impl Worktree {
    /// `entries` (from `git status`) without the untracked files the repository's check created
    /// (see [`CHECK_PRODUCTS`]), and how many were left out.
    pub(super) fn without_check_products(
        &self,
        entries: Vec<(String, String)>,
    ) -> (Vec<(String, String)>, usize) {
        let products = check_products(&self.admin);
        if products.is_empty() {
            return (entries, 0);
        }
        let before = entries.len();
        let kept: Vec<_> =
            entries.into_iter().filter(|(xy, path)| !(xy == "??" && products.contains(path))).collect();
        let left_out = before - kept.len();
        (kept, left_out)
    }

    /// The check's by-products that are untracked files in the worktree now.
    pub(super) fn untracked_check_products(&self) -> Result<Vec<String>, GitError> {
        let products = check_products(&self.admin);
        if products.is_empty() {
            return Ok(Vec::new());
        }
        Ok(status_entries(&self.git, None)?
            .entries
            .into_iter()
            .filter(|(xy, path)| xy == "??" && products.contains(path))
            .map(|(_, path)| path)
            .collect())
    }

    /// The untracked files of the worktree (not those its `.gitignore` ignores).
    pub(crate) fn untracked(&self) -> Result<BTreeSet<String>, GitError> {
        Ok(status_entries(&self.git, None)?
            .entries
            .into_iter()
            .filter(|(xy, _)| xy == "??")
            .map(|(_, path)| path)
            .collect())
    }

    /// Records as the check's by-products the untracked files of the worktree now that were not
    /// among `before` (the untracked files before the check ran): the new ones.
    pub(crate) fn note_check_products(&self, before: &BTreeSet<String>) -> Result<Vec<String>, GitError> {
        let created: Vec<String> = self.untracked()?.into_iter().filter(|p| !before.contains(p)).collect();
        let mut products = check_products(&self.admin);
        let known = products.len();
        products.extend(created.iter().cloned());
        if products.len() > known {
            let mut list = Vec::new();
            for path in &products {
                list.extend_from_slice(path.as_bytes());
                list.push(0);
            }
            write_atomically(&self.admin.join(CHECK_PRODUCTS), &list)?;
        }
        Ok(created)
    }
}
