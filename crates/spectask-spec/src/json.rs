//! JSON shapes of `spectask specs parse FILE --json`, and telling the three documents apart.

use serde_json::{Value, json};

use crate::design::{DesignDoc, parse_design};
use crate::feature_spec::{FeatureSpec, parse_feature_spec};
use crate::plan::deps::DepGraph;
use crate::plan::{Plan, PlanTask};
use crate::requirements::{RequirementsDoc, parse_requirements};
use crate::text::{contains_ignore_case, heading, scan};

/// Which spec document a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Requirements,
    Design,
    Tasks,
    /// spec-kit's `spec.md` ("Feature Specification").
    FeatureSpec,
    /// A document the linter has no rules for and reads as sections: spec-kit's `plan.md`,
    /// `research.md`, `data-model.md`, `quickstart.md`, `constitution.md`, and anything under
    /// `checklists/` or `contracts/`.
    Supporting,
}

impl DocumentKind {
    /// From the path alone: `requirements.md` / `bugfix.md`, `design.md`, `tasks.md` / `progress.md`
    /// (any directory, any case, also as part of a longer name), spec-kit's `spec.md`, and its supporting
    /// documents (see [`DocumentKind::Supporting`]). spec-kit's `checklists/requirements.md` is a
    /// checklist, not requirements.
    pub fn from_file_name(file_name: &str) -> Option<DocumentKind> {
        let mut parts = file_name.rsplit(['/', '\\']);
        let name = parts.next().unwrap_or(file_name).to_lowercase();
        let folder = parts.next().unwrap_or("").to_lowercase();
        if matches!(folder.as_str(), "checklists" | "contracts")
            || matches!(
                name.as_str(),
                "plan.md" | "research.md" | "data-model.md" | "quickstart.md" | "constitution.md"
            )
        {
            Some(DocumentKind::Supporting)
        } else if name == "spec.md" {
            Some(DocumentKind::FeatureSpec)
        } else if name.contains("requirement") || name.contains("bugfix") {
            Some(DocumentKind::Requirements)
        } else if name.contains("design") {
            Some(DocumentKind::Design)
        } else if name.contains("task") || name.contains("progress") {
            Some(DocumentKind::Tasks)
        } else {
            None
        }
    }

    /// From the content: a spec-kit title (`# Feature Specification`, or `# Implementation Plan` with
    /// a `**Branch**` line) → spec-kit kinds; requirement headings or acceptance criteria →
    /// requirements; checkbox tasks → tasks; anything else → design (a list of sections).
    pub fn sniff(text: &str) -> DocumentKind {
        let lines = scan(text);
        let visible = || lines.iter().filter(|l| !l.hidden);
        let title = visible().find_map(|l| heading(l.text).filter(|(level, _)| *level == 1)).map(|(_, t)| t);
        let title_starts = |prefix: &str| {
            title.is_some_and(|t| t.get(..prefix.len()).is_some_and(|h| h.eq_ignore_ascii_case(prefix)))
        };
        if title_starts("feature specification") {
            return DocumentKind::FeatureSpec;
        }
        if title_starts("implementation plan") && visible().any(|l| l.text.starts_with("**Branch**")) {
            return DocumentKind::Supporting;
        }
        let requirements = visible().any(|l| {
            let title = heading(l.text).map_or(l.text, |(_, t)| t);
            let title = crate::text::strip_emphasis(title);
            title.len() > 12 && title.is_char_boundary(12) && title[..12].eq_ignore_ascii_case("requirement ")
                || contains_ignore_case(title, "acceptance criteria")
        });
        if requirements {
            DocumentKind::Requirements
        } else if !Plan::parse(text).tasks().is_empty() {
            DocumentKind::Tasks
        } else {
            DocumentKind::Design
        }
    }

    /// The file name's kind, or the content's when the name says nothing.
    pub fn detect(file_name: &str, text: &str) -> DocumentKind {
        DocumentKind::from_file_name(file_name).unwrap_or_else(|| DocumentKind::sniff(text))
    }
}

/// Parses a document and returns its JSON shape (`"kind"`: `tasks`, `requirements`, `design`,
/// `feature_spec` or `supporting`).
pub fn parse_to_json(file_name: &str, text: &str) -> Value {
    match DocumentKind::detect(file_name, text) {
        DocumentKind::Tasks => plan_to_json(&Plan::parse(text)),
        DocumentKind::Requirements => requirements_to_json(&parse_requirements(text)),
        DocumentKind::Design => design_to_json(&parse_design(text)),
        DocumentKind::FeatureSpec => feature_spec_to_json(&parse_feature_spec(text)),
        DocumentKind::Supporting => {
            let doc = parse_design(text);
            json!({ "kind": "supporting", "title": doc.title, "sections": doc.sections })
        }
    }
}

/// `{"kind":"tasks","tasks":[tree],"checklists":[…],"warnings":[…],"summary":{…}}`. A task's `depends`
/// lists the ids (or `#index` for tasks without one) of its direct dependencies.
pub fn plan_to_json(plan: &Plan) -> Value {
    let graph = plan.dependency_graph();
    let tasks: Vec<Value> = plan.top_tasks().map(|t| task_json(plan, &graph, t)).collect();
    json!({
        "kind": "tasks",
        "tasks": tasks,
        "checklists": plan.checklists(),
        "warnings": plan.warnings(),
        "summary": plan.summary(),
    })
}

fn task_json(plan: &Plan, graph: &DepGraph, task: &PlanTask) -> Value {
    let children: Vec<Value> =
        task.children.iter().map(|&c| task_json(plan, graph, &plan.tasks()[c])).collect();
    let depends: Vec<String> =
        graph.depends_on(task.index).iter().map(|&d| plan.tasks()[d].label()).collect();
    json!({
        "id": task.id,
        "title": task.title,
        "state": task.state,
        "marker": task.marker.map(String::from),
        "optional": task.optional,
        "parallel": task.parallel,
        "requirements": task.requirements,
        "depends": depends,
        "section": task.section,
        "line": task.line,
        "children": children,
    })
}

/// `{"kind":"requirements","title","requirements":[…],"glossary":[…],"summary":{…}}`.
pub fn requirements_to_json(doc: &RequirementsDoc) -> Value {
    let requirements: Vec<Value> = doc
        .requirements
        .iter()
        .map(|r| {
            let criteria: Vec<Value> = r
                .criteria
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "text": c.text,
                        "line": c.line,
                        "end_line": c.end_line,
                        "ears": c.ears.pattern,
                        "system": c.ears.system,
                        "shall_count": c.ears.shall_count,
                    })
                })
                .collect();
            json!({ "id": r.id, "title": r.title, "user_story": r.user_story, "line": r.line, "criteria": criteria })
        })
        .collect();
    json!({
        "kind": "requirements",
        "title": doc.title,
        "requirements": requirements,
        "glossary": doc.glossary,
        "summary": doc.summary(),
    })
}

/// `{"kind":"design","title","sections":[{title,level,line,end_line,body}]}`.
pub fn design_to_json(doc: &DesignDoc) -> Value {
    json!({ "kind": "design", "title": doc.title, "sections": doc.sections })
}

/// `{"kind":"feature_spec","title","user_stories","requirements","success_criteria","open_questions",
/// "sections"}`.
pub fn feature_spec_to_json(spec: &FeatureSpec) -> Value {
    json!({
        "kind": "feature_spec",
        "title": spec.title,
        "user_stories": spec.user_stories,
        "requirements": spec.requirements,
        "success_criteria": spec.success_criteria,
        "open_questions": spec.open_questions,
        "sections": spec.sections,
    })
}
