//! Pulling the three documents out of a model's answer.
//!
//! The format asked for is delimiter lines (`=== requirements.md ===` … `=== end ===`); since
//! models vary, Markdown fences named after the file (in the info string or on the line just
//! before the fence) are accepted too. A document wrapped in a fence inside its delimited section
//! is unwrapped. A leading `<think>…</think>` block (reasoning models served by Ollama or vLLM)
//! is skipped.

use spectask_core::SpecDocument;

pub(crate) const DELIMITER_END: &str = "=== end ===";

/// The delimiter line that starts `document`.
pub(crate) fn delimiter(document: SpecDocument) -> String {
    format!("=== {} ===", document.file_name())
}

/// The three documents of one spec version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Documents {
    pub requirements: String,
    pub design: String,
    pub tasks: String,
}

impl Documents {
    pub fn get(&self, document: SpecDocument) -> &str {
        match document {
            SpecDocument::Requirements => &self.requirements,
            SpecDocument::Design => &self.design,
            SpecDocument::Tasks => &self.tasks,
        }
    }

    /// The documents in the output format, as the model is asked to write them.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for document in SpecDocument::ALL {
            text.push_str(&delimiter(*document));
            text.push('\n');
            text.push_str(self.get(*document));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        text.push_str(DELIMITER_END);
        text
    }
}

/// The documents found in one answer; any may be missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExtractedDocuments {
    pub requirements: Option<String>,
    pub design: Option<String>,
    pub tasks: Option<String>,
    /// The document whose section (or fence) was still open when the answer ended: the one cut
    /// off if the answer hit the length limit.
    pub unterminated: Option<SpecDocument>,
}

impl ExtractedDocuments {
    fn get(&self, document: SpecDocument) -> &Option<String> {
        match document {
            SpecDocument::Requirements => &self.requirements,
            SpecDocument::Design => &self.design,
            SpecDocument::Tasks => &self.tasks,
        }
    }

    fn slot(&mut self, document: SpecDocument) -> &mut Option<String> {
        match document {
            SpecDocument::Requirements => &mut self.requirements,
            SpecDocument::Design => &mut self.design,
            SpecDocument::Tasks => &mut self.tasks,
        }
    }

    /// Documents of `self` win; the gaps are filled from `earlier` (a repair answer that repeats
    /// only the fixed document keeps the others).
    pub fn or(mut self, earlier: &ExtractedDocuments) -> ExtractedDocuments {
        for document in SpecDocument::ALL {
            let slot = self.slot(*document);
            if slot.is_none() {
                slot.clone_from(earlier.get(*document));
            }
        }
        self
    }

    /// Forgets the unterminated document: the answer was cut off inside it.
    pub fn without_unterminated(mut self) -> ExtractedDocuments {
        if let Some(document) = self.unterminated.take() {
            *self.slot(document) = None;
        }
        self
    }

    pub fn missing(&self) -> Vec<SpecDocument> {
        SpecDocument::ALL.iter().copied().filter(|d| self.get(*d).is_none()).collect()
    }

    /// All three documents, if none is missing.
    pub fn complete(&self) -> Option<Documents> {
        Some(Documents {
            requirements: self.requirements.clone()?,
            design: self.design.clone()?,
            tasks: self.tasks.clone()?,
        })
    }
}

/// The planner's questions to the person: the items of an `=== questions.md ===` section (numbered
/// or bulleted lines; a line that is neither continues the item above). None when it has none.
pub(crate) fn questions(answer: &str) -> Vec<String> {
    question_list(&section(answer, "questions.md"))
}

/// The planner's own consistency check: the items of an `=== consistency.md ===` section.
pub(crate) fn consistency(answer: &str) -> Vec<String> {
    consistency_list(&section(answer, "consistency.md"))
}

/// The lines of the answer's section `file` (empty when it has none).
fn section(answer: &str, file: &str) -> String {
    let mut section = Vec::new();
    let mut inside = false;
    for line in without_reasoning(answer).lines() {
        if let Some(name) = delimiter_name(line) {
            inside = name.trim_matches(|c: char| "*`'\":# ".contains(c)).eq_ignore_ascii_case(file);
        } else if inside {
            section.push(line);
        }
    }
    section.join("\n")
}

