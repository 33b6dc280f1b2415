//! The pure rule of attention: from what the store says of some tasks (their sessions, pending
//! permission requests, stall marks, budgets, current spec versions and prerequisites), what each
//! task and session waits for, in words for people.

use std::collections::{HashMap, HashSet};

use spectask_core::task::prerequisite::holds;
use spectask_core::{
    AttentionKind, BudgetHolder, HoldBefore, Prerequisite, SpecTask, SpecTaskId, SpecTaskStatus, Timestamp,
    WorkSessionId, WorkSessionStanding, WorkSessionState, WorkSessionStatus,
};

/// A task another one waits for, as the chain of a hold names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRef {
    pub id: SpecTaskId,
    pub title: String,
    pub status: SpecTaskStatus,
}

impl From<&Prerequisite> for TaskRef {
    fn from(p: &Prerequisite) -> Self {
        Self { id: p.id, title: p.title.clone(), status: p.status }
    }
}

/// What a task or one of its sessions waits for, with what a person needs to know of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// A session's agent asks permission for a tool call (`title` says which, when the agent did).
    Permission {
        approval_id: String,
        title: Option<String>,
    },
    /// The planner asks questions before it writes the spec (spec `version`).
    Questions {
        version: u32,
        count: usize,
    },
    SpecReview {
        version: u32,
        questions: usize,
    },
    ImplementationReview,
    /// A budget that holds the task is reached; `why` says which and what was spent.
    Budget {
        holder: BudgetHolder,
        why: String,
    },
    /// A running session's agent went silent; `policy` is what spectask does about it.
    Stalled {
        last_activity_at: Timestamp,
        policy: String,
    },
    /// The task (no session) or a session failed.
    Failed {
        reason: String,
    },
    /// Prerequisites hold the task: `chain` goes from the prerequisite it names to the task at the
    /// root of the hold (its last one); the root failed, was rejected or cancelled, or is still at work.
    Held {
        chain: Vec<TaskRef>,
    },
}

/// One thing a task or session waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attention {
    pub spec_task_id: SpecTaskId,
    pub task_title: String,
    /// The session it concerns, when it is one session's.
    pub session: Option<(WorkSessionId, String)>,
    pub waiting: Waiting,
    /// Since when it waits.
    pub since: Timestamp,
}

impl Attention {
    pub fn kind(&self) -> AttentionKind {
        match self.waiting {
            Waiting::Permission { .. } => AttentionKind::Permission,
            Waiting::Questions { .. } => AttentionKind::Questions,
            Waiting::SpecReview { .. } => AttentionKind::SpecReview,
            Waiting::ImplementationReview => AttentionKind::ImplementationReview,
            Waiting::Budget { .. } => AttentionKind::Budget,
            Waiting::Stalled { .. } => AttentionKind::Stalled,
            Waiting::Failed { .. } => AttentionKind::Failed,
            Waiting::Held { .. } => AttentionKind::Held,
        }
    }

    /// Whether only a person moves it on. A hold whose root is still at work goes on by itself;
    /// everything else waits for someone.
    pub fn needs_you(&self) -> bool {
        match &self.waiting {
            Waiting::Held { chain } => chain.last().is_some_and(|root| ended(root.status)),
            _ => true,
        }
    }

    /// The task held at the root of a hold.
    pub fn root(&self) -> Option<&TaskRef> {
        match &self.waiting {
            Waiting::Held { chain } => chain.last(),
            _ => None,
        }
    }

