//! The task-plan parser: one pass over the scanned lines, then the tree is built from ids and indentation.

use std::collections::HashMap;

use super::headings::{HeadingPlanTask, task_headings};
use super::refs::{Meta, detail_meta, is_numeric_id, is_spec_kit_id, prose_depends};
use super::{Checklist, ChecklistItem, ParseWarning, ParseWarningKind, PlanTask, PlanTaskState};
use crate::text::{SourceLine, heading, indent, scan};

/// Deeper nesting is flattened to this depth, so walking the tree never recurses deeply.
const MAX_DEPTH: usize = 16;

pub(super) struct ParsedPlan {
    pub tasks: Vec<PlanTask>,
    pub checklists: Vec<Checklist>,
    pub warnings: Vec<ParseWarning>,
}

/// A checkbox list item, before it is known to be a task or a checklist item.
pub(super) struct Item<'a> {
    line: u32,
    indent: usize,
    marker: char,
    marker_offset: usize,
    star: bool,
    pub rest: &'a str,
}

pub(super) enum Checkbox<'a> {
    Item(Item<'a>),
    Malformed(&'a str),
}

/// The heading context: whether checkboxes here are a checklist rather than plan tasks.
struct Section {
    title: Option<String>,
    line: u32,
    /// Level of the checklist-like heading in force, and whether it says "checklist" outright.
    checklist: Option<(usize, bool)>,
}

pub(super) fn parse(text: &str) -> ParsedPlan {
    let lines = scan(text);
    let spec_kit = lines.iter().any(|l| {
        !l.hidden && matches!(checkbox(l), Some(Checkbox::Item(item)) if starts_with_spec_kit_id(item.rest))
    });
    let task_headings = if spec_kit { HashMap::new() } else { task_headings(&lines) };
    let mut builder = Builder { spec_kit, task_headings, ..Builder::default() };
    for line in lines.iter().filter(|l| !l.hidden) {
        builder.line(line);
    }
    builder.finish()
}

fn starts_with_spec_kit_id(rest: &str) -> bool {
    rest.split_whitespace().next().is_some_and(|word| is_spec_kit_id(word.trim_matches('*')))
}

#[derive(Default)]
struct Builder<'a> {
    spec_kit: bool,
    tasks: Vec<PlanTask>,
    checklists: Vec<Checklist>,
    warnings: Vec<ParseWarning>,
    section: Option<Section>,
    /// The last task with each id.
    by_id: HashMap<&'a str, usize>,
    /// Open tasks as (indent, index), outermost first.
    stack: Vec<(usize, usize)>,
    /// The task whose checkbox is on the previous non-blank line (for title continuations).
    just_opened: Option<usize>,
    /// Each task's depth (0 for top-level tasks).
    depths: Vec<usize>,
    /// Headings that are tasks, by line.
    task_headings: HashMap<u32, HeadingPlanTask<'a>>,
    /// The heading task in force and its heading level: the parent of checkboxes under it.
    heading_task: Option<(usize, usize)>,
}

impl<'a> Builder<'a> {
    fn line(&mut self, line: &SourceLine<'a>) {
        if line.text.trim().is_empty() {
            self.just_opened = None;
            return;
        }
        if let Some((level, title)) = heading(line.text) {
            self.heading(line.number, level, title);
            return;
        }
        match checkbox(line) {
            Some(Checkbox::Item(item)) => self.item(item),
            Some(Checkbox::Malformed(found)) => {
                self.just_opened = None;
                self.warnings.push(ParseWarning {
                    line: line.number,
                    kind: ParseWarningKind::MalformedCheckbox,
                    message: format!("malformed checkbox {found}"),
                });
            }
            None => self.detail(line.text),
        }
    }

    fn heading(&mut self, number: u32, level: usize, title: &str) {
        self.stack.clear();
        self.just_opened = None;
        if self.heading_task.is_some_and(|(_, task_level)| level <= task_level) {
            self.heading_task = None;
        }
        if let Some(task) = self.task_headings.remove(&number) {
            let index = self.push_task(Some(task.id), number, None, false, task.title);
            self.heading_task = Some((index, level));
        }
        let lower = title.to_ascii_lowercase();
        let outright = lower.contains("checklist");
        let checklist_like = outright || lower.contains("validation") || lower.contains("acceptance");
        let inherited = self
            .section
            .as_ref()
            .and_then(|s| s.checklist)
            .filter(|&(inherited_level, _)| inherited_level < level);
        let checklist = if checklist_like { Some((level, outright)) } else { inherited };
        self.section = Some(Section { title: Some(title.to_owned()), line: number, checklist });
    }

