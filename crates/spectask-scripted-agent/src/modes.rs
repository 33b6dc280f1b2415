//! Session modes of the scripted agent, for tests of spectask's approval-mode handling: the script's
//! `modes` are offered in `session/new` (the first is current), `session/set_mode` switches, the
//! `switch_mode` step switches on the agent's own initiative (a `current_mode_update`), and
//! `"report_mode"` says the current mode.
//!
//! ```toml
//! modes = ["yolo", "default"]
//! [[rule]]
//! match = "*"
//! steps = [{ switch_mode = "yolo" }, "report_mode"]
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use agent_client_protocol::v1::schema::{CurrentModeUpdate, SessionMode, SessionModeState, SessionUpdate};

use super::steps::Turn;

/// The current mode of one session (empty when the script offers none).
#[derive(Clone, Debug, Default)]
pub(super) struct CurrentMode(Arc<Mutex<String>>);

impl CurrentMode {
    pub(super) fn new(modes: &[String]) -> Self {
        CurrentMode(Arc::new(Mutex::new(modes.first().cloned().unwrap_or_default())))
    }

    pub(super) fn get(&self) -> String {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(super) fn set(&self, mode: &str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = mode.to_owned();
    }

    /// What `session/new` reports, when the script offers modes.
    pub(super) fn state(&self, modes: &[String]) -> Option<SessionModeState> {
        (!modes.is_empty()).then(|| {
            let available = modes.iter().map(|m| SessionMode::new(m.clone(), m.clone())).collect();
            SessionModeState::new(self.get(), available)
        })
    }
}

impl Turn {
    pub(super) fn switch_mode(&mut self, mode: &str) {
        self.mode.set(mode);
        self.update(SessionUpdate::CurrentModeUpdate(CurrentModeUpdate::new(mode.to_owned())));
    }

    pub(super) fn report_mode(&mut self) {
        let mode = self.mode.get();
        self.say(&format!("mode: {mode}"));
    }
}
