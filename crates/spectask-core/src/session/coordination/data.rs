//! What the `data` of a coordination entry carries, typed by the entry's kind: a hand-off (a step
//! of the orchestrator's, or a session's note to a sibling), a converge pass, a session blocked,
//! a message. Review decisions are [`ReviewEntry`]'s. Each is stored as the JSON it always was, so
//! every entry ever written reads back: `data()` is the one place that writes an entry's JSON and
//! `of` the one that reads it. An entry in a shape this build does not know reads as `None`.

use serde::{Deserialize, Serialize};

use super::{CoordinationEvent, CoordinationKind, FixAnswers, ReviewEntry};
use crate::{PullRequestMerge, PullRequestState};

/// The `data` of a coordination entry, by its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoordinationData {
    /// `review_decision`.
    Review(ReviewEntry),
    /// `handoff`.
    Handoff(HandoffData),
    /// `converge`.
    Converge(ConvergeData),
    /// `session_blocked`.
    Blocked(BlockedData),
    /// `message`.
    Message(NoteData),
}

impl CoordinationData {
    /// The data of `event`, when its kind has typed data and the entry is in a shape this build
    /// knows.
    pub fn of(event: &CoordinationEvent) -> Option<CoordinationData> {
        match event.kind {
            CoordinationKind::ReviewDecision => ReviewEntry::of(event).map(CoordinationData::Review),
            CoordinationKind::Handoff => HandoffData::of(event).map(CoordinationData::Handoff),
            CoordinationKind::Converge => ConvergeData::of(event).map(CoordinationData::Converge),
            CoordinationKind::SessionBlocked => BlockedData::of(event).map(CoordinationData::Blocked),
            CoordinationKind::Message => read(&event.data).map(CoordinationData::Message),
            _ => None,
        }
    }

    /// The data as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        match self {
            CoordinationData::Review(entry) => entry.data(),
            CoordinationData::Handoff(entry) => entry.data(),
            CoordinationData::Converge(entry) => entry.data(),
            CoordinationData::Blocked(entry) => entry.data(),
            CoordinationData::Message(entry) => entry.data(),
        }
    }
}

/// The `data` of a `handoff` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HandoffData {
    /// A step of the orchestrator's (its `step` says which).
    Step(HandoffStep),
    /// A session's note handing work over to a sibling (the `handoff` coordination tool).
    Note(NoteData),
    /// The task branch kept for a pull request (the repository's merge policy `keep_branch`).
    KeptBranch(KeptBranch),
}

/// A step of the orchestrator's that hands the work on, by its `step`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum HandoffStep {
    /// A session completed while another node held the task: what it left uncommitted here did
    /// not reach the remote. `session` is its id.
    Commit { session: String },
    /// Work of the task's branch this node held from before another carried the task on, kept at
    /// `kept_at` on `node`.
    SetAside {
        node: String,
        #[serde(rename = "ref")]
        kept_at: String,
    },
    /// This node holds commits of the task's branch the remote lacks, at `tip`.
    PushHeld { node: String, tip: String },
    /// Commits of the task's branch only `node` holds, at `tip`: another node carried it on.
    HeldOnlyHere { node: String, tip: String },
    /// A push refused (written by earlier builds; the next commit's push retries).
    Push { branch: String, error: String },
    /// The default branch merged into the task branch before the review.
    Integrate(Integrated),
    /// The approved task branch merged into the default branch.
    Merge,
    /// What the pull request step did on the task's pull request.
    PullRequest(PullRequestHandoff),
    /// The pull request step waits for the forge.
    ForgeWait,
}

/// What integrating the default branch did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Integrated {
    /// Merged, as `commit`.
    Merged { commit: String },
    /// It conflicted in these files (written by earlier builds; the review now sends such a
    /// merge back to the agent as a decision).
    Conflicts { conflicts: Vec<String> },
}

/// A hand-off entry of the task's pull request `number`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestHandoff {
    pub number: u64,
    #[serde(flatten)]
    pub event: PullRequestEvent,
}

/// What happened on the task's pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PullRequestEvent {
    /// The changes asked on it are made, and pushed to it; they answer `answers` (none in an
    /// entry written before the decision said what it answers).
    Fix {
        fix: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<FixAnswers>,
    },
    /// Merging it by `merge`, or waiting to (`waiting` says for what).
    Merge {
        merge: PullRequestMerge,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waiting: Option<String>,
    },
    /// Opened, or taken up, at `url`.
    Opened { url: String },
    /// It reached `state` (merged, closed).
    State { state: PullRequestState },
    /// These checks still fail after their rounds: a person decides.
    ChecksFailing { checks: Vec<String> },
}

