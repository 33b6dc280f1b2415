//! The scripts at a pace a person can follow (human, or brisk for a test): the same spec and
//! changes as the fast scripts, with pauses, a plan ticking on as each file is written, what the
//! agent is doing said as it goes, and the tour's extra moments: nodejs-todo's coder asks before it
//! edits and before it runs the tests, python-api's first session spawns a child session, and
//! react-dashboard's first session tells the others that its module is ready. A review sample's
//! coder reads the branch's files one by one before it writes its findings.

use toml::{Table, Value};

use crate::scripts::{
    FINDINGS_PATH, FINDINGS_WRITTEN, edit_file, message, permission, plan, sleep, step, usage, write_file,
};
use spectask_spec::Workflow;

use crate::{Change, Pace, ReviewBranch, Sample, SpecDoc};

/// The sample whose coder asks a person (its profile's permission policy is `ask` at this pace).
pub const ASKING_SAMPLE: &str = "nodejs-todo";

/// The planner's steps: it reads, then writes the spec one document at a time (a design-first
/// planner the design before the requirements it derives from it).
pub(crate) fn spec_steps(sample: &Sample, pace: Pace, requirements: String) -> Vec<Value> {
    let requirements = [
        message("Writing the requirements as EARS statements."),
        sleep(pace.pause(7_000)),
        write_file(&format!(".spectask/spec/{}", sample.spec_file(SpecDoc::Requirements)), &requirements),
    ];
    let design = [
        message(if sample.workflow == Workflow::DesignFirst {
            "Writing the design first."
        } else {
            "Writing the design."
        }),
        sleep(pace.pause(7_000)),
        write_file(".spectask/spec/design.md", sample.spec(SpecDoc::Design)),
    ];
    let (first, second) = match sample.workflow {
        Workflow::DesignFirst => (design, requirements),
        _ => (requirements, design),
    };
    let mut steps = vec![
        thought("Reading the repository: its README, its sources and its tests."),
        sleep(pace.pause(6_000)),
    ];
    steps.extend(first);
    steps.extend(second);
    steps.extend([
        message("Writing the plan: the tasks and what each one needs first."),
        sleep(pace.pause(6_000)),
        write_file(".spectask/spec/tasks.md", sample.spec(SpecDoc::Tasks)),
        message("The spec is written to .spectask/spec/."),
    ]);
    steps
}

/// What the coder does for one plan task, step by step with its plan ticking on.
pub(crate) fn change_steps(sample: &Sample, change: &Change, pace: Pace) -> Vec<Value> {
    let files = change.files;
    let mut steps = vec![
        thought(&format!("Reading the spec and plan task {}.", change.plan_task)),
        sleep(pace.pause(10_000)),
        plan(files, 0),
    ];
    if sample.name == ASKING_SAMPLE {
        steps.push(edit_permission(files));
    }
    steps.extend(tour_start(sample, change));
    steps.push(sleep(pace.pause(4_000)));
    for (done, path) in files.iter().enumerate() {
        if done > 0 {
            steps.push(plan(files, done));
        }
        steps.push(message(&format!("Writing {path}.")));
        steps.push(sleep(pace.pause(24_000)));
        steps.extend(edit_file(path, sample.original(path), sample.changed(path)));
        steps.push(sleep(pace.pause(4_000)));
    }
    steps.push(thought("Reading the changes again against the plan task."));
    steps.push(sleep(pace.pause(15_000)));
    steps.extend(tour_end(sample, change));
    steps.push(plan(files, files.len()));
    if let Some(title) = change.permission {
        steps.push(message("Asking before running the tests."));
        steps.push(permission(title));
        steps.push(sleep(pace.pause(4_000)));
    }
    steps.push(usage(sample, change));
    steps.push(message(change.summary));
    steps
}

/// A review of the sample's branch: the diff, each file as the branch leaves it, then the findings.
pub(crate) fn review_steps(branch: &ReviewBranch, findings: &str, pace: Pace) -> Vec<Value> {
    let mut steps = vec![
        thought(&format!("Reading the diff of {}: {}.", branch.name, branch.files.join(", "))),
        sleep(pace.pause(8_000)),
    ];
    for path in branch.files {
        steps.push(message(&format!("Reading {path} as the branch leaves it.")));
        steps.push(sleep(pace.pause(10_000)));
    }
    let count = findings.lines().filter(|line| line.starts_with("## ")).count();
    steps.extend([
        thought("Checking the new code against what was asked: its limits, and what its tests miss."),
        sleep(pace.pause(12_000)),
        message(&format!("Writing {count} findings, each at its file and line.")),
        sleep(pace.pause(6_000)),
        write_file(FINDINGS_PATH, findings),
        message(FINDINGS_WRITTEN),
    ]);
    steps
}

/// Any other prompt (a follow-up, a spawned session): a look, then the answer.
pub(crate) fn reply_steps(pace: Pace) -> Vec<Value> {
    vec![
        thought("Reading what was asked and the files it names."),
        sleep(pace.pause(12_000)),
        message("Done: the code already handles it, nothing else needed changing."),
    ]
}

/// The tour's moments at the start of a session.
fn tour_start(sample: &Sample, change: &Change) -> Vec<Value> {
    match (sample.name, change.plan_task) {
        ("python-api", "1") => vec![
            message("Starting a session for the edge cases while I write the module."),
            mcp(
                "spawn_session",
                &[
                    ("name", "Pagination edge cases"),
                    (
                        "description",
                        "Check the pagination edge cases: limit 0, an offset past the end, an unknown sort field.",
                    ),
                ],
            ),
        ],
        ("react-dashboard", "3") => vec![mcp("read_coordination", &[])],
        _ => Vec::new(),
    }
}

/// The tour's moments once a session's files are written.
fn tour_end(sample: &Sample, change: &Change) -> Vec<Value> {
    match (sample.name, change.plan_task) {
        ("react-dashboard", "1") => vec![mcp(
            "send_message",
            &[("text", "src/dateRange.js is ready: the picker and the table can filter orders by range.")],
        )],
        _ => Vec::new(),
    }
}

/// Asks once for the session's edits (`Allow always` lets every write of the session through).
fn edit_permission(files: &[&str]) -> Value {
    let mut request = Table::new();
    request.insert("title".into(), format!("Edit {}", files.join(", ")).into());
    request.insert("kind".into(), "edit".into());
    step("permission", request)
}

/// A call of a tool of the session's spectask MCP server.
fn mcp(tool: &str, arguments: &[(&str, &str)]) -> Value {
    let mut args = Table::new();
    for (name, value) in arguments {
        args.insert((*name).into(), (*value).into());
    }
    let mut call = Table::new();
    call.insert("tool".into(), tool.into());
    call.insert("arguments".into(), Value::Table(args));
    step("mcp", call)
}

fn thought(text: &str) -> Value {
    step("thought", text)
}
