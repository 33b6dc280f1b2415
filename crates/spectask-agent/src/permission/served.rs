//! The permission policy applied to what spectask does for the agent itself: file writes
//! (`fs/write_text_file`) and terminals (`terminal/create`).
//!
//! An agent need not ask before it writes through spectask (an agent left in its own auto-edit mode
//! does not), so the policy is enforced here as well as in `session/request_permission`: under
//! `deny` the action is refused, under `ask` it waits for a person unless a person already allowed
//! the tool call it carries out, under `auto` it is served.

use std::path::{Path, PathBuf};

use agent_client_protocol::v1::schema::{PermissionOptionKind, RequestPermissionRequest, ToolKind};

use serde::Serialize;
use spectask_sandbox::SandboxReport;

use crate::events::{PermissionChoice, ToolCallEvent};
use crate::permission::approval::{ApprovalCheck, ApprovalStatus};
use crate::profiles::PermissionPolicy;

/// How a profile's permission policy is enforced for its agent, as `agent probe` shows it: by what
/// spectask serves, by the kernel, and by the agent's own approval mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enforcement {
    pub policy: PermissionPolicy,
    /// What happens to a write or command the agent asks spectask to carry out.
    pub served: String,
    /// What the kernel lets the agent's own system calls do to the worktree.
    pub kernel: String,
    /// Whether the agent's own approval system asks spectask first.
    pub agent_mode: String,
}

impl Enforcement {
    pub fn describe(
        policy: PermissionPolicy,
        sandbox: &SandboxReport,
        approval: Option<&ApprovalCheck>,
    ) -> Self {
        let served = match policy {
            PermissionPolicy::Auto => "served inside the worktree",
            PermissionPolicy::Ask => {
                "held for a person unless the person allowed the tool call it carries out"
            }
            PermissionPolicy::Deny => "refused, with the reason told to the agent",
        };
        let kernel = match (sandbox.enforced, policy) {
            (false, _) => "not enforced: the agent runs unconfined and may write anywhere you can".to_owned(),
            (true, PermissionPolicy::Deny) => {
                "the worktree is read-only: the agent's own writes are refused by the kernel".to_owned()
            }
            (true, _) if sandbox.mode == crate::SandboxMode::ReadOnly => {
                "the worktree is read-only (sandbox = \"read-only\")".to_owned()
            }
            (true, PermissionPolicy::Ask) => {
                "the worktree is writable: the agent's own writes are held only by its approval mode"
                    .to_owned()
            }
            (true, PermissionPolicy::Auto) => "the worktree is writable, nothing outside it".to_owned(),
        };
        let agent_mode = match approval
            .map(|a| (a.status.clone(), a.mode.as_deref(), a.current_mode.as_deref()))
        {
            None => "unknown: no session was opened".to_owned(),
            Some((ApprovalStatus::AlreadySelected | ApprovalStatus::Set, Some(mode), _)) => {
                format!("asks spectask first (mode {mode:?} selected)")
            }
            Some((ApprovalStatus::NotConfigured, _, current)) => format!(
                "not set: the profile names no approval_mode (the agent is in {}), so only served writes and \
                 the kernel hold it",
                current.map_or_else(|| "its default mode".to_owned(), |m| format!("mode {m:?}"))
            ),
            Some((ApprovalStatus::NotReported, mode, _)) => {
                format!("cannot be verified: the agent reports no modes (configured: {mode:?})")
            }
            Some((status, mode, _)) => {
                format!("not taken ({status:?}, wanted {mode:?}): it may act without asking")
            }
        };
        Enforcement { policy, served: served.to_owned(), kernel, agent_mode }
    }
}

