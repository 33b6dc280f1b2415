//! Prompts from editors waiting for their turn on this node. The server offers each editor prompt
//! (`POST /work-sessions/{id}/editor/turn`) under the id of the session message it queued; the step
//! driving the work session takes it, runs the turn with the thread relayed to the editor
//! ([`super::relay`]) and reports how the turn ended. While the turn runs, the editor may cancel
//! it, and its answers to relayed requests find their way back by the request's number.
//!
//! The MCP servers each editor thread's editor gives its agent are held here too, in memory only
//! (their environment may carry the editor's credentials): the editor gives them with every prompt,
//! so a node that restarted, or another node taking the thread, learns them from the next one.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use spectask_core::WorkSessionId;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::McpServerSpec;
use crate::editor::relay::{EditorRefusal, EditorRelay};
use crate::thread::prompt::PromptContent;

/// How an editor's turn ended: the agent's stop reason (`end_turn`, `cancelled` …) or why it failed.
pub type TurnEnd = Result<String, String>;

/// One editor prompt: what it says, the editor holding the thread, and where its end goes.
#[derive(Debug)]
pub struct HeldTurn {
    pub prompt: PromptContent,
    /// Who speaks, as the conversation records it (the editor's name).
    pub from: String,
    pub relay: EditorRelay,
    /// Cancelled when the editor cancels the turn (or goes away).
    pub cancel: CancellationToken,
    pub ended: oneshot::Sender<TurnEnd>,
}

type Reply = oneshot::Sender<Result<serde_json::Value, EditorRefusal>>;

#[derive(Debug, Default)]
struct EditorTurnState {
    /// Prompts queued and not yet taken, by session message id.
    waiting: HashMap<i64, (WorkSessionId, HeldTurn)>,
    /// The cancellation of each session's editor turns (queued or running).
    cancels: HashMap<WorkSessionId, CancellationToken>,
    /// Relayed requests waiting for the editor's answer, by session and request number.
    replies: HashMap<(WorkSessionId, u64), Reply>,
    /// The MCP servers of each editor thread, by session.
    tools: HashMap<WorkSessionId, EditorTools>,
}

/// The MCP servers an editor gives a thread's agent, and those its agent thread on this node was
/// opened with.
#[derive(Debug, Default)]
struct EditorTools {
    given: Vec<McpServerSpec>,
    /// `None` until the agent thread is opened with them (one opened before they were known has none).
    opened_with: Option<Vec<McpServerSpec>>,
}

/// The editor turns of this node. Offers are made under an async lock held while the message is
/// queued ([`EditorTurns::offering`]), so the step that delivers the message always finds its turn.
#[derive(Debug, Default)]
pub struct EditorTurns {
    offers: tokio::sync::Mutex<()>,
    held: Mutex<EditorTurnState>,
}

/// Holds off [`EditorTurns::take`] until the offer is made (or dropped).
pub struct Offering<'a> {
    turns: &'a EditorTurns,
    _lock: tokio::sync::MutexGuard<'a, ()>,
}

impl Offering<'_> {
    /// Offers the turn under the id of the message just queued for it.
    pub fn offer(self, session: WorkSessionId, message: i64, turn: HeldTurn) {
        let mut held = self.turns.held();
        held.cancels.insert(session, turn.cancel.clone());
        held.waiting.insert(message, (session, turn));
    }
}

