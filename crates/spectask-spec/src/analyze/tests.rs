use super::*;

const REQUIREMENTS: &str = "# Requirements Document\n\n## Requirements\n\n\
### Requirement 1: Login\n\n#### Acceptance Criteria\n\n\
1. WHEN a user signs in with a valid password THE Auth_Service SHALL issue a session\n\
2. WHEN a user signs in with a wrong password THE Auth_Service SHALL answer with status 401\n\
3. WHEN a user signs in with a valid password THE Auth_Service SHALL NOT issue a session\n\n\
### Requirement 2: Logout\n\n#### Acceptance Criteria\n\n\
1. WHEN a user signs out THE Auth_Service SHALL end the session\n\
2. WHEN a user signs out, the Auth_Service shall end the session\n";

const DESIGN: &str = "# Design\n\n## Components and Interfaces\n\n### Session Store\n\nKeeps sessions.\n\n\
### 2. Audit Log (src/audit.rs)\n\nRecords sign-ins.\n";

const TASKS: &str = "# Implementation Plan\n\n- [ ] 1. Add the session store\n  - _Requirements: 1.1, 1.3_\n\
- [ ] 2. Sign out\n  - _Requirements: 2_\n";

fn found(files: &SpecFiles<'_>) -> Vec<String> {
    analyze(files).iter().map(ToString::to_string).collect()
}

#[test]
fn gaps_and_contradictions_across_the_three_documents() {
    let files = SpecFiles { requirements: Some(REQUIREMENTS), design: Some(DESIGN), tasks: Some(TASKS) };
    assert_eq!(
        found(&files),
        [
            "requirements.md:11: contradiction: criterion 1.3 says the opposite of criterion 1.1 (line 9): one says shall, the other shall not",
            "requirements.md:18: repetition: criterion 2.2 repeats criterion 2.1 (line 17)",
            "requirements.md:10: gap: criterion 1.2 is implemented by no plan task (tasks name other criteria of requirement 1)",
            "design.md:9: gap: no plan task names the component \"2. Audit Log (src/audit.rs)\"",
        ]
    );
}

#[test]
fn a_consistent_spec_has_no_findings() {
    let requirements = "### Requirement 1: Login\n\n1. WHEN a user signs in THE Auth_Service SHALL issue a session\n\
2. IF the password is wrong THEN THE Auth_Service SHALL answer with status 401\n";
    let design = "## Components and Interfaces\n\n### Session Store\n";
    let tasks = "- [ ] 1. Build the Session_Store\n  - _Requirements: 1.1_\n- [ ] 2. Refuse wrong passwords\n  - _Requirements: 1.2_\n";
    let files = SpecFiles { requirements: Some(requirements), design: Some(design), tasks: Some(tasks) };
    assert_eq!(found(&files), Vec::<String>::new());
    // A requirement no task names at all is the lint's X002, not repeated here.
    let files = SpecFiles { tasks: Some("- [ ] 1. Other\n  - _Requirements: 2_\n"), design: None, ..files };
    assert_eq!(found(&files), Vec::<String>::new());
}

#[test]
fn a_bugfix_specs_defect_is_neither_contradicted_nor_owed_a_task() {
    let bugfix = "# Bugfix Analysis\n\n## Current Behavior (Defect)\n\n\
1.1 WHEN a token has expired THEN THE Auth_Service SHALL accept it\n\
1.2 WHEN a token is revoked THEN THE Auth_Service SHALL accept it\n\n## Expected Behavior\n\n\
2.1 WHEN a token has expired THEN THE Auth_Service SHALL NOT accept it\n";
    let tasks = "- [ ] 1. Write a failing test\n  - _Requirements: 1.1, 2.1_\n";
    let files = SpecFiles { requirements: Some(bugfix), design: None, tasks: Some(tasks) };
    assert_eq!(found(&files), Vec::<String>::new());
}
