//! Task-plan parsing over the dialect fixtures: every task's line, id, marker, flags, references and
//! direct dependencies, as an indented outline.

use spectask_spec::{Plan, PlanTask, PlanTaskState};

/// One line per task in document order: `line id [marker] flags reqs=… deps=… | title`, indented by
/// depth.
fn outline(plan: &Plan) -> String {
    let graph = plan.dependency_graph();
    let mut out = String::new();
    for task in plan.tasks() {
        let depth = std::iter::successors(task.parent, |&p| plan.tasks()[p].parent).count();
        let mut flags = String::new();
        if task.optional {
            flags.push_str(" opt");
        }
        if task.parallel {
            flags.push_str(" par");
        }
        let deps: Vec<String> =
            graph.depends_on(task.index).iter().map(|&d| plan.tasks()[d].label()).collect();
        out.push_str(&format!(
            "{}{} {} [{}]{} reqs={} deps={} | {}\n",
            "  ".repeat(depth),
            task.line,
            task.label(),
            task.marker.map_or("heading".to_owned(), String::from),
            flags,
            task.requirements.join(","),
            deps.join(","),
            task.title
        ));
    }
    out
}

fn check(text: &str, expected: &str) {
    let plan = Plan::parse(text);
    assert_eq!(outline(&plan), expected.trim_start_matches('\n'));
}

fn states(plan: &Plan) -> Vec<(&str, PlanTaskState)> {
    plan.tasks().iter().map(|t| (t.id.as_deref().unwrap_or("-"), t.state)).collect()
}

#[test]
fn kiro_nested_plan_with_details_ranges_validates_and_optional_tasks() {
    check(
        include_str!("../fixtures/kiro_tasks.md"),
        "
9 1 [x] reqs=5.1,5.2 deps= | Set up project structure and dependencies
13 2 [ ] reqs= deps=1 | Implement core data models
  14 2.1 [x] reqs=1.1,1.2,1.3,2.1 deps= | Create data models module (`data_models.ts`)
  18 2.2 [ ] opt reqs=1.1,2.1 deps=2.1 | Write unit tests for data models
  21 2.3 [x] reqs=2.2 deps=2.1 | Validate issue payloads
24 3 [-] reqs= deps=2 | Integrate the Bedrock classifier
  25 3.1 [-] reqs=1.2 deps= | Build the prompt from the issue body and the repository labels
  29 3.2 [ ] opt reqs=1.1,5.5 deps=3.1 | Write property test for Bedrock API invocation
33 4 [ ] reqs= deps=3 | Checkpoint - Core classification working
36 5 [x] reqs= deps=4 | Write the README section
  37 5.1 [ ] reqs=5.2 deps= | Document the workflow inputs
",
    );
    let plan = Plan::parse(include_str!("../fixtures/kiro_tasks.md"));
    let summary = plan.summary();
    assert_eq!(
        (summary.top_tasks, summary.sub_tasks, summary.done, summary.in_progress, summary.optional),
        (5, 6, 4, 2, 2)
    );
    let details = &plan.task("1").map(|t| t.details.clone()).unwrap_or_default();
    assert_eq!(details, &["Create `scripts/` directory and the `package.json`"]);
    assert!(plan.checklists().is_empty() && plan.warnings().is_empty());
}

#[test]
fn cc_sdd_flat_layout_takes_hierarchy_from_ids() {
    check(
        include_str!("../fixtures/cc_sdd_tasks.md"),
        "
3 1 [ ] reqs= deps= | Foundation
  4 1.1 [x] par reqs=1.1,1.2 deps= | Create the configuration loader
  8 1.2 [ ] par reqs=2.1 deps= | Create the storage adapter
  11 1.3 [ ] reqs=1.3,2.2 deps=1.1,1.2 | Wire configuration into storage
15 2 [ ] reqs= deps=1 | Todo features
  16 2.1 [ ] reqs=3.1 deps= | Add todo creation
  18 2.2 [ ] opt reqs=3.1 deps=2.1 | Write acceptance tests for creation
  20 2.3 [ ] reqs=3.2 deps=1.3 | Add todo completion
",
    );
    let plan = Plan::parse(include_str!("../fixtures/cc_sdd_tasks.md"));
    assert_eq!(plan.task("1.1").and_then(|t| t.boundary.as_deref()), Some("ConfigLoader"));
    assert_eq!(plan.task("2.3").map(|t| t.depends.clone()), Some(vec!["1.3".to_owned()]));
}