    /// What happened, in one sentence.
    pub fn text(&self) -> String {
        let session = self.session.as_ref().map(|(_, name)| name.as_str()).unwrap_or("a session");
        match &self.waiting {
            Waiting::Permission { title, .. } => match title {
                Some(title) => format!("“{session}” asks for your permission: {title}."),
                None => format!("“{session}” asks for your permission to go on."),
            },
            Waiting::Questions { count, .. } => {
                format!("The planner asks {} before it writes the spec.", plural(*count, "question"))
            }
            Waiting::SpecReview { version, questions: 0 } => {
                format!("Version {version} of the spec is ready for your review.")
            }
            Waiting::SpecReview { version, questions } => format!(
                "Version {version} of the spec is ready for your review; the planner also asks {}.",
                plural(*questions, "question")
            ),
            Waiting::ImplementationReview => "The implementation is ready for your review.".to_owned(),
            Waiting::Budget { why, .. } => format!("{}.", capitalised(why.trim_end_matches('.'))),
            Waiting::Stalled { .. } => match &self.session {
                Some(_) => format!("The agent of “{session}” went silent."),
                None => "The planning agent went silent.".to_owned(),
            },
            Waiting::Failed { reason } => match &self.session {
                Some(_) => format!("“{session}” failed: {reason}"),
                None => format!("The task failed: {reason}"),
            },
            Waiting::Held { chain } => {
                let Some(root) = chain.last() else { return "Held by a prerequisite.".to_owned() };
                let through = match chain.len() {
                    1 => String::new(),
                    _ => {
                        let named: Vec<String> =
                            chain[..chain.len() - 1].iter().map(|t| t.id.short().to_string()).collect();
                        format!(" (through {})", named.join(", "))
                    }
                };
                let root_named = format!("{} “{}”", root.id.short(), root.title);
                match ended(root.status) {
                    true => format!("Held: prerequisite {root_named} {}{through}.", phrase(root.status)),
                    false => format!(
                        "Waiting for prerequisite {root_named}, which {}{through}.",
                        phrase(root.status)
                    ),
                }
            }
        }
    }

    /// What a person can do about it.
    pub fn action(&self) -> String {
        match &self.waiting {
            Waiting::Permission { .. } => "Allow or reject it on the session's page.".to_owned(),
            Waiting::Questions { .. } => "Answer them in the spec review.".to_owned(),
            Waiting::SpecReview { .. } => "Approve it, ask for changes, or reject it.".to_owned(),
            Waiting::ImplementationReview => "Approve and merge it, or ask for changes.".to_owned(),
            Waiting::Budget { holder: BudgetHolder::Task, .. } => {
                "Raise the task's budget on its page; its sessions go on by themselves.".to_owned()
            }
            Waiting::Budget { holder: BudgetHolder::Repository, .. } => {
                "Raise the repository's daily budget, or wait for the day to end (UTC).".to_owned()
            }
            Waiting::Budget { holder: BudgetHolder::User, .. } => {
                "Ask an operator to raise the daily budget, or wait for the day to end (UTC).".to_owned()
            }
            Waiting::Stalled { policy, .. } if self.session.is_none() => match policy.as_str() {
                "interrupt" => "It is being prompted again; cancel the task to stop it.".to_owned(),
                "fail" => "Its planning is being failed; retry the task once the agent is fixed.".to_owned(),
                _ => "Wait for it to speak again, or cancel the task.".to_owned(),
            },
            Waiting::Stalled { policy, .. } => match policy.as_str() {
                "interrupt" => {
                    "It is being prompted again; open the session to follow it, or stop it.".to_owned()
                }
                "fail" => "It is being failed; retry it once the agent is fixed.".to_owned(),
                _ => "Open the session: send its agent a message, or stop it.".to_owned(),
            },
            Waiting::Failed { .. } => match &self.session {
                Some(_) => "Open the session to read why, then retry it or cancel the task.".to_owned(),
                None => "Read why on the task's page, then retry it or cancel it.".to_owned(),
            },
            Waiting::Held { chain } => match chain.last() {
                Some(root) if root.status == SpecTaskStatus::Failed => {
                    format!("Retry {}, or remove it from this task's prerequisites.", root.id.short())
                }
                Some(root) if ended(root.status) => format!(
                    "Remove {} from this task's prerequisites: it cannot be retried.",
                    root.id.short()
                ),
                _ => "Nothing: it starts once its prerequisites are done.".to_owned(),
            },
        }
    }

    /// The dashboard's page for it: the session's for a session's, else the task's.
    pub fn path(&self) -> String {
        match (&self.session, &self.waiting) {
            (
                Some((id, _)),
                Waiting::Permission { .. } | Waiting::Stalled { .. } | Waiting::Failed { .. },
            ) => {
                format!("/sessions/{id}")
            }
            _ => format!("/tasks/{}", self.spec_task_id),
        }
    }
}

