//! The coordination tools of a work session, as its agent calls them over MCP: who is calling (the
//! session credential), spawning children under the task's limits, messages and handoffs queued for
//! other sessions' threads, blocked reports and the log. One place for these rules; the HTTP routes
//! only translate. Nothing the orchestrator does depends on an agent calling any of them.
//!
//! [`plan_status`] answers what the other sessions of a task are doing; [`overlaps`] notices two
//! sessions changing one file.

pub(crate) mod overlaps;
mod plan_status;

use spectask_core::session::coordination::{BlockedData, NoteData, ReportedBlock, Reporter};
use spectask_core::{
    CoordinationEvent, CoordinationKind, Priority, SpecTaskStatus, WorkSession, WorkSessionId,
    WorkSessionStatus,
};
use spectask_store::{MessageOutcome, NewCoordination, NewSessionMessage, PendingMessage, Store, StoreError};

pub use self::plan_status::{PlanStatus, SessionStatus, plan_status};
use crate::config::CoordinationLimits;
use crate::implementation::{SpawnRequest, spawn};

/// Why a tool call was refused.
#[derive(Debug, thiserror::Error)]
pub enum CoordinationError {
    #[error("the session credential is unknown or was replaced by a newer one")]
    UnknownCredential,
    #[error("work session \"{name}\" is {status}: its credential no longer works")]
    CallerFinished { name: String, status: WorkSessionStatus },
    #[error("the task of work session \"{name}\" is {status}: its credential no longer works")]
    TaskEnded { name: String, status: SpecTaskStatus },
    #[error("no work session {reference:?} in this task; its sessions are: {}", known.join(", "))]
    UnknownSession { reference: String, known: Vec<String> },
    #[error("{reference:?} names more than one work session: {}", candidates.join(", "))]
    AmbiguousSession { reference: String, candidates: Vec<String> },
    #[error("work session \"{name}\" is {status}; only sessions that have not finished take messages")]
    RecipientFinished { name: String, status: WorkSessionStatus },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Limit(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The work session a credential names, if it may still act: neither it nor its task has ended.
/// A task cancelled, done, rejected or failed stops its sessions' credentials at once, before its
/// sessions are moved (an agent on another node is stopped later; a session interrupted by the
/// stop stays so).
pub async fn caller(store: &Store, credential: &str) -> Result<WorkSession, CoordinationError> {
    let session =
        store.session_of_credential(credential).await?.ok_or(CoordinationError::UnknownCredential)?;
    let status = session.status();
    if matches!(
        status,
        WorkSessionStatus::Completed | WorkSessionStatus::Cancelled | WorkSessionStatus::Failed
    ) {
        return Err(CoordinationError::CallerFinished { name: session.name, status });
    }
    let status = store.spec_task(session.spec_task_id).await?.status();
    if status.is_terminal() || status == SpecTaskStatus::Failed {
        return Err(CoordinationError::TaskEnded { name: session.name, status });
    }
    Ok(session)
}

/// `spawn_session`: a child of the caller, scheduled like every session (it waits for a slot).
pub async fn spawn_child(
    store: &Store,
    limits: &CoordinationLimits,
    caller: &WorkSession,
    name: &str,
    description: &str,
    priority: Option<Priority>,
) -> Result<WorkSession, CoordinationError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CoordinationError::Invalid(
            "a spawned session needs a name of 1 to 120 characters".into(),
        ));
    }
    let description = bounded(limits, "description", description)?;
    let sessions = store.work_sessions_of(caller.spec_task_id).await?;
    let spawned = sessions.iter().filter(|s| s.spawned_by_id.is_some()).count();
    if spawned >= limits.max_spawned_sessions {
        return Err(CoordinationError::Limit(format!(
            "this task already has {spawned} spawned sessions, the most allowed ({})",
            limits.max_spawned_sessions
        )));
    }
    let task = store.spec_task(caller.spec_task_id).await?;
    let request = SpawnRequest {
        name: name.to_owned(),
        description: description.to_owned(),
        agent_profile: caller.agent_profile.clone(),
        priority: priority.unwrap_or(caller.priority),
    };
    Ok(spawn(store, &task, Some(caller), request).await?)
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageDelivery {
    pub event: CoordinationEvent,
    /// The recipient, when the message was queued for its thread.
    pub delivered_to: Option<WorkSession>,
}

