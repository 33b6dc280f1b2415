//! `spectask specs lint|parse`: spec documents on disk, checked and parsed by the spec crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use spectask_spec::{
    Code, Diagnostic, DocumentKind, Level, LintReport, lint_documents, lint_file, parse_to_json,
};

use crate::cli::SpecsCommand;
use crate::output::{errln, out, outln};

pub fn run(command: SpecsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SpecsCommand::Lint { paths, json, max_warnings } => lint(&paths, json, max_warnings),
        SpecsCommand::Codes { json } => codes(json),
        SpecsCommand::Parse { file, json } => parse(&file, json),
    }
}

/// The catalogue of finding codes.
fn codes(json: bool) -> anyhow::Result<ExitCode> {
    if json {
        let all: Vec<Value> = Code::ALL
            .iter()
            .map(|c| json!({ "code": c, "name": c.name(), "level": c.level(), "description": c.description() }))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&all)?)?;
    } else {
        for c in Code::ALL {
            outln!("{c}  {:<7}  {:<30}  {}", c.level().as_str(), c.name(), c.description())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn lint(paths: &[PathBuf], json: bool, max_warnings: Option<usize>) -> anyhow::Result<ExitCode> {
    let mut findings: Vec<Diagnostic> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let dirs = spec_dirs(path)?;
            if dirs.is_empty() {
                bail!(
                    "{} holds no spec documents (requirements.md, design.md, tasks.md, spec.md …)",
                    path.display()
                );
            }
            for dir in dirs {
                findings.extend(lint_dir(&dir)?.grouped());
            }
        } else {
            let text = read(path)?;
            findings.extend(lint_file(&path.display().to_string(), &text).grouped());
        }
    }
    let count = |level| findings.iter().filter(|d| d.level == level).count();
    let (errors, warnings, notes) = (count(Level::Error), count(Level::Warning), count(Level::Note));
    let too_many = max_warnings.filter(|&max| warnings > max);
    if json {
        let answer = json!({ "findings": findings, "errors": errors, "warnings": warnings, "notes": notes });
        outln!("{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        for d in &findings {
            outln!("{d}")?;
        }
        errln!("{errors} error(s), {warnings} warning(s), {notes} note(s)");
    }
    if let Some(max) = too_many {
        errln!("spectask: {warnings} warning(s), more than --max-warnings {max}");
    }
    Ok(if errors > 0 || too_many.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Lints the spec in one directory as a whole (references between its documents included); the
/// findings name the files as they are on disk.
fn lint_dir(dir: &Path) -> anyhow::Result<LintReport> {
    let mut documents: Vec<(String, String)> = Vec::new();
    for entry in sorted_entries(dir)? {
        let path = entry.path();
        if entry.file_type()?.is_file() && spec_document(&path) {
            documents.push((path.display().to_string(), read(&path)?));
        }
    }
    let named: Vec<(&str, &str)> = documents.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Ok(lint_documents(&named))
}

/// Directories under `root` (itself included) that hold a spec document. Hidden directories are
/// skipped except `.kiro`, and so are `templates` (cc-sdd's and spec-kit's placeholders) and
/// `node_modules`.
fn spec_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut has_spec = false;
        for entry in sorted_entries(&dir)? {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if entry.file_type()?.is_dir() {
                let skipped = name.starts_with('.') && name != ".kiro"
                    || matches!(name.as_ref(), "templates" | "node_modules");
                if !skipped {
                    pending.push(entry.path());
                }
            } else if spec_document(&entry.path()) {
                has_spec = true;
            }
        }
        if has_spec {
            found.push(dir);
        }
    }
    found.sort();
    Ok(found)
}

/// A Markdown file whose name says which spec document it is.
fn spec_document(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
        && DocumentKind::from_file_name(&path.to_string_lossy()).is_some()
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<std::fs::DirEntry>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

fn parse(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let text = read(file)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let doc = parse_to_json(&name, &text);
    if json {
        outln!("{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        out!("{}", outline(&doc))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A readable outline of a parsed document.
fn outline(doc: &Value) -> String {
    let mut out = String::new();
    match doc["kind"].as_str() {
        Some("tasks") => {
            fn walk(out: &mut String, tasks: &Value, depth: usize) {
                for t in tasks.as_array().into_iter().flatten() {
                    let mark = match t["state"].as_str() {
                        Some("done") => "x",
                        Some("in_progress") => "~",
                        _ => " ",
                    };
                    let reqs = t["requirements"]
                        .as_array()
                        .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "));
                    let reqs = reqs.filter(|r| !r.is_empty()).map(|r| format!("  [{r}]")).unwrap_or_default();
                    let id = t["id"].as_str().unwrap_or("");
                    let title = t["title"].as_str().unwrap_or("");
                    out.push_str(&format!("{}[{mark}] {id} {title}{reqs}\n", "  ".repeat(depth)));
                    walk(out, &t["children"], depth + 1);
                }
            }
            walk(&mut out, &doc["tasks"], 0);
            out.push_str(&format!("summary: {}\n", doc["summary"]));
        }
        Some("requirements") => {
            for r in doc["requirements"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "Requirement {} {}\n",
                    r["id"].as_str().unwrap_or(""),
                    r["title"].as_str().unwrap_or("")
                ));
                for c in r["criteria"].as_array().into_iter().flatten() {
                    out.push_str(&format!(
                        "  {} [{}] {}\n",
                        c["id"].as_str().unwrap_or(""),
                        c["ears"].as_str().unwrap_or(""),
                        c["text"].as_str().unwrap_or("")
                    ));
                }
            }
            out.push_str(&format!("summary: {}\n", doc["summary"]));
        }
        _ => {
            for s in doc["sections"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "{}:{} {}\n",
                    s["line"],
                    "#".repeat(s["level"].as_u64().unwrap_or(2) as usize),
                    s["title"].as_str().unwrap_or("")
                ));
            }
        }
    }
    out
}

fn read(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}
