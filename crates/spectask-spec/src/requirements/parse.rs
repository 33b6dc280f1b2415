//! The requirements parser: a line-by-line state machine over headings, bold pseudo-headings and lists.

use super::{Criterion, GlossaryEntry, Requirement, RequirementsDoc};
use crate::ears::classify;
use crate::text::{SourceLine, contains_ignore_case, heading, indent, scan, strip_emphasis};

pub(super) fn parse(text: &str) -> RequirementsDoc {
    let mut parser = Parser::default();
    for line in scan(text).iter().filter(|l| !l.hidden) {
        parser.line(line);
    }
    parser.finish()
}

/// A criterion still collecting its wrapped lines.
struct Open {
    requirement: usize,
    indent: usize,
    lines: Vec<String>,
    id: Option<String>,
    line: u32,
    end_line: u32,
}

#[derive(Default)]
struct Parser {
    doc: RequirementsDoc,
    /// The open requirement and the level of its heading (7 for a bold pseudo-heading).
    current: Option<(usize, usize)>,
    in_criteria: bool,
    /// Level of the Glossary heading while inside it.
    glossary: Option<usize>,
    /// Level of a `## Requirements` heading while inside it (for `### 1. Title` requirements).
    requirements_section: Option<usize>,
    last_heading: Option<String>,
    open: Option<Open>,
    in_story: bool,
    previous_blank: bool,
}

impl Parser {
    fn line(&mut self, line: &SourceLine<'_>) {
        let blank = line.text.trim().is_empty();
        let previous_blank = std::mem::replace(&mut self.previous_blank, blank);
        if blank {
            self.in_story = false;
            return;
        }
        if let Some((level, title)) = heading(line.text) {
            self.close();
            self.in_story = false;
            self.heading(line.number, level, title);
            return;
        }
        let (cols, bytes) = indent(line.text);
        let body = line.text[bytes..].trim_end();
        if let Some(open) = &mut self.open {
            let new_item = (list_item(body).is_some() || explicit_id(body).is_some()) && cols <= open.indent;
            let note = body.starts_with("**") && cols == 0;
            if !new_item && !note && (!previous_blank || cols > open.indent) {
                open.lines.push(body.to_owned());
                open.end_line = line.number;
                return;
            }
            self.close();
        }
        if body.starts_with("**") && self.bold(line.number, body) {
            return;
        }
        if self.in_story
            && list_item(body).is_none()
            && let Some((index, _)) = self.current
        {
            if let Some(story) = &mut self.doc.requirements[index].user_story {
                story.push(' ');
                story.push_str(body);
            }
            return;
        }
        if self.glossary.is_some() {
            self.glossary_entry(line.number, body);
            return;
        }
        self.criterion(line.number, cols, body);
    }

    fn heading(&mut self, number: u32, level: usize, title: &str) {
        if level == 1 && self.doc.title.is_none() {
            self.doc.title = Some(title.to_owned());
        }
        self.last_heading = Some(title.to_owned());
        if self.glossary.is_some_and(|g| level <= g) {
            self.glossary = None;
        }
        if self.requirements_section.is_some_and(|r| level <= r) {
            self.requirements_section = None;
        }
        let numbered_in_section = self.requirements_section.is_some_and(|r| level == r + 1);
        if let Some((id, name)) = requirement_title(title, numbered_in_section) {
            self.start_requirement(number, level, id, name);
            return;
        }
        let lower = strip_emphasis(title).to_ascii_lowercase();
        if lower.starts_with("acceptance criteria") && self.current.is_some() {
            self.in_criteria = true;
            return;
        }
        if self.current.is_some_and(|(_, l)| level <= l) {
            self.current = None;
        }
        self.in_criteria = false;
        if lower.contains("glossary") {
            self.glossary = Some(level);
        } else if lower == "requirements" {
            self.requirements_section = Some(level);
        }
    }

    /// A line starting with bold text: a pseudo-heading, a user story, or neither.
    fn bold(&mut self, number: u32, body: &str) -> bool {
        let Some((label, value)) = body[2..].split_once("**") else {
            return false;
        };
        let label = label.trim().trim_end_matches(':').trim();
        let value = value.trim().trim_start_matches(':').trim();
        let lower = label.to_ascii_lowercase();
        if let Some((id, name)) = requirement_title(strip_emphasis(body), false) {
            self.start_requirement(number, 7, id, name);
        } else if lower.starts_with("acceptance criteria") && self.current.is_some() {
            self.in_criteria = true;
        } else if let ("user story" | "objective", Some((index, _))) = (lower.as_str(), self.current) {
            self.doc.requirements[index].user_story = Some(value.to_owned());
            self.in_story = true;
        } else {
            return false;
        }
        true
    }

    fn start_requirement(&mut self, line: u32, level: usize, id: String, title: Option<String>) {
        self.doc.requirements.push(Requirement { id, title, user_story: None, line, criteria: Vec::new() });
        self.current = Some((self.doc.requirements.len() - 1, level));
        self.in_criteria = false;
        self.glossary = None;
    }

