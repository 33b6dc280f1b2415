//! Numbered headings that are tasks: `## 1. Setup` over `- [ ] 1.1 …` checkboxes (cc-sdd users and
//! OpenSpec write top-level tasks this way), or `### Task 2: Parser` over any checkboxes.

use std::collections::HashMap;

use super::parse::{Checkbox, checkbox, split_id};
use crate::text::{SourceLine, heading, strip_emphasis};

/// A heading that is a task: its id and title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HeadingPlanTask<'a> {
    pub id: &'a str,
    pub title: &'a str,
}

/// The task headings of a document, by line number.
pub(super) fn task_headings<'a>(lines: &[SourceLine<'a>]) -> HashMap<u32, HeadingPlanTask<'a>> {
    let visible: Vec<&SourceLine<'a>> = lines.iter().filter(|l| !l.hidden).collect();
    let mut found = HashMap::new();
    for (at, line) in visible.iter().enumerate() {
        let Some((level, title)) = heading(line.text) else {
            continue;
        };
        let Some((task_word, id, title)) = numbered(title) else {
            continue;
        };
        let prefix = format!("{id}.");
        let mut below = visible[at + 1..].iter().map_while(|l| match heading(l.text) {
            Some((deeper, _)) if deeper > level => Some((false, *l)),
            Some(_) => None,
            None => Some((true, *l)),
        });
        // A `Task N` heading owns the checkboxes right under it; a plain number needs its sub-ids.
        let is_task = below.any(|(direct, l)| match checkbox(l) {
            Some(Checkbox::Item(item)) => {
                let sub_id = split_id(item.rest).0.is_some_and(|sub| sub.starts_with(&prefix));
                sub_id || task_word && direct
            }
            _ => false,
        });
        if is_task {
            found.insert(line.number, HeadingPlanTask { id, title });
        }
    }
    found
}

/// `1. Setup`, `1 Setup`, `2.1: Parser`, `Task 3 - Docs`, `**1.** Setup`: (says "Task", id, title).
fn numbered(title: &str) -> Option<(bool, &str, &str)> {
    let title = title.trim();
    let (task_word, rest) = match title.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("task ") => (true, title[5..].trim_start()),
        _ => (false, title),
    };
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let word = strip_emphasis(&rest[..end]).trim_end_matches([':', '.']);
    let numeric =
        !word.is_empty() && word.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !numeric {
        return None;
    }
    let name = rest[end..].trim_start_matches([' ', '\t', ':', '-', '–', '—', '*']).trim();
    let id_at = word.as_ptr() as usize - title.as_ptr() as usize;
    Some((task_word, &title[id_at..id_at + word.len()], name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::scan;

    fn headings(text: &str) -> Vec<(u32, &str, &str)> {
        let lines = scan(text);
        let mut found: Vec<_> =
            task_headings(&lines).into_iter().map(|(line, h)| (line, h.id, h.title)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn numbered_headings_with_their_sub_ids_are_tasks() {
        let text = "# Plan\n## 1. Setup\n- [ ] 1.1 Repo\n## 2. Notes\n- [ ] Write notes\n### Task 3: Docs\n- [ ] Readme\n## 4 Parser\n### Details\n- [x] 4.1 Lexer\n## 5. Later\n## Phase 6\n- [ ] 5.1 Too late\n";
        assert_eq!(headings(text), [(2, "1", "Setup"), (6, "3", "Docs"), (8, "4", "Parser")]);
    }

    #[test]
    fn titles_and_ids_are_read_in_every_form() {
        assert_eq!(numbered("1. Setup"), Some((false, "1", "Setup")));
        assert_eq!(numbered("**2.1:** Parser"), Some((false, "2.1", "Parser")));
        assert_eq!(numbered("Task 3 - Docs"), Some((true, "3", "Docs")));
        assert_eq!(numbered("Phase 1"), None);
        assert_eq!(numbered("1.x Setup"), None);
    }
}