/// A prerequisite that ended without being done: it holds its dependents until a person acts.
fn ended(status: SpecTaskStatus) -> bool {
    matches!(status, SpecTaskStatus::Failed | SpecTaskStatus::Rejected | SpecTaskStatus::Cancelled)
}

/// Where a task is, as the end of a sentence about it.
fn phrase(status: SpecTaskStatus) -> &'static str {
    use SpecTaskStatus as S;
    match status {
        S::Backlog => "has not started",
        S::SpecGeneration => "is being planned",
        S::SpecReview => "waits for its spec review",
        S::SpecRevision => "is being revised",
        S::SpecApproved | S::ImplementationQueued => "is queued for implementation",
        S::Implementation => "is being implemented",
        S::ImplementationReview => "waits for its implementation review",
        S::PullRequest => "waits for its pull request to merge",
        S::Done => "is done",
        S::Failed => "failed",
        S::Rejected => "was rejected",
        S::Cancelled => "was cancelled",
    }
}

/// `text` with its first letter in upper case: a sentence made of a clause.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn plural(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// A pending permission request, as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPermission {
    pub approval_id: String,
    pub work_session_id: WorkSessionId,
    pub title: Option<String>,
    pub requested_at: Timestamp,
}

/// A stall mark, as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StallMark {
    pub since: Timestamp,
    pub last_activity_at: Timestamp,
    pub policy: String,
}

/// A budget hold on record, as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetHoldMark {
    pub holder: BudgetHolder,
    /// Which budget is reached and what was spent.
    pub why: String,
    pub since: Timestamp,
}

/// A current spec version, as the rule needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionFacts {
    pub version: u32,
    pub questions: usize,
    pub questions_only: bool,
}

/// What the store says of the tasks judged, and of every task their prerequisites reach.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub sessions: HashMap<SpecTaskId, Vec<WorkSessionStanding>>,
    pub permissions: Vec<PendingPermission>,
    pub stalls: HashMap<WorkSessionId, StallMark>,
    /// The tasks in planning whose planning agent is marked stalled.
    pub planning_stalls: HashMap<SpecTaskId, StallMark>,
    /// The budget that holds each task a budget holds.
    pub budget_holds: HashMap<SpecTaskId, BudgetHoldMark>,
    pub versions: HashMap<SpecTaskId, VersionFacts>,
    /// Each task's prerequisites (the tasks judged and those below them): the phase they hold it
    /// before and each one.
    pub prerequisites: HashMap<SpecTaskId, (HoldBefore, Vec<Prerequisite>)>,
}

/// Everything `tasks` and their sessions wait for, the task's own first, then its sessions' in the
/// order the sessions were made.
pub fn attention(tasks: &[SpecTask], facts: &Facts) -> Vec<Attention> {
    let mut out = Vec::new();
    for task in tasks {
        out.extend(of_task(task, facts));
    }
    out
}