/// The task branch kept for a pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptBranch {
    pub branch: String,
}

/// What a session said to another, or to all (a `message`), or handed over (a `handoff`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteData {
    pub text: String,
    /// The sender's name.
    pub from: String,
    /// The recipient's name; `None` for all sessions.
    pub to: Option<String>,
}

/// The `data` of a `converge` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConvergeData {
    /// Round `round`, approved: its plan tasks added as spec version `spec_version`.
    Round { round: u32, tasks: Vec<String>, spec_version: u32 },
    /// The spec and the code agree, at spec version `spec_version`, after `rounds` rounds.
    Converged { converged: bool, rounds: u32, spec_version: u32 },
    /// No rounds left at spec version `spec_version`, with `gaps` open.
    RoundsUsed { rounds_used: u32, gaps: Vec<String>, spec_version: u32 },
}

/// The `data` of a `session_blocked` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockedData {
    /// The session's agent said it is blocked (`report_blocked`).
    Reported(ReportedBlock),
    /// The plan's order holds the session until its prerequisites are done.
    Scheduled(SessionData),
}

/// A block a session's agent reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedBlock {
    pub reported_by: Reporter,
    /// The session's name.
    pub session: String,
    /// The name of the session it waits for.
    pub on: Option<String>,
    pub reason: String,
}

/// Who reported a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reporter {
    Agent,
}

/// The `data` of an entry about one session (started, blocked by the plan, completed …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    /// The session's name.
    pub session: String,
    /// Its plan task's id.
    pub plan_task: Option<String>,
}

impl HandoffData {
    /// The hand-off `event` is, when it is one in a shape this build knows.
    pub fn of(event: &CoordinationEvent) -> Option<HandoffData> {
        of_kind(event, CoordinationKind::Handoff)
    }

    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        write(self)
    }

    /// The step, when the entry is one.
    pub fn step(&self) -> Option<&HandoffStep> {
        match self {
            HandoffData::Step(step) => Some(step),
            HandoffData::Note(_) | HandoffData::KeptBranch(_) => None,
        }
    }

    /// The pull request step's entry, when it is one.
    pub fn pull_request(&self) -> Option<&PullRequestHandoff> {
        match self.step()? {
            HandoffStep::PullRequest(entry) => Some(entry),
            _ => None,
        }
    }
}

impl From<HandoffStep> for HandoffData {
    fn from(step: HandoffStep) -> Self {
        HandoffData::Step(step)
    }
}

impl PullRequestHandoff {
    /// What the fix pushed answers, when the entry is a fix.
    pub fn fix(&self) -> Option<FixAnswers> {
        match &self.event {
            PullRequestEvent::Fix { fix: true, answers } => Some(answers.clone().unwrap_or_default()),
            _ => None,
        }
    }
}

impl ConvergeData {
    /// The converge entry `event` is, when it is one in a shape this build knows.
    pub fn of(event: &CoordinationEvent) -> Option<ConvergeData> {
        of_kind(event, CoordinationKind::Converge)
    }

    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        write(self)
    }
}

impl BlockedData {
    /// The block `event` is, when it is one in a shape this build knows.
    pub fn of(event: &CoordinationEvent) -> Option<BlockedData> {
        of_kind(event, CoordinationKind::SessionBlocked)
    }

    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        write(self)
    }

    /// Whether the session's agent reported it.
    pub fn by_agent(&self) -> bool {
        matches!(self, BlockedData::Reported(ReportedBlock { reported_by: Reporter::Agent, .. }))
    }
}

impl NoteData {
    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        write(self)
    }
}

impl SessionData {
    /// The session entry `event` is, when its data is one (whatever its kind).
    pub fn of(event: &CoordinationEvent) -> Option<SessionData> {
        read(&event.data)
    }

    /// The entry as the log stores it.
    pub fn data(&self) -> serde_json::Value {
        write(self)
    }
}

fn of_kind<T: serde::de::DeserializeOwned>(event: &CoordinationEvent, kind: CoordinationKind) -> Option<T> {
    if event.kind != kind {
        return None;
    }
    read(&event.data)
}

fn read<T: serde::de::DeserializeOwned>(data: &serde_json::Value) -> Option<T> {
    T::deserialize(data).ok()
}

fn write<T: Serialize>(value: &T) -> serde_json::Value {
    // Maps of strings, numbers, lists and nulls: nothing here fails to serialise.
    serde_json::to_value(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
