//! Change detection for the orchestrator: branch tips, commits, the files they changed and the
//! files' contents at a commit — e.g. to notice an agent ticking progress markers itself.

use crate::error::{GitError, io_err};
use crate::names::{CommitId, parse_trailers, validate_file_path};
use crate::plumbing::changed_files::{ChangedFile, changed_files};
use crate::plumbing::cmd::{Git, text};
use crate::plumbing::status::uncommitted_files;
use crate::repository::registration::Repo;

/// One commit, as the orchestrator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    pub parents: Vec<CommitId>,
    /// The full message, trailers included.
    pub message: String,
    /// The `Key: value` trailers of the message.
    pub trailers: Vec<(String, String)>,
}

impl Repo {
    /// The tip of the local branch `branch` (`spectask/<task>`, the default branch, the design-docs
    /// branch …), `None` when it does not exist.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<CommitId>, GitError> {
        self.tip_of(branch)
    }

    /// The files that differ between `from` and `to`; every file of `to` when `from` is `None`.
    pub fn changed_files(&self, from: Option<CommitId>, to: CommitId) -> Result<Vec<ChangedFile>, GitError> {
        match from {
            Some(from) => changed_files(&self.main_git(), Some(from), to),
            // Against the empty tree: every file of `to`.
            None => {
                let out = self.main_git().reading().run(&[
                    "ls-tree",
                    "-r",
                    "-z",
                    "--name-only",
                    &to.to_string(),
                ])?;
                Ok(crate::plumbing::cmd::nul_fields(&out)
                    .map(|path| ChangedFile {
                        path: text(path),
                        change: crate::plumbing::changed_files::FileChange::Added,
                    })
                    .collect())
            }
        }
    }

    /// The file at `path` in commit `commit`, `None` when there is none.
    pub fn read_file_at(&self, commit: CommitId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        validate_file_path(path)?;
        let mut files = self.read_blobs(&[format!("{commit}:{path}")])?;
        Ok(files.pop().flatten())
    }

    /// The commit `commit`: parents, message and trailers.
    pub fn commit_info(&self, commit: CommitId) -> Result<CommitInfo, GitError> {
        let mut log = log(&self.main_git(), &["-1", "--no-walk", &commit.to_string()])?;
        log.pop().ok_or_else(|| GitError::InvalidCommitId { value: commit.to_string() })
    }

    /// The commits reachable from `to` but not from `from` (all of `to`'s history when `None`),
    /// oldest first.
    pub fn commits_between(&self, from: Option<CommitId>, to: CommitId) -> Result<Vec<CommitId>, GitError> {
        let mut args =
            vec!["rev-list".to_owned(), "--topo-order".to_owned(), "--reverse".to_owned(), to.to_string()];
        args.extend(from.map(|from| format!("^{from}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.main_git().reading().run(&args)?;
        out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(CommitId::from_git).collect()
    }

    /// [`Repo::commits_between`] with each commit's message and trailers, read by one `git log`
    /// however many there are.
    pub fn commit_infos_between(
        &self,
        from: Option<CommitId>,
        to: CommitId,
    ) -> Result<Vec<CommitInfo>, GitError> {
        log_between(&self.main_git(), from, to)
    }

    /// The commits of `branch` after `since` (its whole history when `None`), oldest first, with
    /// messages and trailers: what recovery reads spec versions and reviews from, and how the
    /// orchestrator tells spectask's commits from an agent's. Empty when the branch does not exist.
    pub fn commit_log(&self, branch: &str, since: Option<CommitId>) -> Result<Vec<CommitInfo>, GitError> {
        let Some(tip) = self.tip_of(branch)? else { return Ok(Vec::new()) };
        log_between(&self.main_git(), since, tip)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: CommitId, descendant: CommitId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let (a, d) = (ancestor.to_string(), descendant.to_string());
        self.main_git().reading().yes_no(&["merge-base", "--is-ancestor", &a, &d])
    }

    /// Uncommitted changes (modified, staged, deleted, untracked) in the design-docs worktree, e.g. an
    /// agent editing `progress.md` without committing.
    pub fn design_docs_uncommitted(&self) -> Result<Vec<String>, GitError> {
        uncommitted_files(&self.design_docs_checkout().git)
    }

    /// The file at `path` as it is on disk in the design-docs worktree (uncommitted edits included),
    /// `None` when absent. Never follows a symlink out of the worktree.
    pub fn read_design_docs_worktree_file(&self, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        validate_file_path(path)?;
        let worktree = self.design_docs_worktree();
        let file = worktree.join(path);
        let real = match file.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("resolve", &file)(e)),
        };
        let root = worktree.canonicalize().map_err(io_err("resolve", &worktree))?;
        if file.symlink_metadata().map(|m| m.is_symlink()).unwrap_or(true) || !real.starts_with(&root) {
            return Ok(None);
        }
        std::fs::read(&real).map(Some).map_err(io_err("read", &real))
    }
}

/// The commits reachable from `tip` and not from `hide`, oldest first, with messages and trailers.
pub(crate) fn log_between(
    git: &Git,
    hide: Option<CommitId>,
    tip: CommitId,
) -> Result<Vec<CommitInfo>, GitError> {
    let mut args = vec!["--topo-order".to_owned(), "--reverse".to_owned(), tip.to_string()];
    args.extend(hide.map(|hide| format!("^{hide}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    log(git, &args)
}

/// At most `count` commits from `from` along first parents, newest first.
pub(crate) fn first_parents(git: &Git, from: CommitId, count: usize) -> Result<Vec<CommitInfo>, GitError> {
    let (from, count) = (from.to_string(), format!("--max-count={count}"));
    log(git, &["--first-parent", &count, &from])
}

/// `git log` of `args`, each commit with its parents and its whole message.
fn log(git: &Git, args: &[&str]) -> Result<Vec<CommitInfo>, GitError> {
    let mut full = vec!["log", "--no-show-signature", "--no-color", "-z", "--format=%H%n%P%n%B"];
    full.extend_from_slice(args);
    let out = git.reading().run(&full)?;
    let mut log = Vec::new();
    for record in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let mut lines = record.splitn(3, '\n');
        let id = CommitId::from_git(lines.next().unwrap_or_default().as_bytes())?;
        let parents = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(|p| CommitId::from_git(p.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let message = lines.next().unwrap_or_default().to_owned();
        log.push(CommitInfo { id, parents, trailers: parse_trailers(&message), message });
    }
    Ok(log)
}

impl Repo {
    /// The blobs named by `specs` (`<commit>:<path>`), each `None` when there is no file there,
    /// through the repository's one `git cat-file --batch`.
    pub(crate) fn read_blobs(&self, specs: &[String]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
        let read = self.objects().read(specs)?;
        Ok(read.into_iter().map(|object| object.filter(|o| o.kind == "blob").map(|o| o.data)).collect())
    }
}
