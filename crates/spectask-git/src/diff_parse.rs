//! Reading git's diff output into the implementation review's files and hunks.
//!
//! Two outputs of one diff are read together: `git diff --raw --numstat -z -M` gives each file's
//! exact paths (never quoted with `-z`), its status and its line counts; `git diff -p -M` gives the
//! hunks, one `diff --git` section per file in the same order (a type change is two sections).
//! Hand-written because the parsers on crates.io read plain unified diffs, not git's `-z` records
//! with renames and binary markers; what it reads is small and fixed by git's documentation.

use crate::commit::FileChange;
use crate::review::{DiffLimits, DiffLine, FileDiff, Hunk, LineKind};

/// One file of the `--raw` records: its status letter and paths.
struct RawEntry {
    status: u8,
    old_path: String,
    new_path: String,
}

/// The files of a diff (at most `limits.max_files`, in git's order) and how many were left out.
pub(crate) fn parse_diff(summary: &[u8], patch: &[u8], limits: DiffLimits) -> (Vec<FileDiff>, usize) {
    let (raw, counts) = parse_summary(summary);
    let mut sections = split_sections(patch).into_iter();
    let mut files = Vec::new();
    for (index, entry) in raw.iter().enumerate() {
        // A type change is shown as a deletion and a creation: two sections for one record.
        let mut hunk_text: Vec<&[u8]> = sections.next().into_iter().collect();
        if entry.status == b'T' {
            hunk_text.extend(sections.next());
        }
        if index >= limits.max_files {
            continue;
        }
        let (additions, deletions, binary) = counts.get(index).copied().unwrap_or((0, 0, false));
        let change = match entry.status {
            b'A' => FileChange::Added,
            b'D' => FileChange::Deleted,
            _ => FileChange::Modified,
        };
        let path = if change == FileChange::Deleted { &entry.old_path } else { &entry.new_path };
        let mut file = FileDiff {
            path: path.clone(),
            old_path: (entry.status == b'R').then(|| entry.old_path.clone()),
            change,
            binary,
            additions,
            deletions,
            hunks: Vec::new(),
            truncated: false,
        };
        if !binary {
            let mut budget = limits.max_lines_per_file;
            for text in hunk_text {
                if file.truncated {
                    break;
                }
                read_hunks(text, &mut file, &mut budget);
            }
        }
        files.push(file);
    }
    let left_out = raw.len().saturating_sub(limits.max_files);
    (files, left_out)
}

/// The `--raw` records and, in the same order, the `--numstat` counts (additions, deletions,
/// binary) of a `-z` summary.
fn parse_summary(summary: &[u8]) -> (Vec<RawEntry>, Vec<(usize, usize, bool)>) {
    let mut fields = summary.split(|b| *b == 0).peekable();
    let mut raw = Vec::new();
    let mut counts = Vec::new();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    while let Some(field) = fields.next() {
        if field.is_empty() {
            continue;
        }
        if field.first() == Some(&b':') {
            // `:<mode> <mode> <id> <id> <status><score>`, then one path, or two for a rename or copy.
            let status = field.rsplit(|b| *b == b' ').next().and_then(|s| s.first()).copied().unwrap_or(b'M');
            let first = fields.next().map(text).unwrap_or_default();
            let (old_path, new_path) = if matches!(status, b'R' | b'C') {
                let second = fields.next().map(text).unwrap_or_default();
                (first, second)
            } else {
                (first.clone(), first)
            };
            raw.push(RawEntry { status, old_path, new_path });
            continue;
        }
        // `<additions>\t<deletions>\t<path>`, or with an empty path and two more fields (a rename).
        let mut parts = field.splitn(3, |b| *b == b'\t');
        let (added, deleted, path) = (parts.next(), parts.next(), parts.next());
        let number =
            |part: Option<&[u8]>| std::str::from_utf8(part.unwrap_or_default()).ok()?.parse::<usize>().ok();
        let binary = added == Some(b"-".as_slice());
        counts.push((number(added).unwrap_or(0), number(deleted).unwrap_or(0), binary));
        if path.is_some_and(<[u8]>::is_empty) {
            fields.next();
            fields.next();
        }
    }
    (raw, counts)
}

/// The patch split at each `diff --git ` line (hunk lines start with ' ', '+', '-' or '\', so
/// they never do).
fn split_sections(patch: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut at = 0;
    for line in patch.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"diff --git ") {
            starts.push(at);
        }
        at += line.len();
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, start)| &patch[*start..starts.get(i + 1).copied().unwrap_or(patch.len())])
        .collect()
}

