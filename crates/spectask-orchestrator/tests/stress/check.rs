//! The invariants checked after every seed, from the database, its event log and the repository.
//!
//! Liveness (also watched while the seed runs, see `world`): every task ended — done, cancelled,
//! or failed with a reason — and no session is left running. Safety: WIP limits and the per-task
//! session limit held at every point of the event log; at most one session per plan task; every
//! session's changes committed at most once (exactly once for a completed plan task of a done task),
//! with its trailers; every plan task's file on the default branch and its marker ticked on the
//! design-docs branch when its task is done; session history committed exactly once; the
//! design-docs branch only moved forward; no gaps in the event sequence (SQLite) and none hidden
//! from a reader following it (both); `git fsck --strict` clean;
//! no agent process outlived the engines (`world`).

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use spectask_core::{EventKind, SpecTaskStatus, WorkSessionStatus};

use crate::world::World;

/// One invariant broken: which (a stable name, for the known-failure list) and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub invariant: &'static str,
    pub detail: String,
}

impl Finding {
    pub fn new(invariant: &'static str, detail: impl Into<String>) -> Finding {
        Finding { invariant, detail: detail.into() }
    }
}

pub async fn check(world: &World) -> Vec<Finding> {
    let mut out = world.findings.clone();
    tasks_and_files(world, &mut out).await;
    event_log(world, &mut out).await;
    design_docs_forward(world, &mut out);
    history_once(world, &mut out).await;
    let fsck = git(world, &["fsck", "--strict", "--no-progress"]);
    if let Err(err) = fsck {
        out.push(Finding::new("git fsck", err));
    }
    out
}

async fn tasks_and_files(world: &World, out: &mut Vec<Finding>) {
    let merged: BTreeSet<String> = git(world, &["ls-tree", "-r", "--name-only", &world.default_branch])
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let commits = session_commits(world, out);
    for (i, &id) in world.tasks.iter().enumerate() {
        let plan = &world.scenario.tasks[i];
        let task = world.store.spec_task(id).await.expect("task");
        let handle = task.handle();
        let status = task.status();
        match status {
            SpecTaskStatus::Done | SpecTaskStatus::Cancelled => {}
            SpecTaskStatus::Failed => {
                let reason = task.state.failure().map(|f| f.reason.clone()).unwrap_or_default();
                if reason.trim().is_empty() {
                    out.push(Finding::new("failed without a reason", handle.clone()));
                }
                // Nobody edits the default branch's checkout here: nothing may stop a merge.
                if task.state.failure().is_some_and(|f| f.from == SpecTaskStatus::Done) {
                    out.push(Finding::new("merge failed", format!("{handle}: {reason}")));
                }
                if plan.agent_faults.iter().all(Option::is_none) && plan.cancel_after.is_none() {
                    out.push(Finding::new("failed with no fault injected", format!("{handle}: {reason}")));
                }
            }
            // A run stopped as stuck already says why.
            _ if !world.findings.is_empty() => {}
            other => out.push(Finding::new("liveness", format!("task {handle} ended the run in {other}"))),
        }
        let sessions = world.store.work_sessions_of(id).await.expect("sessions");
        let mut per_plan_task: HashMap<u32, usize> = HashMap::new();
        for session in &sessions {
            if let Some(p) = &session.plan_task {
                *per_plan_task.entry(p.index).or_default() += 1;
            }
            if session.status() == WorkSessionStatus::Running && world.findings.is_empty() {
                out.push(Finding::new(
                    "liveness",
                    format!("session {:?} of {handle} left running", session.name),
                ));
            }
        }
        let follow_ups = sessions.iter().filter(|s| s.name == "Address review comments").count();
        if follow_ups > usize::from(plan.request_changes) {
            out.push(Finding::new(
                "one follow-up per review",
                format!("{handle}: {follow_ups} follow-up sessions"),
            ));
        }
        // A plan task without a session is that finding; its missing file and tick follow from it.
        let covered: Vec<usize> =
            (0..plan.parts.len()).filter(|p| per_plan_task.contains_key(&(*p as u32))).collect();
        if status == SpecTaskStatus::Done && covered.len() < plan.parts.len() {
            let uncovered: Vec<String> =
                (0..plan.parts.len()).filter(|p| !covered.contains(p)).map(|p| (p + 1).to_string()).collect();
            out.push(Finding::new(
                "plan task without a session",
                format!("{handle} is done but plan tasks {} never had a session", uncovered.join(", ")),
            ));
        }
        for (index, n) in per_plan_task {
            if n > 1 {
                out.push(Finding::new(
                    "one session per plan task",
                    format!("{handle}: plan task {index} has {n}"),
                ));
            }
        }
        for session in &sessions {
            let commits = commits.get(&session.id.to_string()).map_or(&[][..], Vec::as_slice);
            let n = commits.len();
            for c in commits {
                if c.spec_task != id.to_string() {
                    let detail = format!("{handle}: commit {} says Spec-Task {:?}", c.commit, c.spec_task);
                    out.push(Finding::new("trailers", detail));
                }
                // Every plan task of the generated plans names requirement 1.1.
                if session.plan_task.is_some() && c.implements != "1.1" {
                    let detail = format!("{handle}: commit {} says Implements {:?}", c.commit, c.implements);
                    out.push(Finding::new("trailers", detail));
                }
            }
            if n > 1 {
                out.push(Finding::new(
                    "committed once",
                    format!("{handle}: session {:?} has {n} commits", session.name),
                ));
            }
            // Plan tasks and people's spawns write a file of their own (follow-ups may find theirs done).
            let own_file = session.plan_task.is_some() || session.name.starts_with("Extra ");
            let planned = own_file && session.status() == WorkSessionStatus::Completed;
            if status == SpecTaskStatus::Done && planned && n == 0 {
                out.push(Finding::new(
                    "plan task committed",
                    format!("{handle}: session {:?} has no commit", session.name),
                ));
            }
        }
        if status == SpecTaskStatus::Done {
            let mut expected: Vec<String> = covered.iter().map(|&p| plan.file(p)).collect();
            // A spawned session left pending is its own finding (below); its file follows from it.
            let extra_ran = sessions
                .iter()
                .any(|s| s.name == plan.extra().0 && s.status() == WorkSessionStatus::Completed);
            if world.spawned[i] && extra_ran {
                expected.push(plan.extra().1);
            }
            let waiting: Vec<&str> = sessions
                .iter()
                .filter(|s| matches!(s.status(), WorkSessionStatus::Pending | WorkSessionStatus::Blocked))
                .map(|s| s.name.as_str())
                .collect();
            if !waiting.is_empty() {
                out.push(Finding::new(
                    "sessions left waiting",
                    format!("{handle} is done with {waiting:?} never run"),
                ));
            }
            let missing: Vec<String> = expected.into_iter().filter(|f| !merged.contains(f)).collect();
            if plan.request_changes && !merged.contains(&plan.review_file()) {
                let follow_ups = sessions.iter().filter(|s| s.name == "Address review comments").count();
                out.push(Finding::new(
                    "review addressed",
                    format!(
                        "{handle} is done after a change request, but {} lacks {} ({follow_ups} follow-up sessions)",
                        world.default_branch,
                        plan.review_file()
                    ),
                ));
            }
            let tasks_md = format!("{}:specs/{handle}/tasks.md", world.design_docs_branch);
            let ticked = git(world, &["show", &tasks_md]).unwrap_or_default();
            let unticked: Vec<String> = covered
                .iter()
                .filter(|&&p| !ticked.lines().any(|l| l.starts_with(&format!("- [x] {}. ", p + 1))))
                .map(|p| (p + 1).to_string())
                .collect();
            if !unticked.is_empty() {
                out.push(Finding::new(
                    "progress markers",
                    format!("{handle} is done but tasks.md leaves {} unticked", unticked.join(", ")),
                ));
            }
            if !missing.is_empty() {
                out.push(Finding::new(
                    "completeness",
                    format!("{handle} is done but {} lacks {}", world.default_branch, missing.join(", ")),
                ));
            }
        }
    }
}

