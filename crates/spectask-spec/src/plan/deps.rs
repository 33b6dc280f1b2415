//! The dependency graph over a plan's tasks, and the order they may run in.
//!
//! Rules, applied to each group of siblings (the children of one task, or the top-level tasks; in a
//! spec-kit plan the top-level tasks of one phase heading form a group):
//! - A task with explicit dependencies (`_Depends: 1.2_`, "depends on T012") depends on exactly those.
//! - Otherwise a task marked parallel (` (P)`, `[P]`) depends on the last non-parallel task before it in
//!   its group, so a run of parallel tasks runs side by side.
//! - Otherwise a task depends on every task since the last non-parallel one before it (or that one
//!   itself), i.e. transitively on all earlier tasks of its group: document order.
//! - Optional tasks (`[ ]*`) follow the same rules, but nothing waits for them implicitly: they may
//!   be skipped.
//! - In a spec-kit plan the first tasks of a phase depend on the last tasks (those nothing else in the
//!   phase waits for) of the previous phase.
//!
//! Those are the direct dependencies ([`DepGraph::depends_on`]). A task's prerequisites add two implied
//! edges: a parent waits for its non-optional children, and a child waits for everything its ancestors
//! depend on. Cycles can only come from explicit dependencies and are an error naming the cycle.

use std::collections::{HashMap, HashSet};

use super::{Plan, PlanTask};
use crate::SpecError;

/// Direct dependencies between the tasks of one plan, by task index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepGraph {
    labels: Vec<String>,
    depends: Vec<Vec<usize>>,
    prerequisites: Vec<Vec<usize>>,
    unknown: Vec<(usize, String)>,
}

impl Plan {
    pub fn dependency_graph(&self) -> DepGraph {
        DepGraph::of(self.tasks())
    }
}

impl DepGraph {
    pub fn of(tasks: &[PlanTask]) -> DepGraph {
        let by_id: HashMap<&str, usize> =
            tasks.iter().rev().filter_map(|t| Some((t.id.as_deref()?, t.index))).collect();
        let mut depends = vec![Vec::new(); tasks.len()];
        let mut unknown = Vec::new();
        for task in tasks {
            for dep in &task.depends {
                match by_id.get(dep.as_str()) {
                    Some(&target) if target != task.index => depends[task.index].push(target),
                    Some(_) => {}
                    None => unknown.push((task.index, dep.clone())),
                }
            }
        }
        let explicit: Vec<bool> = tasks.iter().map(|t| !t.depends.is_empty()).collect();
        for group in groups(tasks) {
            order_group(tasks, &group, &explicit, &mut depends);
        }
        if tasks.iter().any(PlanTask::is_spec_kit) {
            chain_phases(tasks, &mut depends);
        }
        for deps in &mut depends {
            deps.sort_unstable();
            deps.dedup();
        }
        let prerequisites = tasks.iter().map(|t| prerequisites(tasks, &depends, t)).collect();
        DepGraph { labels: tasks.iter().map(PlanTask::label).collect(), depends, prerequisites, unknown }
    }

    /// The direct dependencies of task `index` (see the module rules).
    pub fn depends_on(&self, index: usize) -> &[usize] {
        self.depends.get(index).map_or(&[], Vec::as_slice)
    }

    /// Everything task `index` waits for: its dependencies, its non-optional children, and its
    /// ancestors' dependencies.
    pub fn prerequisites(&self, index: usize) -> &[usize] {
        self.prerequisites.get(index).map_or(&[], Vec::as_slice)
    }

    /// Explicit dependencies naming no task, as (task index, id as written).
    pub fn unknown_dependencies(&self) -> &[(usize, String)] {
        &self.unknown
    }

