//! Measurements: transitions read back from the event outbox, and CPU time and RSS from the
//! kernel (`clock_gettime`, `/proc`).

use std::collections::HashMap;

use spectask_core::events::payload::{SpecTaskTransitioned, WorkSessionTransitioned};
use spectask_core::{Event, HistoryFile, SpecTaskId};
use spectask_store::Store;

pub(crate) type At = (SpecTaskId, chrono::DateTime<chrono::Utc>);

pub(crate) async fn last_seq(store: &Store) -> i64 {
    events_after(store, 0).await.last().map_or(0, |e| e.seq)
}

pub(crate) async fn events_after(store: &Store, mut after: i64) -> Vec<Event> {
    let mut all = Vec::new();
    loop {
        let page = store.events_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { return all };
        after = last.seq;
        all.extend(page);
    }
}

fn select(events: &[Event], pick: impl Fn(&Event) -> bool) -> Vec<At> {
    events.iter().filter(|e| pick(e)).filter_map(|e| Some((e.spec_task_id?, e.at))).collect()
}

pub(crate) fn task_to(events: &[Event], status: &str) -> Vec<At> {
    select(events, |e| e.payload_as::<SpecTaskTransitioned>().is_some_and(|p| p.to.as_str() == status))
}

pub(crate) fn ws_to(events: &[Event], status: &str) -> Vec<At> {
    select(events, |e| e.payload_as::<WorkSessionTransitioned>().is_some_and(|p| p.to.as_str() == status))
}

/// The end of each session's commit step: its commit's history entry, which the write recording
/// the commit appends.
pub(crate) async fn commits(store: &Store, tasks: &[SpecTaskId]) -> Vec<At> {
    let mut all = Vec::new();
    for &task in tasks {
        let history = store.history_of_task(task).await.unwrap();
        all.extend(
            history.iter().filter(|e| e.file == HistoryFile::CodeChanges).map(|e| (task, e.created_at)),
        );
    }
    all.sort_by_key(|at| at.1);
    all
}

pub(crate) fn last_per_task(events: &[At]) -> Vec<At> {
    let mut last: HashMap<SpecTaskId, At> = HashMap::new();
    for e in events {
        last.insert(e.0, *e);
    }
    let mut out: Vec<At> = last.into_values().collect();
    out.sort_by_key(|e| e.1);
    out
}

/// For each trigger, the time until the first reaction of the same task at or after it; reactions
/// are used once, in order.
pub(crate) fn gaps(triggers: &[At], reactions: &[At]) -> Vec<f64> {
    let mut used = vec![false; reactions.len()];
    let mut out = Vec::new();
    for (task, at) in triggers {
        let found = reactions.iter().enumerate().find(|(i, (t, r))| !used[*i] && t == task && r >= at);
        if let Some((i, (_, r))) = found {
            used[i] = true;
            out.push(ms_between(*at, *r));
        }
    }
    out
}

/// Each session's time from its first `running` to its `completed`, in ms.
pub(crate) fn running_spans(events: &[Event]) -> Vec<f64> {
    let status =
        |e: &Event, to: &str| e.payload_as::<WorkSessionTransitioned>().is_some_and(|p| p.to.as_str() == to);
    let mut started: HashMap<spectask_core::WorkSessionId, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut spans = Vec::new();
    for e in events {
        let Some(session) = e.work_session_id else { continue };
        if status(e, "running") {
            started.entry(session).or_insert(e.at);
        } else if status(e, "completed")
            && let Some(at) = started.get(&session)
        {
            spans.push(ms_between(*at, e.at));
        }
    }
    spans
}

pub(crate) fn ms_between(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(0) as f64 / 1000.0
}

pub(crate) fn latency_row(name: &str, samples: &[f64]) {
    let at = |p: f64| crate::goals::quantile(samples, p);
    println!(
        "  {name:<62} {:>5} {:>5.0} ms {:>5.0} ms {:>5.0} ms",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// User + system CPU time of this process (it hosts the engine, SQLite and libgit2), in ms, as the
/// kernel accounts it (`/proc/self/stat`). Not `clock_gettime`: rustix reaches it through the vDSO,
/// which it cannot parse under valgrind (`BENCH_SCENARIOS` documents the callgrind runs).
pub(crate) fn cpu_ms() -> f64 {
    stat_fields(std::process::id()).map_or(0.0, |f| (f[11] + f[12]) as f64 * TICK_MS)
}

/// CPU time of this process's children, ended (reaped) and alive, in ms (clock-tick resolution).
pub(crate) fn children_cpu_ms() -> f64 {
    let reaped = stat_fields(std::process::id()).map_or(0, |f| f[13] + f[14]);
    let alive: u64 = children().iter().map(|(_, f)| f[11] + f[12]).sum();
    (reaped + alive) as f64 * TICK_MS
}

/// One clock tick of `/proc`'s times in ms: Linux counts them in `USER_HZ`, 100 on every
/// architecture it exports to user space alike (a fixed ABI, not the kernel's `HZ`).
const TICK_MS: f64 = 10.0;

/// The numeric fields of `/proc/<pid>/stat` after the command name (index 0 is the state's slot).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
}

/// Live children of this process with their stat fields.
pub(crate) fn children() -> Vec<(u32, Vec<u64>)> {
    let me = u64::from(std::process::id());
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat_fields(pid)?)))
        .filter(|(_, f)| f.get(1) == Some(&me))
        .collect()
}

/// Resident set size of `pid` in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// git's own `git add` and `git commit` of one new file in `worktree`, `n` times, each in ms: the
/// floor of a session's commit on this machine as it is now (a busy machine shows here too).
/// Configured as spectask runs git: no hooks, no fsmonitor, no maintenance after the commit.
pub(crate) fn git_commit_floor(worktree: &std::path::Path, n: usize) -> Vec<f64> {
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "maintenance.auto=false",
            ])
            .args(args)
            .current_dir(worktree)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?} failed in {}", worktree.display());
    };
    (0..n)
        .map(|i| {
            let file = format!("floor{i:03}.txt");
            std::fs::write(worktree.join(&file), format!("{i}\n")).unwrap();
            let started = std::time::Instant::now();
            git(&["add", "--", &file]);
            git(&["commit", "--quiet", "--no-verify", "-m", "floor"]);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}