/// `send_message` (`kind` Message, `to` optional) and `handoff` (`kind` Handoff, `to` required).
pub async fn send(
    store: &Store,
    limits: &CoordinationLimits,
    caller: &WorkSession,
    to: Option<&str>,
    text: &str,
    kind: CoordinationKind,
) -> Result<MessageDelivery, CoordinationError> {
    let what = if kind == CoordinationKind::Handoff { "note" } else { "text" };
    let text = bounded(limits, what, text)?;
    if text.is_empty() {
        return Err(CoordinationError::Invalid(format!("the {what} is empty")));
    }
    let sessions = store.work_sessions_of(caller.spec_task_id).await?;
    let recipient = to.map(|reference| resolve(&sessions, reference)).transpose()?.cloned();
    if recipient.as_ref().is_some_and(|r| r.id == caller.id) {
        return Err(CoordinationError::Invalid("that is your own session".into()));
    }
    within_message_budget(store, limits, caller).await?;
    let (line, note) = match (&recipient, kind) {
        (Some(r), CoordinationKind::Handoff) => (
            format!("{} → {} handoff: \"{text}\"", caller.name, r.name),
            format!("**handed over to {}**: {text}\n\n", r.name),
        ),
        (Some(r), _) => (
            format!("{} → {}: \"{text}\"", caller.name, r.name),
            format!("**sent to {}**: {text}\n\n", r.name),
        ),
        (None, _) => {
            (format!("{}: \"{text}\"", caller.name), format!("**said to all sessions**: {text}\n\n"))
        }
    };
    let message = NewSessionMessage {
        from: caller.id,
        to: recipient.as_ref().map(|r| r.id),
        kind,
        text: text.to_owned(),
        coordination: NewCoordination {
            spec_task_id: caller.spec_task_id,
            kind,
            from_session: Some(caller.id),
            to_session: recipient.as_ref().map(|r| r.id),
            message: line,
            data: NoteData {
                text: text.to_owned(),
                from: caller.name.clone(),
                to: recipient.as_ref().map(|r| r.name.clone()),
            }
            .data(),
        },
        sender_note: note,
    };
    match store.send_session_message(message).await? {
        MessageOutcome::Sent { event, message_id } => {
            Ok(MessageDelivery { event, delivered_to: recipient.filter(|_| message_id.is_some()) })
        }
        MessageOutcome::RecipientFinished(status) => Err(CoordinationError::RecipientFinished {
            name: recipient.map(|r| r.name).unwrap_or_default(),
            status,
        }),
    }
}

/// `report_blocked`: on another session, for a reason, or both.
pub async fn report_blocked(
    store: &Store,
    limits: &CoordinationLimits,
    caller: &WorkSession,
    on: Option<&str>,
    reason: Option<&str>,
) -> Result<CoordinationEvent, CoordinationError> {
    let reason = bounded(limits, "reason", reason.unwrap_or_default())?;
    let sessions = store.work_sessions_of(caller.spec_task_id).await?;
    let on = on.filter(|o| !o.trim().is_empty()).map(|o| resolve(&sessions, o)).transpose()?;
    if on.is_none() && reason.is_empty() {
        return Err(CoordinationError::Invalid(
            "say which session you wait for (on_session), why (reason), or both".into(),
        ));
    }
    if on.is_some_and(|o| o.id == caller.id) {
        return Err(CoordinationError::Invalid("a session cannot wait for itself".into()));
    }
    within_message_budget(store, limits, caller).await?;
    let message = match (on, reason.is_empty()) {
        (Some(o), true) => format!("{} blocked: waiting for {}", caller.name, o.name),
        (Some(o), false) => format!("{} blocked: waiting for {} ({reason})", caller.name, o.name),
        (None, _) => format!("{} blocked: {reason}", caller.name),
    };
    let event = store
        .record_coordination(NewCoordination {
            spec_task_id: caller.spec_task_id,
            kind: CoordinationKind::SessionBlocked,
            from_session: Some(caller.id),
            to_session: on.map(|o| o.id),
            message,
            data: BlockedData::Reported(ReportedBlock {
                reported_by: Reporter::Agent,
                session: caller.name.clone(),
                on: on.map(|o| o.name.clone()),
                reason: reason.to_owned(),
            })
            .data(),
        })
        .await?;
    Ok(event)
}

