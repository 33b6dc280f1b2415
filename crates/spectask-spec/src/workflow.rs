//! Workflow templates: which documents a spec has, what its planner is told, and which gates its
//! lint enforces.
//!
//! Four templates are built in: `feature` (requirements first), `design-first` (design.md first,
//! requirements derived from it), `bugfix` (bugfix.md, a fix-sized design, a plan that starts
//! with a failing test) and `review` (no spec: an agent reviews a branch or commit range and writes
//! findings, [`crate::review`]). A repository adds its own in `.spectask/templates/<name>.toml`,
//! each one built on a spec workflow with extra guidance and gates ([`Template::parse`]).
//!
//! A gate is a lint finding at error level, so a planner's draft that breaks one goes back to the
//! planner for repair like any other error.

mod gates;
mod repository;

pub use repository::{TEMPLATES_DIR, TemplateError, is_workflow_name, template_name_of};

use crate::lint::{LintReport, SpecFiles, lint_documents, lint_named};
use crate::steering::rules::SteeringRules;

/// A built-in workflow: the shape of a spec and the order it is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Workflow {
    /// requirements.md, then design.md, then tasks.md.
    #[default]
    Feature,
    /// design.md first; requirements.md derived from it and checked against it.
    DesignFirst,
    /// bugfix.md (current, expected and unchanged behaviour), a design limited to the fix, and a
    /// plan whose first task writes a test that reproduces the bug.
    Bugfix,
    /// No spec and no implementation: an agent reviews a branch or commit range and its findings
    /// are committed as a report.
    Review,
}

impl Workflow {
    pub const ALL: [Workflow; 4] =
        [Workflow::Feature, Workflow::DesignFirst, Workflow::Bugfix, Workflow::Review];

    /// The name people choose it by.
    pub fn name(self) -> &'static str {
        match self {
            Workflow::Feature => "feature",
            Workflow::DesignFirst => "design-first",
            Workflow::Bugfix => "bugfix",
            Workflow::Review => "review",
        }
    }

    pub fn from_name(name: &str) -> Option<Workflow> {
        Workflow::ALL.into_iter().find(|w| w.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Workflow::Feature => "A new capability: requirements in EARS, then the design, then the plan.",
            Workflow::DesignFirst => {
                "A change whose shape is known: the design first, then requirements derived from it."
            }
            Workflow::Bugfix => {
                "A defect: current, expected and unchanged behaviour; the plan starts with a failing test."
            }
            Workflow::Review => {
                "A review of a branch or commit range: findings with file and line, no code change."
            }
        }
    }

    /// The file name of the spec's first document: `requirements.md`, or `bugfix.md`.
    pub fn requirements_file(self) -> &'static str {
        match self {
            Workflow::Bugfix => "bugfix.md",
            Workflow::Feature | Workflow::DesignFirst | Workflow::Review => "requirements.md",
        }
    }

    /// The first document's file name of a task whose workflow is or builds on `base`, a task's
    /// stored `workflow_base`; `requirements.md` for a name no built-in workflow has.
    pub fn requirements_file_of(base: &str) -> &'static str {
        Workflow::from_name(base).map_or("requirements.md", Workflow::requirements_file)
    }

    /// Whether its tasks write a spec to implement (every workflow but `review`); a repository
    /// template is built only on one of these.
    pub fn has_spec(self) -> bool {
        self != Workflow::Review
    }

    /// What a planner is told on top of the format rules every spec follows.
    pub fn planner_rules(self) -> &'static str {
        match self {
            Workflow::Feature | Workflow::Review => "",
            Workflow::DesignFirst => include_str!("workflow/design_first.md"),
            Workflow::Bugfix => include_str!("workflow/bugfix.md"),
        }
    }
}

/// A workflow as a task uses it: a built-in, or a repository's template built on one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// `feature`, `design-first`, `bugfix`, or a repository template's file stem.
    pub name: String,
    pub description: String,
    pub base: Workflow,
    /// The repository template's own words to the planner, after the base's rules.
    pub guidance: String,
    /// The repository template's words to the planner about each document.
    pub documents: DocumentGuidance,
    pub gates: Gates,
    /// The rules the repository's steering documents state, checked with the gates.
    pub steering: SteeringRules,
}

/// A repository template's words to the planner about each document, empty where it has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentGuidance {
    /// About the first document (requirements.md, or bugfix.md).
    pub requirements: String,
    pub design: String,
    pub tasks: String,
}

