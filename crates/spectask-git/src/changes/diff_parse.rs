//! Reads git's diff output into the review's files, hunks and lines.
//!
//! Two outputs of one diff are read together. `git diff --raw --numstat -z -M` gives each file's
//! status, its exact paths (never quoted with `-z`) and its line counts over the whole file.
//! `git diff -p -M` gives the hunks: one `diff --git` section per file, in the same order.
//! It is hand-written because no crate on crates.io reads the `-z` summary: the patch parsers
//! there (`patch`, `gitpatch`, `unidiff`, `diffy`) read the patch text alone, where paths may be
//! quoted and binary files have no counts. With the summary read, only the hunks are left, and
//! their format is small and documented by git.

use crate::changes::diff::{DiffLimits, DiffLine, FileDiff, Hunk, LineKind};
use crate::plumbing::changed_files::FileChange;

/// One file of the `--raw` records.
struct RawEntry {
    status: u8,
    /// The file changed kind (a file became a symlink, say): git shows that as two sections.
    kind_changed: bool,
    old_path: String,
    new_path: String,
}

/// One file of the `--numstat` records.
#[derive(Clone, Copy, Default)]
struct Counts {
    additions: usize,
    deletions: usize,
    binary: bool,
}

/// `summary` is the output of `git diff --raw --numstat -z -M <base> <head>`; `patch` the output
/// of `git diff -p -M --no-color --no-ext-diff --no-textconv -U3 <base> <head>` (same order of files).
/// Returns the files (at most `limits.max_files` of them, in git's order) and how many were left out.
pub(crate) fn parse_diff(summary: &[u8], patch: &[u8], limits: DiffLimits) -> (Vec<FileDiff>, usize) {
    let (entries, counts) = read_summary(summary);
    let mut sections = split_sections(patch).into_iter();
    let mut files = Vec::new();
    for (index, entry) in entries.iter().enumerate().take(limits.max_files) {
        let mut own: Vec<&[u8]> = sections.next().into_iter().collect();
        if entry.kind_changed {
            own.extend(sections.next());
        }
        let counts = counts.get(index).copied().unwrap_or_default();
        let change = match entry.status {
            b'A' => FileChange::Added,
            b'D' => FileChange::Deleted,
            _ => FileChange::Modified,
        };
        let mut file = FileDiff {
            path: entry.new_path.clone(),
            old_path: (entry.status == b'R').then(|| entry.old_path.clone()),
            change,
            binary: counts.binary,
            additions: counts.additions,
            deletions: counts.deletions,
            hunks: Vec::new(),
            truncated: false,
        };
        let mut budget = limits.max_lines_per_file;
        for section in own {
            if !file.truncated {
                read_hunks(section, &mut file, &mut budget);
            }
        }
        files.push(file);
    }
    let left_out = entries.len().saturating_sub(files.len());
    (files, left_out)
}

/// The `--raw` records and, in the same order, the `--numstat` records of a `-z` summary.
fn read_summary(summary: &[u8]) -> (Vec<RawEntry>, Vec<Counts>) {
    let text = |field: Option<&[u8]>| String::from_utf8_lossy(field.unwrap_or_default()).into_owned();
    let number = |field: Option<&[u8]>| -> Option<usize> { std::str::from_utf8(field?).ok()?.parse().ok() };
    let mut fields = summary.split(|b| *b == 0);
    let mut entries = Vec::new();
    let mut counts = Vec::new();
    while let Some(field) = fields.next() {
        if let Some(header) = field.strip_prefix(b":") {
            // `<old mode> <new mode> <old id> <new id> <status letter><score>`, then one path, or
            // two for a rename or a copy.
            let parts: Vec<&[u8]> = header.split(|b| *b == b' ').collect();
            let mode = |i: usize| -> u32 {
                let digits = parts.get(i).and_then(|m| std::str::from_utf8(m).ok()).unwrap_or("0");
                u32::from_str_radix(digits, 8).unwrap_or(0)
            };
            let (old_mode, new_mode) = (mode(0), mode(1));
            let status = parts.last().and_then(|s| s.first()).copied().unwrap_or(b'M');
            let old_path = text(fields.next());
            let new_path = if matches!(status, b'R' | b'C') { text(fields.next()) } else { old_path.clone() };
            let kind_changed = old_mode != 0 && new_mode != 0 && (old_mode ^ new_mode) & 0o170_000 != 0;
            entries.push(RawEntry { status, kind_changed, old_path, new_path });
        } else if !field.is_empty() {
            // `<additions>\t<deletions>\t<path>`, with `-` for both counts of a binary file; for a
            // rename the path is empty and the two paths follow as fields of their own.
            let mut parts = field.splitn(3, |b| *b == b'\t');
            let (additions, deletions, path) = (parts.next(), parts.next(), parts.next());
            counts.push(Counts {
                additions: number(additions).unwrap_or(0),
                deletions: number(deletions).unwrap_or(0),
                binary: additions == Some(b"-".as_slice()),
            });
            if path == Some(b"".as_slice()) {
                fields.next();
                fields.next();
            }
        }
    }
    (entries, counts)
}

