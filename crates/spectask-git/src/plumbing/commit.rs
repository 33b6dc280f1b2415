//! Making commits in a worktree, through git: from an explicit set of file writes (the
//! design-docs branch), or from what changed in the worktree (a task's work). Files are staged
//! with `git add`, so the repository's attributes and filters apply (eol, Git LFS), and committed
//! with `git commit`, so its identity, signing, permissions, fsync settings and hooks apply.
//! What is uncommitted comes from `status.rs`; the repository's hooks run through `hooks.rs`; the
//! check's by-products are left out through `check_products.rs`, and what a commit of a task's
//! work takes is listed through `taken.rs`; a write killed before its
//! commit is undone through `write_journal.rs`.

use std::path::{Path, PathBuf};

use backon::BlockingRetryable;

use crate::error::{GitError, io_err};
use crate::names::{CommitId, validate_file_path};
use crate::plumbing::changed_files::{ChangedFile, name_status};
use crate::plumbing::cmd::{Git, failure, nul_fields};
use crate::plumbing::hooks::{Hooks, HooksDir, run_hook};
use crate::plumbing::maintenance::after_write;
use crate::plumbing::status::{Status, merge_under_way, refuse_operation_in_progress, status_entries};
use crate::plumbing::taken::{Changes, Taken};
use crate::plumbing::write_journal::{Journal, JournaledFile};

/// One change to a file of a branch, by path relative to the branch's root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileWrite {
    /// Create the file or replace its contents.
    Put { path: String, contents: Vec<u8> },
    /// Append to the file, creating it when absent. Several appends to one file in one commit are
    /// applied in order.
    Append { path: String, contents: Vec<u8> },
}

