//! Extraction from the answer shapes models produce.

use super::*;

const REQ: &str = "# Requirements Document\n\n## Introduction\nJWT.\n";
const DESIGN: &str = "# Design Document\n\n## Overview\n\n```mermaid\ngraph TD\n  A --> B\n```\n\nDone.\n";
const TASKS: &str = "# Implementation Plan\n\n- [ ] 1. Do it\n  - _Requirements: 1.1_\n";

fn assert_all_three(found: &ExtractedDocuments) {
    assert_eq!(found.requirements.as_deref(), Some(REQ));
    assert_eq!(found.design.as_deref(), Some(DESIGN));
    assert_eq!(found.tasks.as_deref(), Some(TASKS));
    assert!(found.missing().is_empty());
}

#[test]
fn delimited_answer_round_trips_through_render() {
    let documents = Documents { requirements: REQ.into(), design: DESIGN.into(), tasks: TASKS.into() };
    let found = extract(&documents.render());
    assert_eq!(found.complete(), Some(documents));
}

#[test]
fn delimiters_tolerate_chatter_spacing_bold_names_and_wrapping_fences() {
    let answer = format!(
        "Sure! Here is the spec.\n\n===  **requirements.md**  ===\n\n```markdown\n{REQ}```\n\n\
         ==== design.md ====\n{DESIGN}\n=== .kiro/specs/jwt/tasks.md ===\r\n{TASKS}=== END ===\n\
         Let me know if you want changes."
    );
    let answer = answer.replace("\r\n", "\n");
    assert_all_three(&extract(&answer));
}

#[test]
fn named_markdown_fences_are_accepted() {
    let answer = format!(
        "### requirements.md\n\n```markdown\n{REQ}```\n\n**`design.md`**\n```md\n{DESIGN}```\n\n\
         ```markdown title=\"tasks.md\"\n{TASKS}```\n"
    );
    assert_all_three(&extract(&answer));
}

#[test]
fn longer_outer_fences_and_tilde_fences_are_accepted() {
    let answer = format!(
        "requirements.md:\n~~~\n{REQ}~~~\n\ndesign.md\n````markdown\n{DESIGN}````\n\ntasks.md\n```\n{TASKS}```\n"
    );
    assert_all_three(&extract(&answer));
}

#[test]
fn a_leading_think_block_is_skipped_even_when_it_mentions_delimiters() {
    let thinking = "<think>\nI will write\n=== requirements.md ===\nfirst, then the rest.\n</think>\n";
    let documents = Documents { requirements: REQ.into(), design: DESIGN.into(), tasks: TASKS.into() };
    assert_all_three(&extract(&format!("{thinking}{}", documents.render())));
    assert_eq!(extract("<think>\n=== tasks.md ===\nnever closed"), ExtractedDocuments::default());
}

#[test]
fn unnamed_fences_are_not_documents() {
    let answer = format!("Here:\n```markdown\n{REQ}```\n=== tasks.md ===\n{TASKS}");
    let found = extract(&answer);
    assert_eq!(found.requirements, None);
    assert_eq!(found.tasks.as_deref(), Some(TASKS));
    assert_eq!(found.missing(), vec![SpecDocument::Requirements, SpecDocument::Design]);
    assert_eq!(found.complete(), None);
}

#[test]
fn a_repair_answer_with_one_document_keeps_the_others() {
    let first = extract(&format!("=== requirements.md ===\n{REQ}=== design.md ===\n{DESIGN}=== end ==="));
    let repair = extract(&format!("=== tasks.md ===\n{TASKS}=== end ==="));
    assert_all_three(&repair.or(&first));
}

#[test]
fn a_section_open_at_the_end_counts_and_is_marked_unterminated() {
    let found = extract(&format!("=== design.md ===\n{DESIGN}=== tasks.md ===\n{TASKS}"));
    assert_eq!(found.tasks.as_deref(), Some(TASKS));
    assert_eq!(found.unterminated, Some(SpecDocument::Tasks));
    let dropped = found.without_unterminated();
    assert_eq!(dropped.missing(), vec![SpecDocument::Requirements, SpecDocument::Tasks]);

    let closed = extract(&format!("=== tasks.md ===\n{TASKS}=== end ==="));
    assert_eq!(closed.unterminated, None);
}

#[test]
fn an_unclosed_named_fence_is_unterminated() {
    let found = extract(&format!("design.md\n```markdown\n{DESIGN}```\n\ntasks.md\n```markdown\n{TASKS}"));
    assert_eq!(found.design.as_deref(), Some(DESIGN));
    assert_eq!(found.unterminated, Some(SpecDocument::Tasks));
}

#[test]
fn questions_are_the_items_of_their_section_and_leave_the_documents_alone() {
    let answer = format!(
        "=== requirements.md ===\n{REQ}=== design.md ===\n{DESIGN}=== tasks.md ===\n{TASKS}\
=== questions.md ===\n# Questions\n\n1. Should tokens expire\n   after one hour?\n2) RS256 or HS256?\n- Who may revoke?\n\
=== end ===\n"
    );
    assert_eq!(
        questions(&answer),
        ["Should tokens expire after one hour?", "RS256 or HS256?", "Who may revoke?"]
    );
    let without = format!(
        "=== requirements.md ===\n{REQ}=== design.md ===\n{DESIGN}=== tasks.md ===\n{TASKS}=== end ===\n"
    );
    assert_eq!(
        extract(&answer).complete(),
        extract(&without).complete(),
        "the section is not part of tasks.md"
    );
    assert!(questions(&format!("=== tasks.md ===\n{TASKS}=== end ===\n")).is_empty());
    let many: String = (1..=9).map(|n| format!("{n}. Question {n}?\n")).collect();
    assert_eq!(questions(&format!("=== questions.md ===\n{many}")).len(), MAX_QUESTIONS);
}

#[test]
fn the_consistency_check_is_its_sections_lines_and_none_is_nothing() {
    let answer = format!(
        "=== requirements.md ===\n{REQ}=== design.md ===\n{DESIGN}=== tasks.md ===\n{TASKS}\
=== consistency.md ===\n# Left\n\n- requirements.md:7: criterion 1.2 has no task\n2. design.md:3: Cache is built by no task\n\
=== questions.md ===\n1. RS256?\n=== end ===\n"
    );
    assert_eq!(
        consistency(&answer),
        ["requirements.md:7: criterion 1.2 has no task", "design.md:3: Cache is built by no task"]
    );
    assert_eq!(questions(&answer), ["RS256?"], "each section keeps its own lines");
    let without = format!(
        "=== requirements.md ===\n{REQ}=== design.md ===\n{DESIGN}=== tasks.md ===\n{TASKS}=== end ===\n"
    );
    assert_eq!(
        extract(&answer).complete(),
        extract(&without).complete(),
        "the section is not part of tasks.md"
    );
    assert!(consistency("=== consistency.md ===\nNone.\n=== end ===\n").is_empty());
    assert!(consistency("=== consistency.md ===\nNo inconsistencies found.\n").is_empty());
    // Numbers that are not list markers stay, a wrapped item is one, fences and rules are none.
    let odd = "=== consistency.md ===\n```text\n1.2 has no task\n- **tasks.md:3**: the cache is\n  never built\n---\n```\n";
    assert_eq!(consistency(odd), ["1.2 has no task", "tasks.md:3: the cache is never built"]);
    let many: String = (1..=30).map(|n| format!("- tasks.md:{n}: item {n}\n")).collect();
    assert_eq!(consistency(&format!("=== consistency.md ===\n{many}")).len(), MAX_CONSISTENCY);
}
