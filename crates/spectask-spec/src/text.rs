//! Line scanning shared by every parser: byte offsets, line endings, and the regions that hold no content.
//!
//! A line's `text` never includes its line ending (`\n`, `\r\n` or a lone `\r`), and the first line never
//! includes a UTF-8 byte order mark. Lines inside YAML front matter, fenced code blocks and HTML comments
//! are marked `hidden`: parsers skip them, but they stay in the source untouched.

/// One line of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SourceLine<'a> {
    /// 1-based line number.
    pub number: u32,
    /// Byte offset of `text` in the document.
    pub start: usize,
    pub text: &'a str,
    /// Inside front matter, a code fence (including its delimiters) or an HTML comment.
    pub hidden: bool,
}

/// Splits `text` into lines and marks the hidden ones.
pub(crate) fn scan(text: &str) -> Vec<SourceLine<'_>> {
    let mut lines = split_lines(text);
    mark_front_matter(&mut lines);
    mark_fences_and_comments(&mut lines);
    lines
}

fn split_lines(text: &str) -> Vec<SourceLine<'_>> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut i = start;
    let mut number = 1u32;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => {
                lines.push(SourceLine { number, start, text: &text[start..i], hidden: false });
                i += if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                start = i;
                number = number.saturating_add(1);
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(SourceLine { number, start, text: &text[start..], hidden: false });
    }
    lines
}

/// YAML front matter: `---` as the first non-blank line, closed by a later `---` or `...` line.
fn mark_front_matter(lines: &mut [SourceLine<'_>]) {
    let Some(open) = lines.iter().position(|l| !l.text.trim().is_empty()) else {
        return;
    };
    if lines[open].text.trim_end() != "---" {
        return;
    }
    let close = lines[open + 1..]
        .iter()
        .position(|l| matches!(l.text.trim_end(), "---" | "..."))
        .map(|p| open + 1 + p);
    if let Some(close) = close {
        for line in &mut lines[open..=close] {
            line.hidden = true;
        }
    }
}

fn mark_fences_and_comments(lines: &mut [SourceLine<'_>]) {
    let mut fence: Option<(u8, usize)> = None;
    let mut in_comment = false;
    for line in lines.iter_mut().filter(|l| !l.hidden) {
        let trimmed = line.text.trim_start();
        if let Some((ch, len)) = fence {
            line.hidden = true;
            if closes_fence(trimmed, ch, len) {
                fence = None;
            }
            continue;
        }
        if in_comment {
            line.hidden = true;
            in_comment = !line.text.contains("-->");
            continue;
        }
        if let Some(open) = opens_fence(trimmed) {
            line.hidden = true;
            fence = Some(open);
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("<!--") {
            line.hidden = true;
            in_comment = !rest.contains("-->");
            continue;
        }
        if let Some(at) = line.text.find("<!--") {
            in_comment = !line.text[at + 4..].contains("-->");
        }
    }
}

/// A fence opener: three or more backticks (with no backtick in the info string) or tildes.
fn opens_fence(trimmed: &str) -> Option<(u8, usize)> {
    let ch = *trimmed.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = trimmed.bytes().take_while(|&b| b == ch).count();
    if len < 3 || (ch == b'`' && trimmed[len..].contains('`')) {
        return None;
    }
    Some((ch, len))
}

/// A closing fence uses the opener's character, is at least as long, and has nothing after it.
fn closes_fence(trimmed: &str, ch: u8, open_len: usize) -> bool {
    let len = trimmed.bytes().take_while(|&b| b == ch).count();
    len >= open_len && trimmed[len..].trim().is_empty()
}

/// Leading whitespace of `text` as (columns, bytes); a tab advances to the next multiple of 4 columns.
pub(crate) fn indent(text: &str) -> (usize, usize) {
    let mut cols = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b' ' => cols += 1,
            b'\t' => cols += 4 - cols % 4,
            _ => return (cols, i),
        }
    }
    (cols, text.len())
}

/// An ATX heading: up to three spaces, one to six `#`, then a space or the end of the line.
pub(crate) fn heading(text: &str) -> Option<(usize, &str)> {
    let (cols, bytes) = indent(text);
    if cols > 3 {
        return None;
    }
    let rest = &text[bytes..];
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let title = after.trim().trim_end_matches('#').trim_end();
    Some((level, title))
}

/// Removes Markdown emphasis markers (`*`, `_`) around `text`.
pub(crate) fn strip_emphasis(text: &str) -> &str {
    text.trim().trim_matches(|c| c == '*' || c == '_').trim()
}

/// Whether `haystack` contains `needle`, ignoring ASCII case.
pub(crate) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(text: &str) -> Vec<bool> {
        scan(text).iter().map(|l| l.hidden).collect()
    }

    #[test]
    fn splits_every_line_ending_and_skips_the_bom() {
        let lines = scan("\u{feff}a\r\nb\rc\nd");
        let texts: Vec<_> = lines.iter().map(|l| (l.number, l.start, l.text)).collect();
        assert_eq!(texts, [(1, 3, "a"), (2, 6, "b"), (3, 8, "c"), (4, 10, "d")]);
    }

    #[test]
    fn fences_close_only_on_the_same_character_and_length() {
        assert_eq!(hidden("a\n````md\n```\n~~~\n````\nb"), [false, true, true, true, true, false]);
        assert_eq!(hidden("~~~\n```\n~~~~ \nx"), [true, true, true, false]);
        assert_eq!(hidden("```\nnever closed\n- [ ] 1. x"), [true, true, true]);
    }

    #[test]
    fn comments_and_front_matter_are_hidden_but_a_later_rule_is_not() {
        assert_eq!(
            hidden("\n---\nk: v\n---\nx\n<!--\n- [ ] a\n-->\ny <!-- z\n-->\n---\n"),
            [false, true, true, true, false, true, true, true, false, true, false]
        );
    }

    #[test]
    fn tabs_count_to_the_next_multiple_of_four() {
        assert_eq!(indent("\t- x"), (4, 1));
        assert_eq!(indent("  \t- x"), (4, 3));
        assert_eq!(indent("     "), (5, 5));
    }
}
