//! Keeping a clone's shared branches level with its remote, for nodes that share no disk: each
//! works in a clone of its own, and what one node wrote reaches another only through the remote.
//!
//! - The design-docs branch: before each write, brought level with the remote's (fast-forwarded
//!   when behind; its own unpushed commits replayed on the remote's when both moved), and pushed
//!   after it. A remote branch that no longer contains what this clone last fetched of it was
//!   rewritten: nothing is written on it ([`GitError::DesignDocsRewritten`]).
//! - A task branch: created from, or fast-forwarded to, the remote's copy of it when a node takes
//!   the task up, so the work another node pushed carries on here.
//!
//! Nothing is ever forced, locally or on the remote.

use crate::error::GitError;
use crate::names::CommitId;
use crate::plumbing::commit::run_with_identity;
use crate::plumbing::worktree::checked_out_at;
use crate::repository::registration::Repo;
use crate::task::merge::fast_forward_checkout;

/// Pushes of the design-docs branch that the remote refuses because it moved meanwhile, caught up
/// with and pushed again, before the write gives up on pushing (the next write pushes it).
const PUSH_ATTEMPTS: usize = 4;

impl Repo {
    /// Brings the design-docs branch level with the remote's (see the module docs); nothing for a
    /// repository without a remote, or a remote without the branch yet. Holds no lock of its own:
    /// the caller holds the design-docs lock.
    pub(crate) fn catch_up_design_docs(&self) -> Result<(), GitError> {
        let Some(remote) = self.remote() else { return Ok(()) };
        let branch = self.design_docs_branch().to_owned();
        let Some(theirs) = self.fetch_branch(remote, &branch)? else { return Ok(()) };
        let Some(ours) = self.tip_of(&branch)? else { return Ok(()) };
        if ours == theirs || self.is_ancestor(theirs, ours)? {
            return Ok(());
        }
        let worktree = self.design_docs_checkout();
        if self.is_ancestor(ours, theirs)? {
            fast_forward_checkout(&worktree.path, &branch, theirs)?;
        } else {
            // Both moved: this clone's commits the remote lacks go on top of the remote's.
            let onto = theirs.to_string();
            let args = ["rebase", "--quiet", "--autostash", "--no-verify", &onto];
            if let Err(error) = run_with_identity(&worktree.git, &args, None) {
                let _ = worktree.git.run(&["rebase", "--abort"]);
                return Err(GitError::Remote {
                    url: self.remote_url().unwrap_or_default().to_owned(),
                    message: format!(
                        "the design-docs branch and the remote's both moved and conflict: {error}"
                    ),
                });
            }
            tracing::info!(branch, %theirs, "replayed unpushed design-docs commits on the remote's");
        }
        self.record_last_written(self.design_docs_tip()?)
    }

    /// Brings the design-docs branch level with the remote's and pushes it (nothing without a
    /// remote): for a step that must know the history reached the remote, whatever the last
    /// write's push did. Blocks on the design-docs writer lock.
    pub fn push_design_docs(&self) -> Result<(), GitError> {
        if self.remote().is_none() {
            return Ok(());
        }
        let _lock = self.lock(crate::plumbing::lock::LockScope::DesignDocs)?;
        // Before a catch-up moves HEAD, which would make an interrupted write look committed.
        self.design_docs_checkout().undo_interrupted_write()?;
        self.catch_up_design_docs()?;
        self.publish_design_docs().map(drop)
    }

    /// Pushes the design-docs branch; when the remote moved meanwhile, catches up with it and
    /// pushes again. Returns the branch's tip, which a catch-up may have replayed.
    pub(crate) fn publish_design_docs(&self) -> Result<CommitId, GitError> {
        let branch = self.design_docs_branch().to_owned();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.push(&[branch.as_str()]) {
                Ok(()) => return self.design_docs_tip(),
                Err(error) if attempt >= PUSH_ATTEMPTS => return Err(error),
                Err(_) => self.catch_up_design_docs()?,
            }
        }
    }

    /// Makes the local task branch hold at least what the remote's copy of it holds: created from
    /// it when absent, fast-forwarded to it when behind (in its worktree, when checked out). A
    /// local branch with commits the remote lacks is left as it is: its next push says so.
    pub(crate) fn catch_up_task_branch(&self, branch: &str) -> Result<(), GitError> {
        let Some(remote) = self.remote() else { return Ok(()) };
        let Some(theirs) = self.ref_tip(&format!("refs/remotes/{remote}/{branch}"))? else {
            return Ok(());
        };
        let full = format!("refs/heads/{branch}");
        let new = theirs.to_string();
        let Some(ours) = self.tip_of(branch)? else {
            self.main_git().run(&["update-ref", "-m", "spectask: take up the remote's", &full, &new, ""])?;
            return Ok(());
        };
        if ours == theirs || !self.is_ancestor(ours, theirs)? {
            return Ok(());
        }
        match checked_out_at(&self.main_git(), branch)? {
            Some(path) => fast_forward_checkout(&path, branch, theirs)?,
            None => {
                let old = ours.to_string();
                self.main_git().run(&[
                    "update-ref",
                    "-m",
                    "spectask: take up the remote's",
                    &full,
                    &new,
                    &old,
                ])?;
            }
        }
        tracing::info!(branch, %theirs, "took up the remote's newer task branch");
        Ok(())
    }

    /// Fetches `branch` of `remote` into its remote-tracking ref and returns its tip (`None` when
    /// the remote has no such branch). Refuses a remote branch that was rewritten: one that no
    /// longer contains what was fetched of it before.
    fn fetch_branch(&self, remote: &str, branch: &str) -> Result<Option<CommitId>, GitError> {
        let url = self.remote_url().unwrap_or_default().to_owned();
        let main = self.main_git();
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let before = self.ref_tip(&tracking)?;
        // Fetched aside first: the tracking ref moves only forward.
        let aside = format!("refs/spectask/fetched/{branch}");
        let spec = format!("+refs/heads/{branch}:{aside}");
        match main.transfer().run(&["fetch", "--quiet", "--no-tags", remote, &spec]) {
            Ok(_) => {}
            Err(GitError::Command { message, .. }) if message.contains("couldn't find remote ref") => {
                return Ok(None);
            }
            Err(error) => return Err(crate::remote::transfer::remote_error(&url, error)),
        }
        let Some(theirs) = self.ref_tip(&aside)? else { return Ok(None) };
        if let Some(before) = before.filter(|b| *b != theirs)
            && !self.is_ancestor(before, theirs)?
        {
            return Err(GitError::DesignDocsRewritten {
                branch: format!("{remote}/{branch}"),
                last_written: before.to_string(),
                current: theirs.to_string(),
            });
        }
        main.run(&["update-ref", "-m", "spectask: fetch", &tracking, &theirs.to_string()])?;
        Ok(Some(theirs))
    }
}