/// An action spectask would carry out for the agent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ServedAction<'a> {
    /// Write this file (absolute, as the agent named it).
    Write(&'a Path),
    /// Run this command line in a terminal.
    Run(&'a str),
}

impl ServedAction<'_> {
    /// The tool call a person is asked about (its id is spectask's own, not the agent's).
    pub(crate) fn tool_call(&self, root: &Path) -> ToolCallEvent {
        let id = format!("spectask-{}", uuid::Uuid::now_v7());
        match self {
            ServedAction::Write(path) => {
                let shown = path.strip_prefix(root).unwrap_or(path);
                ToolCallEvent {
                    id,
                    title: Some(format!("Write {}", shown.display())),
                    kind: Some(ToolKind::Edit),
                    locations: vec![path.to_path_buf()],
                    ..ToolCallEvent::default()
                }
            }
            ServedAction::Run(command) => ToolCallEvent {
                id,
                title: Some(format!("Run `{command}`")),
                kind: Some(ToolKind::Execute),
                ..ToolCallEvent::default()
            },
        }
    }

    fn is_write(&self) -> bool {
        matches!(self, ServedAction::Write(_))
    }
}

/// The options a person is offered for a served action.
pub(crate) fn choices() -> Vec<PermissionChoice> {
    vec![
        PermissionChoice { option_id: "allow".into(), name: "Allow once".into(), kind: "allow_once".into() },
        PermissionChoice { option_id: "reject".into(), name: "Reject".into(), kind: "reject_once".into() },
    ]
}

/// What the policy says of a served action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Serve,
    /// Refused; the reason is for the agent's model.
    Refuse(String),
    /// A person decides.
    Ask,
}

/// The policy's verdict on `action`, given what was allowed before in the thread.
pub(crate) fn verdict(policy: PermissionPolicy, grants: &mut Grants, action: ServedAction<'_>) -> Verdict {
    match policy {
        PermissionPolicy::Auto => Verdict::Serve,
        PermissionPolicy::Deny => Verdict::Refuse(refusal(action)),
        PermissionPolicy::Ask if grants.take(action) => Verdict::Serve,
        PermissionPolicy::Ask => Verdict::Ask,
    }
}

fn refusal(action: ServedAction<'_>) -> String {
    let what = match action {
        ServedAction::Write(path) => format!("writing {}", path.display()),
        ServedAction::Run(command) => format!("running `{command}`"),
    };
    format!(
        "{what} is refused: this agent's permission policy is `deny`, so nothing may be changed or run; \
         do not try again, say in your answer what you would change instead"
    )
}

/// Why a person's refusal stops a served action (for the agent's model).
pub(crate) fn refused_by_person(action: ServedAction<'_>) -> String {
    let what = match action {
        ServedAction::Write(path) => format!("writing {}", path.display()),
        ServedAction::Run(command) => format!("running `{command}`"),
    };
    format!("{what} was refused by the person reviewing this session; do not try it again")
}

/// What a person (or the `auto` policy) allowed in a thread, so that the write or command that
/// carries out an allowed tool call is not asked about a second time.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    once: Vec<Grant>,
    always: Vec<Grant>,
}

#[derive(Clone, Debug)]
struct Grant {
    /// The files the tool call named; none: whatever it does.
    paths: Vec<PathBuf>,
    /// Whether it edits (`edit`, `delete`, `move`), runs (`execute`), or did not say.
    scope: Scope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Edit,
    Run,
    Unsaid,
    /// Reads, fetches, searches: no write or command follows from them.
    Other,
}

impl Grant {
    fn covers(&self, action: ServedAction<'_>) -> bool {
        match (self.scope, action) {
            (Scope::Other, _)
            | (Scope::Edit, ServedAction::Run(_))
            | (Scope::Run, ServedAction::Write(_)) => false,
            (_, ServedAction::Write(path)) => self.paths.is_empty() || self.paths.iter().any(|p| p == path),
            (_, ServedAction::Run(_)) => true,
        }
    }
}

impl Grants {
    /// Records that `request`'s tool call was allowed with an option of `kind`.
    pub(crate) fn record(&mut self, request: &RequestPermissionRequest, kind: &PermissionOptionKind) {
        let fields = &request.tool_call.fields;
        let scope = match fields.kind {
            Some(ToolKind::Edit | ToolKind::Delete | ToolKind::Move) => Scope::Edit,
            Some(ToolKind::Execute) => Scope::Run,
            None | Some(ToolKind::Other) => Scope::Unsaid,
            Some(_) => Scope::Other,
        };
        let paths = fields.locations.iter().flatten().map(|l| l.path.clone()).collect();
        let grant = Grant { paths, scope };
        match kind {
            PermissionOptionKind::AllowAlways => self.always.push(grant),
            PermissionOptionKind::AllowOnce => self.once.push(grant),
            _ => {}
        }
    }

