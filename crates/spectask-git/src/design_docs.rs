//! Forward-only writes to the design-docs branch, and the check that nobody rewrote it.
//!
//! spectask records the last tip it wrote in the ref `refs/spectask/last-written/<branch>`. Before
//! every write it verifies that the branch tip is that commit or a descendant of it (commits added
//! on top by agents or humans are fine); if not, someone rewrote the branch and spectask refuses to
//! write ([`GitError::DesignDocsRewritten`]) until a human calls
//! [`Repo::accept_design_docs_rewrite`]. Nothing is ever forced.

use backon::BlockingRetryable;
use git2::{Oid, Repository};

use crate::commit::{FileWrite, commit_all, commit_writes, head_branch_tip};
use crate::error::{GitError, GitResultExt};
use crate::handles::with_worktree;
use crate::names::{CommitId, Trailer, commit_message};
use crate::registration::{Repo, branch_tip};
use crate::retry::BRANCH_MOVED_RETRY;
use crate::sync::sync_lagging_paths;
use crate::task::CommittedChanges;

/// Why one try at a design-docs write did not land.
enum Attempt {
    /// A process outside spectask (an agent's own `git commit`) moved the branch between our read
    /// and our update; nothing was changed, so the write is built again on the new tip.
    BranchMoved(GitError),
    Failed(GitError),
}

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

/// The ref recording the last design-docs tip spectask wrote.
pub(crate) fn last_written_ref(branch: &str) -> String {
    format!("refs/spectask/last-written/{branch}")
}

