//! `spectask specs lint|parse`: spec documents on disk, checked and parsed by the spec crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::Value;
use spectask_spec::{Diagnostic, Level, SpecFiles, lint_file, lint_spec, parse_to_json};

use crate::cli::SpecsCommand;

pub fn run(command: SpecsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SpecsCommand::Lint { path, json } => lint(&path, json),
        SpecsCommand::Parse { file, json } => parse(&file, json),
    }
}

fn lint(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let diagnostics = if path.is_dir() {
        let dirs = spec_dirs(path)?;
        if dirs.is_empty() {
            bail!("{} holds no requirements.md, design.md or tasks.md", path.display());
        }
        let mut all = Vec::new();
        for dir in dirs {
            all.extend(lint_dir(&dir)?);
        }
        all
    } else {
        let text = read(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        relocate(lint_file(&name, &text).diagnostics, path.parent().unwrap_or(Path::new("")))
    };
    let errors = diagnostics.iter().filter(|d| d.level == Level::Error).count();
    if json {
        println!("{}", serde_json::to_string_pretty(&diagnostics)?);
    } else {
        for d in &diagnostics {
            println!("{d}");
        }
        let warnings = diagnostics.len() - errors;
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Lints the spec in one directory as a whole (cross-document references included).
fn lint_dir(dir: &Path) -> anyhow::Result<Vec<Diagnostic>> {
    let load = |name: &str| -> anyhow::Result<Option<String>> {
        let file = dir.join(name);
        if file.is_file() { read(&file).map(Some) } else { Ok(None) }
    };
    let requirements = load("requirements.md")?;
    let design = load("design.md")?;
    let tasks = load("tasks.md")?;
    let report = lint_spec(&SpecFiles {
        requirements: requirements.as_deref(),
        design: design.as_deref(),
        tasks: tasks.as_deref(),
    });
    Ok(relocate(report.diagnostics, dir))
}

/// Directories under `root` (itself included) that hold at least one of the three documents.
fn spec_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read directory {}", dir.display()))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        let mut has_spec = false;
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry.file_type()?;
            if kind.is_dir() && !name.starts_with('.') || kind.is_dir() && name == ".kiro" {
                pending.push(entry.path());
            } else if matches!(name.as_ref(), "requirements.md" | "design.md" | "tasks.md") {
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

/// Diagnostics name files relative to their spec; show them where they are on disk.
fn relocate(diagnostics: Vec<Diagnostic>, dir: &Path) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .map(|mut d| {
            d.file = dir.join(&d.file).display().to_string();
            d
        })
        .collect()
}

fn parse(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let text = read(file)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let doc = parse_to_json(&name, &text);
    if json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", outline(&doc));
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