    /// Whether an allowed tool call covers `action`; a once-only grant is used up by it (a write
    /// is matched by path before an unspecific grant is used).
    fn take(&mut self, action: ServedAction<'_>) -> bool {
        if self.always.iter().any(|g| g.covers(action)) {
            return true;
        }
        let exact =
            self.once.iter().position(|g| g.covers(action) && (!action.is_write() || !g.paths.is_empty()));
        let found = exact.or_else(|| self.once.iter().position(|g| g.covers(action)));
        found.map(|i| self.once.remove(i)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use agent_client_protocol::v1::schema::{ToolCallLocation, ToolCallUpdate, ToolCallUpdateFields};

    use super::*;

    fn asked(kind: Option<ToolKind>, paths: &[&str]) -> RequestPermissionRequest {
        let mut fields = ToolCallUpdateFields::new();
        fields.kind = kind;
        if !paths.is_empty() {
            fields.locations = Some(paths.iter().map(|p| ToolCallLocation::new(PathBuf::from(p))).collect());
        }
        RequestPermissionRequest::new("s1", ToolCallUpdate::new("t1", fields), Vec::new())
    }

    #[test]
    fn deny_refuses_every_served_action_and_auto_serves_it() {
        let mut grants = Grants::default();
        let write = ServedAction::Write(Path::new("/w/a.txt"));
        assert!(
            matches!(verdict(PermissionPolicy::Deny, &mut grants, write), Verdict::Refuse(r) if r.contains("`deny`"))
        );
        assert!(matches!(
            verdict(PermissionPolicy::Deny, &mut grants, ServedAction::Run("ls")),
            Verdict::Refuse(_)
        ));
        assert_eq!(verdict(PermissionPolicy::Auto, &mut grants, write), Verdict::Serve);
    }

    #[test]
    fn under_ask_an_allowed_edit_covers_its_write_once() {
        let mut grants = Grants::default();
        let write = ServedAction::Write(Path::new("/w/a.txt"));
        assert_eq!(verdict(PermissionPolicy::Ask, &mut grants, write), Verdict::Ask);
        grants.record(&asked(Some(ToolKind::Edit), &["/w/a.txt"]), &PermissionOptionKind::AllowOnce);
        // Another file, or a command, is not what was allowed.
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Write(Path::new("/w/b.txt"))),
            Verdict::Ask
        );
        assert_eq!(verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Run("rm -rf x")), Verdict::Ask);
        assert_eq!(verdict(PermissionPolicy::Ask, &mut grants, write), Verdict::Serve);
        assert_eq!(verdict(PermissionPolicy::Ask, &mut grants, write), Verdict::Ask, "used up");
    }

    #[test]
    fn under_ask_always_allowed_and_unspecific_grants() {
        let mut grants = Grants::default();
        grants.record(&asked(Some(ToolKind::Execute), &[]), &PermissionOptionKind::AllowAlways);
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Run("npm test")),
            Verdict::Serve
        );
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Run("npm test")),
            Verdict::Serve
        );
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Write(Path::new("/w/a"))),
            Verdict::Ask
        );
        grants.record(&asked(None, &[]), &PermissionOptionKind::AllowOnce);
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Write(Path::new("/w/a"))),
            Verdict::Serve
        );
        // A rejected or read-only tool call allows nothing.
        grants.record(&asked(Some(ToolKind::Read), &["/w/a"]), &PermissionOptionKind::AllowOnce);
        grants.record(&asked(Some(ToolKind::Edit), &["/w/a"]), &PermissionOptionKind::RejectOnce);
        assert_eq!(
            verdict(PermissionPolicy::Ask, &mut grants, ServedAction::Write(Path::new("/w/a"))),
            Verdict::Ask
        );
    }
}
