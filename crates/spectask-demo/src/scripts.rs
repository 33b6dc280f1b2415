//! The scripts of a sample's scripted agents (the format of `spectask agent scripted`): a planner
//! that writes the sample's spec whatever the prompt, and a coder that makes the sample's changes
//! for each plan task, reporting a plan, each edit as a tool call with its diff, its usage and a
//! summary. At a pace other than fast, [`crate::paced`] makes the steps a person can follow.

use toml::{Table, Value};

use spectask_core::Complexity;

use crate::{Change, Pace, Sample, SpecDoc, paced};

/// Where a reviewing agent writes its findings, relative to its working directory.
pub(crate) const FINDINGS_PATH: &str = ".spectask/review/findings.md";
pub(crate) const FINDINGS_WRITTEN: &str = "The findings are written to .spectask/review/findings.md.";

/// The planner: the sample's spec for a first version and for every revision (a review sample has
/// none: its task is its coder's).
pub fn planner(sample: &Sample, pace: Pace) -> String {
    if sample.review_branch.is_some() {
        return script(vec![rule(
            "*",
            vec![message("This sample's task is a review: it has no spec to write.")],
        )]);
    }
    script(vec![
        rule(
            "*Revise the spec*",
            spec_steps(sample, pace, "Revised after review: the reviewer's comments are addressed.\n\n"),
        ),
        rule("*Write the spec*", asking(spec_steps(sample, pace, ""), sample.questions())),
    ])
}

/// The coder: one rule for the whole plan (a simple task's one session: every change in plan
/// order), one per plan task, and a reply for anything else (follow-ups, spawned sessions). A
/// review sample's coder reviews its branch instead, writing the sample's findings.
pub fn coder(sample: &Sample, pace: Pace) -> String {
    let reply = match pace {
        Pace::Fast => vec![sleep(300), message("Done: nothing else needed changing.")],
        _ => paced::reply_steps(pace),
    };
    if let (Some(branch), Some(findings)) = (&sample.review_branch, sample.findings()) {
        let review = match pace {
            Pace::Fast => vec![sleep(300), write_file(FINDINGS_PATH, findings), message(FINDINGS_WRITTEN)],
            _ => paced::review_steps(branch, findings, pace),
        };
        let asked = format!("*Review the changes of {}*", branch.name);
        return script(vec![rule(&asked, review), rule("*", reply)]);
    }
    let whole: Vec<Value> =
        sample.changes.iter().flat_map(|change| change_steps(sample, change, pace)).collect();
    let mut rules = vec![rule(&format!("*Your task: {}*", Complexity::WHOLE_PLAN_SESSION), whole)];
    rules.extend(sample.changes.iter().map(|change| {
        rule(&format!("Your task: {} ", change.plan_task), change_steps(sample, change, pace))
    }));
    rules.push(rule("*", reply));
    script(rules)
}

/// What the coder does for one plan task: its plan, each file's edit, the permission it asks for,
/// and its summary.
fn change_steps(sample: &Sample, change: &Change, pace: Pace) -> Vec<Value> {
    if pace != Pace::Fast {
        return paced::change_steps(sample, change, pace);
    }
    let mut steps = vec![plan(change.files, 0), sleep(800)];
    for (done, path) in change.files.iter().enumerate() {
        if done > 0 {
            steps.push(plan(change.files, done));
        }
        steps.extend(edit_file(path, sample.original(path), sample.changed(path)));
    }
    if let Some(title) = change.permission {
        steps.push(permission(title));
    }
    steps.push(plan(change.files, change.files.len()));
    steps.push(usage(sample, change));
    steps.push(message(change.summary));
    steps
}

/// What the turn used, as a real agent reports it: tokens growing with the files it wrote, half the
/// input from the cache, and the context fill. It reports no cost: the demo's profiles name a model,
/// priced by the built-in price table.
pub(crate) fn usage(sample: &Sample, change: &Change) -> Value {
    let written: usize = change.files.iter().map(|path| sample.changed(path).len()).sum();
    let input = 6_000 + 4 * written as i64;
    let output = 400 + written as i64 / 3;
    let cached = input / 2;
    let mut u = Table::new();
    u.insert("used".into(), (input + output).into());
    u.insert("size".into(), 200_000.into());
    u.insert("input".into(), input.into());
    u.insert("output".into(), output.into());
    u.insert("cached".into(), cached.into());
    step("usage", u)
}

