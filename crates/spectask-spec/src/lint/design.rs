//! Lint rules for design.md: the sections the Kiro and cc-sdd design templates ask for, and the
//! requirement ids named by correctness properties (`**Validates: Requirements 2.3**`).

use super::{Code, Sink, known_ids};
use crate::design::parse_design;
use crate::plan::refs::{Meta, detail_meta};
use crate::requirements::RequirementsDoc;
use crate::text::scan;

pub(super) fn lint(text: &str, sink: &mut Sink<'_>) {
    let missing = parse_design(text).missing_sections();
    if !missing.is_empty() {
        sink.report(
            Code::MissingDesignSection,
            1,
            format!("design has no section for {}", missing.join(", ")),
        );
    }
}

pub(super) fn unknown_references(text: &str, doc: &RequirementsDoc, sink: &mut Sink<'_>) {
    let known = known_ids(doc);
    for line in scan(text).iter().filter(|l| !l.hidden) {
        let body = line.text.trim_start().trim_start_matches(['-', '+']);
        if let Some(Meta::Requirements { ids, .. }) = detail_meta(body) {
            for id in ids.iter().filter(|id| !known.contains(id.as_str())) {
                let what = if id.contains('.') { "criterion" } else { "requirement" };
                sink.report(
                    Code::UnknownReference,
                    line.number,
                    format!("design references unknown {what} {id}"),
                );
            }
        }
    }
}
