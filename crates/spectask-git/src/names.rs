//! Validated names that end up in refs, paths and commit messages: task handles, file paths inside a
//! branch, commit ids and trailers.

use std::fmt;
use std::str::FromStr;

use crate::error::GitError;

/// What every task branch's name begins with.
pub const TASK_BRANCH_PREFIX: &str = "spectask/";

/// A SpecTask's handle (`SpecTask::handle`, `7f3a-user-authentication`), the `<task>` of the design-docs
/// branch layout: the directory under `specs/` and `sessions/`, the suffix of the branch
/// `spectask/<task>` and the name of `.git-worktrees/<task>`.
///
/// ASCII letters, digits, `-`, `_` and `.`, at most 100 characters, starting with a letter or digit,
/// not ending in `.lock` or `.`, no `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskHandle(String);

impl TaskHandle {
    pub fn new(name: impl Into<String>) -> Result<TaskHandle, GitError> {
        let name = name.into();
        let invalid = |reason| Err(GitError::InvalidTaskHandle { name: name.clone(), reason });
        if name.is_empty() || name.len() > 100 {
            return invalid("must be 1 to 100 characters");
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
            return invalid("only ascii letters, digits, '-', '_' and '.' are allowed");
        }
        if !name.as_bytes()[0].is_ascii_alphanumeric() {
            return invalid("must start with a letter or a digit");
        }
        if name.contains("..") || name.ends_with(".lock") || name.ends_with('.') {
            return invalid("must not contain '..' nor end in '.lock' or '.'");
        }
        Ok(TaskHandle(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The task's code branch: `spectask/<task>`.
    pub fn branch(&self) -> String {
        format!("{TASK_BRANCH_PREFIX}{}", self.0)
    }
}

impl fmt::Display for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TaskHandle {
    type Err = GitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskHandle::new(s)
    }
}

/// The id of a commit: 40 lower-case hex digits in a SHA-1 repository, 64 in a SHA-256 one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitId {
    hex: [u8; 64],
    len: u8,
}

impl CommitId {
    /// The id as git prints it.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.hex[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Parses an id from git's output (full hex, either object format).
    pub(crate) fn from_git(bytes: &[u8]) -> Result<CommitId, GitError> {
        let trimmed = bytes.trim_ascii();
        let valid = matches!(trimmed.len(), 40 | 64)
            && trimmed.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
        if !valid {
            return Err(GitError::InvalidCommitId { value: String::from_utf8_lossy(trimmed).into_owned() });
        }
        let mut hex = [0u8; 64];
        hex[..trimmed.len()].copy_from_slice(trimmed);
        Ok(CommitId { hex, len: trimmed.len() as u8 })
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitId({})", self.as_str())
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommitId {
    type Err = GitError;
    /// Parses a full hex commit id (40 or 64 digits, any case); abbreviations are refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CommitId::from_git(s.to_ascii_lowercase().as_bytes())
            .map_err(|_| GitError::InvalidCommitId { value: s.to_owned() })
    }
}

/// Checks a `/`-separated path relative to the root of a branch: no empty, `.` or `..` segments, no
/// leading `/`, no `.git` segment, no backslash or NUL.
pub(crate) fn validate_file_path(path: &str) -> Result<(), GitError> {
    let invalid = |reason| Err(GitError::InvalidFilePath { path: path.to_owned(), reason });
    if path.is_empty() {
        return invalid("is empty");
    }
    if path.contains('\\') || path.contains('\0') {
        return invalid("contains a backslash or a nul byte");
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return invalid("must be relative with no empty, '.' or '..' segments");
        }
        if names_dot_git(segment) {
            return invalid(
                "must not contain a '.git' segment (or a spelling of it NTFS or HFS+ reads as one)",
            );
        }
    }
    Ok(())
}

/// Whether `name` can only be read as a branch, tag or commit id: letters, digits and `-_./+`, not
/// starting with `-` (an option) nor holding `..` (a range), at most 200 bytes.
pub(crate) fn is_safe_ref_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with(['-', '/', '.'])
        && !name.contains("..")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./+".contains(&b))
}

/// Whether a path segment is `.git` as git's `fsck` and checkout see it: in any case, with the
/// code points HFS+ ignores left out (`is_hfs_dotgit`), or as NTFS reads it — up to a stream
/// name's `:`, trailing dots and spaces dropped, or its short name `git~1` (`is_ntfs_dotgit`).
/// git refuses such a path in a tree (`fsck`) and at checkout; spectask refuses it before asking git
/// to write a file there, so the error names the path and the rule.
fn names_dot_git(segment: &str) -> bool {
    let hfs_ignorable = |c: &char| matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}');
    let hfs: String = segment.chars().filter(|c| !hfs_ignorable(c)).collect();
    let ntfs = segment.split(':').next().unwrap_or(segment).trim_end_matches(['.', ' ']);
    hfs.eq_ignore_ascii_case(".git")
        || ntfs.eq_ignore_ascii_case(".git")
        || ntfs.eq_ignore_ascii_case("git~1")
}

/// A `Key: value` line at the end of a commit message, e.g. `Spec-Task: 7f3a…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    key: String,
    value: String,
}

impl Trailer {
    /// `key` is letters, digits and `-`; `value` is one non-empty line.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Result<Trailer, GitError> {
        let (key, value) = (key.into(), value.into());
        let invalid = |reason| Err(GitError::InvalidTrailer { key: key.clone(), reason });
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return invalid("the key must be ascii letters, digits and '-'");
        }
        if value.trim().is_empty() || value.contains(['\n', '\r']) {
            return invalid("the value must be one non-empty line");
        }
        Ok(Trailer { key, value: value.trim().to_owned() })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

/// `subject`, then a blank line and one trailer per line.
pub(crate) fn commit_message(subject: &str, trailers: &[Trailer]) -> String {
    let mut message = subject.trim_end().to_owned();
    if !trailers.is_empty() {
        message.push_str("\n\n");
        for trailer in trailers {
            message.push_str(&format!("{}: {}\n", trailer.key, trailer.value));
        }
    } else {
        message.push('\n');
    }
    message
}

/// Every trailer of a commit message (the `Key: value` lines of its last paragraph).
pub fn parse_trailers(message: &str) -> Vec<(String, String)> {
    let Some((_, last)) = message.trim_end().rsplit_once("\n\n") else {
        return Vec::new();
    };
    last.lines()
        .filter_map(|line| line.split_once(": "))
        .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
