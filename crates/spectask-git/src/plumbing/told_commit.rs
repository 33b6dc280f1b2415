//! The commit a session's completion was told of, until git made it. A session is completed while
//! `git commit` still runs (`Repo::commit_checked_work_session_telling`): once its changes are
//! staged, or, when nothing can refuse the commit (no hook runs), once git's status listed them.
//! A commit that then fails, or a node killed before it ends, leaves those changes in the task's
//! worktree, staged or not. So before the completion is told, the commit is noted in the
//! worktree's admin dir: the commit HEAD named then, its message (with the session's trailers),
//! and, while they are not staged yet, the paths listed (`SPECTASK_LISTED_COMMIT`); once staged,
//! the staged note (`SPECTASK_TOLD_COMMIT`) replaces it. Both go once git committed. The next
//! spectask commit of the task's worktree makes that commit first, as it was told (staging the
//! listed paths from the worktree, where no session was first prompted since), so no other
//! session's commit takes those changes under its own name; unless HEAD moved since: then git
//! made it, and the note outlived it (a kill between the commit and the note's removal).
//!
//! The admin dir is git's, outside the agent's sandbox: only spectask writes the files.

use std::io::ErrorKind;

use crate::error::{GitError, io_err};
use crate::plumbing::cmd::text;
use crate::plumbing::commit::{Committed, Worktree, write_atomically};

/// The file in the worktree's admin dir holding the told commit's message, once it is staged.
const TOLD_COMMIT: &str = "SPECTASK_TOLD_COMMIT";
/// The file holding it, with the paths it takes, while they are not staged yet.
const LISTED_COMMIT: &str = "SPECTASK_LISTED_COMMIT";

impl Worktree {
    /// Notes that a completion is told of the commit with `message` on `head` (the commit HEAD
    /// names while it is staged), before it is made.
    pub(crate) fn note_told_commit(&self, head: Option<&str>, message: &str) -> Result<(), GitError> {
        let note = format!("{}\n{message}", head.unwrap_or_default());
        write_atomically(&self.admin.join(TOLD_COMMIT), note.as_bytes())
    }

    /// Notes that a completion is told of the commit with `message` on `head`, taking `paths`
    /// from the worktree, before they are staged. Fields apart by NUL, which neither a commit
    /// message nor a path holds.
    pub(crate) fn note_listed_commit(
        &self,
        head: Option<&str>,
        paths: &[String],
        message: &str,
    ) -> Result<(), GitError> {
        let mut note = format!("{}\0{message}", head.unwrap_or_default());
        for path in paths {
            note.push('\0');
            note.push_str(path);
        }
        write_atomically(&self.admin.join(LISTED_COMMIT), note.as_bytes())
    }

    /// The told commit is made (or nothing was left to commit): its notes go.
    pub(crate) fn forget_told_commit(&self) {
        self.forget(LISTED_COMMIT);
        self.forget(TOLD_COMMIT);
    }

    /// The told commit's changes are staged and noted so: the note of its paths goes.
    pub(crate) fn forget_listed_commit(&self) {
        self.forget(LISTED_COMMIT);
    }

    fn forget(&self, note: &str) {
        let path = self.admin.join(note);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            // Left behind, it is found by the next commit, which then commits nothing under it.
            Err(err) => tracing::warn!(path = %path.display(), %err, "cannot remove the told commit's note"),
        }
    }

    /// Makes the commit a completion was told of and git did not make (a commit that failed, a
    /// node killed in between): what is staged, as it is, with its message, and no hook (they
    /// passed before it was told). Returns it when its message is `own` (the caller's session's
    /// commit); `None` when none waits, or it was made (HEAD moved from where it was told, or
    /// nothing is staged any more) and the note outlived it.
    pub(crate) fn commit_told(&self, branch: &str, own: Option<&str>) -> Result<Option<Committed>, GitError> {
        let (note, listed) = match self.read_note(TOLD_COMMIT)? {
            Some(note) => (note, None),
            None => match self.read_note(LISTED_COMMIT)? {
                Some(note) => {
                    let mut fields = note.split('\0');
                    let (head, message) =
                        (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
                    let paths: Vec<String> = fields.map(str::to_owned).collect();
                    (format!("{head}\n{message}"), Some(paths))
                }
                None => return Ok(None),
            },
        };
        let (head, message) = note.split_once('\n').unwrap_or(("", note.as_str()));
        let now = self.git.reading().output(&["rev-parse", "--verify", "-q", "HEAD"], None)?;
        if !head.is_empty() && text(&now.stdout).trim() != head {
            self.forget_told_commit();
            return Ok(None);
        }
        tracing::warn!(worktree = %self.path.display(), "committing the changes a completion was told of");
        if let Some(paths) = listed.filter(|paths| !paths.is_empty()) {
            // Those that still differ: git refuses to stage a path that matches nothing (a new
            // file gone since).
            let status = self.changes_on(branch, Some(&paths))?;
            let changed: Vec<String> = status.entries.into_iter().map(|(_, path)| path).collect();
            if !changed.is_empty() {
                self.stage(Some(&changed))?;
            }
        }
        let committed = self.commit_index(branch, message)?;
        self.forget_told_commit();
        Ok(committed.filter(|_| own == Some(message)))
    }

    /// The text of `note` in the admin dir; `None` when there is none.
    fn read_note(&self, note: &str) -> Result<Option<String>, GitError> {
        let path = self.admin.join(note);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_err("read", &path)(err)),
        }
    }
}