#[test]
fn ids_from_zero_in_blocks_out_of_order_and_three_levels() {
    check(
        include_str!("../fixtures/blocks_tasks.md"),
        "
3 0 [x] reqs=1.1 deps= | Bootstrap the repository
  5 0.1 [x] reqs=1.1 deps= | Add CI workflow
8 300 [ ] reqs= deps=0 | Parser
  9 300.1 [x] reqs=1.2 deps= | Tokenizer
    11 300.1.1 [x] reqs=1.2 deps= | Handle tabs
    13 300.1.2 [ ] reqs=1.2 deps=300.1.1 | Handle CR line endings
  15 300.3 [ ] reqs=1.3 deps=300.1 | Error recovery
  17 300.2 [ ] reqs=1.3 deps=300.3 | Grammar tables
20 301 [ ] reqs=1.4 deps=300 | Printer with **bold** title
",
    );
}

#[test]
fn spec_kit_plan_skips_front_matter_comments_fences_and_reports_the_checklist() {
    check(
        include_str!("../fixtures/speckit_tasks.md"),
        "
25 T001 [X] reqs= deps= | Create project structure per implementation plan
26 T002 [x] par reqs= deps=T001 | Initialize Python project with FastAPI dependencies
27 T003 [ ] par reqs= deps=T001 | Configure linting and formatting tools
33 T010 [ ] par reqs= deps=T002,T003 | Contract test for POST /login in tests/contract/test_login.py
34 T011 [ ] par reqs= deps=T002,T003 | Create User model in src/models/user.py
35 T012 [-] reqs= deps=T010,T011 | Implement AuthService in src/services/auth.py
36 T013 [ ] reqs= deps=T011,T012 | Implement POST /login endpoint (depends on T011, T012)
37 T014 [~] reqs= deps=T013 | ~~Add remember-me cookie~~ REMOVED
50 T030 [ ] par reqs= deps=T014 | Update docs/quickstart.md
51 T031 [ ] reqs= deps=T030 | Run quickstart.md validation
",
    );
    let plan = Plan::parse(include_str!("../fixtures/speckit_tasks.md"));
    assert_eq!(plan.task("T010").and_then(|t| t.story.as_deref()), Some("US1"));
    assert_eq!(
        plan.task("T001").and_then(|t| t.section.as_deref()),
        Some("Phase 1: Setup (Shared Infrastructure)")
    );
    let checklists: Vec<_> = plan
        .checklists()
        .iter()
        .map(|c| (c.heading.as_str(), c.line, c.items.iter().map(|i| (i.line, i.state)).collect::<Vec<_>>()))
        .collect();
    assert_eq!(
        checklists,
        [(
            "Validation Checklist",
            53,
            vec![(55, PlanTaskState::Pending), (56, PlanTaskState::Done), (57, PlanTaskState::Pending)]
        )]
    );
}

#[test]
fn every_bullet_and_marker_with_warnings_for_broken_ones() {
    check(
        include_str!("../fixtures/markers_tasks.md"),
        "
3 1 [ ] reqs= deps= | Dash bullet pending
4 2 [x] reqs= deps=1 | Star bullet done
5 3 [X] reqs= deps=2 | Plus bullet upper-case done
6 4 [~] reqs= deps=3 | Ordered bullet tilde
7 5 [/] reqs= deps=4 | Ordered paren slash
8 6 [-] reqs= deps=5 | Kiro running
9 7 [?] reqs= deps=6 | Unknown marker
  13 6.1 [ ] reqs=1.1 deps= | Tab-indented sub-task
21 12 [ ] reqs= deps=7 | After the fence
  22 7.9 [ ] opt reqs= deps= | Star after the id is optional
",
    );
    let plan = Plan::parse(include_str!("../fixtures/markers_tasks.md"));
    use PlanTaskState::*;
    assert_eq!(
        states(&plan),
        [
            ("1", Pending),
            ("2", Done),
            ("3", Done),
            ("4", InProgress),
            ("5", InProgress),
            ("6", InProgress),
            ("7", Pending),
            ("6.1", Pending),
            ("12", Pending),
            ("7.9", Pending)
        ]
    );
    let warnings: Vec<_> = plan.warnings().iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(
        warnings,
        [
            (9, "unknown marker \"?\""),
            (10, "malformed checkbox []"),
            (11, "malformed checkbox with several spaces")
        ]
    );
}

