//! A diff as the implementation review shows it: each changed file, its hunks and their lines,
//! within [`DiffLimits`]. Plain data, read from git's output by `diff_parse.rs`.

use crate::plumbing::changed_files::FileChange;

/// How much of a diff `Repo::task_branch_review` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffLimits {
    /// Files past this many are left out (`BranchReview::files_left_out` counts them).
    pub max_files: usize,
    /// Lines of one file's hunks past this many are left out (the file is marked truncated).
    pub max_lines_per_file: usize,
}

impl Default for DiffLimits {
    fn default() -> Self {
        Self { max_files: 300, max_lines_per_file: 2_000 }
    }
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    pub change: FileChange,
    pub binary: bool,
    pub additions: usize,
    pub deletions: usize,
    pub hunks: Vec<Hunk>,
    /// Lines were left out, past [`DiffLimits::max_lines_per_file`].
    pub truncated: bool,
}

/// One hunk: `@@ -old_start,old_lines +new_start,new_lines @@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub old_line: Option<u32>,
    pub new_line: Option<u32>,
    /// The line without its end-of-line.
    pub text: String,
}