/// Adds the hunks of one section to `file`, at most `budget` lines in all.
fn read_hunks(section: &[u8], file: &mut FileDiff, budget: &mut usize) {
    let mut current: Option<(Hunk, u32, u32)> = None;
    for raw_line in section.split(|b| *b == b'\n') {
        if raw_line.starts_with(b"@@ ") {
            if let Some((hunk, ..)) = current.take() {
                file.hunks.push(hunk);
            }
            let header = String::from_utf8_lossy(raw_line).trim_end().to_owned();
            let Some((old_start, old_lines, new_start, new_lines)) = hunk_range(&header) else { continue };
            let hunk = Hunk { header, old_start, old_lines, new_start, new_lines, lines: Vec::new() };
            current = Some((hunk, old_start, new_start));
            continue;
        }
        let Some((hunk, old, new)) = current.as_mut() else { continue };
        let kind = match raw_line.first() {
            Some(b' ') => LineKind::Context,
            Some(b'+') => LineKind::Added,
            Some(b'-') => LineKind::Removed,
            // "\ No newline at end of file", and the section's end.
            _ => continue,
        };
        if *budget == 0 {
            file.truncated = true;
            break;
        }
        *budget -= 1;
        let content = raw_line.get(1..).unwrap_or_default();
        let text = String::from_utf8_lossy(content).trim_end_matches(['\n', '\r']).to_owned();
        let (old_line, new_line) = match kind {
            LineKind::Context => (Some(*old), Some(*new)),
            LineKind::Removed => (Some(*old), None),
            LineKind::Added => (None, Some(*new)),
        };
        *old += u32::from(old_line.is_some());
        *new += u32::from(new_line.is_some());
        hunk.lines.push(DiffLine { kind, old_line, new_line, text });
    }
    if let Some((hunk, ..)) = current {
        file.hunks.push(hunk);
    }
}

/// `(old_start, old_lines, new_start, new_lines)` of `@@ -a[,b] +c[,d] @@…` (a count left out is 1).
fn hunk_range(header: &str) -> Option<(u32, u32, u32, u32)> {
    let ranges = header.strip_prefix("@@ -")?.split(" @@").next()?;
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
mod tests {
    use super::*;

    #[test]
    fn hunk_ranges_are_read_with_and_without_counts() {
        assert_eq!(hunk_range("@@ -3,4 +3,5 @@ fn main() {"), Some((3, 4, 3, 5)));
        assert_eq!(hunk_range("@@ -3 +3 @@"), Some((3, 1, 3, 1)));
        assert_eq!(hunk_range("@@ -0,0 +1,2 @@"), Some((0, 0, 1, 2)));
        assert_eq!(hunk_range("@@ nonsense"), None);
    }

    #[test]
    fn malformed_input_gives_no_files_and_no_panic() {
        let limits = DiffLimits::default();
        for (summary, patch) in [
            (&b""[..], &b""[..]),
            (b":100644", b"diff --git a b\n@@ -x +y @@\n+z\n"),
            (b"1\t2\t\0", b"@@ -1 +1 @@\n"),
            (b":1 2 3 4 R100\0only-one", b"diff --git \n"),
        ] {
            let (files, left) = parse_diff(summary, patch, limits);
            assert!(files.len() <= 1 && left == 0, "{files:?}");
        }
    }

    #[test]
    fn a_rename_and_a_binary_file_are_read_from_the_summary() {
        let summary = b":100644 100644 aaa bbb R090\0old name.txt\0new name.txt\0:100644 100644 ccc ddd M\0img.png\x001\t1\t\0old name.txt\0new name.txt\0-\t-\timg.png\0";
        let patch = b"diff --git a/old name.txt b/new name.txt\nsimilarity index 90%\nrename from old name.txt\nrename to new name.txt\n--- a/old name.txt\n+++ b/new name.txt\n@@ -1,2 +1,2 @@\n keep\n-old\n+new\ndiff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n";
        let (files, left) = parse_diff(summary, patch, DiffLimits::default());
        assert_eq!(left, 0);
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[0].path.as_str(), files[0].old_path.as_deref()),
            ("new name.txt", Some("old name.txt"))
        );
        assert_eq!((files[0].additions, files[0].deletions), (1, 1));
        let lines: Vec<_> =
            files[0].hunks[0].lines.iter().map(|l| (l.kind, l.old_line, l.new_line)).collect();
        assert_eq!(
            lines,
            [
                (LineKind::Context, Some(1), Some(1)),
                (LineKind::Removed, Some(2), None),
                (LineKind::Added, None, Some(2))
            ]
        );
        assert!(files[1].binary && files[1].hunks.is_empty());
    }
}