fn of_task(task: &SpecTask, facts: &Facts) -> Vec<Attention> {
    let sessions = facts.sessions.get(&task.id).map(Vec::as_slice).unwrap_or_default();
    let item = |session: Option<&WorkSessionStanding>, waiting: Waiting, since: Timestamp| Attention {
        spec_task_id: task.id,
        task_title: task.title.clone(),
        session: session.map(|s| (s.id, s.name.clone())),
        waiting,
        since,
    };
    let mut out = Vec::new();
    use SpecTaskStatus as S;
    match task.status() {
        S::Failed => {
            let reason = task.state.failure().map(|f| f.reason.clone()).unwrap_or_default();
            out.push(item(None, Waiting::Failed { reason }, task.updated_at));
        }
        S::SpecReview => {
            let v = facts.versions.get(&task.id).copied().unwrap_or(VersionFacts {
                version: task.spec_version,
                questions: 0,
                questions_only: false,
            });
            let waiting = match v.questions_only {
                true => Waiting::Questions { version: v.version, count: v.questions },
                false => Waiting::SpecReview { version: v.version, questions: v.questions },
            };
            out.push(item(None, waiting, task.updated_at));
        }
        S::ImplementationReview => out.push(item(None, Waiting::ImplementationReview, task.updated_at)),
        S::SpecGeneration => {
            if let Some(stall) = facts.planning_stalls.get(&task.id) {
                let waiting = Waiting::Stalled {
                    last_activity_at: stall.last_activity_at,
                    policy: stall.policy.clone(),
                };
                out.push(item(None, waiting, stall.since));
            }
        }
        S::Backlog | S::SpecRevision | S::ImplementationQueued => {
            if let Some(chain) = held(task.id, task.status(), facts) {
                out.push(item(None, Waiting::Held { chain }, task.updated_at));
            }
        }
        _ => {}
    }
    if task.status().is_terminal() || task.status() == S::Failed {
        return out;
    }
    if let Some(budget) = budget(task, facts) {
        out.push(budget);
    }
    for session in sessions {
        let mine = facts.permissions.iter().filter(|p| p.work_session_id == session.id);
        for p in mine.filter(|_| session.status() == WorkSessionStatus::Running) {
            let waiting = Waiting::Permission { approval_id: p.approval_id.clone(), title: p.title.clone() };
            out.push(item(Some(session), waiting, p.requested_at));
        }
        if let Some(stall) =
            facts.stalls.get(&session.id).filter(|_| session.status() == WorkSessionStatus::Running)
        {
            let waiting =
                Waiting::Stalled { last_activity_at: stall.last_activity_at, policy: stall.policy.clone() };
            out.push(item(Some(session), waiting, stall.since));
        }
        if let WorkSessionState::Failed { reason } = &session.state {
            out.push(item(Some(session), Waiting::Failed { reason: reason.clone() }, session.updated_at));
        }
    }
    out
}

/// The budget that holds `task`, as recorded with what it stopped (a session's pause, or its
/// planning put off).
fn budget(task: &SpecTask, facts: &Facts) -> Option<Attention> {
    let hold = facts.budget_holds.get(&task.id)?;
    Some(Attention {
        spec_task_id: task.id,
        task_title: task.title.clone(),
        session: None,
        waiting: Waiting::Budget { holder: hold.holder, why: hold.why.clone() },
        since: hold.since,
    })
}

/// The chain of prerequisites that holds task `id` (in `status`), from the one it names to the
/// root; `None` when nothing holds it. A root that ended (failed, rejected, cancelled) is preferred
/// over one still at work: that is what a person must act on.
fn held(id: SpecTaskId, status: SpecTaskStatus, facts: &Facts) -> Option<Vec<TaskRef>> {
    let (hold_before, _) = facts.prerequisites.get(&id)?;
    if !holds(*hold_before, status) {
        return None;
    }
    let mut seen = HashSet::from([id]);
    let mut found = Vec::new();
    chains(id, facts, &mut seen, &mut Vec::new(), &mut found);
    found.iter().find(|c| c.last().is_some_and(|r| ended(r.status))).or(found.first()).cloned()
}

/// Every chain from task `id`'s open prerequisites down to where each hold ends, depth first.
fn chains(
    id: SpecTaskId,
    facts: &Facts,
    seen: &mut HashSet<SpecTaskId>,
    path: &mut Vec<TaskRef>,
    found: &mut Vec<Vec<TaskRef>>,
) {
    let Some((_, prerequisites)) = facts.prerequisites.get(&id) else { return };
    for p in prerequisites.iter().filter(|p| p.status != SpecTaskStatus::Done) {
        if !seen.insert(p.id) {
            continue;
        }
        path.push(p.into());
        let deeper = facts.prerequisites.get(&p.id).is_some_and(|(hold, below)| {
            holds(*hold, p.status) && below.iter().any(|b| b.status != SpecTaskStatus::Done)
        });
        match deeper && !ended(p.status) {
            true => chains(p.id, facts, seen, path, found),
            false => found.push(path.clone()),
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests;
