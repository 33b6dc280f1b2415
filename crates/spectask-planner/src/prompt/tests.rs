//! The prompts: formats, bounded context, repair and revision turns.

use super::*;

fn repo(files: &[(&str, &str)], tree: &[&str]) -> RepoContext {
    RepoContext {
        file_tree: tree.iter().map(|p| p.to_string()).collect(),
        files: files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect(),
    }
}

#[test]
fn system_prompt_states_the_formats_and_delimiters() {
    let text = system_prompt(&spectask_spec::Template::default());
    for needle in [
        "WHEN <trigger>, THE <System_Name> SHALL <response>",
        "## Glossary",
        "## Components and Interfaces",
        "## Testing Strategy",
        "  - [ ] 1.1 <Sub-task>",
        "_Requirements: 1.1, 1.2_",
        "_Depends: 1.2_",
        "=== requirements.md ===",
        "=== tasks.md ===",
        "=== end ===",
    ] {
        assert!(text.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn a_design_first_spec_is_answered_design_first() {
    let at = |text: &str, document: SpecDocument| {
        let format = &text[text.find("## Output format").unwrap()..];
        format.find(&delimiter(document)).unwrap()
    };
    let feature = system_prompt(&spectask_spec::Template::default());
    assert!(at(&feature, SpecDocument::Requirements) < at(&feature, SpecDocument::Design));
    let design_first = system_prompt(&spectask_spec::Template::builtin(spectask_spec::Workflow::DesignFirst));
    assert!(at(&design_first, SpecDocument::Design) < at(&design_first, SpecDocument::Requirements));
    assert!(at(&design_first, SpecDocument::Requirements) < at(&design_first, SpecDocument::Tasks));
}

#[test]
fn steering_comes_between_the_request_and_the_repository() {
    let repo = repo(&[], &["src/main.rs"]);
    let steering = "# Steering documents\n\n## .kiro/steering/product.md\n\nA todo app.\n";
    let text = generation_prompt("t", "Add login", steering, &repo, 8_000);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("missing {needle:?} in {text}"));
    assert!(at("Add login") < at("A todo app.") && at("A todo app.") < at("# Repository context"));
    assert!(!generation_prompt("t", "Add login", "", &repo, 8_000).contains("Steering"));
}

#[test]
fn small_context_is_quoted_whole() {
    let repo = repo(&[("README.md", "# Demo\nA tool.\n"), ("Cargo.toml", "[package]\n")], &["src/main.rs"]);
    let text = generation_prompt("Add JWT", "Add JWT authentication", "", &repo, 10_000);
    assert!(text.contains("Title: Add JWT"));
    assert!(text.contains("Add JWT authentication"));
    assert!(text.contains("## README.md\n\n```text\n# Demo\nA tool.\n```"), "{text}");
    assert!(text.contains("src/main.rs"));
    assert!(!text.contains("truncated"), "{text}");
}

#[test]
fn large_context_is_cut_to_the_budget_and_says_where() {
    let big = "x".repeat(50_000);
    let tree: Vec<String> = (0..5_000).map(|i| format!("src/file_{i}.rs")).collect();
    let tree: Vec<&str> = tree.iter().map(String::as_str).collect();
    let repo = repo(&[("README.md", &big), ("Cargo.toml", "[package]\nname = \"a\"\n")], &tree);
    let text = generation_prompt("t", "r", "", &repo, 8_000);
    assert!(text.len() < 8_000 + 1_000, "prompt is {} bytes", text.len());
    assert!(text.contains("[README.md truncated: first "), "{text}");
    assert!(text.contains("of 50000 bytes shown]"));
    assert!(text.contains("[file tree truncated: "));
    assert!(text.contains("name = \"a\""), "the small manifest is shown whole");
}

#[test]
fn fair_shares_give_small_files_all_and_split_the_rest() {
    let files = vec![
        ("a".to_owned(), "a".repeat(1000)),
        ("b".to_owned(), "b".repeat(10)),
        ("c".to_owned(), "c".repeat(1000)),
    ];
    assert_eq!(fair_shares(&files, 210), vec![100, 10, 100]);
}

#[test]
fn quoted_files_with_fences_get_a_longer_fence() {
    let mut text = String::new();
    push_fenced(&mut text, "```rust\nfn main() {}\n```\n");
    assert!(text.starts_with("````text\n"), "{text}");
    assert!(text.ends_with("\n````\n"), "{text}");
}

#[test]
fn repair_prompt_quotes_missing_documents_and_lint_errors() {
    let errors = vec!["requirements.md:7: error: criterion has no SHALL".to_owned()];
    let text = repair_prompt(&[], &errors, None);
    assert!(text.contains("requirements.md:7: error: criterion has no SHALL"), "{text}");
    assert!(text.contains("all three"), "{text}");
    let text = repair_prompt(&[SpecDocument::Tasks], &[], Some(SpecDocument::Tasks));
    assert!(text.contains("`=== tasks.md ===`"), "{text}");
    assert!(text.contains("length limit and stopped inside tasks.md"), "{text}");
    assert!(text.contains("only the missing documents"), "{text}");
}

#[test]
fn repair_prompt_quotes_at_most_sixty_errors() {
    let errors: Vec<String> = (1..=75).map(|n| format!("tasks.md:{n}: error: e{n}")).collect();
    let text = repair_prompt(&[], &errors, None);
    assert!(text.contains("tasks.md:60: error: e60\n… and 15 more errors"), "{text}");
    assert!(!text.contains("e61"), "{text}");
}

#[test]
fn revision_prompt_quotes_the_previous_version_and_the_commented_line() {
    let previous = Documents {
        requirements: "# Requirements Document\nline two\n".to_owned(),
        design: "# Design Document\n".to_owned(),
        tasks: "# Implementation Plan\n".to_owned(),
    };
    let comments = ReviewComments {
        overall: "Use OAuth instead.".to_owned(),
        line_comments: vec![
            LineComment {
                document: SpecDocument::Requirements,
                line: Some(2),
                comment: "too vague".to_owned(),
            },
            LineComment { document: SpecDocument::Tasks, line: None, comment: "split task 1".to_owned() },
        ],
    };
    let text = revision_prompt(&previous, &comments, "# Steering documents\n\nUse Postgres.\n");
    assert!(text.contains("=== requirements.md ===\n# Requirements Document\nline two\n"), "{text}");
    assert!(
        text.contains("=== end ===\n\n# Steering documents\n\nUse Postgres.\n\n# Reviewer's comments"),
        "{text}"
    );
    assert!(text.contains("Use OAuth instead."));
    assert!(text.contains("- requirements.md line 2 (`line two`): too vague"), "{text}");
    assert!(text.contains("- tasks.md: split task 1"));
}
