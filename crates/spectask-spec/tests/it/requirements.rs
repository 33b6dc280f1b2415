//! Requirements parsing over Kiro gen-1, gen-2, cc-sdd and bugfix fixtures: ids, lines, EARS patterns
//! and system names, as an outline.

use spectask_spec::{RequirementsDoc, parse_requirements};

/// `R<id> L<line> title` then one `  <id> L<line>-<end> <pattern> <system> n=<shall count>` per criterion.
fn outline(doc: &RequirementsDoc) -> String {
    let mut out = String::new();
    for r in &doc.requirements {
        out.push_str(&format!("R{} L{} {}\n", r.id, r.line, r.title.as_deref().unwrap_or("-")));
        for c in &r.criteria {
            out.push_str(&format!(
                "  {} L{}-{} {} {} n={}\n",
                c.id,
                c.line,
                c.end_line,
                c.ears.pattern.as_str(),
                c.ears.system.as_deref().unwrap_or("-"),
                c.ears.shall_count
            ));
        }
    }
    out
}

fn check(text: &str, expected: &str) -> RequirementsDoc {
    let doc = parse_requirements(text);
    assert_eq!(outline(&doc), expected.trim_start_matches('\n'));
    doc
}

#[test]
fn kiro_first_generation_with_wrapped_criteria_and_notes() {
    let doc = check(
        include_str!("../fixtures/kiro_gen1_requirements.md"),
        "
R1 L9 -
  1.1 L16-16 event system n=1
  1.2 L17-18 event system n=1
  1.3 L19-19 unwanted system n=1
  1.4 L23-23 ubiquitous dashboard n=1
R2 L25 -
  2.1 L31-31 event system n=1
  2.2 L32-32 event system n=1
",
    );
    assert_eq!(doc.title.as_deref(), Some("Requirements Document"));
    let story = doc.requirement("1").and_then(|r| r.user_story.as_deref());
    assert_eq!(
        story,
        Some("As a developer, I want to see the latest builds, so that I know when something breaks.")
    );
    let wrapped = doc.criterion("1.2").map(|c| c.text.as_str());
    assert_eq!(
        wrapped,
        Some(
            "WHEN a build fails AND the user is watching the project THEN the system SHALL send a notification to the user with the failing step and a link to its log"
        )
    );
    assert!(doc.criterion("2.2").is_some_and(|c| c.ears.negated));
}

#[test]
fn kiro_second_generation_with_glossary_and_every_pattern() {
    let doc = check(
        include_str!("../fixtures/kiro_gen2_requirements.md"),
        "
R1 L15 Issue classification
  1.1 L21-21 event Issue_Manager n=1
  1.2 L22-22 ubiquitous Classifier n=1
  1.3 L23-23 unwanted Issue_Manager n=1
  1.4 L24-24 state Issue_Manager n=1
  1.5 L25-25 optional Notifier n=1
  1.6 L26-26 complex Issue_Manager n=1
R2 L28 Duplicate detection
  2.1 L34-34 event Issue_Manager n=1
  2.2 L35-35 ubiquitous Issue_Manager n=1
R3 L37 Reporting
  3.1 L43-43 event Notifier n=1
",
    );
    let glossary: Vec<_> = doc.glossary.iter().map(|g| (g.term.as_str(), g.line)).collect();
    assert_eq!(glossary, [("Issue_Manager", 9), ("Classifier", 10), ("Notifier", 11)]);
    assert_eq!(doc.glossary[2].definition, "posts summaries to the team channel");
    assert!(doc.criterion("2.2").is_some_and(|c| c.ears.continues));
    assert!(doc.resolves("1.6") && doc.resolves("3") && !doc.resolves("3.2") && !doc.resolves("4"));
    let summary = doc.summary();
    assert_eq!((summary.requirements, summary.criteria), (3, 9));
    let ears = summary.ears;
    assert_eq!(
        [ears.ubiquitous, ears.event, ears.state, ears.unwanted, ears.optional, ears.complex, ears.non_ears],
        [2, 3, 1, 1, 1, 1, 0]
    );
}

#[test]
fn cc_sdd_sentence_case_objectives_and_bold_criteria_heading() {
    let doc = check(
        include_str!("../fixtures/cc_sdd_requirements.md"),
        "
R1 L5 設定の読み込み
  1.1 L9-9 event Todo App n=1
  1.2 L10-10 unwanted Todo App n=1
  1.3 L11-11 event Todo App n=1
R2 L13 保存
  2.1 L17-17 event Todo App n=1
  2.2 L18-18 state Todo App n=1
R3 L20 Todo の操作
  3.1 L24-24 event Todo App n=1
  3.2 L25-25 event Todo App n=1
",
    );
    assert_eq!(
        doc.requirement("2").and_then(|r| r.user_story.as_deref()),
        Some("ユーザーとして、Todo を保存したい。")
    );
}

#[test]
fn bugfix_analysis_with_explicit_ids_continue_to_and_shall_on_a_wrapped_line() {
    let doc = check(
        include_str!("../fixtures/bugfix.md"),
        "
R1 L5 Current Behavior (Defect)
  1.1 L5-5 event system n=1
R2 L9 Expected Behavior
  2.1 L9-9 event system n=1
  2.12 L10-11 event system n=1
  2.13 L13-14 event system n=1
R3 L18 Unchanged Behavior (Regression Prevention)
  3.1 L18-18 event system n=1
",
    );
    assert!(doc.criteria().all(|c| c.explicit_id));
    assert!(doc.criterion("3.1").is_some_and(|c| c.ears.continues));
}

#[test]
fn bold_pseudo_headings_numbered_headings_and_explicit_ids_in_lists() {
    let text = "## Requirements\n\n**Requirement 4: Bold heading**\n\n**Acceptance Criteria:**\n\n1. THE Api SHALL answer\n- 4.7 WHEN asked, THE Api SHALL reply\n\n### 5. Numbered heading\n\n#### Acceptance Criteria\n\n1. WHILE busy, THE Api SHALL queue requests\n   - with a sub-point that belongs to the criterion\n2. WHEN idle\n   THE Api SHALL drain the queue\n";
    check(
        text,
        "
R4 L3 Bold heading
  4.1 L7-7 ubiquitous Api n=1
  4.7 L8-8 event Api n=1
R5 L10 Numbered heading
  5.1 L14-15 state Api n=1
  5.2 L16-17 event Api n=1
",
    );
}
