//! The commit a session's completion was told of, until git made it. A session is completed once
//! its changes are staged, while `git commit` still runs (`Repo::commit_checked_work_session_telling`);
//! a commit that then fails, or a node killed before it ends, leaves those changes staged in the
//! task's worktree, and the index holds nobody else's. The commit HEAD named when they were staged
//! and the commit's message (with the session's trailers) are written to the worktree's admin dir
//! before the completion is told, and removed once git committed. The next spectask commit of the
//! task's worktree makes that commit first, as it was told, so no other session's commit takes
//! those changes under its own name; unless HEAD moved since: then git made it, and the note
//! outlived it (a kill between the commit and the note's removal).
//!
//! The admin dir is git's, outside the agent's sandbox: only spectask writes the file.

use std::io::ErrorKind;

use crate::error::{GitError, io_err};
use crate::plumbing::cmd::text;
use crate::plumbing::commit::{Committed, Worktree, write_atomically};

/// The file in the worktree's admin dir holding the told commit's message.
const TOLD_COMMIT: &str = "SPECTASK_TOLD_COMMIT";

impl Worktree {
    /// Notes that a completion is told of the commit with `message` on `head` (the commit HEAD
    /// names while it is staged), before it is made.
    pub(crate) fn note_told_commit(&self, head: Option<&str>, message: &str) -> Result<(), GitError> {
        let note = format!("{}\n{message}", head.unwrap_or_default());
        write_atomically(&self.admin.join(TOLD_COMMIT), note.as_bytes())
    }

    /// The told commit is made (or nothing was left to commit): the note goes.
    pub(crate) fn forget_told_commit(&self) {
        let path = self.admin.join(TOLD_COMMIT);
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
        let path = self.admin.join(TOLD_COMMIT);
        let note = match std::fs::read_to_string(&path) {
            Ok(note) => note,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(io_err("read", &path)(err)),
        };
        let (head, message) = note.split_once('\n').unwrap_or(("", note.as_str()));
        let now = self.git.reading().output(&["rev-parse", "--verify", "-q", "HEAD"], None)?;
        if !head.is_empty() && text(&now.stdout).trim() != head {
            self.forget_told_commit();
            return Ok(None);
        }
        tracing::warn!(worktree = %self.path.display(), "committing the staged changes a completion was told of");
        let committed = self.commit_index(branch, message)?;
        self.forget_told_commit();
        Ok(committed.filter(|_| own == Some(message)))
    }
}
