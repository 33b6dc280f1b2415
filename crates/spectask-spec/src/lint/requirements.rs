//! Lint rules for requirements.md on its own: ids, EARS shape, system names and vague words.

use std::collections::HashMap;

use super::{Code, Sink};
use crate::ears::EarsProblem;
use crate::requirements::{GlossaryEntry, RequirementsDoc};

pub(super) fn lint(doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    if doc.requirements.is_empty() {
        sink.report(Code::NoRequirements, 1, "no requirements found".to_owned());
    }
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for requirement in &doc.requirements {
        if requirement.criteria.is_empty() {
            sink.report(
                Code::RequirementWithoutCriteria,
                requirement.line,
                format!("requirement {} has no acceptance criteria", requirement.id),
            );
        }
        for criterion in &requirement.criteria {
            let (id, line, ears) = (&criterion.id, criterion.line, &criterion.ears);
            match seen.get(id.as_str()) {
                Some(first) => sink.report(
                    Code::DuplicateCriterion,
                    line,
                    format!("duplicate criterion id {id} (first on line {first})"),
                ),
                None => {
                    seen.insert(id, line);
                }
            }
            match ears.problem {
                Some(EarsProblem::NoShall) => {
                    sink.report(Code::CriterionWithoutShall, line, format!("criterion {id} has no shall"));
                }
                Some(EarsProblem::UnseparatedClause) => sink.report(
                    Code::ConditionWithoutBoundary,
                    line,
                    format!("criterion {id}: no comma, then or the shows where its condition ends"),
                ),
                Some(EarsProblem::LateClause) => sink.report(
                    Code::ConditionAfterShall,
                    line,
                    format!("criterion {id} puts its condition after shall"),
                ),
                None if ears.system.is_none() => {
                    sink.report(
                        Code::CriterionWithoutSystem,
                        line,
                        format!("criterion {id} names no system"),
                    );
                }
                None => {}
            }
            if ears.shall_count > 1 {
                sink.report(
                    Code::SeveralShall,
                    line,
                    format!("criterion {id} has {} shall, expected one", ears.shall_count),
                );
            }
            if let Some(system) = &ears.system
                && !doc.glossary.is_empty()
                && !generic(system)
                && !in_glossary(&doc.glossary, system)
            {
                sink.report(
                    Code::SystemNotInGlossary,
                    line,
                    format!("criterion {id} names system \"{system}\", which is not in the glossary"),
                );
            }
            for word in &ears.vague_words {
                sink.report(Code::VagueWord, line, format!("criterion {id} uses vague word \"{word}\""));
            }
        }
    }
}

/// Names that stand for the product as a whole (`the system`, Kiro's first style) rather than a
/// glossary term: a glossary does not define them.
fn generic(system: &str) -> bool {
    const GENERIC: &[&str] = &["system", "application", "app", "software", "product", "platform", "tool"];
    GENERIC.contains(&system.to_lowercase().as_str())
}

/// Whether `system` is a glossary term, ignoring case, `_`/`-`/space differences and a plural `s`, or
/// ends with one (`Admin_Console UI` is the Admin_Console's UI; `the Todo App` matches `Todo App`).
fn in_glossary(glossary: &[GlossaryEntry], system: &str) -> bool {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase().trim_end_matches('s').to_owned())
            .collect()
    };
    let system = words(system);
    glossary.iter().any(|entry| {
        let term = words(&entry.term);
        !term.is_empty() && (system == term || system.starts_with(&term) || system.ends_with(&term))
    })
}