/// A commit naming a work session, with its other trailers.
struct SessionCommit {
    commit: String,
    spec_task: String,
    implements: String,
}

/// Every commit of every branch with a `Work-Session` trailer, by session.
fn session_commits(world: &World, out: &mut Vec<Finding>) -> HashMap<String, Vec<SessionCommit>> {
    let format = "--format=%H%x1f%(trailers:key=Spec-Task,valueonly,separator=%x2c)%x1f\
                  %(trailers:key=Work-Session,valueonly,separator=%x2c)%x1f\
                  %(trailers:key=Implements,valueonly,separator=%x2c)%x1e";
    let log = match git(world, &["log", "--all", "--no-merges", format]) {
        Ok(log) => log,
        Err(err) => {
            out.push(Finding::new("git log", err));
            return HashMap::new();
        }
    };
    let mut commits: HashMap<String, Vec<SessionCommit>> = HashMap::new();
    for record in log.split('\x1e').map(str::trim).filter(|r| !r.is_empty()) {
        let fields: Vec<&str> = record.split('\x1f').map(str::trim).collect();
        let [commit, spec_task, work_session, implements] = fields[..] else { continue };
        if !work_session.is_empty() && work_session != "none" {
            commits.entry(work_session.to_owned()).or_default().push(SessionCommit {
                commit: commit.to_owned(),
                spec_task: spec_task.to_owned(),
                implements: implements.to_owned(),
            });
        }
    }
    commits
}