impl EditorTurns {
    fn held(&self) -> std::sync::MutexGuard<'_, EditorTurnState> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts an offer: queue the message, then [`Offering::offer`].
    pub async fn offering(&self) -> Offering<'_> {
        Offering { turns: self, _lock: self.offers.lock().await }
    }

    /// The editor turn of a session message, when an editor on this node sent it.
    pub async fn take(&self, message: i64) -> Option<HeldTurn> {
        let _offers = self.offers.lock().await;
        self.held().waiting.remove(&message).map(|(_, turn)| turn)
    }

    /// The editor went away or the turn ended: its offer (if still waiting), its cancellation and its
    /// unanswered requests are forgotten.
    pub fn forget(&self, session: WorkSessionId, message: i64) {
        let mut held = self.held();
        held.waiting.remove(&message);
        if !held.waiting.values().any(|(s, _)| *s == session) {
            held.cancels.remove(&session);
        }
        held.replies.retain(|(s, _), _| *s != session);
    }

    /// The MCP servers the editor gives the thread of `session` now (`mcpServers` of its
    /// `session/new`, `session/load` or `session/resume`).
    pub fn set_tools(&self, session: WorkSessionId, servers: Vec<McpServerSpec>) {
        self.held().tools.entry(session).or_default().given = servers;
    }

    /// The sessions whose editors gave their threads MCP servers on this node.
    pub fn editor_threads(&self) -> Vec<WorkSessionId> {
        self.held().tools.keys().copied().collect()
    }

    /// The editor thread of `session` ended: the MCP servers its editor gave are forgotten.
    pub fn forget_tools(&self, session: WorkSessionId) {
        self.held().tools.remove(&session);
    }

    /// The MCP servers the editor gave the thread of `session` (none when no editor did), for its
    /// agent thread opened now.
    pub fn tools_to_open(&self, session: WorkSessionId) -> Vec<McpServerSpec> {
        let mut held = self.held();
        let Some(tools) = held.tools.get_mut(&session) else { return Vec::new() };
        tools.opened_with = Some(tools.given.clone());
        tools.given.clone()
    }

    /// Whether the editor gave other MCP servers than the thread's agent thread was opened with
    /// (it must be opened again to get them).
    pub fn tools_changed(&self, session: WorkSessionId) -> bool {
        let held = self.held();
        held.tools.get(&session).is_some_and(|t| t.opened_with.as_deref().unwrap_or_default() != t.given)
    }

    /// Cancels the session's editor turns; false when it has none.
    pub fn cancel(&self, session: WorkSessionId) -> bool {
        let held = self.held();
        held.cancels.get(&session).inspect(|token| token.cancel()).is_some()
    }

    /// Keeps the answer channel of relayed request `number` until the editor answers.
    pub fn await_reply(&self, session: WorkSessionId, number: u64, reply: Reply) {
        self.held().replies.insert((session, number), reply);
    }

    /// The editor's answer to relayed request `number`; false when no such request waits.
    pub fn reply(
        &self,
        session: WorkSessionId,
        number: u64,
        answer: Result<serde_json::Value, EditorRefusal>,
    ) -> bool {
        let reply = self.held().replies.remove(&(session, number));
        reply.is_some_and(|reply| reply.send(answer).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::relay::EditorOffers;

    fn turn() -> (HeldTurn, oneshot::Receiver<TurnEnd>) {
        let (frames, _) = tokio::sync::mpsc::channel(1);
        let (ended, end) = oneshot::channel();
        let relay = EditorRelay::new(EditorOffers::default(), Vec::new(), frames);
        let cancel = CancellationToken::new();
        (HeldTurn { prompt: PromptContent::text("hi"), from: "zed".into(), relay, cancel, ended }, end)
    }

    #[tokio::test]
    async fn a_turn_is_taken_once_cancelled_by_its_session_and_forgotten() {
        let turns = EditorTurns::default();
        let session = WorkSessionId::from_uuid(uuid::Uuid::now_v7());
        let (held, _end) = turn();
        let token = held.cancel.clone();
        turns.offering().await.offer(session, 7, held);
        assert!(turns.cancel(session));
        assert!(token.is_cancelled());
        assert!(turns.take(7).await.is_some());
        assert!(turns.take(7).await.is_none(), "taken once");
        let (reply, answer) = oneshot::channel();
        turns.await_reply(session, 1, reply);
        assert!(turns.reply(session, 1, Ok(serde_json::json!({}))));
        assert!(answer.await.is_ok());
        assert!(!turns.reply(session, 1, Ok(serde_json::json!({}))), "answered once");
        turns.forget(session, 7);
        assert!(!turns.cancel(session), "nothing left to cancel");
    }

    #[test]
    fn an_editors_tools_changed_since_its_thread_was_opened_are_noticed() {
        let turns = EditorTurns::default();
        let session = WorkSessionId::from_uuid(uuid::Uuid::now_v7());
        let server = |name: &str| McpServerSpec {
            name: name.into(),
            command: "/usr/bin/true".into(),
            args: Vec::new(),
            env: vec![("TOKEN".into(), "secret".into())],
        };
        assert!(turns.tools_to_open(session).is_empty(), "no editor gave any");
        assert!(!turns.tools_changed(session));
        turns.set_tools(session, vec![server("zed-tools")]);
        assert!(turns.tools_changed(session), "its thread was opened without them");
        assert_eq!(turns.tools_to_open(session), vec![server("zed-tools")]);
        assert!(!turns.tools_changed(session));
        turns.set_tools(session, vec![server("zed-tools")]);
        assert!(!turns.tools_changed(session), "the same servers again");
        turns.set_tools(session, vec![server("zed-more")]);
        assert!(turns.tools_changed(session));
        assert_eq!(turns.editor_threads(), [session]);
        turns.forget_tools(session);
        assert!(turns.editor_threads().is_empty(), "forgotten with their credentials");
        assert!(turns.tools_to_open(session).is_empty());
    }
}