    fn item(&mut self, item: Item<'a>) {
        let (id, star_after_id, title) = split_id(item.rest);
        let state = PlanTaskState::from_marker(item.marker);
        let checklist = match self.section.as_ref().and_then(|s| s.checklist) {
            Some((_, true)) => true,
            Some((_, false)) => id.is_none(),
            None => false,
        };
        let nested = self.stack.iter().any(|&(indent, _)| indent < item.indent);
        if checklist || (self.spec_kit && id.is_none() && !nested) {
            self.checklist_item(&item);
            return;
        }
        if state.is_none() {
            self.warnings.push(ParseWarning {
                line: item.line,
                kind: ParseWarningKind::UnknownMarker,
                message: format!("unknown marker \"{}\"", item.marker),
            });
        }
        while self.stack.last().is_some_and(|&(indent, _)| indent >= item.indent) {
            self.stack.pop();
        }
        let checkbox = Some((item.marker, item.marker_offset));
        let index = self.push_task(id, item.line, checkbox, item.star || star_after_id, title);
        self.stack.push((item.indent, index));
        self.just_opened = Some(index);
    }

    /// Adds a task under its parent: the task its id's prefix names, else the open task it is indented
    /// under, else the heading task in force. A heading task has no checkbox.
    fn push_task(
        &mut self,
        id: Option<&'a str>,
        line: u32,
        checkbox: Option<(char, usize)>,
        optional: bool,
        title: &str,
    ) -> usize {
        let index = self.tasks.len();
        let mut parent = id
            .and_then(|id| id.rsplit_once('.'))
            .filter(|(prefix, _)| is_numeric_id(prefix))
            .and_then(|(prefix, _)| self.by_id.get(prefix).copied())
            .or_else(|| self.stack.last().map(|&(_, i)| i))
            .or_else(|| self.heading_task.map(|(i, _)| i).filter(|&h| under_heading(id, &self.tasks[h])));
        while let Some(p) = parent
            && self.depths[p] >= MAX_DEPTH
        {
            parent = self.tasks[p].parent;
        }
        self.depths.push(parent.map_or(0, |p| self.depths[p] + 1));
        let mut task = PlanTask {
            index,
            id: id.map(str::to_owned),
            title: String::new(),
            state: checkbox
                .and_then(|(marker, _)| PlanTaskState::from_marker(marker))
                .unwrap_or(PlanTaskState::Pending),
            marker: checkbox.map(|(marker, _)| marker),
            optional,
            parallel: false,
            story: None,
            requirements: Vec::new(),
            free_references: Vec::new(),
            depends: Vec::new(),
            boundary: None,
            details: Vec::new(),
            section: self.section.as_ref().and_then(|s| s.title.clone()),
            line,
            parent,
            children: Vec::new(),
            marker_offset: checkbox.map(|(_, offset)| offset),
        };
        set_title(&mut task, title);
        if let Some(parent) = parent {
            self.tasks[parent].children.push(index);
        }
        if let Some(id) = id {
            self.by_id.insert(id, index);
        }
        self.tasks.push(task);
        index
    }

    fn checklist_item(&mut self, item: &Item<'_>) {
        self.just_opened = None;
        let (heading, line) = match &self.section {
            Some(section) => (section.title.clone().unwrap_or_default(), section.line),
            None => (String::new(), 0),
        };
        if self.checklists.last().is_none_or(|c| c.line != line || c.heading != heading) {
            self.checklists.push(Checklist { heading, line, items: Vec::new() });
        }
        let entry = ChecklistItem {
            text: item.rest.trim().to_owned(),
            state: PlanTaskState::from_marker(item.marker).unwrap_or(PlanTaskState::Pending),
            marker: item.marker,
            line: item.line,
        };
        if let Some(checklist) = self.checklists.last_mut() {
            checklist.items.push(entry);
        }
    }

    /// A non-checkbox line: a detail of the deepest open task indented less than it, if any.
    fn detail(&mut self, text: &str) {
        let (cols, bytes) = indent(text);
        let open = self.stack.iter().rev().find(|&&(indent, _)| indent < cols).map(|&(_, i)| i);
        let Some(owner) = open.or(self.heading_task.map(|(i, _)| i)) else {
            self.just_opened = None;
            return;
        };
        let body = text[bytes..].trim_end();
        let (bulleted, content) = match strip_bullet(body) {
            Some(content) => (true, content.trim()),
            None => (false, body),
        };
        let task = &mut self.tasks[owner];
        let meta = detail_meta(content);
        if meta.is_none() && !bulleted && self.just_opened == Some(owner) {
            task.title.push(' ');
            task.title.push_str(content);
            task.depends.extend(prose_depends(content));
            return;
        }
        self.just_opened = None;
        match meta {
            Some(Meta::Requirements { ids, free }) => {
                task.requirements.extend(ids);
                task.free_references.extend(free);
            }
            Some(Meta::Depends(ids)) => task.depends.extend(ids),
            Some(Meta::Boundary(boundary)) => task.boundary = Some(boundary),
            None => {
                task.depends.extend(prose_depends(content));
                task.details.push(content.to_owned());
            }
        }
    }