/// `read_coordination`: the entries after `since`, or the latest `LATEST` of them.
pub async fn log(
    store: &Store,
    caller: &WorkSession,
    since: Option<i64>,
) -> Result<Vec<CoordinationEvent>, CoordinationError> {
    const LATEST: usize = 50;
    let all = store.coordination_log(caller.spec_task_id).await?;
    Ok(match since {
        Some(since) => all.into_iter().filter(|e| e.seq > since).collect(),
        None => {
            let skip = all.len().saturating_sub(LATEST);
            all.into_iter().skip(skip).collect()
        }
    })
}

/// The session a reference names: its id (or a unique prefix of 8 or more characters), its plan
/// task id (`2.1`), or its name (case-insensitive; without its plan-task label, too).
pub fn resolve<'a>(
    sessions: &'a [WorkSession],
    reference: &str,
) -> Result<&'a WorkSession, CoordinationError> {
    let wanted = reference.trim();
    let lower = wanted.to_lowercase();
    let tiers: [&dyn Fn(&WorkSession) -> bool; 4] = [
        &|s| s.id.to_string() == lower,
        &|s| s.plan_task.as_ref().and_then(|p| p.id.as_deref()) == Some(wanted),
        &|s| {
            s.name.to_lowercase() == lower
                || s.plan_task.as_ref().is_some_and(|p| p.title.to_lowercase() == lower)
        },
        &|s| {
            lower.len() >= 8
                && lower.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                && s.id.to_string().starts_with(&lower)
        },
    ];
    for matches in tiers {
        let found: Vec<&WorkSession> = sessions.iter().filter(|s| matches(s)).collect();
        match found.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                return Err(CoordinationError::AmbiguousSession {
                    reference: wanted.to_owned(),
                    candidates: many.iter().map(|s| format!("{} ({})", s.name, s.id)).collect(),
                });
            }
        }
    }
    Err(CoordinationError::UnknownSession {
        reference: wanted.to_owned(),
        known: sessions.iter().map(|s| format!("\"{}\"", s.name)).collect(),
    })
}

/// The prompt that carries waiting messages into the recipient's thread.
pub(crate) fn delivery_prompt(messages: &[PendingMessage], sessions: &[WorkSession]) -> String {
    let name = |id: Option<WorkSessionId>| match id {
        Some(id) => {
            sessions.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| format!("\"{}\"", s.name))
        }
        None => "a person".to_owned(),
    };
    let mut out = String::new();
    for message in messages {
        let what = if message.kind == CoordinationKind::Handoff { "Handoff" } else { "Message" };
        out.push_str(&format!(
            "{what} from {} (through spectask):\n\n{}\n\n",
            name(message.from_session),
            message.text.trim()
        ));
    }
    out.push_str(
        "Take this into account and go on with your task (answer with send_message if the sender needs \
         a reply). When you are done, answer with a short summary of what you changed.",
    );
    out
}

fn bounded<'t>(limits: &CoordinationLimits, what: &str, text: &'t str) -> Result<&'t str, CoordinationError> {
    let text = text.trim();
    if text.len() > limits.max_text_bytes {
        return Err(CoordinationError::Invalid(format!(
            "the {what} has {} bytes; at most {} are taken",
            text.len(),
            limits.max_text_bytes
        )));
    }
    Ok(text)
}

async fn within_message_budget(
    store: &Store,
    limits: &CoordinationLimits,
    caller: &WorkSession,
) -> Result<(), CoordinationError> {
    let sent = store
        .coordination_log(caller.spec_task_id)
        .await?
        .iter()
        .filter(|e| e.from_session == Some(caller.id))
        .filter(|e| {
            matches!(e.kind, CoordinationKind::Message | CoordinationKind::Handoff)
                || BlockedData::of(e).is_some_and(|b| b.by_agent())
        })
        .count();
    if sent >= limits.max_messages_per_session {
        return Err(CoordinationError::Limit(format!(
            "this session has sent {sent} messages and reports, the most allowed ({})",
            limits.max_messages_per_session
        )));
    }
    Ok(())
}
