//! Fuzzes the requirements parser, the EARS classifier and the requirements linter: no panic, and
//! every criterion's lines lie inside the document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use spectask_spec::{lint_file, parse_requirements, parse_to_json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc = parse_requirements(text);
    let lines = u32::try_from(text.len()).unwrap_or(u32::MAX).saturating_add(1);
    for criterion in doc.criteria() {
        assert!(criterion.line <= criterion.end_line && criterion.end_line <= lines);
    }
    let _ = doc.summary();
    let _ = lint_file("requirements.md", text);
    let _ = parse_to_json("requirements.md", text);
    let _ = parse_to_json("design.md", text);
});
