//! Lint rules for requirements.md on its own.

use std::collections::HashMap;

use super::Sink;
use crate::ears::EarsProblem;
use crate::requirements::RequirementsDoc;

pub(super) fn lint(doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    if doc.requirements.is_empty() {
        sink.warning(1, "no requirements found".to_owned());
    }
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for requirement in &doc.requirements {
        if requirement.criteria.is_empty() {
            sink.warning(
                requirement.line,
                format!("requirement {} has no acceptance criteria", requirement.id),
            );
        }
        for criterion in &requirement.criteria {
            let id = &criterion.id;
            match seen.get(id.as_str()) {
                Some(first) => {
                    sink.error(criterion.line, format!("duplicate criterion id {id} (first on line {first})"))
                }
                None => {
                    seen.insert(id, criterion.line);
                }
            }
            let ears = &criterion.ears;
            match ears.problem {
                Some(EarsProblem::NoShall) => sink.error(criterion.line, format!("criterion {id} has no shall")),
                Some(EarsProblem::UnseparatedClause) => sink.error(
                    criterion.line,
                    format!("criterion {id} is not ears-shaped: no comma or then between its condition and the system"),
                ),
                Some(EarsProblem::LateClause) => sink.error(
                    criterion.line,
                    format!("criterion {id} is not ears-shaped: its condition comes after shall"),
                ),
                None if ears.system.is_none() => sink.error(criterion.line, format!("criterion {id} names no system")),
                None => {}
            }
            if ears.shall_count > 1 {
                sink.error(
                    criterion.line,
                    format!("criterion {id} has {} shall, expected exactly one", ears.shall_count),
                );
            }
            if let Some(system) = &ears.system {
                let known = doc.glossary.iter().any(|g| g.term.eq_ignore_ascii_case(system));
                if !doc.glossary.is_empty() && !known {
                    sink.warning(
                        criterion.line,
                        format!("criterion {id} names system {system:?} which is not in the glossary"),
                    );
                }
            }
            for word in &ears.vague_words {
                sink.warning(criterion.line, format!("criterion {id} uses vague word {word:?}"));
            }
        }
    }
}
