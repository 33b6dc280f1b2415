//! `design.md`: its headed sections with line numbers and body text, looked up by name.
//!
//! Headings inside code fences (a `# comment` in a shell sample) are not sections.

use serde::Serialize;

use crate::text::{heading, scan};

/// A parsed `design.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DesignDoc {
    /// The level-1 heading (`Design Document: Feature`).
    pub title: Option<String>,
    /// Every heading below level 1, in document order.
    pub sections: Vec<DesignSection>,
}

/// One heading and the text under it, up to the next heading of the same or a higher level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DesignSection {
    pub title: String,
    pub level: usize,
    /// 1-based line of the heading.
    pub line: u32,
    /// Last line of the section's body (the heading's line when the body is empty).
    pub end_line: u32,
    /// The body as written (sub-sections included), without the heading line.
    pub body: String,
}

/// The sections Kiro's design prompt asks for.
pub const REQUIRED_SECTIONS: [&str; 6] = [
    "Overview",
    "Architecture",
    "Components and Interfaces",
    "Data Models",
    "Error Handling",
    "Testing Strategy",
];

pub fn parse_design(text: &str) -> DesignDoc {
    let lines = scan(text);
    let headings: Vec<(usize, usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.hidden)
        .filter_map(|(i, l)| heading(l.text).map(|(level, title)| (i, level, title)))
        .collect();
    let mut doc = DesignDoc::default();
    for (k, &(at, level, title)) in headings.iter().enumerate() {
        if level == 1 {
            doc.title.get_or_insert_with(|| title.to_owned());
            continue;
        }
        let end = headings[k + 1..].iter().find(|&&(_, l, _)| l <= level).map_or(lines.len(), |&(i, _, _)| i);
        let body = match (lines.get(at + 1), lines.get(end.saturating_sub(1))) {
            (Some(first), Some(last)) if end > at + 1 => {
                text[first.start..last.start + last.text.len()].to_owned()
            }
            _ => String::new(),
        };
        let end_line = lines.get(end.saturating_sub(1)).map_or(lines[at].number, |l| l.number);
        doc.sections.push(DesignSection {
            title: title.to_owned(),
            level,
            line: lines[at].number,
            end_line: end_line.max(lines[at].number),
            body: body.trim_end().to_owned(),
        });
    }
    doc
}

impl DesignDoc {
    /// The first section whose title matches `name`, ignoring case, a leading number (`2. `) and a
    /// trailing colon; shallower sections win over deeper ones.
    pub fn section(&self, name: &str) -> Option<&DesignSection> {
        let wanted = normalise(name);
        let mut matching: Vec<&DesignSection> =
            self.sections.iter().filter(|s| normalise(&s.title) == wanted).collect();
        matching.sort_by_key(|s| s.level);
        matching.first().copied()
    }

    /// The body of the section named `name` (see [`DesignDoc::section`]).
    pub fn section_text(&self, name: &str) -> Option<&str> {
        self.section(name).map(|s| s.body.as_str())
    }

    /// The components the design names: the sections one level under *Components and Interfaces*.
    pub fn components(&self) -> impl Iterator<Item = &DesignSection> {
        let parent = self.section("Components and Interfaces");
        self.sections.iter().filter(move |s| {
            parent.is_some_and(|p| s.level == p.level + 1 && s.line > p.line && s.line <= p.end_line)
        })
    }

    /// The required sections (Kiro's design prompt) that no section covers. A section covers one when
    /// its title has one of the words real designs use for it: `Testing` or `Test Plan` covers Testing
    /// Strategy, `Components` or `API` covers Components and Interfaces, `Error Handling Strategy` or
    /// `Errors` covers Error Handling, and so on.
    pub fn missing_sections(&self) -> Vec<&'static str> {
        let titles: Vec<String> = self.sections.iter().map(|s| normalise(&s.title)).collect();
        REQUIRED_SECTIONS
            .into_iter()
            .zip(SECTION_WORDS)
            .filter(|(_, words)| !titles.iter().any(|t| words.iter().any(|w| t.contains(w))))
            .map(|(name, _)| name)
            .collect()
    }
}

/// For each of [`REQUIRED_SECTIONS`], the title words that cover it.
const SECTION_WORDS: [&[&str]; 6] = [
    &["overview", "summary", "introduction", "purpose"],
    &["architecture"],
    &["component", "interface", "module", "api"],
    &["data model", "model", "schema", "data structure", "entities", "types"],
    &["error"],
    &["test", "verification"],
];

/// A component's name as other documents mention it: `2. Reminder Scheduler (src/reminders.rs)` is
/// `reminderscheduler` (see [`squash`]).
pub(crate) fn component_key(title: &str) -> String {
    let title = title.split(['(', ':']).next().unwrap_or_default();
    squash(title.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'))
}

/// Letters and digits only, lower case: `Reminder_Scheduler` and `reminder scheduler` are one.
pub(crate) fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn normalise(title: &str) -> String {
    let title = title.trim().trim_end_matches(':');
    let title = title.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.').trim();
    title.replace('&', "and").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN: &str = "# Design Document: Auth\n\n## Overview\nJWT login.\n\n## Architecture\n\n```sh\n# not a heading\n```\n### Token flow\nA then B.\n## 3. Data Models:\n## Error Handling\n";

    #[test]
    fn sections_have_lines_and_bodies() {
        let doc = parse_design(DESIGN);
        assert_eq!(doc.title.as_deref(), Some("Design Document: Auth"));
        let found: Vec<_> =
            doc.sections.iter().map(|s| (s.title.as_str(), s.level, s.line, s.end_line)).collect();
        assert_eq!(
            found,
            [
                ("Overview", 2, 3, 5),
                ("Architecture", 2, 6, 12),
                ("Token flow", 3, 11, 12),
                ("3. Data Models:", 2, 13, 13),
                ("Error Handling", 2, 14, 14)
            ]
        );
        assert_eq!(doc.section_text("overview"), Some("JWT login."));
        assert_eq!(
            doc.section_text("Architecture"),
            Some("\n```sh\n# not a heading\n```\n### Token flow\nA then B.")
        );
        assert_eq!(doc.section_text("data models"), Some(""));
        assert_eq!(doc.missing_sections(), ["Components and Interfaces", "Testing Strategy"]);
        let loose = parse_design(
            "## Summary\n## System Architecture\n## Components\n## Data Model\n## Errors\n## Test Plan\n",
        );
        assert_eq!(loose.missing_sections(), Vec::<&str>::new());
    }
}
