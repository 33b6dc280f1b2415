//! A task branch's work made durable on the remote, for nodes that share no disk: a session's
//! commit counts as done only once the remote holds it.
//!
//! - Pushes of one task branch are queued on a lock of their own (`LockScope::TaskPush`), so two
//!   sessions that commit at once never race to create the remote's branch ("cannot lock ref …:
//!   reference already exists"); commits go on meanwhile.
//! - A push the remote refuses is retried until it lands: the remote's branch is fetched; when
//!   it is behind ours, pushed again; when it holds ours already, nothing is left to push. A
//!   remote branch with commits ours lacks is [`GitError::RemoteBranchDiverged`]: never forced.
//! - What landed is recorded at `refs/spectask/pushed/<branch>`: the remote held that commit
//!   once, and spectask never forces, so a remote branch that no longer holds it was rewritten
//!   by someone (see [`Repo::pushed_tip`]).
//! - [`Repo::session_commit`] finds the commit a session made on the branch by its
//!   `Work-Session:` trailer, so a step cut off after the commit (or the push) does not do the
//!   work again.
//! - [`Repo::unpushed_task_branches`] lists what a clone holds that its remote lacks, for a node
//!   starting again to push or report.

use backon::BlockingRetryable;

use crate::error::GitError;
use crate::names::{CommitId, TaskHandle};
use crate::plumbing::lock::LockScope;
use crate::plumbing::retry::PUSH_RETRY;
use crate::repository::registration::Repo;

/// A task branch of a clone holding commits its remote lacks (see
/// [`Repo::unpushed_task_branches`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpushedBranch {
    pub task: TaskHandle,
    /// The local branch's tip.
    pub tip: CommitId,
    /// The remote's branch as last fetched, `None` when the remote has none.
    pub remote_tip: Option<CommitId>,
    /// The local branch holds the remote's: a push lands as a fast-forward.
    pub fast_forward: bool,
    /// The commits the remote lacks, newest first, each with its `Work-Session:` trailer when it
    /// has one.
    pub commits: Vec<(CommitId, Option<String>)>,
}

/// Where the newest pushed commit of `branch` is recorded.
fn pushed_ref(branch: &str) -> String {
    format!("refs/spectask/pushed/{branch}")
}

/// Why one push attempt did not land.
enum Refused {
    /// Worth trying again (the remote moved meanwhile, or was briefly out of reach).
    Again(GitError),
    /// Not: the remote's branch went its own way, or git could not run.
    Stop(GitError),
}

impl Repo {
    /// Pushes the task's branch until the remote holds its tip (nothing without a remote); see the
    /// module docs. Blocks on the branch's push lock, and sleeps between attempts.
    pub fn push_task_branch(&self, task: &TaskHandle) -> Result<(), GitError> {
        let Some(remote) = self.remote().map(str::to_owned) else { return Ok(()) };
        let branch = task.branch();
        let _lock = self.lock(LockScope::TaskPush(task))?;
        // Read before the push: the push carries this commit or one built on it.
        let Some(pushing) = self.tip_of(&branch)? else { return Ok(()) };
        let attempt = || self.push_task_once(&remote, &branch);
        attempt
            .retry(PUSH_RETRY)
            .when(|refused| matches!(refused, Refused::Again(_)))
            .notify(|refused, delay| {
                if let Refused::Again(error) = refused {
                    tracing::info!(branch, %error, ?delay, "the remote refused the task branch; trying again");
                }
            })
            .call()
            .map_err(|refused| match refused {
                Refused::Again(error) | Refused::Stop(error) => error,
            })?;
        let pushed = pushed_ref(&branch);
        self.main_git().run(&["update-ref", "-m", "spectask: pushed", &pushed, &pushing.to_string()])?;
        Ok(())
    }

    /// The newest commit of `branch` this clone knows the remote held (see the module docs);
    /// `None` before its first push.
    pub(crate) fn pushed_tip(&self, branch: &str) -> Result<Option<CommitId>, GitError> {
        self.ref_tip(&pushed_ref(branch))
    }

    /// Forgets what was pushed of `branch`, with the branch itself.
    pub(crate) fn forget_pushed(&self, branch: &str) -> Result<(), GitError> {
        if self.pushed_tip(branch)?.is_some() {
            self.main_git().run(&["update-ref", "-m", "spectask: remove task", "-d", &pushed_ref(branch)])?;
        }
        Ok(())
    }