impl FileWrite {
    pub fn put(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> FileWrite {
        FileWrite::Put { path: path.into(), contents: contents.into() }
    }

    pub fn append(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> FileWrite {
        FileWrite::Append { path: path.into(), contents: contents.into() }
    }

    pub fn path(&self) -> &str {
        match self {
            FileWrite::Put { path, .. } | FileWrite::Append { path, .. } => path,
        }
    }
}

/// A worktree spectask commits in: where git runs, its working tree, and its own git dir (the
/// admin dir of a linked worktree), where git keeps its HEAD and state files.
pub(crate) struct Worktree {
    pub(crate) git: Git,
    pub(crate) path: PathBuf,
    pub(crate) admin: PathBuf,
}

/// A commit made, and the files it changed.
pub(crate) type Committed = (CommitId, Vec<ChangedFile>);

/// What [`Worktree::commit_found`] committed, and where writes at its paths start.
pub(crate) struct Found {
    /// The commit of what was uncommitted at the paths, when anything was.
    pub(crate) committed: Option<CommitId>,
    /// The paths known clean now, when they are.
    pub(crate) clean: Option<CleanAt>,
}

/// Paths of a worktree found clean, and the commit HEAD named then.
pub(crate) struct CleanAt {
    head: String,
    paths: Vec<String>,
}

impl Worktree {
    /// The linked worktree at `path` (admin directory `admin`) of the repository `main` runs in,
    /// trusted as `main` is.
    pub(crate) fn linked(main: &Git, admin: PathBuf, path: PathBuf) -> Worktree {
        Worktree { git: main.linked(&admin, &path), path, admin }
    }

    fn journal(&self) -> Journal<'_> {
        Journal { git: &self.git, path: &self.path, admin: &self.admin }
    }

    /// Undoes what a write killed before its commit left uncommitted (`write_journal.rs`).
    pub(crate) fn undo_interrupted_write(&self) -> Result<(), GitError> {
        self.journal().undo_interrupted_write()
    }

    /// Refuses unless `branch` is checked out here and no merge, rebase, cherry-pick, revert or
    /// bisect is under way.
    pub(crate) fn check_branch(&self, branch: &str) -> Result<(), GitError> {
        self.check_head(branch)?;
        refuse_operation_in_progress(&self.admin, &self.path)
    }

    /// Refuses unless `branch` is checked out here.
    fn check_head(&self, branch: &str) -> Result<(), GitError> {
        let out = self.git.reading().output(&["symbolic-ref", "-q", "HEAD"], None)?;
        let head = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if head.strip_prefix("refs/heads/") != Some(branch) {
            let actual = match head.strip_prefix("refs/heads/") {
                Some(other) => other.to_owned(),
                None if head.is_empty() => "a detached HEAD".to_owned(),
                None => head,
            };
            return Err(GitError::WrongBranchCheckedOut {
                path: self.path.clone(),
                expected: branch.to_owned(),
                actual,
            });
        }
        Ok(())
    }

    /// The uncommitted changes (at `paths` only when given) and the commit HEAD names, after
    /// checking that `branch` is checked out and no merge, rebase … is under way: one `git status`.
    /// Given no paths to look at, it says nothing of HEAD.
    pub(super) fn changes_on(&self, branch: &str, paths: Option<&[String]>) -> Result<Status, GitError> {
        if paths.is_some_and(<[String]>::is_empty) {
            self.check_branch(branch)?;
            return Ok(Status { branch: Some(branch.to_owned()), head: None, entries: Vec::new() });
        }
        let status = status_entries(&self.git, paths)?;
        if status.branch.as_deref() != Some(branch) {
            let actual = status.branch.unwrap_or_else(|| "a detached HEAD".to_owned());
            return Err(GitError::WrongBranchCheckedOut {
                path: self.path.clone(),
                expected: branch.to_owned(),
                actual,
            });
        }
        refuse_operation_in_progress(&self.admin, &self.path)?;
        Ok(status)
    }

    /// Commits what is uncommitted at `paths` (an agent's edit) on `branch`, which must be checked
    /// out, as found, with `message`; then where writes at those paths start: the commit it made, or
    /// HEAD as `git status` found the paths clean. One `git status` when nothing was found.
    pub(crate) fn commit_found(
        &self,
        branch: &str,
        message: &str,
        paths: &[String],
    ) -> Result<Found, GitError> {
        let (committed, head) = self.commit_changes_found(
            branch,
            message,
            Changes::At(paths),
            Hooks::Skip,
            |_, _| Ok(()),
            |_, _| Ok(()),
        )?;
        let committed = committed.map(|(id, _)| id);
        let clean = match committed {
            Some(id) => Some(CleanAt { head: id.to_string(), paths: paths.to_vec() }),
            None => head.map(|head| CleanAt { head, paths: paths.to_vec() }),
        };
        Ok(Found { committed, clean })
    }

    /// Commits `writes` on `branch`, which must be checked out: each file is written in the
    /// worktree (an append to what is there), staged and committed. Refuses when a written path
    /// has uncommitted changes; returns `false`, committing nothing, when the writes change nothing
    /// (the branch's new tip is the caller's to read). A failed commit puts the files back as they
    /// were. `clean`: the written paths were just found clean at that HEAD (`commit_found`), and
    /// are not looked at again.
    pub(crate) fn commit_writes(
        &self,
        branch: &str,
        message: &str,
        writes: &[FileWrite],
        clean: Option<&CleanAt>,
    ) -> Result<bool, GitError> {
        for write in writes {
            validate_file_path(write.path())?;
        }
        self.journal().undo_interrupted_write()?;
        let mut paths: Vec<String> = writes.iter().map(|w| w.path().to_owned()).collect();
        paths.sort();
        paths.dedup();
        let head = match clean.filter(|c| paths.iter().all(|p| c.paths.contains(p))) {
            Some(clean) => Some(clean.head.clone()),
            None => {
                let status = self.changes_on(branch, Some(&paths))?;
                let dirty: Vec<String> = status.entries.into_iter().map(|(_, p)| p).collect();
                if !dirty.is_empty() {
                    return Err(GitError::UncommittedChanges { path: self.path.clone(), files: dirty });
                }
                status.head
            }
        };
        let mut planned = Vec::new();
        for path in &paths {
            let file = self.safe_path(path)?;
            let before = read_optional(&file)?;
            let mut after = before.clone().unwrap_or_default();
            for write in writes.iter().filter(|w| w.path() == path) {
                match write {
                    FileWrite::Put { contents, .. } => after.clone_from(contents),
                    FileWrite::Append { contents, .. } => after.extend_from_slice(contents),
                }
            }
            if before.as_deref() != Some(after.as_slice()) {
                planned.push((path.clone(), file, before, after));
            }
        }
        if planned.is_empty() {
            return Ok(false);
        }
        let journaled: Vec<JournaledFile<'_>> = planned
            .iter()
            .map(|(path, _, before, after)| JournaledFile { path, existed: before.is_some(), after })
            .collect();
        self.journal().begin_write(head.as_deref().unwrap_or_default(), &journaled)?;
        // Files that were there (and clean: tracked) are staged by `git commit --only` itself; a
        // new file needs `git add` first.
        let all_tracked = planned.iter().all(|(_, _, before, _)| before.is_some());
        let mut written = Vec::new();
        for (path, file, before, after) in planned {
            if let Err(e) = write_atomically(&file, &after) {
                self.restore(&written);
                self.journal().end_write();
                return Err(e);
            }
            written.push((path, file, before));
        }
        let staged: Vec<String> = written.iter().map(|(path, ..)| path.clone()).collect();
        let stage = if all_tracked { Ok(()) } else { self.stage(Some(&staged)) };
        let committed = stage.and_then(|()| self.commit(message, Hooks::Skip, Some(&staged), || Ok(())));
        if committed.is_err() {
            self.restore(&written);
        }
        self.journal().end_write();
        committed
    }

    /// Commits what changed in the worktree (added, modified, deleted, untracked but not ignored),
    /// as `changes` says, calling `found` with the paths it is about to stage once git's
    /// status listed them, and `staged` with the paths it staged, each with the commit HEAD named
    /// then, `staged` right before `git commit` (see [`Worktree::commit`]); an error of either
    /// stops the commit. A commit stopped before that (a
    /// hook's refusal, an error of `staged`) unstages those paths again, so that no other commit
    /// takes them. Returns `None` when nothing changed.
    pub(crate) fn commit_changes(
        &self,
        branch: &str,
        message: &str,
        changes: Changes<'_>,
        hooks: Hooks<'_>,
        found: impl FnOnce(&[String], Option<&str>) -> Result<(), GitError>,
        staged: impl FnOnce(&[String], Option<&str>) -> Result<(), GitError>,
    ) -> Result<Option<(CommitId, Vec<ChangedFile>)>, GitError> {
        Ok(self.commit_changes_found(branch, message, changes, hooks, found, staged)?.0)
    }

    /// [`Worktree::commit_changes`], and when it found nothing to commit, the commit HEAD named
    /// then (`None` for an unborn branch, or when it did not look: no paths).
    fn commit_changes_found(
        &self,
        branch: &str,
        message: &str,
        changes: Changes<'_>,
        hooks: Hooks<'_>,
        found: impl FnOnce(&[String], Option<&str>) -> Result<(), GitError>,
        staged: impl FnOnce(&[String], Option<&str>) -> Result<(), GitError>,
    ) -> Result<(Option<Committed>, Option<String>), GitError> {
        let paths = changes.paths();
        if let Some(paths) = paths {
            for path in paths {
                validate_file_path(path)?;
            }
        }
        self.journal().undo_interrupted_write()?;
        let Taken { head, paths: changed, one_by_one, unmerged } = self.taken(branch, changes)?;
        if unmerged {
            return Err(GitError::OperationInProgress {
                path: self.path.clone(),
                state: "unresolved merge conflict".to_owned(),
            });
        }
        if changed.is_empty() {
            return Ok((None, head));
        }
        found(&changed, head.as_deref())?;
        self.stage(one_by_one.then_some(changed.as_slice()))?;
        // The whole index: what the agent staged itself is its work too.
        let mut told = false;
        let committing = self.commit(message, hooks, None, || {
            staged(&changed, head.as_deref())?;
            told = true;
            Ok(())
        });
        match committing {
            Ok(true) => Ok((Some(self.head_commit()?), None)),
            Ok(false) => Ok((None, None)),
            Err(err) => {
                if !told {
                    self.unstage(&changed);
                }
                Err(err)
            }
        }
    }

    /// Puts the index back as HEAD has it at `paths` (what a commit that stopped had staged); the
    /// worktree keeps its changes. A failure is only logged: the commit's own error is the one told.
    fn unstage(&self, paths: &[String]) {
        let args = ["reset", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul"];
        if let Err(err) = self.git.run_waiting(&args, Some(&nul_list(paths))) {
            tracing::warn!(worktree = %self.path.display(), %err, "cannot unstage what a stopped commit staged");
        }
    }

    /// Commits the index as it stands on `branch`, which must be checked out, with no hook; `None`
    /// when nothing is staged.
    pub(crate) fn commit_index(&self, branch: &str, message: &str) -> Result<Option<Committed>, GitError> {
        self.check_branch(branch)?;
        if !self.commit(message, Hooks::Skip, None, || Ok(()))? {
            return Ok(None);
        }
        self.head_commit().map(Some)
    }

    /// Concludes the merge under way on `branch` as its merge commit: every change staged (the
    /// conflicts as whoever edited the files resolved them), committed with `message`.
    pub(crate) fn conclude_merge(
        &self,
        branch: &str,
        message: &str,
        hooks: Hooks<'_>,
    ) -> Result<Option<(CommitId, Vec<ChangedFile>)>, GitError> {
        self.check_head(branch)?;
        let products = self.untracked_check_products()?;
        self.stage(None)?;
        if !products.is_empty() {
            let list = nul_list(&products);
            let args = ["reset", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul"];
            self.git.run_waiting(&args, Some(&list))?;
        }
        if !self.commit(message, hooks, None, || Ok(()))? {
            return Ok(None);
        }
        self.head_commit().map(Some)
    }

    /// Where the repository's hooks are for this worktree: one `git config`.
    pub(crate) fn hooks_dir(&self) -> Result<HooksDir, GitError> {
        HooksDir::find(&self.git, &self.admin, &self.path)
    }

    /// Runs the repository's `pre-commit` hook, when `hooks` has one, on what changed (at `paths`
    /// only when given) staged on the branch's tip in an index of its own, so the worktree's index
    /// is left as it was (sibling sessions commit from it): the hook's output when it refuses.
    pub(crate) fn pre_commit(
        &self,
        branch: &str,
        changes: Changes<'_>,
        hooks: &HooksDir,
    ) -> Result<Option<String>, GitError> {
        // A merge under way is concluded whole, and its hooks run then (see `conclude_merge`).
        if hooks.present(&["pre-commit"]).is_empty() || merge_under_way(&self.admin) {
            return Ok(None);
        }
        let Taken { paths: changed, one_by_one, unmerged, .. } = self.taken(branch, changes)?;
        if changed.is_empty() || unmerged {
            return Ok(None);
        }
        let paths = one_by_one.then_some(changed.as_slice());
        let index = self.admin.join("SPECTASK_HOOK_INDEX");
        let _ = std::fs::remove_file(&index);
        let own =
            Worktree { git: self.git.with_index(&index), path: self.path.clone(), admin: self.admin.clone() };
        let verdict = own.git.run(&["read-tree", "HEAD"]).and_then(|_| own.stage(paths));
        let verdict = verdict.and_then(|()| match run_hook(&own.git, "pre-commit", &[]) {
            Ok(()) => Ok(None),
            Err(GitError::HookRejected { message, .. }) => Ok(Some(message)),
            Err(other) => Err(other),
        });
        let _ = std::fs::remove_file(&index);
        verdict
    }

    /// `git add --all`, of `paths` only when given.
    pub(super) fn stage(&self, paths: Option<&[String]>) -> Result<(), GitError> {
        match paths {
            None => self.git.run_waiting(&["add", "--all"], None)?,
            Some(paths) => {
                let list = nul_list(paths);
                let args = ["add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul"];
                self.git.run_waiting(&args, Some(&list))?
            }
        };
        Ok(())
    }

    /// Commits what is staged (at `only` when given: what someone else staged stays staged);
    /// `false` when nothing is. With [`Hooks::Run`] the repository's `pre-commit` and `commit-msg`
    /// hooks run first (where it says they are, else where the configuration says now), each
    /// refusal a [`GitError::HookRejected`]. `staged` is called once they passed, right before
    /// `git commit`; its error stops the commit.
    fn commit(
        &self,
        message: &str,
        hooks: Hooks<'_>,
        only: Option<&[String]>,
        staged: impl FnOnce() -> Result<(), GitError>,
    ) -> Result<bool, GitError> {
        let message_file = self.admin.join("SPECTASK_COMMIT_MSG");
        std::fs::write(&message_file, message).map_err(io_err("write", &message_file))?;
        let file_arg = message_file.to_string_lossy().into_owned();
        if let Hooks::Run(found) = hooks {
            let looked;
            let dir = match found {
                Some(dir) => dir,
                None => {
                    looked = self.hooks_dir()?;
                    &looked
                }
            };
            for hook in dir.present(&["pre-commit", "commit-msg"]) {
                let args: &[&str] = if hook == "commit-msg" { &[&file_arg] } else { &[] };
                run_hook(&self.git, hook, args)?;
            }
        }
        staged()?;
        let mut args = vec!["commit", "--quiet", "--no-verify", "--cleanup=whitespace", "--file", &file_arg];
        let list = only.map(nul_list);
        if list.is_some() {
            args.extend(["--only", "--pathspec-from-file=-", "--pathspec-file-nul"]);
        }
        let committed = run_with_identity(&self.git, &args, list.as_deref());
        let _ = std::fs::remove_file(&message_file);
        match committed {
            Err(GitError::Command { message, .. }) if nothing_to_commit(&message) => return Ok(false),
            other => other?,
        };
        after_write(&self.git);
        Ok(true)
    }

    /// The commit HEAD names now, and the files it changed against its first parent: one
    /// `git diff-tree`, which prints the commit's id first.
    fn head_commit(&self) -> Result<(CommitId, Vec<ChangedFile>), GitError> {
        let args = [
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--name-status",
            "--diff-merges=first-parent",
            "--root",
            "HEAD",
        ];
        let out = self.git.reading().run(&args)?;
        let mut fields = nul_fields(&out);
        let id = CommitId::from_git(fields.next().unwrap_or_default())?;
        Ok((id, name_status(fields)))
    }

    /// The file at `path` in the worktree, refused when a directory on the way is a symbolic
    /// link (a write must not leave the worktree).
    fn safe_path(&self, path: &str) -> Result<PathBuf, GitError> {
        let mut at = self.path.clone();
        for segment in path.split('/') {
            at.push(segment);
            if at.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(GitError::InvalidFilePath {
                    path: path.to_owned(),
                    reason: "passes through a symbolic link in the worktree",
                });
            }
        }
        Ok(at)
    }

    /// Puts the written files back as they were and unstages them, after a failed commit.
    fn restore(&self, written: &[(String, PathBuf, Option<Vec<u8>>)]) {
        for (_, file, before) in written {
            let restored = match before {
                Some(bytes) => write_atomically(file, bytes),
                None => std::fs::remove_file(file).map_err(io_err("remove", file)),
            };
            if let Err(e) = restored {
                tracing::warn!(error = %e, "could not put a design-docs file back after a failed commit");
            }
        }
        if written.is_empty() {
            return;
        }
        let paths: Vec<String> = written.iter().map(|(path, ..)| path.clone()).collect();
        let list = nul_list(&paths);
        let args = ["reset", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul"];
        if let Err(e) = self.git.run_waiting(&args, Some(&list)) {
            tracing::warn!(error = %e, "could not unstage design-docs files after a failed commit");
        }
    }
}

/// Runs a committing git command; when git knows no identity for the committer (no `user.name`
/// or `user.email` anywhere, and none it can guess), runs it again as `spectask`.
pub(crate) fn run_with_identity(git: &Git, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    let run = |fallback: bool| {
        (|| {
            let mut command = git.command(args);
            if fallback {
                for (name, value) in [
                    ("GIT_AUTHOR_NAME", "spectask"),
                    ("GIT_AUTHOR_EMAIL", "spectask@localhost"),
                    ("GIT_COMMITTER_NAME", "spectask"),
                    ("GIT_COMMITTER_EMAIL", "spectask@localhost"),
                ] {
                    command.env(name, value);
                }
            }
            let output = crate::plumbing::cmd::run_command(command, args, input)?;
            if output.status.success() { Ok(output.stdout) } else { Err(failure(args, &output)) }
        })
        .retry(crate::plumbing::retry::LOCK_FILE_RETRY)
        .when(GitError::is_lock_held)
        .call()
        .map_err(GitError::lock_held_named)
    };
    match run(false) {
        Err(GitError::Command { message, .. })
            if message.contains("tell me who you are")
                || message.contains("unable to auto-detect email")
                || message.contains("empty ident name") =>
        {
            run(true)
        }
        other => other,
    }
}

/// What `git commit` says (with `LC_ALL=C`) when nothing is staged.
fn nothing_to_commit(message: &str) -> bool {
    message.contains("nothing to commit")
        || message.contains("no changes added to commit")
        || message.contains("nothing added to commit")
}

/// `paths` as a NUL-separated list, for `--pathspec-from-file=- --pathspec-file-nul`.
fn nul_list(paths: &[String]) -> Vec<u8> {
    let mut list = Vec::new();
    for path in paths {
        list.extend_from_slice(path.as_bytes());
        list.push(0);
    }
    list
}

fn read_optional(file: &Path) -> Result<Option<Vec<u8>>, GitError> {
    match std::fs::read(file) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", file)(e)),
    }
}

/// Writes `file` whole or not at all: a sibling temporary file renamed over it.
pub(super) fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), GitError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.spectask-{}", std::process::id()));
    std::fs::write(&temp, bytes).map_err(io_err("write", &temp))?;
    std::fs::rename(&temp, file).map_err(io_err("rename into place", file))
}
