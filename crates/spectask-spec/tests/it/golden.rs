//! Golden tests over realistic spec folders in each dialect (`tests/golden/<dialect>/`, written for these
//! tests): what each document parses to and every finding the linter reports, compared with
//! `tests/golden/expected/<dialect>.txt`. No folder may have an error (none of them is broken), and no
//! file more than `MAX_WARNINGS` warnings.
//!
//! After an intended change, `SPECTASK_UPDATE_GOLDEN=1 cargo test -p spectask-spec --test it golden::`
//! rewrites the expected files; review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use spectask_spec::{
    DocumentKind, Level, LintReport, Plan, SpecFiles, Template, Workflow, lint_documents, lint_file,
    parse_design, parse_feature_spec, parse_requirements,
};

const DIALECTS: [&str; 8] = [
    "kiro-gen1",
    "kiro-gen2",
    "kiro-bugfix",
    "cc-sdd",
    "cc-sdd-ja",
    "spec-kit",
    "handwritten",
    "repository-template",
];

/// The most warnings (grouped findings) one realistic file may have.
const MAX_WARNINGS: usize = 2;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The folder's Markdown documents as (file name, text), by name.
fn documents(dir: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        })
        .collect();
    found.sort();
    found
}

/// One line on what a document parses to.
fn summary(name: &str, text: &str) -> String {
    match DocumentKind::detect(name, text) {
        DocumentKind::Requirements => {
            let doc = parse_requirements(text);
            let s = doc.summary();
            let e = s.ears;
            format!(
                "requirements: {} requirements, {} criteria (event {}, unwanted {}, state {}, optional {}, ubiquitous {}, complex {}, non-EARS {}), glossary {}",
                s.requirements,
                s.criteria,
                e.event,
                e.unwanted,
                e.state,
                e.optional,
                e.ubiquitous,
                e.complex,
                e.non_ears,
                doc.glossary.len()
            )
        }
        DocumentKind::Tasks => {
            let plan = Plan::parse(text);
            let s = plan.summary();
            let checklist: usize = plan.checklists().iter().map(|c| c.items.len()).sum();
            let deps: usize =
                (0..plan.tasks().len()).map(|i| plan.dependency_graph().depends_on(i).len()).sum();
            format!(
                "tasks: {} top-level, {} sub-tasks, {} done, {} in progress, {} optional, {} dependency edges, {} checklist items",
                s.top_tasks, s.sub_tasks, s.done, s.in_progress, s.optional, deps, checklist
            )
        }
        DocumentKind::Design => format!("design: {} sections", parse_design(text).sections.len()),
        DocumentKind::FeatureSpec => {
            let spec = parse_feature_spec(text);
            format!(
                "feature spec: {} user stories, {} functional requirements, {} success criteria, {} open questions",
                spec.user_stories.len(),
                spec.requirements.len(),
                spec.success_criteria.len(),
                spec.open_questions.len()
            )
        }
        DocumentKind::Supporting => format!("supporting: {} sections", parse_design(text).sections.len()),
    }
}

fn rendered(report: &LintReport) -> String {
    report.grouped().iter().map(|d| format!("{d}\n")).collect()
}

fn warnings_in(report: &LintReport, file: &str) -> usize {
    report.grouped().iter().filter(|d| d.file == file && d.level == Level::Warning).count()
}

#[test]
fn realistic_specs_lint_without_false_errors_and_few_warnings() {
    let update = std::env::var_os("SPECTASK_UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for dialect in DIALECTS {
        let docs = documents(&root().join(dialect));
        assert!(!docs.is_empty(), "{dialect} has no documents");
        let named: Vec<(&str, &str)> = docs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let folder = lint_documents(&named);
        let mut actual = String::new();
        for (name, text) in &named {
            let _ = writeln!(actual, "{name}: {}", summary(name, text));
        }
        let _ = writeln!(actual, "\n# the folder\n{}", rendered(&folder));
        for (name, text) in &named {
            let alone = lint_file(name, text);
            let _ = write!(actual, "\n# {name} alone\n{}", rendered(&alone));
            for (report, how) in [(&folder, "in its folder"), (&alone, "alone")] {
                if report.diagnostics.iter().any(|d| d.file == *name && d.level == Level::Error) {
                    failures.push(format!("{dialect}/{name} {how}: an error\n{}", rendered(report)));
                }
                if warnings_in(report, name) > MAX_WARNINGS {
                    failures.push(format!("{dialect}/{name} {how}: {} warnings", warnings_in(report, name)));
                }
            }
        }
        let expected_path = root().join("expected").join(format!("{dialect}.txt"));
        if update {
            std::fs::write(&expected_path, &actual)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{dialect}: differs from {}:\n{actual}", expected_path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The folders written in a workflow lint clean under its template, gates included: the Kiro
/// bugfix under `bugfix`, and `repository-template` under its own `template.toml` (a security fix
/// on the bugfix base, with a section of its own in bugfix.md and design.md).
#[test]
fn workflow_folders_lint_clean_under_their_templates() {
    let own = root().join("repository-template/template.toml");
    let text = std::fs::read_to_string(&own).unwrap_or_else(|e| panic!("{}: {e}", own.display()));
    let template = Template::parse(".spectask/templates/security-fix.toml", &text).expect("a valid template");
    assert_eq!(template.gates.design_sections, ["Threat Model"], "{template:#?}");
    for (folder, template) in
        [("kiro-bugfix", Template::builtin(Workflow::Bugfix)), ("repository-template", template)]
    {
        let docs = documents(&root().join(folder));
        let text = |name: &str| docs.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str());
        let files =
            SpecFiles { requirements: text("bugfix.md"), design: text("design.md"), tasks: text("tasks.md") };
        assert!(files.requirements.and(files.design).and(files.tasks).is_some(), "{folder} lacks a document");
        let report = template.lint(&files);
        assert!(report.diagnostics.is_empty(), "{folder} under {}:\n{}", template.name, rendered(&report));
        // Each gate can fail: without its sections, the folder breaks them.
        let bare = files.design.map(|d| d.replace("## Threat Model", "## Threats"));
        let broken = template.lint(&SpecFiles { design: bare.as_deref(), ..files });
        let want = if template.gates.design_sections.is_empty() { 0 } else { 1 };
        assert_eq!(broken.errors().count(), want, "{folder}:\n{}", rendered(&broken));
    }
}
