//! Findings and the report: every occurrence, and the grouped view (one finding per kind per file).

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::Code;

/// How serious a finding is (see [`Code`] for the rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many lines of the later occurrences a grouped finding lists.
const LISTED_LINES: usize = 5;

/// One finding. Displays as `file:line: level[CODE]: message`; a grouped finding adds
/// `(+N more on lines a, b, …)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line of the (first) occurrence.
    pub line: u32,
    pub level: Level,
    pub code: Code,
    /// What the (first) occurrence is, naming the criterion, task or value.
    pub message: String,
    /// How many occurrences this finding stands for: 1, or more once grouped.
    pub count: usize,
    /// The distinct lines of the occurrences, in order, at most `1 + LISTED_LINES` of them.
    pub lines: Vec<u32>,
}

impl Diagnostic {
    pub(crate) fn new(file: &str, line: u32, code: Code, message: String) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line,
            level: code.level(),
            code,
            message,
            count: 1,
            lines: vec![line],
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}[{}]: {}", self.file, self.line, self.level, self.code, self.message)?;
        if self.count > 1 {
            let more = self.count - 1;
            let later: Vec<String> = self.lines.iter().skip(1).map(u32::to_string).collect();
            let ellipsis = if self.lines.len() > LISTED_LINES { ", …" } else { "" };
            match later.as_slice() {
                [] => write!(f, " (+{more} more on the same line)")?,
                [one] => write!(f, " (+{more} more on line {one})")?,
                _ => write!(f, " (+{more} more on lines {}{ellipsis})", later.join(", "))?,
            }
        }
        Ok(())
    }
}

/// `{"file","line","level","code","name","message","count","lines"}`.
impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Diagnostic", 8)?;
        s.serialize_field("file", &self.file)?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("level", &self.level)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("name", self.code.name())?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("count", &self.count)?;
        s.serialize_field("lines", &self.lines)?;
        s.end()
    }
}

/// What the linter found: every occurrence, by file (in the order given) and line, without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LintReport {
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Every error occurrence (what a repair round quotes, one by one).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.level == Level::Error)
    }

    /// One finding per kind per file: the first occurrence's line and message, the number of
    /// occurrences and their first lines. Ordered like the occurrences they start with.
    pub fn grouped(&self) -> Vec<Diagnostic> {
        let mut groups: Vec<Diagnostic> = Vec::new();
        for d in &self.diagnostics {
            match groups.iter_mut().find(|g| g.file == d.file && g.code == d.code) {
                Some(group) => {
                    group.count += 1;
                    if !group.lines.contains(&d.line) && group.lines.len() <= LISTED_LINES {
                        group.lines.push(d.line);
                    }
                }
                None => groups.push(d.clone()),
            }
        }
        groups
    }

    /// Findings per level in the grouped view: (errors, warnings, notes).
    pub fn counts(&self) -> (usize, usize, usize) {
        let grouped = self.grouped();
        let of = |level| grouped.iter().filter(|d| d.level == level).count();
        (of(Level::Error), of(Level::Warning), of(Level::Note))
    }

    /// Sorts by the file order given, then line (stable: findings on one line stay in the order the rules
    /// found them), and drops exact duplicates.
    pub(crate) fn normalise(&mut self, files: &[&str]) {
        let order = |file: &str| files.iter().position(|n| *n == file).unwrap_or(files.len());
        self.diagnostics.sort_by_key(|d| (order(&d.file), d.line));
        let mut seen = std::collections::HashSet::new();
        self.diagnostics.retain(|d| seen.insert((d.file.clone(), d.line, d.code, d.message.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lines: &[(u32, Code)]) -> LintReport {
        LintReport {
            diagnostics: lines
                .iter()
                .map(|&(line, code)| Diagnostic::new("tasks.md", line, code, format!("at {line}")))
                .collect(),
        }
    }

    #[test]
    fn grouping_keeps_the_first_message_the_count_and_the_first_lines() {
        let lines: Vec<(u32, Code)> = (1..=9).map(|l| (l * 2, Code::TaskWithoutReference)).collect();
        let mut all = lines.clone();
        all.push((3, Code::UnknownDependency));
        let grouped = report(&all).grouped();
        assert_eq!(grouped.len(), 2);
        assert_eq!(
            grouped[0].to_string(),
            "tasks.md:2: warning[T104]: at 2 (+8 more on lines 4, 6, 8, 10, 12, …)"
        );
        assert_eq!(grouped[1].to_string(), "tasks.md:3: error[T002]: at 3");
        assert_eq!(report(&all).counts(), (1, 1, 0));
    }

    #[test]
    fn one_more_on_the_same_or_one_other_line() {
        let same = report(&[(4, Code::VagueWord), (4, Code::VagueWord)]).grouped();
        assert_eq!(same[0].to_string(), "tasks.md:4: note[R107]: at 4 (+1 more on the same line)");
        let other = report(&[(4, Code::VagueWord), (7, Code::VagueWord)]).grouped();
        assert_eq!(other[0].to_string(), "tasks.md:4: note[R107]: at 4 (+1 more on line 7)");
    }

    #[test]
    fn json_names_the_code() {
        let json = serde_json::to_value(&report(&[(1, Code::DependencyCycle)]).diagnostics[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"file": "tasks.md", "line": 1, "level": "error", "code": "T003",
                "name": "dependency-cycle", "message": "at 1", "count": 1, "lines": [1]})
        );
    }
}