#[test]
fn crlf_bom_lone_cr_and_japanese_text() {
    check(
        include_str!("../fixtures/crlf_bom_tasks.md"),
        "
3 1 [ ] reqs=1.1 deps= | Windows line endings
  5 1.1 [x] reqs=1.1 deps= | Sub-task with a BOM before the file
8 2 [ ] reqs=1.2 deps=1 | Last line without a newline
",
    );
    check(
        include_str!("../fixtures/lone_cr_tasks.md"),
        "
1 1 [ ] reqs= deps= | Lone CR
2 2 [x] reqs= deps=1 | CRLF
3 3 [ ] reqs= deps=2 | LF
",
    );
    check(
        include_str!("../fixtures/japanese_tasks.md"),
        "
3 1 [x] reqs= deps= | 開発環境のセットアップ
7 2 [ ] reqs= deps=1 | 認証機能の実装 ✅
  8 2.1 [x] par reqs=1.1,1.2 deps= | ログイン画面を作成する
  11 2.2 [ ] reqs=1.3 deps=2.1 | トークンの検証 ⚠️
",
    );
    let plan = Plan::parse(include_str!("../fixtures/japanese_tasks.md"));
    assert_eq!(
        plan.task("1").map(|t| t.free_references.clone()),
        Some(vec!["全要件の基盤となる環境構築".to_owned()])
    );
}

#[test]
fn checkboxes_in_design_documents_are_a_checklist_not_a_plan() {
    let plan = Plan::parse(include_str!("../fixtures/design.md"));
    assert!(plan.tasks().is_empty());
    assert_eq!(plan.checklists().len(), 1);
    assert_eq!(plan.checklists()[0].heading, "Manual Testing Checklist");
    assert_eq!(plan.checklists()[0].items.len(), 2);
}

#[test]
fn headings_with_ids_are_parents_of_their_sub_tasks_and_ordered_bullets_keep_their_ids() {
    let plan =
        Plan::parse("## 1. Setup\n- [ ] 1.1 First\n- [ ] 1.2 Second\n\n1. [ ] 2.1 Ordered with an id\n");
    let ids: Vec<(Option<&str>, Option<usize>)> =
        plan.tasks().iter().map(|t: &PlanTask| (t.id.as_deref(), t.parent)).collect();
    assert_eq!(ids, [(Some("1"), None), (Some("1.1"), Some(0)), (Some("1.2"), Some(0)), (Some("2.1"), None)]);
    assert_eq!(plan.tasks()[2].section.as_deref(), Some("1. Setup"));
}

#[test]
fn plain_checklists_without_ids_are_tasks_indented_by_columns() {
    let plan =
        Plan::parse("- [x] Setup database schema\n    - [~] Add password hashing\n- [ ] Implement login\n");
    let tree: Vec<_> = plan.tasks().iter().map(|t| (t.label(), t.parent, t.state)).collect();
    assert_eq!(
        tree,
        [
            ("#0".to_owned(), None, PlanTaskState::Done),
            ("#1".to_owned(), Some(0), PlanTaskState::InProgress),
            ("#2".to_owned(), None, PlanTaskState::Pending)
        ]
    );
}

/// progress.md keeps every task's id, marker, optional star and depth, in tree order.
#[test]
fn rendered_progress_reparses_to_the_same_tree_for_every_plan_fixture() {
    fn tree(plan: &Plan, task: &PlanTask, depth: usize, out: &mut Vec<String>) {
        let marker = task.marker.unwrap_or(task.state.marker());
        out.push(format!("{depth} {:?} [{marker}] {}", task.id, task.optional));
        for &child in &task.children {
            tree(plan, &plan.tasks()[child], depth + 1, out);
        }
    }
    fn shape(plan: &Plan) -> Vec<String> {
        let mut out = Vec::new();
        for task in plan.top_tasks() {
            tree(plan, task, 0, &mut out);
        }
        out
    }
    let fixtures = [
        include_str!("../fixtures/kiro_tasks.md"),
        include_str!("../fixtures/cc_sdd_tasks.md"),
        include_str!("../fixtures/blocks_tasks.md"),
        include_str!("../fixtures/speckit_tasks.md"),
        include_str!("../fixtures/markers_tasks.md"),
        include_str!("../fixtures/crlf_bom_tasks.md"),
        include_str!("../fixtures/japanese_tasks.md"),
        "- [x] Setup database schema\n    - [~] Add password hashing\n- [ ] Implement login\n",
    ];
    for text in fixtures {
        let plan = Plan::parse(text);
        let progress = spectask_spec::render_progress(&plan, &spectask_spec::ProgressStatus::default());
        let reparsed = Plan::parse(&progress);
        assert_eq!(shape(&reparsed), shape(&plan), "{progress}");
        assert!(reparsed.checklists().is_empty());
    }
    let spec_kit = Plan::parse(include_str!("../fixtures/speckit_tasks.md"));
    let progress = Plan::parse(&spectask_spec::render_progress(&spec_kit, &Default::default()));
    let deps = |plan: &Plan| {
        let graph = plan.dependency_graph();
        plan.tasks().iter().map(|t| graph.depends_on(t.index).len()).collect::<Vec<_>>()
    };
    assert_eq!(deps(&progress), deps(&spec_kit));
}
