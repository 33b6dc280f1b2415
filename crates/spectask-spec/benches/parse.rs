//! Throughput of the task-plan and requirements parsers on large generated documents (MB/s).
//!
//! `cargo bench -p spectask-spec` builds a ~20 MB task plan mixing the Kiro nested, cc-sdd flat and
//! spec-kit dialects (with fences, comments and checklists) and a ~5 MB requirements document, parses
//! each several times and prints the best and mean throughput.

use std::hint::black_box;
use std::time::Instant;

use spectask_spec::{Plan, parse_requirements};

const RUNS: usize = 5;

fn plan(target: usize) -> String {
    let mut text = String::from("---\ndescription: generated\n---\n# Tasks: Benchmark\n\n");
    let mut group = 0;
    while text.len() < target {
        group += 1;
        text.push_str(&format!(
            "## Phase {group}\n\n- [x] {group}. Set up module {group}\n  - Create `src/m{group}.rs` with the skeleton\n  - _Requirements: {group}.1, {group}.2_\n\n  - [ ] {group}.1 Implement the core of module {group}\n    - Detail bullet with **bold** and `code [x]`\n    - _Requirements: {group}.1-{group}.4_\n\n  - [ ]* {group}.2 Write property tests\n    - **Validates: Requirements {group}.3**\n\n- [-] {group}.3 Flat cc-sdd sub-task (P)\n  - _Boundary: Module{group}_\n  - _Depends: {group}.1_\n\n```bash\n- [ ] not a task\n```\n<!--\n- [ ] 99. hidden\n-->\n- [ ] T{group:04} [P] [US1] Create model in src/models/m{group}.py\n- [ ] T{group:04}1 Wire it (depends on T{group:04})\r\n\n### Validation Checklist\n- [ ] All tests pass\n- [X] Docs updated\n\n"
        ));
    }
    text
}

fn requirements(target: usize) -> String {
    let mut text = String::from(
        "# Requirements Document\n\n## Glossary\n- **Auth_Service**: issues tokens\n\n## Requirements\n\n",
    );
    let mut n = 0;
    while text.len() < target {
        n += 1;
        text.push_str(&format!(
            "### Requirement {n}: Area {n}\n\n**User Story:** As a user, I want area {n}, so that it works.\n\n#### Acceptance Criteria\n\n1. WHEN a request arrives, THE Auth_Service SHALL answer within 200 ms\n2. WHEN user clicks save THEN the system SHALL persist the form\n   and show a confirmation that wraps over two lines\n3. IF the token is expired, THEN THE Auth_Service SHALL reject it\n4. THE Auth_Service SHALL NOT log secrets\n\n"
        ));
    }
    text
}

fn measure(name: &str, text: &str, parse: impl Fn(&str) -> usize) {
    let megabytes = text.len() as f64 / 1_000_000.0;
    let mut times = Vec::with_capacity(RUNS);
    let mut items = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        items = black_box(parse(black_box(text)));
        times.push(start.elapsed().as_secs_f64());
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{name}: {megabytes:.1} MB, {items} items, best {:.1} MB/s, mean {:.1} MB/s over {RUNS} runs",
        megabytes / best,
        megabytes / mean
    );
}

fn main() {
    let plan = plan(20_000_000);
    measure("task plan", &plan, |t| Plan::parse(t).tasks().len());
    let requirements = requirements(5_000_000);
    measure("requirements", &requirements, |t| parse_requirements(t).summary().criteria);
}
