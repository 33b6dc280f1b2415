//! Forward-only writes to the design-docs branch, and the check that nobody rewrote it.
//!
//! spectask records the last tip it wrote in the ref `refs/spectask/last-written/<branch>`. Before
//! every write it verifies that the branch tip is that commit or a descendant of it (commits added
//! on top by agents or humans are fine); if not, someone rewrote the branch and spectask refuses to
//! write ([`GitError::DesignDocsRewritten`]) until a human calls
//! [`Repo::accept_design_docs_rewrite`]. Nothing is ever forced.

use crate::error::GitError;
use crate::names::{CommitId, Trailer, commit_message};
use crate::plumbing::commit::FileWrite;
use crate::plumbing::hooks::Hooks;
use crate::plumbing::lock::LockScope;
use crate::plumbing::worktree::in_place;
use crate::repository::registration::{Repo, last_written_ref};
use crate::task::branch::CommittedChanges;

/// One commit on the design-docs branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignDocsCommit {
    /// The subject line (and optional body), e.g. `spec(7f3a-login): version 2`.
    pub message: String,
    /// Appended after a blank line, e.g. `Spec-Task: <id>`.
    pub trailers: Vec<Trailer>,
    pub writes: Vec<FileWrite>,
}

/// Whether spectask can write to the design-docs branch, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesignDocsHealth {
    /// The tip is (a descendant of) the last tip spectask wrote, and the worktree is in place.
    Healthy { tip: CommitId },
    /// Someone rewrote the branch: a human must look, then accept the new history.
    Rewritten { last_written: CommitId, current: CommitId },
    /// The branch was deleted.
    BranchMissing,
    /// The worktree is missing or has another branch checked out; registering again repairs a
    /// missing worktree.
    WorktreeBroken { reason: String },
}

impl DesignDocsHealth {
    /// Whether a human has to do something before spectask writes to the branch again.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, DesignDocsHealth::Healthy { .. })
    }
}

impl Repo {
    /// Commits `commit` on the design-docs branch, through the design-docs worktree (the files
    /// are written there, staged and committed by git, so the worktree matches the new commit),
    /// and returns the new tip — the current tip when the writes change nothing. Refuses when the
    /// branch was rewritten. What a write killed before its commit left is undone first
    /// (`plumbing/write_journal.rs`); other uncommitted changes at a written path (an agent's edit)
    /// are committed first, as they are.
    /// Bookkeeping commits: the repository's commit hooks are not run. With a remote, the branch
    /// is brought level with the remote's before and pushed after (`remote/sync.rs`).
    ///
    /// Blocks on the repository's writer lock.
    pub fn commit_design_docs(&self, commit: &DesignDocsCommit) -> Result<CommitId, GitError> {
        self.commit_design_docs_after(commit, None)
    }

    /// Like [`Repo::commit_design_docs`], but only directly on `expected`, the tip the caller based
    /// its decision on (the history recorder checked which entries the branch already holds):
    /// [`GitError::ConcurrentUpdate`] when the branch moved since, so the caller can look again.
    pub fn commit_design_docs_on(
        &self,
        commit: &DesignDocsCommit,
        expected: CommitId,
    ) -> Result<CommitId, GitError> {
        self.commit_design_docs_after(commit, Some(expected))
    }

    fn commit_design_docs_after(
        &self,
        commit: &DesignDocsCommit,
        expected: Option<CommitId>,
    ) -> Result<CommitId, GitError> {
        let _lock = self.lock(LockScope::DesignDocs)?;
        let worktree = self.design_docs_checkout();
        // Before a catch-up moves HEAD, which would make an interrupted write look committed.
        worktree.undo_interrupted_write()?;
        self.catch_up_with_remote();
        let message = commit_message(&commit.message, &commit.trailers);
        let (mut tip, mut last) = self.verify_forward_only_tips()?;
        // What is uncommitted at the paths written (an agent's edit) is committed first, as found,
        // so the write goes on top of it. A write a crash cut off is undone before that.
        let mut paths: Vec<String> = commit.writes.iter().map(|w| w.path().to_owned()).collect();
        paths.sort();
        paths.dedup();
        let found = "design-docs: changes found in the worktree";
        let found = worktree.commit_found(self.design_docs_branch(), found, &paths)?;
        if let Some(id) = found.committed {
            tracing::info!(branch = self.design_docs_branch(), commit = %id, "committed changes found in the design-docs worktree");
            self.record_last_written(id)?;
            (tip, last) = (id, id);
        }
        if let Some(expected) = expected.filter(|e| *e != tip) {
            return Err(GitError::ConcurrentUpdate {
                branch: self.design_docs_branch().to_owned(),
                expected: expected.to_string(),
            });
        }
        let branch = self.design_docs_branch();
        let new_tip = match worktree.commit_writes(branch, &message, &commit.writes, found.clean.as_ref())? {
            // Read through the repository's object reader: the lock held, nothing else moved it.
            true => self.design_docs_tip()?,
            false => tip,
        };
        if new_tip != last {
            self.record_last_written(new_tip)?;
        }
        Ok(self.publish_to_remote().unwrap_or(new_tip))
    }