/// What a spec must show before it goes to review, beyond the format rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gates {
    /// Sections design.md must have (matched as design sections are).
    pub design_sections: Vec<String>,
    /// Words the plan's first task must contain, each entry a set of alternatives (`fail|reproduce`).
    pub first_task_words: Vec<String>,
    /// Sections the first document must have (bugfix.md's behaviour sections).
    pub requirements_sections: Vec<String>,
}

impl Default for Template {
    fn default() -> Template {
        Template::builtin(Workflow::Feature)
    }
}

impl Template {
    /// The built-in template of `workflow`.
    pub fn builtin(workflow: Workflow) -> Template {
        let gates = match workflow {
            Workflow::Feature | Workflow::DesignFirst | Workflow::Review => Gates::default(),
            Workflow::Bugfix => Gates {
                requirements_sections: vec![
                    "Current Behavior".to_owned(),
                    "Expected Behavior".to_owned(),
                    "Unchanged Behavior".to_owned(),
                ],
                first_task_words: vec!["test".to_owned(), "fail|reproduc".to_owned()],
                design_sections: Vec::new(),
            },
        };
        Template {
            name: workflow.name().to_owned(),
            description: workflow.description().to_owned(),
            base: workflow,
            guidance: String::new(),
            documents: DocumentGuidance::default(),
            gates,
            steering: SteeringRules::default(),
        }
    }

    /// The file name of the spec's first document.
    pub fn requirements_file(&self) -> &'static str {
        self.base.requirements_file()
    }

    /// Everything a planner is told about this workflow, on top of the format rules: the base's
    /// rules, then a repository template's guidance and what it asks of each document.
    pub fn planner_rules(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let base = self.base.planner_rules();
        if !base.is_empty() {
            parts.push(base.trim_end().to_owned());
        }
        if !self.guidance.trim().is_empty() {
            parts.push(self.guidance.trim().to_owned());
        }
        if self.name != self.base.name() {
            parts.extend(self.document_rules());
        }
        if parts.is_empty() {
            return String::new();
        }
        format!("## This spec's workflow: {}\n\n{}\n", self.name, parts.join("\n\n"))
    }

    /// A repository template's guidance and gates per document, one part for each document it
    /// says something about.
    fn document_rules(&self) -> Vec<String> {
        let quoted = |entries: &[String]| {
            entries
                .iter()
                .map(|e| format!("\"{}\"", e.replace('|', "\" or \"")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let gates = &self.gates;
        let documents = [
            (
                self.requirements_file(),
                &self.documents.requirements,
                &gates.requirements_sections,
                "It has the sections",
            ),
            ("design.md", &self.documents.design, &gates.design_sections, "It has the sections"),
            ("tasks.md", &self.documents.tasks, &gates.first_task_words, "Its first task says"),
        ];
        let mut parts = Vec::new();
        for (file, guidance, gate, says) in documents {
            let mut lines = Vec::new();
            if !guidance.trim().is_empty() {
                lines.push(guidance.trim().to_owned());
            }
            if !gate.is_empty() {
                lines.push(format!("{says} {}.", quoted(gate)));
            }
            if !lines.is_empty() {
                parts.push(format!("### {file}\n\n{}", lines.join("\n")));
            }
        }
        parts
    }

    /// Lints a spec written in this workflow: the format rules, then the workflow's gates. Findings
    /// name the first document by its workflow's file name.
    pub fn lint(&self, files: &SpecFiles<'_>) -> LintReport {
        let names = [self.requirements_file(), "design.md", "tasks.md"];
        self.with_gates(files, names, lint_named(files, names))
    }

    /// Lints a spec folder taken up as it is, its documents given as (path, text) in the order
    /// first document, design, tasks (each may be missing): each document by the format its path
    /// says (spec-kit's spec.md and plan.md by theirs), then the workflow's gates and the steering
    /// rules. Findings carry the paths.
    pub fn lint_folder(&self, documents: [Option<(&str, &str)>; 3]) -> LintReport {
        let named: Vec<(&str, &str)> = documents.iter().flatten().copied().collect();
        let files = SpecFiles {
            requirements: documents[0].map(|(_, text)| text),
            design: documents[1].map(|(_, text)| text),
            tasks: documents[2].map(|(_, text)| text),
        };
        let names = documents.map(|d| d.map_or("", |(path, _)| path));
        self.with_gates(&files, names, lint_documents(&named))
    }

    /// `report` with the gates' and the steering rules' findings added, in the documents' order.
    fn with_gates(&self, files: &SpecFiles<'_>, names: [&str; 3], mut report: LintReport) -> LintReport {
        gates::check(self, files, names, &mut report);
        self.steering.check(files, names, &mut report.diagnostics);
        report.normalise(&names);
        report
    }
}

#[cfg(test)]
mod tests;
