use super::*;

const FINDINGS: &str = "# Review of feature/login\n\nI read the diff.\n\n\
## Expired tokens are accepted\n- File: src/auth.rs\n- Line: 42\n- Severity: high\n\n\
The expiry is never compared with the clock.\n\nCompare it.\n\n\
## A log line prints the token\n- file: `./src/log.rs`\n- line: 7\n- severity: Low\n\nLeave the token out.\n";

/// src/auth.rs has 50 lines, src/log.rs 10.
fn known(path: &str) -> Option<u32> {
    match path {
        "src/auth.rs" => Some(50),
        "src/log.rs" => Some(10),
        _ => None,
    }
}

#[test]
fn findings_are_read_with_file_line_severity_and_detail() {
    let findings = parse_findings(FINDINGS, known).unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(
        findings[0],
        Finding {
            title: "Expired tokens are accepted".into(),
            file: "src/auth.rs".into(),
            line: 42,
            severity: Severity::High,
            detail: "The expiry is never compared with the clock.\n\nCompare it.".into(),
        }
    );
    assert_eq!(
        (findings[1].file.as_str(), findings[1].line, findings[1].severity),
        ("src/log.rs", 7, Severity::Low)
    );
}

#[test]
fn the_report_reads_back_as_the_same_findings() {
    let findings = parse_findings(FINDINGS, known).unwrap();
    let report = render_report("main..feature/login", &findings);
    assert!(report.starts_with("# Review of main..feature/login\n\n2 findings.\n"), "{report}");
    assert_eq!(parse_findings(&report, known).unwrap(), findings);
    assert_eq!(render_report("x", &[]), "# Review of x\n\nNo findings.\n");
    assert_eq!(parse_findings(&render_report("x", &[]), known).unwrap(), []);
}

#[test]
fn every_fault_is_named_with_its_line() {
    let text = "## No file\n- Line: 3\n- Severity: high\n\nx\n\
## Unknown file\n- File: src/gone.rs\n- Line: 3\n- Severity: high\n\nx\n\
## Line zero\n- File: src/auth.rs\n- Line: 0\n- Severity: high\n\nx\n\
## Bad severity\n- File: src/auth.rs\n- Line: 2\n- Severity: critical\n\nx\n\
## No detail\n- File: src/auth.rs\n- Line: 2\n- Severity: info\n\n\
## Outside\n- File: ../etc/passwd\n- Line: 2\n- Severity: info\n\nx\n\
## Past the end\n- File: src/log.rs\n- Line: 11\n- Severity: info\n\nx\n\
##    \n- File: src/auth.rs\n";
    let errors: Vec<String> =
        parse_findings(text, known).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "findings.md:1: the finding `No file` has no `- File:` line under its title",
            "findings.md:7: `src/gone.rs` is not a file of the reviewed code",
            "findings.md:14: the line is `0`; it is a line number of src/auth.rs, from 1",
            "findings.md:21: the severity is `critical`; it is one of high, medium, low, info",
            "findings.md:24: the finding `No detail` has no detail below its fields",
            "findings.md:30: `../etc/passwd` is not a path relative to the repository root",
            "findings.md:37: line 11 is past the end of src/log.rs (10 lines)",
            "findings.md:41: the finding has no title after `## `",
        ]
    );
}

#[test]
fn a_heading_inside_a_code_block_is_detail() {
    let text =
        "## Shell script\n- File: src/auth.rs\n- Line: 1\n- Severity: medium\n\n```\n## not a finding\n```\n";
    let findings = parse_findings(text, known).unwrap();
    assert_eq!(findings.len(), 1);
    assert!(findings[0].detail.contains("## not a finding"));
}
