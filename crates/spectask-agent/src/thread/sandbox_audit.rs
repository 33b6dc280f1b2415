//! Audit of what an agent's tool calls show about the sandbox: edit tool calls naming paths outside
//! the worktree (refused by the kernel, allowed by a declared path, or unconfined), and tool calls
//! that failed with a permission error (an access the kernel refused).
//!
//! Agents that edit with their own system calls only *report* their edits, so this is where a write
//! outside the worktree becomes visible. A refused access the agent never reports stays blocked but
//! unrecorded: the kernel keeps no per-process log spectask could read.

use std::collections::{HashMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use spectask_sandbox::Confinement;

use crate::confinement::ConfinementError;
use crate::confinement::fs::confine;
use crate::events::{AgentEvent, SandboxFinding, ToolCallEvent, ToolKind};

/// Tool calls remembered per thread (their kind and paths arrive before their outcome).
const REMEMBERED: usize = 512;

/// Lines of a failed tool call that show the kernel (or the file system) refused an access.
/// `permissiondenied`: OpenCode reports `EACCES` by its Effect platform's error reason
/// (`PermissionDenied: FileSystem.writeFile (/w/x)`).
const PERMISSION_ERRORS: &[&str] = &[
    "permission denied",
    "permissiondenied",
    "operation not permitted",
    "eacces",
    "eperm",
    "read-only file system",
];

#[derive(Debug, Default)]
struct ToolCallTrace {
    title: Option<String>,
    kind: Option<ToolKind>,
    paths: Vec<PathBuf>,
    outside_reported: bool,
    refused_reported: bool,
}

/// The tool calls of one thread, as far as the audit needs them.
#[derive(Debug, Default)]
pub struct ToolCallAudit {
    calls: HashMap<String, ToolCallTrace>,
    order: VecDeque<String>,
}

impl ToolCallAudit {
    /// Takes in a `tool_call` or `tool_call_update` of a thread whose worktree is `root` (canonical)
    /// and returns the findings it completes (each reported once per tool call).
    pub fn observe(
        &mut self,
        call: &ToolCallEvent,
        root: &Path,
        confinement: &Confinement,
    ) -> Vec<AgentEvent> {
        let tracked = self.tracked(&call.id);
        if call.title.is_some() {
            tracked.title.clone_from(&call.title);
        }
        if call.kind.is_some() {
            tracked.kind = call.kind;
        }
        for path in call.locations.iter().chain(call.diffs.iter().map(|d| &d.path)) {
            if !tracked.paths.contains(path) {
                tracked.paths.push(path.clone());
            }
        }
        let mut findings = Vec::new();
        let edits = tracked.kind.is_some_and(ToolCallEvent::changes_files) || !call.diffs.is_empty();
        if edits && !tracked.outside_reported {
            let outside: Vec<(PathBuf, PathBuf)> = tracked
                .paths
                .iter()
                .filter_map(|p| outside_of(root, p).map(|resolved| (p.clone(), resolved)))
                .collect();
            if !outside.is_empty() {
                tracked.outside_reported = true;
                let (refused, detail) = if !confinement.is_enforced() {
                    (false, "not sandboxed: the edit may have been applied")
                } else if outside.iter().all(|(_, resolved)| confinement.allows_write(resolved)) {
                    (false, "allowed by the sandbox: a writable path the profile declares")
                } else {
                    (true, "refused by the sandbox")
                };
                findings.push(AgentEvent::EditOutsideWorktree(SandboxFinding {
                    tool_call_id: call.id.clone(),
                    title: tracked.title.clone(),
                    paths: outside.into_iter().map(|(path, _)| path).collect(),
                    detail: detail.to_owned(),
                    refused,
                }));
            }
        }
        if call.status.as_deref() == Some("failed")
            && !tracked.refused_reported
            && let Some(line) = permission_error(&call.text)
        {
            tracked.refused_reported = true;
            findings.push(AgentEvent::AccessRefused(SandboxFinding {
                tool_call_id: call.id.clone(),
                title: tracked.title.clone(),
                paths: tracked.paths.clone(),
                detail: line,
                refused: true,
            }));
        }
        findings
    }

    fn tracked(&mut self, id: &str) -> &mut ToolCallTrace {
        if !self.calls.contains_key(id) {
            if self.order.len() >= REMEMBERED
                && let Some(oldest) = self.order.pop_front()
            {
                self.calls.remove(&oldest);
            }
            self.order.push_back(id.to_owned());
        }
        self.calls.entry(id.to_owned()).or_default()
    }
}

/// The resolved path when `path` lies outside `root` (relative paths are taken from `root`, `..`
/// is applied before symlinks are resolved).
fn outside_of(root: &Path, path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    match confine(root, &lexical) {
        Ok(_) | Err(ConfinementError::GitDir(_)) => None,
        Err(ConfinementError::OutsideRoot { resolved, .. }) => Some(resolved),
        Err(_) => Some(lexical),
    }
}

/// The first line of `texts` that reads like a refused access, shortened.
fn permission_error(texts: &[String]) -> Option<String> {
    texts.iter().flat_map(|t| t.lines()).find_map(|line| {
        let lower = line.to_lowercase();
        PERMISSION_ERRORS.iter().any(|p| lower.contains(p)).then(|| line.trim().chars().take(300).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::FileDiff;

    fn call(
        id: &str,
        kind: Option<ToolKind>,
        status: Option<&str>,
        paths: &[&Path],
        text: &[&str],
    ) -> ToolCallEvent {
        ToolCallEvent {
            id: id.to_owned(),
            title: Some(format!("call {id}")),
            kind,
            status: status.map(str::to_owned),
            locations: paths.iter().map(|p| p.to_path_buf()).collect(),
            text: text.iter().map(|t| (*t).to_owned()).collect(),
            ..ToolCallEvent::default()
        }
    }

    #[test]
    fn an_edit_outside_the_worktree_and_its_refusal_are_each_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("wt");
        std::fs::create_dir_all(&root).unwrap();
        let outside = root.parent().unwrap().join("elsewhere.txt");
        let mut audit = ToolCallAudit::default();
        let off = Confinement::off();

        let inside = call("1", Some(ToolKind::Edit), Some("completed"), &[&root.join("a.rs")], &[]);
        assert!(audit.observe(&inside, &root, &off).is_empty());

        let started = call("2", Some(ToolKind::Edit), Some("in_progress"), &[&outside], &[]);
        let found = audit.observe(&started, &root, &off);
        let [AgentEvent::EditOutsideWorktree(finding)] = &found[..] else { panic!("{found:?}") };
        assert_eq!(finding.paths, std::slice::from_ref(&outside));
        assert!(!finding.refused && finding.detail.starts_with("not sandboxed"));

        // The outcome arrives without kind or locations; the refusal names the tracked path.
        let failed =
            call("2", None, Some("failed"), &[], &["write failed", "EACCES: permission denied, open"]);
        let found = audit.observe(&failed, &root, &off);
        let [AgentEvent::AccessRefused(finding)] = &found[..] else { panic!("{found:?}") };
        assert_eq!(finding.detail, "EACCES: permission denied, open");
        assert_eq!(finding.paths, [outside]);
        assert!(audit.observe(&failed, &root, &off).is_empty(), "reported once");

        // OpenCode names the refusal by its platform's error reason.
        let opencode = call(
            "4",
            Some(ToolKind::Edit),
            Some("failed"),
            &[],
            &["PermissionDenied: FileSystem.writeFile (/w/x)"],
        );
        let found = audit.observe(&opencode, &root, &off);
        let [AgentEvent::AccessRefused(finding)] = &found[..] else { panic!("{found:?}") };
        assert_eq!(finding.detail, "PermissionDenied: FileSystem.writeFile (/w/x)");

        // A diff counts as an edit whatever the kind; a failure without a permission error is no refusal.
        let mut diff = call("3", Some(ToolKind::Other), Some("failed"), &[], &["syntax error"]);
        diff.diffs.push(FileDiff { path: "../up.txt".into(), old_text: None, new_text: "x".into() });
        let found = audit.observe(&diff, &root, &off);
        let [AgentEvent::EditOutsideWorktree(finding)] = &found[..] else { panic!("{found:?}") };
        assert_eq!(finding.paths, [PathBuf::from("../up.txt")], "reported as the agent named it");
        assert_eq!(outside_of(&root, Path::new("../up.txt")), Some(root.parent().unwrap().join("up.txt")));
        assert_eq!(outside_of(&root, &root.join("a/../b.txt")), None);
    }

    #[test]
    fn the_oldest_tool_calls_are_forgotten() {
        let mut audit = ToolCallAudit::default();
        for i in 0..REMEMBERED + 10 {
            audit.tracked(&i.to_string());
        }
        assert_eq!(audit.calls.len(), REMEMBERED);
        assert!(!audit.calls.contains_key("0") && audit.calls.contains_key(&(REMEMBERED + 9).to_string()));
    }
}
