//! One file change of an agent, as `code-changes.md` shows it: a unified diff with three lines of
//! context (by `similar`), bounded in size and in the time spent diffing, saying when it was cut.
//! The whole change is always in the session's commit; this is the reader's view of it.

use std::time::Duration;

use similar::TextDiff;

/// The most of one diff written to the history (a cut diff ends at a line break before it).
const MAX_DIFF_BYTES: usize = 32 * 1024;
/// Texts longer than this are not diffed at all: the history names their sizes instead.
const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Past this the diff algorithm settles for a coarser (still correct) diff.
const DIFF_DEADLINE: Duration = Duration::from_millis(200);
/// Lines of unchanged context around each change.
const CONTEXT_LINES: usize = 3;

/// The history block of one change of `path` from `old` (`None`: a new file) to `new`.
pub(crate) fn code_change(path: &str, old: Option<&str>, new: &str) -> String {
    let old_len = old.map_or(0, str::len);
    if old_len > MAX_INPUT_BYTES || new.len() > MAX_INPUT_BYTES {
        return format!(
            "(not shown: {old_len} bytes before, {} bytes after, more than {MAX_INPUT_BYTES} bytes to diff; \
             the whole change is in the commit)\n",
            new.len()
        );
    }
    let diff = TextDiff::configure().timeout(DIFF_DEADLINE).diff_lines(old.unwrap_or(""), new);
    let from = if old.is_some() { format!("a/{path}") } else { "/dev/null".to_owned() };
    let text =
        diff.unified_diff().context_radius(CONTEXT_LINES).header(&from, &format!("b/{path}")).to_string();
    if text.is_empty() {
        return "(no change to the text)\n".to_owned();
    }
    let text = bounded(text);
    let fence = "`".repeat(longest_backtick_run(&text).max(2) + 1);
    format!("{fence}diff\n{text}{fence}\n")
}

/// `text` up to [`MAX_DIFF_BYTES`], cut after a whole line, with a last line saying how much is shown.
fn bounded(text: String) -> String {
    if text.len() <= MAX_DIFF_BYTES {
        return text;
    }
    let total = text.lines().count();
    let cut = text[..MAX_DIFF_BYTES].rfind('\n').map_or(0, |i| i + 1);
    let mut shown = text[..cut].to_owned();
    let kept = shown.lines().count();
    shown.push_str(&format!(
        "… diff cut after {kept} of {total} lines ({MAX_DIFF_BYTES} bytes); the whole change is in the commit\n"
    ));
    shown
}

/// So that a fence around the diff is longer than any run of backticks inside it.
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_a_unified_diff_with_context() {
        let old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
        let new = "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\nnine\n";
        let block = code_change("src/n.txt", Some(old), new);
        assert_eq!(
            block,
            "```diff\n--- a/src/n.txt\n+++ b/src/n.txt\n@@ -2,7 +2,7 @@\n two\n three\n four\n-five\n+FIVE\n six\n seven\n eight\n```\n"
        );
    }

    #[test]
    fn a_new_file_is_diffed_against_dev_null() {
        let block = code_change("a.rs", None, "fn a() {}\n");
        assert_eq!(block, "```diff\n--- /dev/null\n+++ b/a.rs\n@@ -0,0 +1 @@\n+fn a() {}\n```\n");
        assert_eq!(code_change("a.rs", Some("x\n"), "x\n"), "(no change to the text)\n");
    }

    #[test]
    fn a_large_diff_is_cut_at_a_line_and_says_so() {
        let new: String = (0..5000).map(|i| format!("line {i} of a generated file\n")).collect();
        let block = code_change("big.txt", None, &new);
        assert!(block.len() < MAX_DIFF_BYTES + 200, "{} bytes", block.len());
        let last = block.lines().rev().nth(1).unwrap();
        assert!(last.starts_with("… diff cut after ") && last.contains(" of 5003 lines"), "{last}");
        assert!(
            block
                .lines()
                .filter(|l| l.starts_with('+'))
                .all(|l| l.ends_with(" of a generated file") || l.starts_with("+++"))
        );
    }

    #[test]
    fn huge_texts_are_not_diffed() {
        let huge = "x".repeat(MAX_INPUT_BYTES + 1);
        assert!(code_change("h.bin", Some("a"), &huge).starts_with("(not shown: 1 bytes before"));
    }

    #[test]
    fn backticks_in_the_diff_lengthen_the_fence() {
        let block = code_change("README.md", None, "```rust\nfn a() {}\n```\n");
        assert!(block.starts_with("````diff\n") && block.ends_with("\n````\n"), "{block}");
    }
}