/// What a planner's consistency check left inconsistent: one item per line (`file:line: what`,
/// bullets and numbers dropped), at most [`MAX_CONSISTENCY`]; a check that found nothing ("none")
/// has none. What a planning agent writes to `consistency.md`.
pub fn consistency_list(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines() {
        let item = line.trim();
        // Headings, fences and rules are no items.
        if item.is_empty() || item.starts_with(['#', '`']) || item.chars().all(|c| "-*_= ".contains(c)) {
            continue;
        }
        // An indented line without a bullet continues the item above (a hard wrap).
        let bullet = item.strip_prefix(['-', '*']).map(str::trim_start).or_else(|| {
            let digits = item.find(|c: char| !c.is_ascii_digit()).filter(|&n| n > 0)?;
            let rest = item[digits..].strip_prefix(['.', ')'])?;
            rest.starts_with(char::is_whitespace).then(|| rest.trim_start())
        });
        match (bullet, found.last_mut()) {
            (None, Some(last)) if line.starts_with(char::is_whitespace) => {
                last.push(' ');
                last.push_str(item);
            }
            _ => found.push(bullet.unwrap_or(item).replace("**", "")),
        }
    }
    found.retain(|item| !item.is_empty() && !says_nothing(item));
    found.truncate(MAX_CONSISTENCY);
    found
}

/// Whether a planner's item says only that it found nothing ("None.", "No inconsistencies found.").
fn says_nothing(item: &str) -> bool {
    let text = item.trim_end_matches(['.', '!']).to_lowercase();
    ["none", "n/a", "nothing", "nothing left"].contains(&text.as_str())
        || ["no inconsistenc", "no contradiction", "all consistent", "the documents agree", "they agree"]
            .iter()
            .any(|start| text.starts_with(start))
}

/// The most items a consistency check carries.
pub(crate) const MAX_CONSISTENCY: usize = 20;

/// The questions of a list (`1. …`, `2) …`, `- …`; a line that is none of these continues the one
/// above), at most [`MAX_QUESTIONS`]: what a planning agent writes to `questions.md`.
pub fn question_list(text: &str) -> Vec<String> {
    let mut questions: Vec<String> = Vec::new();
    for line in text.lines() {
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let item = text
            .strip_prefix(['-', '*'])
            .or_else(|| {
                let digits = text.find(|c: char| !c.is_ascii_digit()).filter(|&n| n > 0)?;
                text[digits..].strip_prefix(['.', ')'])
            })
            .map(str::trim);
        match (item, questions.last_mut()) {
            (Some(item), _) if !item.is_empty() => questions.push(item.to_owned()),
            (None, Some(last)) => {
                last.push(' ');
                last.push_str(text);
            }
            _ => {}
        }
    }
    questions.truncate(MAX_QUESTIONS);
    questions
}

/// The most questions a draft carries: a person answers them in one sitting.
pub(crate) const MAX_QUESTIONS: usize = 5;

/// Finds the documents: delimited sections first, then named fences for what is still missing.
pub(crate) fn extract(answer: &str) -> ExtractedDocuments {
    let lines: Vec<&str> = without_reasoning(answer).lines().collect();
    let delimited = delimited(&lines);
    let fenced = fenced(&lines);
    let unterminated = delimited.unterminated.or(fenced.unterminated);
    ExtractedDocuments { unterminated, ..delimited.or(&fenced) }
}

/// The answer after a leading `<think>` block; nothing if the block never closes.
fn without_reasoning(answer: &str) -> &str {
    match answer.trim_start().strip_prefix("<think>") {
        Some(thinking) => thinking.split_once("</think>").map_or("", |(_, rest)| rest),
        None => answer,
    }
}

fn delimited(lines: &[&str]) -> ExtractedDocuments {
    let mut found = ExtractedDocuments::default();
    let mut current: Option<(SpecDocument, Vec<&str>)> = None;
    for line in lines {
        let Some(name) = delimiter_name(line) else {
            if let Some((_, body)) = &mut current {
                body.push(line);
            }
            continue;
        };
        if let Some((document, body)) = current.take() {
            *found.slot(document) = Some(tidy(&body));
        }
        current = document_named(name).map(|document| (document, Vec::new()));
    }
    if let Some((document, body)) = current {
        *found.slot(document) = Some(tidy(&body));
        found.unterminated = Some(document);
    }
    found
}

