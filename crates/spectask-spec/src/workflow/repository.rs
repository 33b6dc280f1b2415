//! A repository's own workflow templates: `.spectask/templates/<name>.toml`.
//!
//! ```toml
//! description = "A security fix, reviewed by the security team"
//! base = "bugfix"              # feature, design-first or bugfix: the documents' order and rules
//! guidance = "Name the CVE in the introduction."   # to the planner, about the whole spec
//!
//! [documents.bugfix]           # the first document: `requirements`, or `bugfix` on a bugfix base
//! guidance = "Say which versions are affected."
//! sections = ["Affected Versions"]
//!
//! [documents.design]
//! guidance = "State the threat model and how the fix closes it."
//! sections = ["Threat Model"]
//!
//! [documents.tasks]
//! guidance = "End with a task that adds the CVE to the changelog."
//! first_task = ["test", "fail|reproduce"]
//! ```
//!
//! Every spec has its three documents (implementation, the analysis and the reviews read them): a
//! template says what each must hold, not which there are.

use crate::steering::rules::SteeringRules;
use serde::Deserialize;

use super::{DocumentGuidance, Gates, Template, Workflow};

/// Where a repository keeps its templates, on its default branch.
pub const TEMPLATES_DIR: &str = ".spectask/templates";

/// The most a template file may hold.
const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// Why a repository template cannot be used, naming the file and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "{path}: a template's name is its file stem in lower case letters, digits and `-` \
         (at most 40), not `{name}`"
    )]
    BadName { path: String, name: String },
    #[error("{path}: `{name}` is a built-in workflow; name the template differently")]
    Builtin { path: String, name: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    description: String,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    documents: DocumentsFile,
}

/// `[documents.<name>]`: the first document under its file's name, then design and tasks.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DocumentsFile {
    requirements: Option<SectionsFile>,
    bugfix: Option<SectionsFile>,
    design: Option<SectionsFile>,
    tasks: Option<TasksFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SectionsFile {
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    sections: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TasksFile {
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    first_task: Vec<String>,
}

/// The template name a path under [`TEMPLATES_DIR`] defines, when it names a template file.
pub fn template_name_of(path: &str) -> Option<&str> {
    let name = path.strip_prefix(TEMPLATES_DIR)?.strip_prefix('/')?.strip_suffix(".toml")?;
    (!name.contains('/')).then_some(name)
}

/// Whether `name` can name a workflow: lower case letters, digits and `-`, 1 to 40 characters,
/// starting with a letter.
pub fn is_workflow_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Template {
    /// Reads a repository template from its file (`path` as in the repository, text as stored).
    pub fn parse(path: &str, text: &str) -> Result<Template, TemplateError> {
        let invalid = |message: String| TemplateError::Invalid { path: path.to_owned(), message };
        let name = template_name_of(path)
            .ok_or_else(|| invalid(format!("templates live in {TEMPLATES_DIR}/<name>.toml")))?;
        if !is_workflow_name(name) {
            return Err(TemplateError::BadName { path: path.to_owned(), name: name.to_owned() });
        }
        if Workflow::from_name(name).is_some() {
            return Err(TemplateError::Builtin { path: path.to_owned(), name: name.to_owned() });
        }
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(invalid(format!("the file is over {} KiB", MAX_TEMPLATE_BYTES / 1024)));
        }
        let file: TemplateFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|at| text[..at.start.min(text.len())].matches('\n').count() + 1);
            invalid(match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_owned(),
            })
        })?;
        if file.description.trim().is_empty() {
            return Err(invalid("`description` is blank".to_owned()));
        }
        let base = match file.base.as_deref() {
            None => Workflow::Feature,
            Some(base) => Workflow::from_name(base).filter(|w| w.has_spec()).ok_or_else(|| {
                invalid(format!("`base` is `{base}`; it is one of feature, design-first, bugfix"))
            })?,
        };
        let documents = file.documents;
        let first = first_document(base, documents.requirements, documents.bugfix).map_err(invalid)?;
        let design = documents.design.unwrap_or_default();
        let tasks = documents.tasks.unwrap_or_default();
        let first_key = first_key(base);
        for (field, entries) in [
            (format!("documents.{first_key}.sections"), &first.sections),
            ("documents.design.sections".to_owned(), &design.sections),
            ("documents.tasks.first_task".to_owned(), &tasks.first_task),
        ] {
            if entries.iter().any(|e| e.trim().is_empty() || e.split('|').any(|w| w.trim().is_empty())) {
                return Err(invalid(format!("`{field}` has a blank entry")));
            }
        }
        let builtin = Template::builtin(base).gates;
        let merged = |mine: Vec<String>, theirs: Vec<String>| {
            let mut all = theirs;
            all.extend(mine.into_iter().filter(|m| !all.contains(m)).collect::<Vec<_>>());
            all
        };
        Ok(Template {
            name: name.to_owned(),
            description: file.description.trim().to_owned(),
            base,
            guidance: file.guidance,
            documents: DocumentGuidance {
                requirements: first.guidance,
                design: design.guidance,
                tasks: tasks.guidance,
            },
            gates: Gates {
                design_sections: merged(design.sections, builtin.design_sections),
                first_task_words: merged(tasks.first_task, builtin.first_task_words),
                requirements_sections: merged(first.sections, builtin.requirements_sections),
            },
            steering: SteeringRules::default(),
        })
    }
}

/// The key of the first document's table: its file's stem.
fn first_key(base: Workflow) -> &'static str {
    base.requirements_file().trim_end_matches(".md")
}

/// The first document's table, under the name its base gives the file.
fn first_document(
    base: Workflow,
    requirements: Option<SectionsFile>,
    bugfix: Option<SectionsFile>,
) -> Result<SectionsFile, String> {
    match (base, requirements, bugfix) {
        (Workflow::Bugfix, Some(_), _) => {
            Err("`documents.requirements`: a bugfix template's first document is bugfix.md; name its table \
             `documents.bugfix`"
                .to_owned())
        }
        (Workflow::Bugfix, None, bugfix) => Ok(bugfix.unwrap_or_default()),
        (_, _, Some(_)) => {
            Err("`documents.bugfix`: only a template with `base = \"bugfix\"` has bugfix.md; \
             this one's first document is requirements.md (`documents.requirements`)"
                .to_owned())
        }
        (_, requirements, None) => Ok(requirements.unwrap_or_default()),
    }
}