impl Repo {
    /// Commits `commit` on the design-docs branch as a fast-forward of its tip, through the
    /// design-docs worktree (its files and index match the new commit afterwards), and returns the
    /// new tip — the current tip when the writes change nothing. Refuses when the branch was
    /// rewritten, or when a written path has uncommitted changes in the worktree. If a process
    /// outside spectask moves the branch meanwhile, the commit is rebuilt on the new tip (3 tries).
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
        self.commit_design_docs_after(commit, Some(expected.0))
    }

    fn commit_design_docs_after(
        &self,
        commit: &DesignDocsCommit,
        expected: Option<Oid>,
    ) -> Result<CommitId, GitError> {
        let _lock = self.lock()?;
        let message = commit_message(&commit.message, &commit.trailers);
        // The worktree sees the common refs, so one handle serves the checks and the commit.
        let what = || self.design_docs_what();
        with_worktree(&self.design_docs_worktree(), what, |worktree| {
            let write = || {
                let (tip, last) = self.verify_forward_only_from(worktree).map_err(Attempt::Failed)?;
                if let Some(expected) = expected.filter(|e| *e != tip) {
                    return Err(Attempt::Failed(GitError::ConcurrentUpdate {
                        branch: self.design_docs_branch().to_owned(),
                        expected: expected.to_string(),
                    }));
                }
                sync_lagging_paths(worktree, last, tip).map_err(Attempt::Failed)?;
                match commit_writes(worktree, self.design_docs_branch(), tip, &message, &commit.writes) {
                    Ok(Some(new_tip)) => {
                        self.record_last_written(worktree, new_tip).map_err(Attempt::Failed)?;
                        Ok(CommitId(new_tip))
                    }
                    Ok(None) if tip == last => Ok(CommitId(tip)),
                    Ok(None) => {
                        self.record_last_written(worktree, tip).map_err(Attempt::Failed)?;
                        Ok(CommitId(tip))
                    }
                    Err(e @ GitError::ConcurrentUpdate { .. }) => Err(Attempt::BranchMoved(e)),
                    Err(e) => Err(Attempt::Failed(e)),
                }
            };
            write
                .retry(BRANCH_MOVED_RETRY)
                .when(|e| matches!(e, Attempt::BranchMoved(_)))
                .call()
                .map_err(|(Attempt::BranchMoved(e) | Attempt::Failed(e))| e)
        })
    }

    /// Commits whatever changed in the design-docs worktree outside spectask (an agent editing
    /// `progress.md` without committing …) as one forward-only commit, so spectask's own writes are
    /// not blocked by it. Returns `None` when nothing changed.
    pub fn commit_design_docs_worktree(
        &self,
        message: &str,
        trailers: &[Trailer],
    ) -> Result<Option<CommittedChanges>, GitError> {
        let _lock = self.lock()?;
        let what = || self.design_docs_what();
        with_worktree(&self.design_docs_worktree(), what, |worktree| {
            let (tip, last) = self.verify_forward_only_from(worktree)?;
            sync_lagging_paths(worktree, last, tip)?;
            let message = commit_message(message, trailers);
            let committed = commit_all(worktree, self.design_docs_branch(), &message)?;
            let Some((id, changed_files)) = committed else { return Ok(None) };
            self.record_last_written(worktree, id)?;
            Ok(Some(CommittedChanges { commit: CommitId(id), changed_files }))
        })
    }

    /// Checks the design-docs branch and worktree without changing anything.
    pub fn design_docs_health(&self) -> Result<DesignDocsHealth, GitError> {
        let git = self.git()?;
        match self.verify_forward_only(&git) {
            Ok(_) => {}
            Err(GitError::DesignDocsRewritten { .. }) => {
                let last_written = self.last_written(&git)?.map(CommitId);
                let current = branch_tip(&git, self.design_docs_branch())?.map(CommitId);
                if let Some((last_written, current)) = last_written.zip(current) {
                    return Ok(DesignDocsHealth::Rewritten { last_written, current });
                }
            }
            Err(GitError::BranchNotFound { .. }) => return Ok(DesignDocsHealth::BranchMissing),
            Err(e) => return Err(e),
        }
        let tip = match self.open_design_docs_worktree() {
            Ok(worktree) => match head_branch_tip(&worktree, self.design_docs_branch()) {
                Ok(tip) => tip,
                Err(e) => {
                    return Ok(DesignDocsHealth::WorktreeBroken { reason: e.to_string() });
                }
            },
            Err(e) => {
                return Ok(DesignDocsHealth::WorktreeBroken { reason: e.to_string() });
            }
        };
        Ok(DesignDocsHealth::Healthy { tip: CommitId(tip) })
    }

    /// The last design-docs tip spectask wrote (or accepted), `None` before registration.
    pub fn design_docs_last_written(&self) -> Result<Option<CommitId>, GitError> {
        Ok(self.last_written(&*self.git()?)?.map(CommitId))
    }

    /// After a human checked a rewritten design-docs branch: takes its current tip as the new base
    /// of forward-only checking and returns it.
    pub fn accept_design_docs_rewrite(&self) -> Result<CommitId, GitError> {
        let _lock = self.lock()?;
        let git = self.git()?;
        let tip = self.design_docs_tip(&git)?;
        self.record_last_written(&git, tip)?;
        tracing::warn!(branch = self.design_docs_branch(), %tip, "accepted rewritten design-docs history");
        Ok(CommitId(tip))
    }

    /// The design-docs tip, after checking that it descends from the last tip spectask wrote.
    pub(crate) fn verify_forward_only(&self, git: &Repository) -> Result<Oid, GitError> {
        Ok(self.verify_forward_only_from(git)?.0)
    }

    /// The design-docs tip and the last tip spectask wrote, after checking that the first descends
    /// from the second. `git` is the main repository or one of its worktrees (refs are shared).
    fn verify_forward_only_from(&self, git: &Repository) -> Result<(Oid, Oid), GitError> {
        let tip = self.design_docs_tip(git)?;
        let Some(last) = self.last_written(git)? else {
            return Err(GitError::NotRegistered { path: self.root().to_path_buf() });
        };
        if tip == last || git.graph_descendant_of(tip, last).op(|| format!("compare {tip} with {last}"))? {
            return Ok((tip, last));
        }
        Err(GitError::DesignDocsRewritten {
            branch: self.design_docs_branch().to_owned(),
            last_written: last.to_string(),
            current: tip.to_string(),
        })
    }

    /// Brings the design-docs worktree up to `tip` where it lags behind the last tip spectask
    /// wrote (spectask was killed between moving the branch and updating the worktree).
    pub(crate) fn sync_design_docs_worktree(
        &self,
        git: &Repository,
        worktree: &Repository,
        tip: Oid,
    ) -> Result<(), GitError> {
        if let Some(last) = self.last_written(git)? {
            sync_lagging_paths(worktree, last, tip)?;
        }
        Ok(())
    }

    fn last_written(&self, git: &Repository) -> Result<Option<Oid>, GitError> {
        let name = last_written_ref(self.design_docs_branch());
        match git.find_reference(&name) {
            Ok(reference) => Ok(reference.target()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(source) => Err(GitError::Git { op: format!("read {name}"), source }),
        }
    }

    fn record_last_written(&self, git: &Repository, tip: Oid) -> Result<(), GitError> {
        let name = last_written_ref(self.design_docs_branch());
        crate::refs::write_spectask_ref(git, &name, tip, "spectask: design-docs write")
    }

    fn design_docs_what(&self) -> String {
        format!("open the design-docs worktree {}", self.design_docs_worktree().display())
    }

    fn open_design_docs_worktree(&self) -> Result<Repository, GitError> {
        let path = self.design_docs_worktree();
        Repository::open(&path).op(|| format!("open the design-docs worktree {}", path.display()))
    }
}
