//! One seed's scenario, drawn from the seed alone: the spec tasks and their plan DAGs, the agent's
//! timings and faults, the engine's limits, and what the people and the operator do when.

use std::time::Duration;

/// Everything a run does, decided before it starts (so a seed replays the same scenario).
#[derive(Clone, Debug)]
pub struct Scenario {
    pub tasks: Vec<SpecTaskScenario>,
    /// Work sessions of one task running at once.
    pub max_parallel_sessions: usize,
    /// Tasks in implementation at once.
    pub wip_global: usize,
    /// Engines (nodes) sharing the one database.
    pub engines: usize,
    /// The database is PostgreSQL (each engine its own store, as separate nodes) instead of SQLite
    /// (one store per process, shared by its engines).
    pub postgres: bool,
    /// Operator actions on the engines, in order.
    pub kills: Vec<Kill>,
}

/// One spec task: its plan and how the people treat it.
#[derive(Clone, Debug)]
pub struct SpecTaskScenario {
    /// `a`, `b`, …: names its files (`src/<letter>/partNNN.txt`) and plan task titles.
    pub letter: char,
    pub parts: Vec<Part>,
    /// After this long the task is approved (its spec) — tasks arrive over time.
    pub approve_after: Duration,
    /// The implementation review asks for changes once before approving.
    pub request_changes: bool,
    /// Cancelled this long after its spec is approved (whatever it is doing then).
    pub cancel_after: Option<Duration>,
    /// People spawn an extra session this long after approving the spec (if it is in implementation).
    pub spawn_after: Option<Duration>,
    /// Agent processes of this task, in start order: the fault the k-th one commits (then healthy).
    pub agent_faults: Vec<Option<AgentFault>>,
}

/// One plan task: the (0-based) plan tasks it depends on, and how long the agent works on it.
#[derive(Clone, Debug)]
pub struct Part {
    pub deps: Vec<usize>,
    pub millis: u64,
}

/// What a faulty agent process does when it reaches plan task `part`'s turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentFault {
    pub part: usize,
    pub kind: FaultKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Exits with a non-zero status mid-turn (after writing its file).
    Crash,
    /// Stops answering: the runtime's stall timeout must notice.
    Hang,
    /// Prints a line that is not JSON-RPC.
    Garbage,
    /// Takes ten times longer than planned.
    Slow,
    /// Ends its turn having changed nothing; does the work when told so.
    Idle,
}

/// An engine killed at a time and started again after a pause.
#[derive(Clone, Copy, Debug)]
pub struct Kill {
    pub engine: usize,
    pub at: Duration,
    /// `kill -9` (the engine's tasks dropped mid-step) or a graceful shutdown.
    pub abrupt: bool,
    pub down_for: Duration,
}

/// How much of the fault space a run explores.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    pub faults: bool,
    pub kills: bool,
    pub engines: usize,
    pub postgres: bool,
}

impl Scenario {
    pub fn generate(seed: u64, mix: Mix) -> Scenario {
        let mut rng = fastrand::Rng::with_seed(seed);
        let task_count = rng.usize(1..=3);
        let tasks = (0..task_count)
            .map(|t| {
                let letter = char::from(b'a' + t as u8);
                let n = rng.usize(1..=5);
                let parts = random_dag(&mut rng, n);
                let agent_faults = if mix.faults && rng.bool() {
                    (0..rng.usize(1..=2))
                        .map(|_| {
                            rng.bool().then(|| AgentFault {
                                part: rng.usize(0..parts.len()),
                                kind: [
                                    FaultKind::Crash,
                                    FaultKind::Hang,
                                    FaultKind::Garbage,
                                    FaultKind::Slow,
                                    FaultKind::Idle,
                                ][rng.usize(0..5)],
                            })
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                SpecTaskScenario {
                    letter,
                    parts,
                    approve_after: Duration::from_millis(rng.u64(0..=800)),
                    request_changes: rng.u8(0..4) == 0,
                    cancel_after: (mix.faults && rng.u8(0..8) == 0)
                        .then(|| Duration::from_millis(rng.u64(0..=2_000))),
                    spawn_after: (rng.u8(0..4) == 0).then(|| Duration::from_millis(rng.u64(0..=1_500))),
                    agent_faults,
                }
            })
            .collect();
        let engines = mix.engines.max(1);
        let kills = if mix.kills {
            let mut at = Duration::ZERO;
            (0..rng.usize(0..=3))
                .map(|_| {
                    at += Duration::from_millis(rng.u64(200..=2_000));
                    Kill {
                        engine: rng.usize(0..engines),
                        at,
                        abrupt: rng.bool(),
                        down_for: Duration::from_millis(rng.u64(0..=1_500)),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Scenario {
            tasks,
            max_parallel_sessions: rng.usize(1..=3),
            wip_global: rng.usize(1..=2),
            engines,
            postgres: mix.postgres,
            kills,
        }
    }
}

/// `n` plan tasks, each depending on up to two of the four before it; 0–300 ms of work each.
fn random_dag(rng: &mut fastrand::Rng, n: usize) -> Vec<Part> {
    (0..n)
        .map(|i| {
            let mut deps: Vec<usize> = if i == 0 {
                Vec::new()
            } else {
                (0..rng.usize(0..=2)).map(|_| i - 1 - rng.usize(0..i.min(4))).collect()
            };
            deps.sort_unstable();
            deps.dedup();
            Part { deps, millis: rng.u64(0..=300) }
        })
        .collect()
}

impl SpecTaskScenario {
    /// `tasks.md`: every task parallel, so its dependencies are exactly the listed ones.
    pub fn tasks_md(&self) -> String {
        let mut out = String::from("# Implementation Plan\n\n");
        for (i, part) in self.parts.iter().enumerate() {
            out.push_str(&format!("- [ ] {}. {} (P)\n  - _Requirements: 1.1_\n", i + 1, self.title(i)));
            if !part.deps.is_empty() {
                let deps: Vec<String> = part.deps.iter().map(|d| (d + 1).to_string()).collect();
                out.push_str(&format!("  - _Depends: {}_\n", deps.join(", ")));
            }
            out.push('\n');
        }
        out
    }

    /// The plan task's title; the session prompt says `Your task: <n> <title>`.
    pub fn title(&self, part: usize) -> String {
        format!("Part {}{:03}", self.letter, part + 1)
    }

    /// The file the agent writes for a plan task: what must be on the branch when the task is done.
    pub fn file(&self, part: usize) -> String {
        format!("src/{}/part{:03}.txt", self.letter, part + 1)
    }

    /// The name of the session people spawn, and the file it writes.
    pub fn extra(&self) -> (String, String) {
        (format!("Extra {}", self.letter), format!("src/{}/extra.txt", self.letter))
    }

    /// The file the session addressing review comments writes.
    pub fn review_file(&self) -> String {
        format!("src/{}/review.txt", self.letter)
    }
}