fn spec_steps(sample: &Sample, pace: Pace, introduction_note: &str) -> Vec<Value> {
    let requirements = sample.spec(SpecDoc::Requirements).replacen(
        "## Glossary",
        &format!("{introduction_note}## Glossary"),
        1,
    );
    if pace != Pace::Fast {
        return paced::spec_steps(sample, pace, requirements);
    }
    vec![
        sleep(600),
        write_file(&format!(".spectask/spec/{}", sample.spec_file(SpecDoc::Requirements)), &requirements),
        write_file(".spectask/spec/design.md", sample.spec(SpecDoc::Design)),
        write_file(".spectask/spec/tasks.md", sample.spec(SpecDoc::Tasks)),
        message("The spec is written to .spectask/spec/."),
    ]
}

/// The first version's steps with the sample's questions written beside the spec, before its last
/// message.
fn asking(mut steps: Vec<Value>, questions: Option<&str>) -> Vec<Value> {
    if let Some(questions) = questions {
        let at = steps.len().saturating_sub(1);
        steps.insert(at, write_file(".spectask/spec/questions.md", questions));
    }
    steps
}

fn script(rules: Vec<Value>) -> String {
    let mut root = Table::new();
    root.insert("rule".into(), Value::Array(rules));
    toml::to_string(&root).unwrap_or_default()
}

fn rule(pattern: &str, steps: Vec<Value>) -> Value {
    let mut t = Table::new();
    t.insert("match".into(), pattern.into());
    t.insert("steps".into(), Value::Array(steps));
    Value::Table(t)
}

pub(crate) fn step(name: &str, value: impl Into<Value>) -> Value {
    let mut t = Table::new();
    t.insert(name.into(), value.into());
    Value::Table(t)
}

pub(crate) fn write_file(path: &str, content: &str) -> Value {
    let mut file = Table::new();
    file.insert("path".into(), path.into());
    file.insert("content".into(), content.into());
    step("write_file", file)
}

/// What a coding agent reports before writing a file: an `edit` tool call carrying the diff
/// (no old text for a new file), which the history shows in `code-changes.md`; then the write.
pub(crate) fn edit_file(path: &str, old: Option<&str>, new: &str) -> [Value; 2] {
    let mut call = Table::new();
    call.insert("id".into(), format!("edit {path}").into());
    call.insert("title".into(), format!("Edit {path}").into());
    call.insert("path".into(), path.into());
    if let Some(old) = old {
        call.insert("old_text".into(), old.into());
    }
    call.insert("new_text".into(), new.into());
    [step("tool_call", call), write_file(path, new)]
}

pub(crate) fn message(text: &str) -> Value {
    step("message", text)
}

/// The agent's plan: one entry per file, the first `done` completed and the next in progress.
pub(crate) fn plan(files: &[&str], done: usize) -> Value {
    let items = files
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let status = match i.cmp(&done) {
                std::cmp::Ordering::Less => "completed",
                std::cmp::Ordering::Equal => "in_progress",
                std::cmp::Ordering::Greater => "pending",
            };
            let mut e = Table::new();
            e.insert("content".into(), format!("write {path}").into());
            e.insert("status".into(), status.into());
            Value::Table(e)
        })
        .collect();
    step("plan", Value::Array(items))
}

/// Asks the person for permission to run a command (answered by the profile's policy: `auto`
/// allows it; with `permission_policy = "ask"` it waits in the dashboard's session view).
pub(crate) fn permission(title: &str) -> Value {
    let mut request = Table::new();
    request.insert("title".into(), title.into());
    step("permission", request)
}

pub(crate) fn sleep(ms: i64) -> Value {
    step("sleep", ms)
}
