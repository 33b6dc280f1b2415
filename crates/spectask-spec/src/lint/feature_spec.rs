//! Lint rules for a spec-kit spec.md: open clarification markers, reused `FR-`/`SC-` ids and the
//! template's mandatory sections. spec-kit's own conventions (MUST rather than SHALL, Given/When/Then
//! scenarios, no task references) are not findings.

use std::collections::HashMap;

use super::{Code, Sink, quoted};
use crate::feature_spec::parse_feature_spec;

pub(super) fn lint(text: &str, sink: &mut Sink<'_>) {
    let spec = parse_feature_spec(text);
    for question in &spec.open_questions {
        sink.report(
            Code::NeedsClarification,
            question.line,
            format!("open question: NEEDS CLARIFICATION {}", quoted(&question.question)),
        );
    }
    let mut first: HashMap<&str, u32> = HashMap::new();
    for item in spec.requirements.iter().chain(&spec.success_criteria) {
        match first.get(item.id.as_str()) {
            Some(line) => sink.report(
                Code::DuplicateSpecId,
                item.line,
                format!("{} is used twice (first on line {line})", item.id),
            ),
            None => {
                first.insert(&item.id, item.line);
            }
        }
    }
    for missing in spec.missing_sections() {
        sink.report(Code::MissingMandatorySection, 1, format!("spec has no mandatory section \"{missing}\""));
    }
}