/// Replays the event log: no gaps; WIP and per-task session limits at every point.
async fn event_log(world: &World, out: &mut Vec<Finding>) {
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &spectask_core::Event| e.seq);
        let page = world.store.events_after(after, 1000).await.expect("events");
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    // SQLite numbers events without gaps; PostgreSQL's sequence skips the numbers of rolled-back
    // writes (a node killed mid-transaction), which readers cannot tell from a gap.
    if !world.scenario.postgres {
        for (i, event) in events.iter().enumerate() {
            if event.seq != i as i64 + 1 {
                out.push(Finding::new("event sequence", format!("event {} has seq {}", i + 1, event.seq)));
                break;
            }
        }
    }
    // What matters to a reader on both: following the log from a cursor, it saw every event.
    let seen: BTreeSet<i64> = world.events_seen.iter().copied().collect();
    let missed: Vec<i64> = events.iter().map(|e| e.seq).filter(|s| !seen.contains(s)).collect();
    if !missed.is_empty() {
        let detail = format!("events {missed:?} became visible after a reader's cursor had passed them");
        out.push(Finding::new("event sequence", detail));
    }
    let mut task_status: HashMap<String, String> = HashMap::new();
    let mut running: HashMap<String, BTreeSet<String>> = HashMap::new();
    let (mut wip_max, mut parallel_max) = (0, 0);
    let (mut wip_at, mut parallel_at) = (String::new(), String::new());
    for event in &events {
        let (from, to) = (event.payload["from"].as_str(), event.payload["to"].as_str());
        let task = event.spec_task_id.map(|t| t.to_string()).unwrap_or_default();
        match event.kind {
            EventKind::SpecTaskTransitioned => {
                task_status.insert(task, to.unwrap_or_default().to_owned());
            }
            EventKind::WorkSessionTransitioned => {
                let session = event.work_session_id.map(|s| s.to_string()).unwrap_or_default();
                let set = running.entry(task).or_default();
                if to == Some("running") {
                    set.insert(session);
                } else if from == Some("running") {
                    set.remove(&session);
                }
            }
            _ => continue,
        }
        let wip = task_status.values().filter(|s| *s == "implementation" || *s == "spec_generation").count();
        let how = || {
            let who = event.work_session_id.map_or(task_handle(world, event), |s| format!("session {s}"));
            format!("event {}: {who} {} → {}", event.seq, from.unwrap_or("?"), to.unwrap_or("?"))
        };
        if wip > wip_max {
            (wip_max, wip_at) = (wip, how());
        }
        let parallel = running.values().map(BTreeSet::len).max().unwrap_or(0);
        if parallel > parallel_max {
            (parallel_max, parallel_at) = (parallel, how());
        }
    }
    let limits = [
        ("wip limit", "tasks active", wip_max, world.scenario.wip_global, wip_at),
        (
            "session limit",
            "sessions of one task running",
            parallel_max,
            world.scenario.max_parallel_sessions,
            parallel_at,
        ),
    ];
    for (invariant, what, seen, limit, at) in limits {
        if seen > limit {
            out.push(Finding::new(
                invariant,
                format!("{seen} {what} at once, limit {limit} (first at {at})"),
            ));
        }
    }
}

/// The scenario's name of an event's task (`a`, `b` …).
fn task_handle(world: &World, event: &spectask_core::Event) -> String {
    let letter = world
        .tasks
        .iter()
        .position(|t| Some(*t) == event.spec_task_id)
        .map(|i| world.scenario.tasks[i].letter);
    format!("task {}", letter.unwrap_or('?'))
}

/// Session history reaches the design-docs branch exactly once: no entry in two batch commits'
/// `History-Seqs`, none left uncommitted after the engines stopped.
async fn history_once(world: &World, out: &mut Vec<Finding>) {
    let format = "--format=%(trailers:key=History-Seqs,valueonly,separator=%x2c)";
    let log = git(world, &["log", format, &world.design_docs_branch]).unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut twice = BTreeSet::new();
    for part in log.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) else { continue };
        for seq in a..=b {
            if !seen.insert(seq) {
                twice.insert(seq);
            }
        }
    }
    if !twice.is_empty() {
        out.push(Finding::new("history committed once", format!("entries {twice:?} are in two commits")));
    }
    let pending = world.store.pending_history(1000).await.expect("pending history");
    if !pending.is_empty() && world.findings.is_empty() {
        let seqs: Vec<i64> = pending.iter().map(|e| e.seq).collect();
        out.push(Finding::new("history committed once", format!("entries {seqs:?} never committed")));
    }
}

/// Every tip the design-docs branch had (its reflog) descends from the one before.
fn design_docs_forward(world: &World, out: &mut Vec<Finding>) {
    let branch = format!("refs/heads/{}", world.design_docs_branch);
    let Ok(reflog) = git(world, &["reflog", "show", "--format=%H", &branch]) else {
        out.push(Finding::new("design-docs forward", "no reflog of the design-docs branch"));
        return;
    };
    let tips: Vec<&str> = reflog.lines().rev().collect();
    for pair in tips.windows(2) {
        if pair[0] != pair[1] && git(world, &["merge-base", "--is-ancestor", pair[0], pair[1]]).is_err() {
            out.push(Finding::new(
                "design-docs forward",
                format!("{} does not descend from {}", pair[1], pair[0]),
            ));
        }
    }
}

fn git(world: &World, args: &[&str]) -> Result<String, String> {
    let output =
        Command::new("git").arg("-C").arg(&world.repo_path).args(args).output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}