    /// One push of `branch`; after a refusal, the remote's branch as it is now decides.
    fn push_task_once(&self, remote: &str, branch: &str) -> Result<(), Refused> {
        let refused = match self.push(&[branch]) {
            Ok(()) => return Ok(()),
            Err(error @ GitError::Remote { .. }) => error,
            Err(error) => return Err(Refused::Stop(error)),
        };
        let Some(ours) = self.tip_of(branch).map_err(Refused::Stop)? else { return Ok(()) };
        let theirs = match self.fetch_tracking(remote, branch) {
            Ok(theirs) => theirs,
            // Out of reach: the first refusal is the reason to give.
            Err(_) => return Err(Refused::Again(refused)),
        };
        match theirs {
            Some(theirs) if self.is_ancestor(ours, theirs).map_err(Refused::Stop)? => Ok(()),
            Some(theirs) if !self.is_ancestor(theirs, ours).map_err(Refused::Stop)? => {
                Err(Refused::Stop(GitError::RemoteBranchDiverged {
                    branch: branch.to_owned(),
                    ours: ours.to_string(),
                    theirs: theirs.to_string(),
                }))
            }
            _ => Err(Refused::Again(refused)),
        }
    }

    /// Fetches `branch` of `remote` into its remote-tracking ref; its tip, `None` when the remote
    /// has no such branch.
    pub(crate) fn fetch_tracking(&self, remote: &str, branch: &str) -> Result<Option<CommitId>, GitError> {
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let spec = format!("+refs/heads/{branch}:{tracking}");
        let url = self.remote_url().unwrap_or_default().to_owned();
        match self.main_git().transfer().run_waiting(&["fetch", "--quiet", "--no-tags", remote, &spec], None)
        {
            Ok(_) => self.ref_tip(&tracking),
            Err(GitError::Command { message, .. }) if message.contains("couldn't find remote ref") => {
                Ok(None)
            }
            Err(error) => Err(crate::remote::transfer::remote_error(&url, error, self.trust())),
        }
    }

    /// The commit on the task's branch (since the default branch) whose `Work-Session:` trailer is
    /// `session`, the newest when several are; `None` when the branch or the commit is not there.
    pub fn session_commit(&self, task: &TaskHandle, session: &str) -> Result<Option<CommitId>, GitError> {
        let Some(tip) = self.tip_of(&task.branch())? else { return Ok(None) };
        let range = match self.tip_of(self.default_branch())? {
            Some(base) => format!("{base}..{tip}"),
            None => tip.to_string(),
        };
        let format = "--format=%H%x00%(trailers:key=Work-Session,valueonly,separator=%x2c)";
        let log = self.main_git().reading().text(&["log", format, &range])?;
        for line in log.lines() {
            let Some((commit, trailer)) = line.split_once('\0') else { continue };
            if trailer.split(',').any(|value| value.trim() == session) {
                return Ok(Some(commit.parse()?));
            }
        }
        Ok(None)
    }

    /// The task branches of this clone holding commits its remote lacks (as last fetched: fetch
    /// first to know). Empty without a remote.
    pub fn unpushed_task_branches(&self) -> Result<Vec<UnpushedBranch>, GitError> {
        let Some(remote) = self.remote() else { return Ok(Vec::new()) };
        let heads = self.main_git().reading().text(&[
            "for-each-ref",
            "--format=%(refname:strip=2)",
            &format!("refs/heads/{}", crate::names::TASK_BRANCH_PREFIX),
        ])?;
        let mut unpushed = Vec::new();
        for branch in heads.lines() {
            let Some(name) = branch.strip_prefix(crate::names::TASK_BRANCH_PREFIX) else { continue };
            let Ok(task) = TaskHandle::new(name) else { continue };
            let Some(tip) = self.tip_of(branch)? else { continue };
            let remote_tip = self.ref_tip(&format!("refs/remotes/{remote}/{branch}"))?;
            let mut range = vec![tip.to_string(), "--not".to_owned(), format!("--remotes={remote}")];
            if let Some(base) = self.tip_of(self.default_branch())? {
                range.push(base.to_string());
            }
            let format = "--format=%H%x00%(trailers:key=Work-Session,valueonly,separator=%x2c)";
            let mut args = vec!["log", format];
            args.extend(range.iter().map(String::as_str));
            let log = self.main_git().reading().text(&args)?;
            let mut commits = Vec::new();
            for line in log.lines() {
                let Some((commit, trailer)) = line.split_once('\0') else { continue };
                let trailer = Some(trailer.trim().to_owned()).filter(|t| !t.is_empty());
                commits.push((commit.parse()?, trailer));
            }
            if commits.is_empty() {
                continue;
            }
            let fast_forward = match remote_tip {
                Some(theirs) => self.is_ancestor(theirs, tip)?,
                None => true,
            };
            unpushed.push(UnpushedBranch { task, tip, remote_tip, fast_forward, commits });
        }
        Ok(unpushed)
    }
}