/// The name inside `=== name ===`, if the line is a delimiter.
fn delimiter_name(line: &str) -> Option<&str> {
    let inner = line.trim().strip_prefix("===")?.strip_suffix("===")?;
    Some(inner.trim_matches(|c: char| c == '=' || c.is_whitespace()))
}

/// The document a name refers to: `requirements.md`, `**design.md**`, `.kiro/specs/x/tasks.md:` ….
fn document_named(name: &str) -> Option<SpecDocument> {
    let name = name.trim_matches(|c: char| "*`'\":# ".contains(c)).to_ascii_lowercase();
    SpecDocument::ALL.iter().copied().find(|document| {
        let file = document.file_name();
        name == file || name.ends_with(&format!("/{file}")) || name.ends_with(&format!(" {file}"))
    })
}

/// The document a fence belongs to, named in its info string or on the last non-blank line above.
fn fence_owner(info: &str, above: Option<&str>) -> Option<SpecDocument> {
    let from_info =
        info.split(|c: char| c.is_whitespace() || c == '=' || c == '{' || c == '}').find_map(document_named);
    from_info.or_else(|| {
        let above = above?.to_ascii_lowercase();
        SpecDocument::ALL.iter().copied().find(|d| above.contains(d.file_name()))
    })
}

fn fenced(lines: &[&str]) -> ExtractedDocuments {
    let mut found = ExtractedDocuments::default();
    let mut index = 0;
    while index < lines.len() {
        let Some(open) = Fence::parse(lines[index]) else {
            index += 1;
            continue;
        };
        let above = lines[..index].iter().rev().find(|l| !l.trim().is_empty()).copied();
        let owner = fence_owner(open.info, above);
        let closing = open.closing_line(&lines[index + 1..]);
        let end = closing.map_or(lines.len(), |n| index + 1 + n);
        let body = &lines[(index + 1).min(end)..end];
        if let Some(document) = owner {
            let slot = found.slot(document);
            if slot.is_none() {
                *slot = Some(tidy(body));
                if closing.is_none() {
                    found.unterminated = Some(document);
                }
            }
        }
        index = end + 1;
    }
    found
}

/// A fence line: its character (`` ` `` or `~`), length and info string.
#[derive(Clone, Copy, Debug)]
struct Fence<'a> {
    marker: char,
    len: usize,
    info: &'a str,
}

impl<'a> Fence<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let len = trimmed.chars().take_while(|c| *c == marker).count();
        (len >= 3).then(|| Self { marker, len, info: trimmed[len..].trim() })
    }

    /// The offset in `rest` of the line closing this fence. Fences opened inside (e.g. a
    /// ```` ```mermaid ```` block in design.md) are skipped with their own closing lines, even when
    /// the model used the same fence length outside.
    fn closing_line(&self, rest: &[&str]) -> Option<usize> {
        let mut depth = 0usize;
        for (offset, line) in rest.iter().enumerate() {
            let Some(fence) = Fence::parse(line).filter(|f| f.marker == self.marker) else {
                continue;
            };
            if !fence.info.is_empty() {
                depth += 1;
            } else if depth > 0 {
                depth -= 1;
            } else if fence.len >= self.len {
                return Some(offset);
            }
        }
        None
    }
}

/// Drops the blank lines around a document and a fence wrapped around all of it.
fn tidy(lines: &[&str]) -> String {
    let is_blank = |l: &&str| l.trim().is_empty();
    let start = lines.iter().position(|l| !is_blank(l)).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !is_blank(l)).map_or(start, |i| i + 1);
    let mut body = &lines[start..end];
    if let Some(first) = body.first()
        && body.len() >= 2
        && let Some(open) = Fence::parse(first)
        && open.closing_line(&body[1..]) == Some(body.len() - 2)
    {
        body = &body[1..body.len() - 1];
    }
    let mut text = body.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
