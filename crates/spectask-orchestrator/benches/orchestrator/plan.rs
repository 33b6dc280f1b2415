//! Generated plans (`tasks.md`) and the scripted agent's rules for them, with the schedule bounds
//! a plan's makespan is compared against.

/// One plan task: the (0-based) tasks it depends on, and how long the agent works on it.
pub(crate) struct PlanTask {
    pub(crate) deps: Vec<usize>,
    pub(crate) millis: u64,
}

/// Every task is marked parallel, so its dependencies are exactly the listed ones.
pub(crate) fn plan_text(plan: &[PlanTask]) -> String {
    let mut out = String::from("# Implementation Plan\n\n");
    for (i, task) in plan.iter().enumerate() {
        out.push_str(&format!("- [ ] {}. Part {:03} (P)\n  - _Requirements: 1.1_\n", i + 1, i + 1));
        if !task.deps.is_empty() {
            let deps: Vec<String> = task.deps.iter().map(|d| (d + 1).to_string()).collect();
            out.push_str(&format!("  - _Depends: {}_\n", deps.join(", ")));
        }
        out.push('\n');
    }
    out
}

#[derive(Clone, Copy)]
pub(crate) enum Step {
    /// Sleep the task's time, write one file, answer.
    Finish,
    /// Answer, then stay in the turn until cancelled.
    Hold,
}

/// One rule per plan task, matched by substring (a wildcard pattern would cost the agent
/// O(prompt × pattern) per rule).
pub(crate) fn script(plan: &[PlanTask], step: Step) -> String {
    let mut out = String::new();
    for (i, task) in plan.iter().enumerate() {
        let id = i + 1;
        let steps = match step {
            Step::Hold => "{ message = \"working\" }, { sleep = 3600000 }".to_owned(),
            Step::Finish => {
                let sleep =
                    if task.millis > 0 { format!("{{ sleep = {} }}, ", task.millis) } else { String::new() };
                let file = format!("src/part{id:03}.txt");
                format!(
                    "{sleep}{{ write_file = {{ path = \"{file}\", content = \"part {id}\\n\" }} }}, \
                     {{ message = \"Wrote {file}.\" }}"
                )
            }
        };
        out.push_str(&format!("[[rule]]\nmatch = \"Your task: {id} Part {id:03}\"\nsteps = [{steps}]\n\n"));
    }
    out
}

/// Each task depends on up to two of the eight tasks before it; durations 100–600 ms.
pub(crate) fn random_plan(n: usize, seed: u64) -> Vec<PlanTask> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below.max(1)
    };
    (0..n)
        .map(|i| {
            let mut deps = Vec::new();
            if i > 0 {
                for _ in 0..next(3) {
                    let back = 1 + next(i.min(8) as u64) as usize;
                    deps.push(i - back);
                }
            }
            deps.sort_unstable();
            deps.dedup();
            PlanTask { deps, millis: 100 + next(501) }
        })
        .collect()
}

pub(crate) fn longest_chain(plan: &[PlanTask]) -> u64 {
    let mut finish = vec![0u64; plan.len()];
    for (i, task) in plan.iter().enumerate() {
        finish[i] = task.millis + task.deps.iter().map(|&d| finish[d]).max().unwrap_or(0);
    }
    finish.into_iter().max().unwrap_or(0)
}

/// Which ready task a simulated schedule starts first.
#[derive(Clone, Copy)]
pub(crate) enum Policy {
    /// The engine's (`sessions::decide`): the one with the most tasks on the longest chain waiting
    /// on it, then plan order (it knows no durations).
    Depth,
    /// The one with the longest remaining chain of work after it (knowing every duration).
    CriticalPathFirst,
}

/// For each task, the number of tasks on the longest chain that waits on it (0 for none).
fn depths(plan: &[PlanTask]) -> Vec<usize> {
    let mut depth = vec![0usize; plan.len()];
    // Dependencies come earlier in the plan, so a task's dependents are all settled before it.
    for i in (0..plan.len()).rev() {
        for &d in &plan[i].deps {
            depth[d] = depth[d].max(1 + depth[i]);
        }
    }
    depth
}

/// The makespan of running `plan` `k` at a time under `policy`, with zero overhead per session.
pub(crate) fn list_schedule(plan: &[PlanTask], k: usize, policy: Policy) -> u64 {
    let mut tail: Vec<u64> = plan.iter().map(|t| t.millis).collect();
    for i in (0..plan.len()).rev() {
        for &d in &plan[i].deps {
            tail[d] = tail[d].max(plan[d].millis + tail[i]);
        }
    }
    let mut order: Vec<usize> = (0..plan.len()).collect();
    match policy {
        Policy::Depth => {
            let depth = depths(plan);
            order.sort_by_key(|&i| (std::cmp::Reverse(depth[i]), i));
        }
        Policy::CriticalPathFirst => order.sort_by_key(|&i| (std::cmp::Reverse(tail[i]), i)),
    }
    let mut done_at: Vec<Option<u64>> = vec![None; plan.len()];
    let mut started = vec![false; plan.len()];
    let mut running: Vec<(u64, usize)> = Vec::new();
    let mut now = 0;
    loop {
        for &i in &order {
            let ready = plan[i].deps.iter().all(|&d| done_at[d].is_some_and(|t| t <= now));
            if !started[i] && ready && running.len() < k {
                started[i] = true;
                running.push((now + plan[i].millis, i));
            }
        }
        let Some(&(end, _)) = running.iter().min() else { return now };
        now = end;
        running.retain(|&(e, i)| {
            if e == end {
                done_at[i] = Some(end);
            }
            e != end
        });
    }
}