    /// With a remote: the design-docs branch brought level with the remote's before a write. A
    /// remote out of reach does not stop the write: the next write's push carries it.
    fn catch_up_with_remote(&self) {
        if self.remote().is_none() {
            return;
        }
        if let Err(error) = self.catch_up_design_docs() {
            tracing::warn!(%error, "could not catch up with the remote's design-docs branch; writing on ours");
        }
    }

    /// With a remote: the design-docs branch pushed after a write, and its tip then (`None` without
    /// a remote, or when the push failed: the next write's push carries this one).
    fn publish_to_remote(&self) -> Option<CommitId> {
        self.remote()?;
        match self.publish_design_docs() {
            Ok(tip) => Some(tip),
            Err(error) => {
                tracing::warn!(%error, "could not push the design-docs branch; the next write pushes it");
                None
            }
        }
    }

    /// Commits whatever changed in the design-docs worktree outside spectask (an agent editing
    /// `progress.md` without committing …) as one forward-only commit, so spectask's own writes are
    /// not blocked by it. Returns `None` when nothing changed.
    pub fn commit_design_docs_worktree(
        &self,
        message: &str,
        trailers: &[Trailer],
    ) -> Result<Option<CommittedChanges>, GitError> {
        let _lock = self.lock(LockScope::DesignDocs)?;
        self.verify_forward_only_tips()?;
        let worktree = self.design_docs_checkout();
        let message = commit_message(message, trailers);
        let committed = worktree.commit_changes(
            self.design_docs_branch(),
            &message,
            crate::plumbing::taken::Changes::ALL,
            Hooks::Skip,
            |_, _| Ok(()),
            |_, _| Ok(()),
        )?;
        let Some((id, changed_files)) = committed else { return Ok(None) };
        self.record_last_written(id)?;
        let id = self.publish_to_remote().unwrap_or(id);
        Ok(Some(CommittedChanges { commit: id, changed_files }))
    }

    /// Checks the design-docs branch and worktree without changing anything.
    pub fn design_docs_health(&self) -> Result<DesignDocsHealth, GitError> {
        match self.verify_forward_only_tips() {
            Ok(_) => {}
            Err(GitError::DesignDocsRewritten { last_written, current, .. }) => {
                let last_written = last_written.parse()?;
                let current = current.parse()?;
                return Ok(DesignDocsHealth::Rewritten { last_written, current });
            }
            Err(GitError::BranchNotFound { .. }) => return Ok(DesignDocsHealth::BranchMissing),
            Err(e) => return Err(e),
        }
        let worktree = self.design_docs_checkout();
        let checked = match in_place(&self.main_git(), &worktree.path)? {
            None => Err(format!("the design-docs worktree {} is missing", worktree.path.display())),
            Some(_) => worktree.check_branch(self.design_docs_branch()).map_err(|e| e.to_string()),
        };
        if let Err(reason) = checked {
            return Ok(DesignDocsHealth::WorktreeBroken { reason });
        }
        Ok(DesignDocsHealth::Healthy { tip: self.design_docs_tip()? })
    }

    /// The last design-docs tip spectask wrote (or accepted), `None` before registration.
    pub fn design_docs_last_written(&self) -> Result<Option<CommitId>, GitError> {
        self.ref_tip(&last_written_ref(self.design_docs_branch()))
    }

    /// After a human checked a rewritten design-docs branch: takes its current tip as the new base
    /// of forward-only checking and returns it.
    pub fn accept_design_docs_rewrite(&self) -> Result<CommitId, GitError> {
        let _lock = self.lock(LockScope::DesignDocs)?;
        let tip = self.design_docs_tip()?;
        self.record_last_written(tip)?;
        tracing::warn!(branch = self.design_docs_branch(), %tip, "accepted rewritten design-docs history");
        Ok(tip)
    }

    /// The design-docs tip and the last tip spectask wrote, after checking that the first descends
    /// from the second.
    fn verify_forward_only_tips(&self) -> Result<(CommitId, CommitId), GitError> {
        let (tip, last) = self.design_docs_refs()?;
        let tip = tip.ok_or_else(|| GitError::BranchNotFound {
            repo: self.root().to_path_buf(),
            branch: self.design_docs_branch().to_owned(),
        })?;
        let Some(last) = last else {
            return Err(GitError::NotRegistered { path: self.root().to_path_buf() });
        };
        if tip == last || self.is_ancestor(last, tip)? {
            return Ok((tip, last));
        }
        Err(GitError::DesignDocsRewritten {
            branch: self.design_docs_branch().to_owned(),
            last_written: last.to_string(),
            current: tip.to_string(),
        })
    }

    /// The design-docs tip and the last tip spectask wrote (`None` for a ref that does not exist):
    /// the record first, so that a write between the two reads leaves the record behind the tip,
    /// never ahead of it.
    fn design_docs_refs(&self) -> Result<(Option<CommitId>, Option<CommitId>), GitError> {
        let last = self.ref_tip(&last_written_ref(self.design_docs_branch()))?;
        let tip = self.ref_tip(&format!("refs/heads/{}", self.design_docs_branch()))?;
        Ok((tip, last))
    }

    pub(crate) fn record_last_written(&self, tip: CommitId) -> Result<(), GitError> {
        let name = last_written_ref(self.design_docs_branch());
        let tip = tip.to_string();
        self.main_git().run(&["update-ref", "-m", "spectask: design-docs write", &name, &tip])?;
        Ok(())
    }
}