    /// Rolls heading tasks' states up from their sub-tasks (children come after their parent).
    fn finish(mut self) -> ParsedPlan {
        for index in (0..self.tasks.len()).rev() {
            if self.tasks[index].marker.is_some() {
                continue;
            }
            let children: Vec<&PlanTask> =
                self.tasks[index].children.iter().map(|&c| &self.tasks[c]).collect();
            let required: Vec<&&PlanTask> = children.iter().filter(|c| !c.optional).collect();
            let state = if !required.is_empty() && required.iter().all(|c| c.state == PlanTaskState::Done) {
                PlanTaskState::Done
            } else if children.iter().any(|c| c.state != PlanTaskState::Pending) {
                PlanTaskState::InProgress
            } else {
                PlanTaskState::Pending
            };
            self.tasks[index].state = state;
        }
        ParsedPlan { tasks: self.tasks, checklists: self.checklists, warnings: self.warnings }
    }
}

/// Whether a task with `id` belongs under heading task `heading`: it has no id, or the heading's id
/// is its prefix (`2.1` is not under `## 1. Setup`).
fn under_heading(id: Option<&str>, heading: &PlanTask) -> bool {
    match (id, heading.id.as_deref()) {
        (Some(id), Some(parent)) => id.strip_prefix(parent).is_some_and(|rest| rest.starts_with('.')),
        _ => true,
    }
}

/// Title, labels and inline metadata of a task line (after the id).
fn set_title(task: &mut PlanTask, title: &str) {
    let mut title = title.trim();
    loop {
        if let Some(rest) = title.strip_prefix("[P]") {
            task.parallel = true;
            title = rest.trim_start();
        } else if let Some(label) = title.strip_prefix('[').and_then(|r| r.split_once(']')) {
            let (name, rest) = label;
            if name.starts_with("US") && name[2..].bytes().all(|b| b.is_ascii_digit()) && name.len() > 2 {
                task.story = Some(name.to_owned());
                title = rest.trim_start();
            } else {
                break;
            }
        } else {
            break;
        }
    }
    if let Some(at) = title.find("_Requirements:")
        && let Some(Meta::Requirements { ids, free }) = detail_meta(&title[at..])
    {
        task.requirements.extend(ids);
        task.free_references.extend(free);
        title = title[..at].trim_end();
    }
    if let Some(rest) = title.strip_suffix("(P)") {
        task.parallel = true;
        title = rest.trim_end();
    }
    task.depends.extend(prose_depends(title));
    task.title = title.to_owned();
}

/// Splits the task id off the text after the checkbox: `**1.**`, `1.1.`, `7.2.1`, `7.9*`, `T012`.
/// Returns the id (normalised), whether a `*` followed it, and the rest.
pub(super) fn split_id(rest: &str) -> (Option<&str>, bool, &str) {
    let rest = rest.trim_start();
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let word = &rest[..end];
    let bare = word.strip_prefix("**").and_then(|w| w.strip_suffix("**")).unwrap_or(word);
    let bare = bare.strip_suffix(':').unwrap_or(bare);
    let (bare, star) = match bare.strip_suffix('*') {
        Some(b) => (b, true),
        None => (bare, false),
    };
    let bare = bare.strip_suffix('.').unwrap_or(bare);
    if is_numeric_id(bare) || is_spec_kit_id(bare) {
        (Some(bare), star, rest[end..].trim_start())
    } else {
        (None, false, rest)
    }
}

/// `- `, `* `, `+ `, `1. `, `1) ` at the start of `text`; returns what follows.
fn strip_bullet(text: &str) -> Option<&str> {
    let digits = text.bytes().take_while(|b| b.is_ascii_digit()).count();
    let after = if digits == 0 {
        text.strip_prefix(['-', '*', '+'])?
    } else if digits <= 9 {
        text[digits..].strip_prefix(['.', ')'])?
    } else {
        return None;
    };
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some(after)
}

/// A list item whose content starts with a checkbox `[c]`.
pub(super) fn checkbox<'a>(line: &SourceLine<'a>) -> Option<Checkbox<'a>> {
    let (cols, bytes) = indent(line.text);
    let content = strip_bullet(&line.text[bytes..])?;
    let boxed = content.trim_start().strip_prefix('[')?;
    let marker_offset = line.text.len() - boxed.len();
    let mut chars = boxed.chars();
    let marker = chars.next()?;
    if marker == ']' {
        return Some(Checkbox::Malformed("[]"));
    }
    let after_marker = chars.as_str();
    let Some(after) = after_marker.strip_prefix(']') else {
        let blank = after_marker.bytes().take_while(|&b| b == b' ').count();
        let malformed = marker == ' ' && blank > 0 && after_marker[blank..].starts_with(']');
        return malformed.then_some(Checkbox::Malformed("with several spaces"));
    };
    // `[P]`, `[US1]` … are labels, and `[x](url)` is a link.
    if marker.is_ascii_uppercase() && marker != 'X' {
        return None;
    }
    let (star, after) = match after.strip_prefix('*') {
        Some(a) => (true, a),
        None => (false, after),
    };
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    Some(Checkbox::Item(Item {
        line: line.number,
        indent: cols,
        marker,
        marker_offset: line.start + marker_offset,
        star,
        rest: after,
    }))
}