/// The patch cut at each line that starts with `diff --git ` (hunk lines start with ' ', '+', '-'
/// or '\', so they never do). Text before the first such line is dropped.
fn split_sections(patch: &[u8]) -> Vec<&[u8]> {
    let mut sections = Vec::new();
    let mut start = None;
    let mut at = 0;
    for line in patch.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"diff --git ") {
            if let Some(start) = start {
                sections.extend(patch.get(start..at));
            }
            start = Some(at);
        }
        at += line.len();
    }
    if let Some(start) = start {
        sections.extend(patch.get(start..));
    }
    sections
}

/// A hunk being read: the old and new line numbers of its next line, and how many old and new
/// lines its header says are still to come.
struct OpenHunk {
    hunk: Hunk,
    old: u32,
    new: u32,
    old_left: u32,
    new_left: u32,
}

/// Adds the hunks of one `diff --git` section to `file`, taking at most `budget` lines; past that
/// it marks the file truncated and stops.
fn read_hunks(section: &[u8], file: &mut FileDiff, budget: &mut usize) {
    let mut open: Option<OpenHunk> = None;
    for line in section.split(|b| *b == b'\n') {
        if line.starts_with(b"@@ ") {
            push_hunk(open.take(), file);
            let header = String::from_utf8_lossy(line).trim_end().to_owned();
            open = hunk_range(&header).map(|(old_start, old_lines, new_start, new_lines)| OpenHunk {
                hunk: Hunk { header, old_start, old_lines, new_start, new_lines, lines: Vec::new() },
                old: old_start,
                new: new_start,
                old_left: old_lines,
                new_left: new_lines,
            });
            continue;
        }
        let Some(at) = open.as_mut() else { continue };
        let kind = match line.first() {
            Some(b' ') => LineKind::Context,
            Some(b'-') => LineKind::Removed,
            Some(b'+') => LineKind::Added,
            // An empty context line written as nothing at all (git's `diff.suppressBlankEmpty`).
            None if at.old_left > 0 && at.new_left > 0 => LineKind::Context,
            // `\ No newline at end of file`, and the empty piece after the last newline.
            _ => continue,
        };
        if *budget == 0 {
            file.truncated = true;
            break;
        }
        *budget -= 1;
        let (old_line, new_line) = match kind {
            LineKind::Context => (Some(at.old), Some(at.new)),
            LineKind::Removed => (Some(at.old), None),
            LineKind::Added => (None, Some(at.new)),
        };
        if old_line.is_some() {
            at.old = at.old.saturating_add(1);
            at.old_left = at.old_left.saturating_sub(1);
        }
        if new_line.is_some() {
            at.new = at.new.saturating_add(1);
            at.new_left = at.new_left.saturating_sub(1);
        }
        let content = line.get(1..).unwrap_or_default();
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let text = String::from_utf8_lossy(content).into_owned();
        at.hunk.lines.push(DiffLine { kind, old_line, new_line, text });
    }
    push_hunk(open, file);
}

/// Adds a hunk that has lines to `file` (a hunk cut before its first line is dropped).
fn push_hunk(open: Option<OpenHunk>, file: &mut FileDiff) {
    if let Some(open) = open.filter(|open| !open.hunk.lines.is_empty()) {
        file.hunks.push(open.hunk);
    }
}

/// `(old_start, old_lines, new_start, new_lines)` of `@@ -a[,b] +c[,d] @@…`; a count left out is 1.
fn hunk_range(header: &str) -> Option<(u32, u32, u32, u32)> {
    let (ranges, _) = header.strip_prefix("@@ -")?.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |text: &str| -> Option<(u32, u32)> {
        match text.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let ((old_start, old_lines), (new_start, new_lines)) = (range(old)?, range(new)?);
    Some((old_start, old_lines, new_start, new_lines))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
