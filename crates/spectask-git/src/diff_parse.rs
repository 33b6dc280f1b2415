//! Reads git's diff output into the review's files, hunks and lines.
//!
//! Two outputs of one diff are read together. `git diff --raw --numstat -z -M` gives each file's
//! status, its exact paths (never quoted with `-z`) and its line counts over the whole file.
//! `git diff -p -M` gives the hunks: one `diff --git` section per file, in the same order.
//! It is hand-written because no crate on crates.io reads the `-z` summary: the patch parsers
//! there (`patch`, `gitpatch`, `unidiff`, `diffy`) read the patch text alone, where paths may be
//! quoted and binary files have no counts. With the summary read, only the hunks are left, and
//! their format is small and documented by git.

use crate::commit::FileChange;
use crate::review::{DiffLimits, DiffLine, FileDiff, Hunk, LineKind};

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
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    /// A throwaway repository driven by the `git` program, free of the user's configuration.
    struct Repo {
        dir: tempfile::TempDir,
    }

    impl Repo {
        fn new() -> Self {
            let repo = Repo { dir: tempfile::tempdir().unwrap() };
            repo.git(&["init", "-q"]);
            repo
        }

        fn git(&self, args: &[&str]) -> Vec<u8> {
            let output = Command::new("git")
                .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
                .args(args)
                .current_dir(self.dir.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .unwrap();
            assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
            output.stdout
        }

        fn write(&self, path: &str, content: &[u8]) {
            let path = self.dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }

        fn remove(&self, path: &str) {
            std::fs::remove_file(self.dir.path().join(path)).unwrap();
        }

        fn path(&self, path: &str) -> std::path::PathBuf {
            self.dir.path().join(path)
        }

        fn commit(&self) -> String {
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", "change"]);
            String::from_utf8(self.git(&["rev-parse", "HEAD"])).unwrap().trim().to_owned()
        }

        /// The two outputs the review reads, for `base..head`.
        fn outputs(&self, base: &str, head: &str) -> (Vec<u8>, Vec<u8>) {
            let summary = self.git(&["diff", "--raw", "--numstat", "-z", "-M", "--no-color", base, head]);
            let patch = self.git(&[
                "diff",
                "-p",
                "-M",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "-U3",
                base,
                head,
            ]);
            (summary, patch)
        }

        fn diff(&self, base: &str, head: &str, limits: DiffLimits) -> (Vec<FileDiff>, usize) {
            let (summary, patch) = self.outputs(base, head);
            parse_diff(&summary, &patch, limits)
        }
    }

    fn limits() -> DiffLimits {
        DiffLimits { max_files: 300, max_lines_per_file: 2_000 }
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| l.trim_end_matches('\r').to_owned()).collect()
    }

    /// Every line's numbers point at the same text in the old and the new file.
    fn assert_numbers_match(file: &FileDiff, old: &str, new: &str) {
        let (old, new) = (lines(old), lines(new));
        for line in file.hunks.iter().flat_map(|h| &h.lines) {
            if let Some(n) = line.old_line {
                assert_eq!(old[n as usize - 1], line.text, "{line:?}");
            }
            if let Some(n) = line.new_line {
                assert_eq!(new[n as usize - 1], line.text, "{line:?}");
            }
            let expected = match line.kind {
                LineKind::Context => (true, true),
                LineKind::Removed => (true, false),
                LineKind::Added => (false, true),
            };
            assert_eq!((line.old_line.is_some(), line.new_line.is_some()), expected, "{line:?}");
        }
    }

    fn summary_of(file: &FileDiff) -> Vec<(LineKind, Option<u32>, Option<u32>, &str)> {
        file.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .map(|l| (l.kind, l.old_line, l.new_line, l.text.as_str()))
            .collect()
    }

    #[test]
    fn added_modified_and_deleted_files() {
        let repo = Repo::new();
        repo.write("keep.txt", b"a\nb\nc\n");
        repo.write("gone.txt", b"x\ny\n");
        let base = repo.commit();
        repo.write("keep.txt", b"a\nB\nc\n");
        repo.remove("gone.txt");
        repo.write("new.txt", b"first\nsecond\n");
        let head = repo.commit();

        let (files, left_out) = repo.diff(&base, &head, limits());
        assert_eq!(left_out, 0);
        let shape: Vec<_> =
            files.iter().map(|f| (f.path.as_str(), f.change, f.additions, f.deletions)).collect();
        assert_eq!(
            shape,
            [
                ("gone.txt", FileChange::Deleted, 0, 2),
                ("keep.txt", FileChange::Modified, 1, 1),
                ("new.txt", FileChange::Added, 2, 0),
            ]
        );
        assert!(files.iter().all(|f| !f.binary && !f.truncated && f.old_path.is_none()));
        assert_eq!(
            summary_of(&files[0]),
            [(LineKind::Removed, Some(1), None, "x"), (LineKind::Removed, Some(2), None, "y")]
        );
        assert_eq!(files[0].hunks[0].header, "@@ -1,2 +0,0 @@");
        assert_eq!(
            summary_of(&files[1]),
            [
                (LineKind::Context, Some(1), Some(1), "a"),
                (LineKind::Removed, Some(2), None, "b"),
                (LineKind::Added, None, Some(2), "B"),
                (LineKind::Context, Some(3), Some(3), "c"),
            ]
        );
        let hunk = &files[1].hunks[0];
        assert_eq!((hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines), (1, 3, 1, 3));
        assert_eq!(
            summary_of(&files[2]),
            [(LineKind::Added, None, Some(1), "first"), (LineKind::Added, None, Some(2), "second")]
        );
    }

    #[test]
    fn a_rename_with_an_edit_keeps_both_paths() {
        let repo = Repo::new();
        let old: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        repo.write("old.txt", old.as_bytes());
        let base = repo.commit();
        let new = old.replace("line 10", "line ten");
        repo.remove("old.txt");
        repo.write("new.txt", new.as_bytes());
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        assert_eq!(files.len(), 1);
        let file = &files[0];
        assert_eq!((file.path.as_str(), file.old_path.as_deref()), ("new.txt", Some("old.txt")));
        assert_eq!((file.change, file.additions, file.deletions), (FileChange::Modified, 1, 1));
        assert_eq!(file.hunks.len(), 1);
        assert_eq!(file.hunks[0].header, "@@ -7,4 +7,4 @@ line 6");
        assert_numbers_match(file, &old, &new);
    }

    #[test]
    fn a_pure_rename_a_mode_change_and_an_empty_file_have_no_hunks() {
        let repo = Repo::new();
        repo.write("a.sh", b"echo a\n");
        repo.write("b.txt", b"some text\nmore\n");
        repo.write("z.txt", b"z\n");
        let base = repo.commit();
        std::fs::rename(repo.path("b.txt"), repo.path("c.txt")).unwrap();
        std::fs::set_permissions(repo.path("a.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        repo.write("empty", b"");
        repo.write("z.txt", b"y\n");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        let shape: Vec<_> =
            files.iter().map(|f| (f.path.as_str(), f.old_path.as_deref(), f.change, f.hunks.len())).collect();
        assert_eq!(
            shape,
            [
                ("a.sh", None, FileChange::Modified, 0),
                ("c.txt", Some("b.txt"), FileChange::Modified, 0),
                ("empty", None, FileChange::Added, 0),
                ("z.txt", None, FileChange::Modified, 1),
            ]
        );
        assert_eq!(summary_of(&files[3])[1], (LineKind::Added, None, Some(1), "y"));
    }

    #[test]
    fn a_type_change_reads_both_of_its_sections() {
        let repo = Repo::new();
        repo.write("target.txt", b"t\n");
        repo.write("tc", b"plain\n");
        repo.write("z.txt", b"z\n");
        let base = repo.commit();
        repo.remove("tc");
        std::os::unix::fs::symlink("target.txt", repo.path("tc")).unwrap();
        repo.write("z.txt", b"zz\n");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        assert_eq!(files.len(), 2);
        assert_eq!((files[0].path.as_str(), files[0].change), ("tc", FileChange::Modified));
        assert_eq!(
            summary_of(&files[0]),
            [(LineKind::Removed, Some(1), None, "plain"), (LineKind::Added, None, Some(1), "target.txt")]
        );
        assert_eq!(files[1].path, "z.txt");
        assert_eq!(
            summary_of(&files[1]),
            [(LineKind::Removed, Some(1), None, "z"), (LineKind::Added, None, Some(1), "zz")]
        );
    }

    #[test]
    fn binary_files_have_no_hunks_and_no_counts() {
        let repo = Repo::new();
        repo.write("blob.bin", b"\x00\x01\x02binary");
        let base = repo.commit();
        repo.write("blob.bin", b"\x00\x01\x03binary, changed");
        repo.write("new.bin", b"\x00\xff");
        repo.write("text.txt", b"text\n");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        let shape: Vec<_> =
            files.iter().map(|f| (f.path.as_str(), f.change, f.binary, f.additions, f.hunks.len())).collect();
        assert_eq!(
            shape,
            [
                ("blob.bin", FileChange::Modified, true, 0, 0),
                ("new.bin", FileChange::Added, true, 0, 0),
                ("text.txt", FileChange::Added, false, 1, 1),
            ]
        );
    }

    #[test]
    fn blank_context_lines_written_as_nothing_still_count() {
        let repo = Repo::new();
        let old = "a\n\nb\n\nc\n";
        repo.write("f.txt", old.as_bytes());
        let base = repo.commit();
        let new = "a\n\nB\n\nc\n";
        repo.write("f.txt", new.as_bytes());
        let head = repo.commit();

        let (plain, _) = repo.diff(&base, &head, limits());
        repo.git(&["config", "diff.suppressBlankEmpty", "true"]);
        let (summary, patch) = repo.outputs(&base, &head);
        assert!(patch.windows(3).any(|w| w == b"a\n\n"), "git wrote the blank line as nothing");
        let (files, _) = parse_diff(&summary, &patch, limits());
        assert_eq!(files, plain);
        assert_eq!(files[0].hunks[0].lines.len(), 6);
        assert_numbers_match(&files[0], old, new);
    }

    #[test]
    fn a_missing_final_newline_adds_no_line() {
        let repo = Repo::new();
        repo.write("f.txt", b"a\nb");
        let base = repo.commit();
        repo.write("f.txt", b"a\nc");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        assert_eq!(
            summary_of(&files[0]),
            [
                (LineKind::Context, Some(1), Some(1), "a"),
                (LineKind::Removed, Some(2), None, "b"),
                (LineKind::Added, None, Some(2), "c"),
            ]
        );
        assert_eq!((files[0].additions, files[0].deletions), (1, 1));
    }

    #[test]
    fn crlf_lines_lose_their_end_of_line_and_invalid_utf8_is_replaced() {
        let repo = Repo::new();
        repo.write("crlf.txt", b"one\r\ntwo\r\nthree\r\n");
        repo.write("latin1.txt", b"caf\xe9\n");
        let base = repo.commit();
        repo.write("crlf.txt", b"one\r\nTWO\r\nthree\r\n");
        repo.write("latin1.txt", b"caf\xe9 au lait\n");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        assert_eq!(
            summary_of(&files[0]),
            [
                (LineKind::Context, Some(1), Some(1), "one"),
                (LineKind::Removed, Some(2), None, "two"),
                (LineKind::Added, None, Some(2), "TWO"),
                (LineKind::Context, Some(3), Some(3), "three"),
            ]
        );
        assert_eq!(
            summary_of(&files[1]),
            [
                (LineKind::Removed, Some(1), None, "caf\u{fffd}"),
                (LineKind::Added, None, Some(1), "caf\u{fffd} au lait")
            ]
        );
    }

    #[test]
    fn paths_with_spaces_tabs_and_non_ascii_are_exact() {
        let repo = Repo::new();
        let moved = "dir é/old\tname ü.txt";
        let body: String = (1..=8).map(|i| format!("row {i}\n")).collect();
        repo.write(moved, body.as_bytes());
        repo.write("plain.txt", b"p\n");
        let base = repo.commit();
        repo.remove(moved);
        repo.write("dir é/new name \"ü\".txt", body.replace("row 8", "row eight").as_bytes());
        repo.write("a b/ñ\t.txt", b"hola\n");
        repo.write("plain.txt", b"q\n");
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        let shape: Vec<_> =
            files.iter().map(|f| (f.path.as_str(), f.old_path.as_deref(), f.change)).collect();
        assert_eq!(
            shape,
            [
                ("a b/ñ\t.txt", None, FileChange::Added),
                ("dir é/new name \"ü\".txt", Some(moved), FileChange::Modified),
                ("plain.txt", None, FileChange::Modified),
            ]
        );
        assert_eq!(summary_of(&files[0]), [(LineKind::Added, None, Some(1), "hola")]);
        assert_eq!(files[1].hunks.len(), 1);
        assert_eq!((files[1].additions, files[1].deletions), (1, 1));
        assert_eq!(summary_of(&files[2])[1], (LineKind::Added, None, Some(1), "q"));
    }

    #[test]
    fn line_numbers_follow_across_two_hunks() {
        let repo = Repo::new();
        let old: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        repo.write("f.txt", old.as_bytes());
        let base = repo.commit();
        let new = old.replace("line 5\n", "line 5\ninserted\n").replace("line 25\n", "line twenty-five\n");
        repo.write("f.txt", new.as_bytes());
        let head = repo.commit();

        let (files, _) = repo.diff(&base, &head, limits());
        let file = &files[0];
        let ranges: Vec<_> =
            file.hunks.iter().map(|h| (h.old_start, h.old_lines, h.new_start, h.new_lines)).collect();
        assert_eq!(ranges, [(3, 6, 3, 7), (22, 7, 23, 7)]);
        assert_eq!(file.hunks[1].header, "@@ -22,7 +23,7 @@ line 21");
        assert_eq!(
            file.hunks[1].lines[3],
            DiffLine {
                kind: LineKind::Removed,
                old_line: Some(25),
                new_line: None,
                text: "line 25".to_owned()
            }
        );
        assert_eq!(file.hunks[1].lines[4].new_line, Some(26));
        assert_numbers_match(file, &old, &new);
    }

    #[test]
    fn lines_past_the_budget_are_left_out_but_counts_stay_whole() {
        let repo = Repo::new();
        let old: String = (1..=60).map(|i| format!("line {i}\n")).collect();
        repo.write("f.txt", old.as_bytes());
        repo.write("g.txt", b"g\n");
        let base = repo.commit();
        // Every tenth line changes: six hunks of 1 + 1 + up to 6 context lines.
        let new: String = (1..=60)
            .map(|i| if i % 10 == 5 { format!("new {i}\n") } else { format!("line {i}\n") })
            .collect();
        repo.write("f.txt", new.as_bytes());
        repo.write("g.txt", b"h\n");
        let head = repo.commit();

        let (whole, _) = repo.diff(&base, &head, limits());
        let total: usize = whole[0].hunks.iter().map(|h| h.lines.len()).sum();
        assert_eq!((whole[0].hunks.len(), total, whole[0].truncated), (6, 48, false));

        let (exact, _) = repo.diff(&base, &head, DiffLimits { max_files: 300, max_lines_per_file: 48 });
        assert_eq!(exact[0], whole[0]);

        let (files, _) = repo.diff(&base, &head, DiffLimits { max_files: 300, max_lines_per_file: 12 });
        let file = &files[0];
        assert!(file.truncated);
        assert_eq!((file.additions, file.deletions), (6, 6));
        assert_eq!(file.hunks.iter().map(|h| h.lines.len()).collect::<Vec<_>>(), [8, 4]);
        assert_eq!(
            file.hunks[1],
            Hunk { lines: whole[0].hunks[1].lines[..4].to_vec(), ..whole[0].hunks[1].clone() }
        );
        assert_eq!(files[1], whole[1], "the next file has a budget of its own");

        let (files, _) = repo.diff(&base, &head, DiffLimits { max_files: 300, max_lines_per_file: 8 });
        assert_eq!((files[0].hunks.len(), files[0].truncated), (1, true), "no hunk without lines");

        let (files, _) = repo.diff(&base, &head, DiffLimits { max_files: 300, max_lines_per_file: 0 });
        assert!(files.iter().all(|f| f.truncated && f.hunks.is_empty()));
        assert_eq!((files[0].additions, files[0].deletions), (6, 6));
    }

    #[test]
    fn files_past_max_files_are_counted() {
        let repo = Repo::new();
        let base = repo.commit();
        for name in ["a", "b", "c", "d", "e"] {
            repo.write(name, format!("{name}\n").as_bytes());
        }
        let head = repo.commit();

        let (files, left_out) = repo.diff(&base, &head, DiffLimits { max_files: 2, max_lines_per_file: 100 });
        assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(left_out, 3);
        assert_eq!(summary_of(&files[1]), [(LineKind::Added, None, Some(1), "b")]);

        let (files, left_out) = repo.diff(&base, &head, DiffLimits { max_files: 0, max_lines_per_file: 100 });
        assert_eq!((files.len(), left_out), (0, 5));
        let (files, left_out) = repo.diff(&base, &head, DiffLimits { max_files: 9, max_lines_per_file: 100 });
        assert_eq!((files.len(), left_out), (5, 0));
        let (files, left_out) = repo.diff(&base, &base, limits());
        assert_eq!((files.len(), left_out), (0, 0));
    }

    #[test]
    fn hunk_ranges_are_read_with_and_without_counts() {
        assert_eq!(hunk_range("@@ -3,4 +3,5 @@ fn main() {"), Some((3, 4, 3, 5)));
        assert_eq!(hunk_range("@@ -3 +3 @@"), Some((3, 1, 3, 1)));
        assert_eq!(hunk_range("@@ -0,0 +1,2 @@"), Some((0, 0, 1, 2)));
        assert_eq!(hunk_range("@@ -1,x +1 @@"), None);
        assert_eq!(hunk_range("@@ nonsense"), None);
    }

    #[test]
    fn malformed_input_does_not_panic() {
        let small = || DiffLimits { max_files: 300, max_lines_per_file: 3 };
        for (summary, patch) in [
            (&b""[..], &b""[..]),
            (b"\0\0\0", b"\n\n"),
            (b":", b"diff --git "),
            (b":100644", b"diff --git a b\n@@ -x +y @@\n+z\n"),
            (b":1 2 3 4 R100\0only-one", b"diff --git \n@@ -1 +1 @@\n"),
            (b"1\t2\t\0", b"@@ -1 +1 @@\n+a\n"),
            (b"-\t-", b"diff --git a b\n@@ -4294967295 +4294967295 @@\n a\n b\n"),
            (b":777777777777 1 x y T\0p\0", b"diff --git \n@@ -1 +1 @@\n+\xff\r\r\n\\\n-\n"),
            (b"x\ty\tz\0:\0:\0", b"@@ -1 +1 @@\ndiff --git\n+a\n"),
        ] {
            let (files, left_out) = parse_diff(summary, patch, small());
            assert!(files.len() <= 2 && left_out == 0, "{files:?}");
        }

        // Every prefix of real output, and real output with bytes knocked out.
        let repo = Repo::new();
        repo.write("a.txt", b"1\n2\n3\n4\n");
        repo.write("b.txt", b"b\n");
        let base = repo.commit();
        repo.write("a.txt", b"1\ntwo\n3\n4\nfive\n");
        std::fs::rename(repo.path("b.txt"), repo.path("c d.txt")).unwrap();
        repo.write("bin", b"\x00\x01");
        let head = repo.commit();
        let (summary, patch) = repo.outputs(&base, &head);
        for cut in 0..=summary.len().max(patch.len()) {
            let s = &summary[..cut.min(summary.len())];
            let p = &patch[..cut.min(patch.len())];
            parse_diff(s, &patch, small());
            parse_diff(&summary, p, small());
            parse_diff(s, p, small());
            let mut holed = patch.clone();
            holed.remove(cut.min(holed.len() - 1));
            parse_diff(&summary, &holed, small());
            let mut holed = summary.clone();
            holed.remove(cut.min(holed.len() - 1));
            parse_diff(&holed, &patch, small());
        }
        let (files, _) = parse_diff(&summary, &patch, small());
        assert_eq!(files.len(), 3);
        assert!(Path::new(&files[2].path).ends_with("c d.txt"));
    }
}
