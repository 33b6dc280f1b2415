//! Keeping a clone's shared branches level with its remote, for nodes that share no disk: each
//! works in a clone of its own, and what one node wrote reaches another only through the remote.
//!
//! - The design-docs branch: before each write, brought level with the remote's (fast-forwarded
//!   when behind; its own unpushed commits replayed on the remote's when both moved), and pushed
//!   after it. A remote branch that no longer contains what this clone last fetched of it was
//!   rewritten: nothing is written on it ([`GitError::DesignDocsRewritten`]).
//! - A task branch: created from, or fast-forwarded to, the remote's copy of it when a node takes
//!   the task up, so the work another node pushed carries on here. A remote branch that lost a
//!   commit this clone pushed was rewritten by someone: nothing is set aside or built on it
//!   ([`GitError::RemoteBranchDiverged`]).
//!
//! Nothing is ever forced, locally or on the remote.

use crate::error::GitError;
use crate::names::CommitId;
use crate::plumbing::commit::run_with_identity;
use crate::plumbing::worktree::{checked_out_at, fast_forward_checkout};
use crate::repository::registration::Repo;

/// What a clone held of a task branch that the remote's went past another way, kept aside by
/// [`Repo::ensure_task_worktree`] before it took up the remote's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// The ref holding it: its commits, and a commit of its worktree's uncommitted changes on top.
    pub kept_at: String,
    /// How many of its commits the remote lacks.
    pub commits: usize,
    /// Whether its worktree held uncommitted changes.
    pub uncommitted: bool,
}

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
            fast_forward_checkout(&worktree.git, &branch, theirs)?;
        } else {
            // Both moved: this clone's commits the remote lacks go on top of the remote's.
            let onto = theirs.to_string();
            let args = ["rebase", "--quiet", "--autostash", "--no-verify", &onto];
            let replaying = worktree.git.with(self.append_only_history()?, Vec::new());
            if let Err(error) = run_with_identity(&replaying, &args, None) {
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

    /// The configuration under which this clone's design-docs commits are replayed on the
    /// remote's: the history files under `sessions/` are append-only, so where both sides appended
    /// to one, git's `union` merge keeps the entries of both (the remote's first). Two nodes append
    /// to a task's history this way when one wrote it while cut off from the remote (killed before
    /// its push, say) and the other carried the task on; without it the replay stops on a
    /// conflict, and this clone's branch could never be pushed again. Nothing else is merged so:
    /// a conflict anywhere else still stops the replay. Set for the replay only, in an attributes
    /// file of spectask's beside the clone's configuration, not in the repository's own.
    fn append_only_history(&self) -> Result<Vec<(String, String)>, GitError> {
        let path = self.git_dir().join("spectask").join("design-docs.attributes");
        let text = "# Written by spectask: its history files are appended to, never rewritten.\n\
                    sessions/** merge=union\n";
        std::fs::write(&path, text).map_err(crate::error::io_err("cannot write", &path))?;
        Ok(vec![("core.attributesFile".to_owned(), path.display().to_string())])
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
    /// local branch with commits the remote lacks on top of the remote's is left as it is: its
    /// next push carries them. When the remote's branch went past what this clone holds another
    /// way (another node worked on the task since: this clone's own commits the remote lacks are
    /// not under it, or its worktree's changes are in the way of the remote's), what this clone
    /// held is set aside (see [`SetAside`]) and the branch and worktree are the remote's. A remote
    /// branch that no longer holds what this clone pushed is [`GitError::RemoteBranchDiverged`].
    pub(crate) fn catch_up_task_branch(&self, branch: &str) -> Result<Option<SetAside>, GitError> {
        let Some(remote) = self.remote() else { return Ok(None) };
        let Some(theirs) = self.ref_tip(&format!("refs/remotes/{remote}/{branch}"))? else {
            return Ok(None);
        };
        let full = format!("refs/heads/{branch}");
        let new = theirs.to_string();
        let Some(ours) = self.tip_of(branch)? else {
            self.main_git().run(&["update-ref", "-m", "spectask: take up the remote's", &full, &new, ""])?;
            return Ok(None);
        };
        if ours == theirs || self.is_ancestor(theirs, ours)? {
            return Ok(None);
        }
        let behind = self.is_ancestor(ours, theirs)?;
        // The remote lost a commit it once held: someone rewrote the branch (spectask never
        // forces). Another node's work only ever adds to what was pushed.
        if let Some(pushed) = self.pushed_tip(branch)?
            && pushed != theirs
            && !self.is_ancestor(pushed, theirs)?
        {
            return Err(GitError::RemoteBranchDiverged {
                branch: branch.to_owned(),
                ours: ours.to_string(),
                theirs: theirs.to_string(),
            });
        }
        let main = self.main_git();
        let checkout = checked_out_at(&main, branch)?;
        match (&checkout, behind) {
            (Some(path), true) => match fast_forward_checkout(&main.checkout_at(path), branch, theirs) {
                Ok(()) => {}
                Err(GitError::DefaultBranchDirty { .. }) => {
                    return self.set_aside(branch, ours, theirs, checkout.as_deref()).map(Some);
                }
                Err(error) => return Err(error),
            },
            (None, true) => {
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
            (_, false) => return self.set_aside(branch, ours, theirs, checkout.as_deref()).map(Some),
        }
        tracing::info!(branch, %theirs, "took up the remote's newer task branch");
        Ok(None)
    }

    /// Keeps what this clone held of `branch` (its tip `ours`, and the worktree's uncommitted
    /// changes at `checkout`) at `refs/spectask/set-aside/<branch>`, then makes the branch (and
    /// the worktree) the remote's `theirs`. Nothing is deleted: the ref holds it all.
    fn set_aside(
        &self,
        branch: &str,
        ours: CommitId,
        theirs: CommitId,
        checkout: Option<&std::path::Path>,
    ) -> Result<SetAside, GitError> {
        let commits = self.commits_between(Some(theirs), ours)?;
        let mut kept = ours;
        let mut uncommitted = false;
        if let Some(path) = checkout {
            let worktree = self.main_git().checkout_at(path);
            if !crate::plumbing::status::uncommitted_files(&worktree)?.is_empty() {
                // Everything in the worktree (untracked files too), staged in an index of its own.
                let index = self
                    .git_dir()
                    .join("spectask")
                    .join(format!("set-aside-{}.index", branch.replace('/', "-")));
                let _ = std::fs::remove_file(&index);
                let staged = worktree.with_index(&index);
                staged.run(&["add", "--all", "--", "."])?;
                let tree = staged.text(&["write-tree"])?;
                let _ = std::fs::remove_file(&index);
                let message = format!("spectask: uncommitted changes of {branch}, set aside");
                let ours_hex = ours.to_string();
                let commit = run_with_identity(
                    &worktree,
                    &["commit-tree", &tree, "-p", &ours_hex, "-m", &message],
                    None,
                )?;
                kept = CommitId::from_git(&commit)?;
                uncommitted = true;
            }
        }
        let at = format!("refs/spectask/set-aside/{branch}");
        let main = self.main_git();
        main.run(&["update-ref", "-m", "spectask: set aside", &at, &kept.to_string()])?;
        let new = theirs.to_string();
        match checkout {
            Some(path) => {
                let worktree = self.main_git().checkout_at(path);
                worktree.run(&["reset", "--quiet", "--hard", &new])?;
                worktree.run(&["clean", "--quiet", "-d", "--force"])?;
            }
            None => {
                let full = format!("refs/heads/{branch}");
                main.run(&["update-ref", "-m", "spectask: take up the remote's", &full, &new])?;
            }
        }
        tracing::warn!(branch, %ours, %theirs, kept_at = at, "set aside what this clone held of a task branch the remote went past");
        Ok(SetAside { kept_at: at, commits: commits.len(), uncommitted })
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
        match main.transfer().run_waiting(&["fetch", "--quiet", "--no-tags", remote, &spec], None) {
            Ok(_) => {}
            Err(GitError::Command { message, .. }) if message.contains("couldn't find remote ref") => {
                return Ok(None);
            }
            Err(error) => return Err(crate::remote::transfer::remote_error(&url, error, self.trust())),
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