    /// Tasks not done whose prerequisites are all done, in document order.
    pub fn ready(&self, is_done: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&i| !is_done(i) && self.prerequisites[i].iter().all(|&p| is_done(p)))
            .collect()
    }

    /// Every task after all its prerequisites; ties are broken by document order.
    pub fn topological_order(&self) -> Result<Vec<usize>, SpecError> {
        let n = self.labels.len();
        let mut waiting: Vec<usize> = self.prerequisites.iter().map(Vec::len).collect();
        let mut dependents = vec![Vec::new(); n];
        for (task, prereqs) in self.prerequisites.iter().enumerate() {
            for &p in prereqs {
                dependents[p].push(task);
            }
        }
        let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(next) = ready.pop_first() {
            order.push(next);
            for &d in &dependents[next] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.insert(d);
                }
            }
        }
        if order.len() == n {
            return Ok(order);
        }
        let cycle = self.cycles().into_iter().next().unwrap_or_default();
        Err(SpecError::DependencyCycle(cycle))
    }

    /// Every distinct cycle among the prerequisites, each as labels with the first repeated at the end
    /// (`["1.2", "1.3", "1.2"]`).
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let n = self.labels.len();
        let mut colour = vec![0u8; n];
        let mut cycles: Vec<Vec<usize>> = Vec::new();
        for root in 0..n {
            if colour[root] != 0 {
                continue;
            }
            let mut path = vec![root];
            let mut next_edge = vec![0usize];
            colour[root] = 1;
            while let (Some(&node), Some(edge)) = (path.last(), next_edge.last_mut()) {
                let Some(&to) = self.prerequisites[node].get(*edge) else {
                    colour[node] = 2;
                    path.pop();
                    next_edge.pop();
                    continue;
                };
                *edge += 1;
                match colour[to] {
                    0 => {
                        colour[to] = 1;
                        path.push(to);
                        next_edge.push(0);
                    }
                    1 => {
                        let from = path.iter().position(|&p| p == to).unwrap_or(0);
                        let mut cycle: Vec<usize> = path[from..].to_vec();
                        let first = cycle.iter().enumerate().min_by_key(|&(_, &t)| t).map_or(0, |(i, _)| i);
                        cycle.rotate_left(first);
                        if !cycles.contains(&cycle) {
                            cycles.push(cycle);
                        }
                    }
                    _ => {}
                }
            }
        }
        cycles
            .into_iter()
            .map(|cycle| {
                let mut labels: Vec<String> = cycle.iter().map(|&i| self.labels[i].clone()).collect();
                labels.push(self.labels[cycle[0]].clone());
                labels
            })
            .collect()
    }

    /// A task's id, or `#<index>` when it has none.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.labels.get(index).map(String::as_str)
    }
}

/// Sibling groups: the children of each task, plus the top-level tasks (split by phase heading in a
/// spec-kit plan).
fn groups(tasks: &[PlanTask]) -> Vec<Vec<usize>> {
    let spec_kit = tasks.iter().any(PlanTask::is_spec_kit);
    let mut groups: Vec<Vec<usize>> = tasks.iter().map(|t| t.children.clone()).collect();
    let mut top: Vec<usize> = Vec::new();
    for task in tasks.iter().filter(|t| t.parent.is_none()) {
        if spec_kit && top.last().is_some_and(|&prev| tasks[prev].section != task.section) {
            groups.push(std::mem::take(&mut top));
        }
        top.push(task.index);
    }
    groups.push(top);
    groups.retain(|g| !g.is_empty());
    groups
}

fn order_group(tasks: &[PlanTask], group: &[usize], explicit: &[bool], depends: &mut [Vec<usize>]) {
    let mut barrier: Option<usize> = None;
    let mut since: Vec<usize> = Vec::new();
    for &task in group {
        let parallel = tasks[task].parallel;
        if !explicit[task] {
            let implied = match (parallel, since.is_empty()) {
                (true, _) | (false, true) => barrier.into_iter().collect(),
                (false, false) => since.clone(),
            };
            depends[task].extend(implied);
        }
        if tasks[task].optional {
            continue;
        }
        if parallel {
            since.push(task);
        } else {
            barrier = Some(task);
            since.clear();
        }
    }
}

/// spec-kit phases run in order: a phase's entry tasks wait for the previous phase's exit tasks.
fn chain_phases(tasks: &[PlanTask], depends: &mut [Vec<usize>]) {
    let top: Vec<&PlanTask> = tasks.iter().filter(|t| t.parent.is_none()).collect();
    let mut phases: Vec<Vec<usize>> = Vec::new();
    for (i, task) in top.iter().enumerate() {
        if i == 0 || top[i - 1].section != task.section {
            phases.push(Vec::new());
        }
        if let Some(phase) = phases.last_mut() {
            phase.push(task.index);
        }
    }
    for pair in phases.windows(2) {
        let (previous, phase) = (&pair[0], &pair[1]);
        let waited_for: HashSet<usize> = previous.iter().flat_map(|&t| depends[t].iter().copied()).collect();
        let exits: Vec<usize> =
            previous.iter().copied().filter(|&t| !tasks[t].optional && !waited_for.contains(&t)).collect();
        let members: HashSet<usize> = phase.iter().copied().collect();
        for &task in phase {
            let entry = !depends[task].iter().any(|d| members.contains(d));
            if entry && tasks[task].depends.is_empty() {
                depends[task].extend(&exits);
            }
        }
    }
}

fn prerequisites(tasks: &[PlanTask], depends: &[Vec<usize>], task: &PlanTask) -> Vec<usize> {
    let mut all = depends[task.index].clone();
    all.extend(task.children.iter().copied().filter(|&c| !tasks[c].optional));
    let mut ancestor = task.parent;
    while let Some(a) = ancestor {
        all.extend(depends[a].iter().copied());
        ancestor = tasks[a].parent;
    }
    all.retain(|&p| p != task.index);
    all.sort_unstable();
    all.dedup();
    all
}