    fn glossary_entry(&mut self, line: u32, body: &str) {
        let entry = match list_item(body) {
            Some((_, content)) => content.split_once(':'),
            None if body.starts_with('|') => {
                let cells: Vec<&str> = body.trim_matches('|').split('|').map(str::trim).collect();
                match cells.as_slice() {
                    [term, definition, ..]
                        if !term.starts_with('-') && !term.eq_ignore_ascii_case("term") =>
                    {
                        Some((*term, *definition))
                    }
                    _ => None,
                }
            }
            None => body.split_once(':').filter(|_| body.starts_with("**")),
        };
        if let Some((term, definition)) = entry {
            let definition = definition.trim().trim_start_matches("**").trim_start_matches(':').trim();
            self.doc.glossary.push(GlossaryEntry {
                term: strip_emphasis(term).trim_end_matches(':').trim_end_matches('*').to_owned(),
                definition: definition.to_owned(),
                line,
            });
        }
    }

    fn criterion(&mut self, line: u32, cols: usize, body: &str) {
        let (content, numbered) = match list_item(body) {
            Some((numbered, content)) => (content, Some(numbered)),
            None => (body, None),
        };
        if let Some((id, rest)) = explicit_id(content)
            && (self.in_criteria || contains_ignore_case(rest, "shall") || starts_with_ears_keyword(rest))
        {
            let requirement = self.requirement_for(&id, line);
            self.open = Some(Open {
                requirement,
                indent: cols,
                lines: vec![rest.to_owned()],
                id: Some(id),
                line,
                end_line: line,
            });
            return;
        }
        let Some((requirement, _)) = self.current else {
            return;
        };
        let accepted = match numbered {
            Some(true) => self.in_criteria || contains_ignore_case(content, "shall"),
            Some(false) => self.in_criteria && cols <= 1,
            None => false,
        };
        if accepted {
            self.open = Some(Open {
                requirement,
                indent: cols,
                lines: vec![content.to_owned()],
                id: None,
                line,
                end_line: line,
            });
        }
    }

    /// The requirement an explicit criterion id belongs to, created after the last heading if missing.
    fn requirement_for(&mut self, criterion_id: &str, line: u32) -> usize {
        let number = criterion_id.split('.').next().unwrap_or(criterion_id);
        if let Some(index) = self.doc.requirements.iter().position(|r| r.id == number) {
            return index;
        }
        self.doc.requirements.push(Requirement {
            id: number.to_owned(),
            title: self.last_heading.clone(),
            user_story: None,
            line,
            criteria: Vec::new(),
        });
        self.doc.requirements.len() - 1
    }

    fn close(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let requirement = &mut self.doc.requirements[open.requirement];
        let text = open.lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        let explicit_id = open.id.is_some();
        let id = open.id.unwrap_or_else(|| format!("{}.{}", requirement.id, requirement.criteria.len() + 1));
        let ears = classify(&text);
        requirement.criteria.push(Criterion {
            id,
            explicit_id,
            text,
            line: open.line,
            end_line: open.end_line,
            ears,
        });
    }

    fn finish(mut self) -> RequirementsDoc {
        self.close();
        self.doc
    }
}

/// `Requirement 2`, `Requirement 2: Title`, `Requirement 2 - Title`; with `numbered`, also `2. Title`.
fn requirement_title(title: &str, numbered: bool) -> Option<(String, Option<String>)> {
    let title = strip_emphasis(title);
    let rest = match title.get(..11) {
        Some(head) if head.eq_ignore_ascii_case("requirement") => title[11..].trim_start(),
        _ if numbered => title,
        _ => return None,
    };
    let digits = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let id = rest[..digits].trim_end_matches('.');
    if id.is_empty() || !id.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    if numbered && title.len() == rest.len() && !rest[..digits].ends_with('.') {
        return None;
    }
    let name = rest[digits..].trim_start_matches([':', '-', '–', '—', ' ', '.', '*']).trim();
    Some((id.to_owned(), (!name.is_empty()).then(|| name.to_owned())))
}

/// A list item: (numbered, content).
fn list_item(body: &str) -> Option<(bool, &str)> {
    let digits = body.bytes().take_while(|b| b.is_ascii_digit()).count();
    let (numbered, after) = if digits > 0 && digits <= 9 {
        (true, body[digits..].strip_prefix(['.', ')'])?)
    } else {
        (false, body.strip_prefix(['-', '*', '+'])?)
    };
    after.starts_with([' ', '\t']).then(|| (numbered, after.trim_start()))
}

/// Whether `text` opens with an EARS clause keyword (`WHEN`, `IF`, `WHILE`, `WHERE`, `THE`), as a
/// hard-wrapped bugfix criterion does whose `SHALL` is on its next line.
fn starts_with_ears_keyword(text: &str) -> bool {
    let word = text.split_whitespace().next().unwrap_or("");
    ["WHEN", "IF", "WHILE", "WHERE", "THE"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// `2.12 WHEN …`: an explicit criterion id and the text after it.
fn explicit_id(content: &str) -> Option<(String, &str)> {
    let (word, rest) = content.split_once([' ', '\t'])?;
    let word = word.trim_end_matches([':', '.']);
    let (requirement, position) = word.split_once('.')?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(requirement) && numeric(position)).then(|| (word.to_owned(), rest.trim_start()))
}
