//! A review task's findings: the format a reviewing agent writes them in (`findings.md`), checked
//! line by line, and the report committed as `specs/<task>/review.md`, which is read back the same
//! way.
//!
//! ```text
//! # Review of feature/login            <- anything before the first `## ` is the introduction
//!
//! ## Expired tokens are accepted       <- one finding: its title
//! - File: src/auth.rs                  <- a path in the reviewed code
//! - Line: 42                           <- a line of that file, from 1
//! - Severity: high                     <- high, medium, low or info
//!
//! The expiry is compared with ...      <- the detail: what is wrong and why
//! ```

use std::fmt;

/// The file a reviewing agent writes its findings to, in its scratch directory.
pub const FINDINGS_FILE: &str = "findings.md";

/// Longest title, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn name(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// One finding of a review: where, how much it matters, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub title: String,
    /// A path relative to the repository's root.
    pub file: String,
    /// A line of `file`, from 1.
    pub line: u32,
    pub severity: Severity,
    pub detail: String,
}

/// Why a findings file cannot be taken: where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingError {
    /// The line of the findings file, from 1.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for FindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{FINDINGS_FILE}:{}: {}", self.at, self.message)
    }
}

/// What a reviewing agent is told about the format, after its task.
pub const FORMAT_RULES: &str = "\
Write one section per finding, in this form (the fields in this order, each on its own line):

## <a short title saying what is wrong>
- File: <the path, relative to the repository root>
- Line: <the line number in that file, from 1>
- Severity: <high, medium, low or info>

<the detail: what is wrong, why it matters, and what would fix it>

Lines before the first `## ` are an introduction and may say what you looked at. With nothing to \
report, write the introduction only.
";

/// The findings in `text`. `lines_of` gives the number of lines of a file of the reviewed code,
/// `None` for a path that names none; a finding naming another path, or a line past the file's end,
/// is refused. Every fault is reported, each with its line.
pub fn parse_findings(
    text: &str,
    mut lines_of: impl FnMut(&str) -> Option<u32>,
) -> Result<Vec<Finding>, Vec<FindingError>> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for section in sections(text) {
        match finding(&section, &mut lines_of) {
            Ok(finding) => findings.push(finding),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() { Ok(findings) } else { Err(errors) }
}

/// The report committed for a review of `target`: an introduction, then the findings in the
/// format [`parse_findings`] reads.
pub fn render_report(target: &str, findings: &[Finding]) -> String {
    let count = match findings.len() {
        0 => "No findings.".to_owned(),
        1 => "1 finding.".to_owned(),
        n => format!("{n} findings."),
    };
    let mut text = format!("# Review of {target}\n\n{count}\n");
    for f in findings {
        text.push_str(&render_finding(&f.title, f));
    }
    text
}

/// One finding as the report writes it, under the heading `## {heading}`: its file, line and
/// severity, then its detail.
pub fn render_finding(heading: &str, finding: &Finding) -> String {
    format!(
        "\n## {heading}\n- File: {}\n- Line: {}\n- Severity: {}\n\n{}\n",
        finding.file,
        finding.line,
        finding.severity.name(),
        finding.detail
    )
}

/// One `## ` section: its heading's line number and its lines.
struct Section<'a> {
    at: usize,
    title: &'a str,
    lines: Vec<(usize, &'a str)>,
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut sections: Vec<Section<'_>> = Vec::new();
    let mut in_code = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        match line.strip_prefix("## ").filter(|_| !in_code) {
            Some(title) => sections.push(Section { at: i + 1, title: title.trim(), lines: Vec::new() }),
            None => {
                if let Some(section) = sections.last_mut() {
                    section.lines.push((i + 1, line));
                }
            }
        }
    }
    sections
}

fn finding(
    section: &Section<'_>,
    lines_of: &mut impl FnMut(&str) -> Option<u32>,
) -> Result<Finding, FindingError> {
    let fault = |at: usize, message: String| FindingError { at, message };
    let title = section.title;
    if title.is_empty() {
        return Err(fault(section.at, "the finding has no title after `## `".to_owned()));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(fault(section.at, format!("the title is over {MAX_TITLE_CHARS} characters")));
    }
    let (mut file, mut line, mut severity) = (None, None, None);
    let mut rest = section.lines.iter().skip_while(|(_, l)| l.trim().is_empty()).peekable();
    while let Some((at, text)) = rest.peek().copied() {
        let Some((key, value)) = text.trim().strip_prefix("- ").and_then(|field| field.split_once(':'))
        else {
            break;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "file" => file = Some((*at, value)),
            "line" => line = Some((*at, value)),
            "severity" => severity = Some((*at, value)),
            _ => break,
        }
        rest.next();
    }
    let detail = rest.map(|(_, l)| *l).collect::<Vec<_>>().join("\n").trim().to_owned();
    let missing = |field: &str| {
        fault(section.at, format!("the finding `{title}` has no `- {field}:` line under its title"))
    };
    let (file_at, file) = file.ok_or_else(|| missing("File"))?;
    let file = file.trim_matches('`').trim_start_matches("./");
    if file.is_empty() || file.starts_with('/') || file.split('/').any(|part| part == "..") {
        return Err(fault(file_at, format!("`{file}` is not a path relative to the repository root")));
    }
    let lines = lines_of(file)
        .ok_or_else(|| fault(file_at, format!("`{file}` is not a file of the reviewed code")))?;
    let (line_at, line) = line.ok_or_else(|| missing("Line"))?;
    let line = line.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        fault(line_at, format!("the line is `{line}`; it is a line number of {file}, from 1"))
    })?;
    if line > lines {
        return Err(fault(line_at, format!("line {line} is past the end of {file} ({lines} lines)")));
    }
    let (severity_at, severity) = severity.ok_or_else(|| missing("Severity"))?;
    let severity = Severity::from_name(severity).ok_or_else(|| {
        fault(severity_at, format!("the severity is `{severity}`; it is one of high, medium, low, info"))
    })?;
    if detail.is_empty() {
        return Err(fault(section.at, format!("the finding `{title}` has no detail below its fields")));
    }
    Ok(Finding { title: title.to_owned(), file: file.to_owned(), line, severity, detail })
}

#[cfg(test)]
mod tests;
