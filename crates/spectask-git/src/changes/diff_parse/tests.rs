//! The parser against diffs of real repositories made by the `git` program.

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
    let shape: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.change, f.additions, f.deletions)).collect();
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
    std::fs::set_permissions(repo.path("a.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
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
    let shape: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.old_path.as_deref(), f.change)).collect();
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
        DiffLine { kind: LineKind::Removed, old_line: Some(25), new_line: None, text: "line 25".to_owned() }
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
    let new: String =
        (1..=60).map(|i| if i % 10 == 5 { format!("new {i}\n") } else { format!("line {i}\n") }).collect();
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
