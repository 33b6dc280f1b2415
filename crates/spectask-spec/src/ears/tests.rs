//! Classifier tests over the criterion forms of the spec-formats notes.

use super::*;

fn check(text: &str, pattern: EarsPattern, system: Option<&str>) {
    let ears = classify(text);
    assert_eq!((ears.pattern, ears.system.as_deref()), (pattern, system), "{text}");
}

#[test]
fn strict_ears_in_every_pattern() {
    use EarsPattern::*;
    check("THE Issue_Manager SHALL label every issue", Ubiquitous, Some("Issue_Manager"));
    check("WHEN a push arrives, THE Build_Runner SHALL start a build", Event, Some("Build_Runner"));
    check("WHILE offline, THE Sync_Client SHALL queue edits", State, Some("Sync_Client"));
    check("IF the token is expired, THEN THE Auth_Service SHALL reject it", Unwanted, Some("Auth_Service"));
    check("WHERE audit logging is enabled, THE Api SHALL record calls", Optional, Some("Api"));
    check("WHILE offline, WHEN a save fails, THE Sync_Client SHALL retry", Complex, Some("Sync_Client"));
}

#[test]
fn kiro_first_generation_and_sentence_case() {
    use EarsPattern::*;
    check("WHEN user clicks save AND form is valid THEN the system SHALL persist it", Event, Some("system"));
    check("IF the file is missing THEN the loader SHALL report an error", Unwanted, Some("loader"));
    check("When a todo is added, the Todo App shall show it", Event, Some("Todo App"));
    check("when a, b and c happen, the cli shall exit", Event, Some("cli"));
    check("`put_result` SHALL carry the status", Ubiquitous, Some("put_result"));
    check("**WHEN** saved, **THE** `auth` **module** SHALL log", Event, Some("auth module"));
}

#[test]
fn negation_continuation_and_counts() {
    let ears = classify("WHEN a user logs in THEN the system SHALL CONTINUE TO show the banner");
    assert!(ears.continues && !ears.negated);
    let ears = classify("The server shall not log secrets and shall redact them");
    assert_eq!((ears.negated, ears.shall_count), (true, 2));
}

#[test]
fn shapes_that_are_not_ears() {
    let ears = classify("The system must be fast");
    assert_eq!((ears.pattern, ears.problem), (EarsPattern::NonEars, Some(EarsProblem::NoShall)));
    assert_eq!(ears.vague_words, ["fast"]);
    let ears = classify("WHEN user logs in system SHALL greet them");
    assert_eq!((ears.pattern, ears.problem), (EarsPattern::NonEars, Some(EarsProblem::UnseparatedClause)));
    assert_eq!(classify("SHALL work").system, None);
    let ears = classify("THE Api SHALL retry WHEN the call fails");
    assert_eq!((ears.pattern, ears.problem), (EarsPattern::NonEars, Some(EarsProblem::LateClause)));
    assert_eq!(classify("THE Api SHALL retry when possible").pattern, EarsPattern::Ubiquitous);
}

#[test]
fn vague_words_respect_word_boundaries() {
    let ears = classify("THE Git_Store SHALL fast-forward the branch as needed, etc.");
    assert_eq!(ears.vague_words, ["as needed", "etc"]);
    assert_eq!(
        classify("THE Ui SHALL be user-friendly and/or quick").vague_words,
        ["user-friendly", "and/or", "quick"]
    );
}

#[test]
fn clauses_need_no_comma_when_a_keyword_or_the_marks_the_system() {
    use EarsPattern::*;
    check("WHERE audit logging is enabled THE Audit_Log SHALL record sign-ins", Optional, Some("Audit_Log"));
    check("WHILE the store is read-only THE Audit_Log SHALL buffer entries", State, Some("Audit_Log"));
    check("WHEN the user logs in the system SHALL greet them", Event, Some("system"));
    check(
        "WHEN the user saves, edits or deletes a note the Sync_Engine SHALL queue it",
        Event,
        Some("Sync_Engine"),
    );
    check("WHEN the build fails, Build_Runner SHALL notify the owner", Event, Some("Build_Runner"));
    check("The Api SHALL answer the call", Ubiquitous, Some("Api"));
}
