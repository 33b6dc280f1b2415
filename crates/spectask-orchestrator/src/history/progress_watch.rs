//! Progress markers someone else changed: an agent (or a person) ticking `specs/<task>/progress.md`
//! or `tasks.md` on the design-docs branch in a commit of its own, or editing them in the worktree
//! without committing. Each changed plan task is reported once as a `plan_progress.detected` event.
//! Commits spectask writes carry a `Spec-Task` trailer and are not reported.

use std::collections::HashMap;

use spectask_core::events::payload::PlanProgressDetected;
use spectask_core::{RepositoryId, SpecTaskId};
use spectask_git::{CommitId, GitError, Repo};
use spectask_spec::{Plan, PlanTaskState};
use spectask_store::Store;

use crate::config::Node;
use crate::ctx::Ctx;
use crate::history::recorder::repo_for;
use crate::job_error::JobError;

/// What the watch has seen: the design-docs tip per repository, and the worktree edits reported.
#[derive(Debug, Default)]
pub(crate) struct ProgressWatch {
    tips: HashMap<RepositoryId, CommitId>,
    reported_edits: HashMap<String, Vec<u8>>,
}

/// One marker change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MarkerChange {
    /// `<task>` of `specs/<task>/…`.
    pub task: String,
    pub plan_task: String,
    pub state: PlanTaskState,
    /// The commit that made it, `None` for an uncommitted edit.
    pub commit: Option<CommitId>,
}

impl ProgressWatch {
    /// Looks at every healthy repository once and records an event per marker change found: in
    /// the commits made since the last look (none when the tip did not move), and, when `worktrees`,
    /// in uncommitted edits of the design-docs worktree (a scan of the whole worktree, which the
    /// recorder makes only every so often, never per pass). The repositories are as the engine
    /// `kept` keeps them open, when given (see `recorder::repo_for`).
    pub(crate) async fn scan(
        &mut self,
        store: &Store,
        here: (&Node, Option<&Ctx>),
        worktrees: bool,
    ) -> Result<usize, JobError> {
        let mut reported = 0;
        for repository in store.list_repositories().await? {
            if repository.attention.is_some() || !cloned_here(here, &repository).await? {
                continue;
            }
            let repo = repo_for(store, here, &repository).await?;
            let since = self.tips.get(&repository.id).copied();
            let seen = self.reported_edits.clone();
            let (tip, changes, edits) =
                crate::repos::blocking(move || detect(&repo, since, worktrees.then_some(&seen))).await?;
            if let Some(tip) = tip {
                self.tips.insert(repository.id, tip);
            }
            self.reported_edits.extend(edits);
            for change in changes {
                let Ok(task) = store.resolve_spec_task(&change.task).await else { continue };
                let payload = PlanProgressDetected {
                    source: if change.commit.is_some() { "commit" } else { "worktree" }.to_owned(),
                    commit: change.commit.map(|c| c.to_string()),
                    plan_task: change.plan_task,
                    state: change.state.as_str().to_owned(),
                };
                // Another node watching the same repository may have reported this commit already.
                if change.commit.is_some() && already_reported(store, task, &payload).await? {
                    continue;
                }
                store.publish_event(Some(task), None, &payload).await?;
                reported += 1;
            }
        }
        Ok(reported)
    }
}

/// Whether this node has a copy of `repository` to look at. One registered by URL is cloned when
/// this node's work first needs it (a task's, or history to commit), never for the watch: a node
/// with no work in it has nothing of its own to report, and the nodes that do report what their
/// agents change. Passes come every few seconds while sessions run: the checks that need no git
/// come first.
async fn cloned_here(
    (node, kept): (&Node, Option<&Ctx>),
    repository: &spectask_core::Repository,
) -> Result<bool, JobError> {
    if repository.remote_url.is_none() {
        return Ok(true);
    }
    let opened = kept.map(|ctx| ctx.registered.holds(repository.id));
    if opened == Some(true) {
        return Ok(true);
    }
    let own_clone = node.clones_dir.as_ref().map(|dir| dir.join(repository.id.to_string()));
    if own_clone.is_some_and(|clone| clone.exists()) {
        return Ok(true);
    }
    if !repository.path.exists() {
        return Ok(false);
    }
    // The registered path is on this disk too: this node's copy when it is a clone of the URL.
    let (row, clones_dir) = (repository.clone(), node.clones_dir.clone());
    crate::repos::blocking(move || Ok(crate::repos::local_path(&row, clones_dir.as_deref()).exists())).await
}

/// Whether an identical `plan_progress.detected` event of `task` exists.
async fn already_reported(
    store: &Store,
    task: SpecTaskId,
    payload: &PlanProgressDetected,
) -> Result<bool, JobError> {
    let events = store.events_of_spec_task(task).await?;
    Ok(events.iter().any(|e| e.payload_as::<PlanProgressDetected>().as_ref() == Some(payload)))
}

type MarkerScan = (Option<CommitId>, Vec<MarkerChange>, Vec<(String, Vec<u8>)>);

/// The tip, the marker changes in commits since `since` (none on the first look) and, when `seen`
/// is given, in worktree edits not reported yet (`seen`), and those edits' contents.
fn detect(
    repo: &Repo,
    since: Option<CommitId>,
    seen: Option<&HashMap<String, Vec<u8>>>,
) -> Result<MarkerScan, GitError> {
    let mut changes = Vec::new();
    let tip = match since {
        // The first look only learns where the branch is.
        None => match repo.branch_tip(repo.design_docs_branch())? {
            Some(tip) => tip,
            None => return Ok((None, Vec::new(), Vec::new())),
        },
        // One walk reads the new commits with their messages (most are spectask's own); none when
        // the tip did not move.
        Some(since) if repo.branch_tip(repo.design_docs_branch())? == Some(since) => since,
        Some(since) => {
            let log = repo.commit_log(repo.design_docs_branch(), Some(since))?;
            let tip = log.last().map_or(since, |info| info.id);
            for info in log {
                let Some(parent) = info.parents.first().copied() else { continue };
                if info.trailers.iter().any(|(k, _)| k == "Spec-Task") {
                    continue;
                }
                let commit = info.id;
                for file in repo.changed_files(Some(parent), commit)? {
                    let Some(task) = plan_document(&file.path) else { continue };
                    let before = repo.read_file_at(parent, &file.path)?;
                    let after = repo.read_file_at(commit, &file.path)?;
                    changes.extend(marker_changes(task, before.as_deref(), after.as_deref(), Some(commit)));
                }
            }
            tip
        }
    };
    let mut edits = Vec::new();
    let Some(seen) = seen else { return Ok((Some(tip), changes, edits)) };
    for path in repo.design_docs_uncommitted()? {
        let Some(task) = plan_document(&path) else { continue };
        let Some(on_disk) = repo.read_design_docs_worktree_file(&path)? else { continue };
        if seen.get(&path) == Some(&on_disk) {
            continue;
        }
        let before = match seen.get(&path) {
            Some(reported) => Some(reported.clone()),
            None => repo.read_file_at(tip, &path)?,
        };
        changes.extend(marker_changes(task, before.as_deref(), Some(&on_disk), None));
        edits.push((path, on_disk));
    }
    Ok((Some(tip), changes, edits))
}

/// `<task>` when `path` is `specs/<task>/progress.md` or `specs/<task>/tasks.md`.
fn plan_document(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("specs/")?;
    let (task, file) = rest.split_once('/')?;
    matches!(file, "progress.md" | "tasks.md").then_some(task)
}

/// The plan tasks whose state differs between `before` and `after`.
fn marker_changes(
    task: &str,
    before: Option<&[u8]>,
    after: Option<&[u8]>,
    commit: Option<CommitId>,
) -> Vec<MarkerChange> {
    let states = |bytes: Option<&[u8]>| -> HashMap<String, PlanTaskState> {
        let text = String::from_utf8_lossy(bytes.unwrap_or_default());
        Plan::parse(&text).tasks().iter().map(|t| (t.label(), t.state)).collect()
    };
    let (before, after_text) =
        (states(before), String::from_utf8_lossy(after.unwrap_or_default()).into_owned());
    Plan::parse(&after_text)
        .tasks()
        .iter()
        .filter(|t| before.get(&t.label()).is_some_and(|state| *state != t.state))
        .map(|t| MarkerChange { task: task.to_owned(), plan_task: t.label(), state: t.state, commit })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_markers_of_plan_documents_are_reported() {
        let before = b"- [ ] 1. Model\n- [ ] 2. Route\n- [x] 3. Docs\n";
        let after = b"- [x] 1. Model\n- [~] 2. Route\n- [x] 3. Docs\n- [ ] 4. New\n";
        let changes = marker_changes("7f3a-login", Some(before), Some(after), None);
        let got: Vec<_> = changes.iter().map(|c| (c.plan_task.as_str(), c.state)).collect();
        assert_eq!(got, [("1", PlanTaskState::Done), ("2", PlanTaskState::InProgress)]);
        assert_eq!(plan_document("specs/7f3a-login/progress.md"), Some("7f3a-login"));
        assert_eq!(plan_document("specs/7f3a-login/tasks.md"), Some("7f3a-login"));
        assert_eq!(plan_document("specs/7f3a-login/design.md"), None);
        assert_eq!(plan_document("sessions/7f3a-login/progress.md"), None);
    }
}

#[cfg(test)]
mod scan_tests {
    use std::process::Command;

    use spectask_core::{NewSpecTask, TaskKind};
    use spectask_git::{DesignDocsCommit, FileWrite, Trailer};
    use spectask_store::DatabaseUrl;

    use super::*;

    fn git(dir: &std::path::Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(["-c", "user.name=agent", "-c", "user.email=agent@example.com"])
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    /// A node with no clone of a repository registered by URL does not make one to watch it: the
    /// clone is made when a task first needs it here, and watched from then on.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_repository_registered_by_url_is_watched_only_once_cloned_here() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await.unwrap();
        spectask_git::init_repository(&dir.path().join("app"), &[("README.md", "app\n")], "init").unwrap();
        git(dir.path(), &["clone", "-q", "--bare", "app", "upstream.git"]);
        let url = format!("file://{}", dir.path().join("upstream.git").display());
        let elsewhere = dir.path().join("another-node").join("clone");
        let repository = store
            .register_cloned_repository(
                &elsewhere,
                "main",
                spectask_git::DEFAULT_DESIGN_DOCS_BRANCH,
                None,
                Some(&url),
            )
            .await
            .unwrap();
        let clones = dir.path().join("clones");
        let node = Node { name: "n2".into(), clones_dir: Some(clones.clone()) };
        let mut watch = ProgressWatch::default();

        assert_eq!(watch.scan(&store, (&node, None), true).await.unwrap(), 0);
        assert!(!clones.join(repository.id.to_string()).exists(), "no clone made for the watch");
        assert!(watch.tips.is_empty(), "nothing looked at: {:?}", watch.tips);

        let rows = (repository.clone(), clones.clone());
        tokio::task::spawn_blocking(move || {
            crate::repos::local_repo(&rows.0, Some(&rows.1), crate::repos::Opening::Register)
        })
        .await
        .unwrap()
        .unwrap();
        watch.scan(&store, (&node, None), true).await.unwrap();
        assert!(watch.tips.contains_key(&repository.id), "the clone a task made is watched");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn markers_an_agent_commits_or_edits_are_reported_once_and_spectask_commits_never() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await.unwrap();
        let (repo, repository) = crate::fixtures::registered_repository(&store, dir.path()).await.unwrap();
        let task = store
            .create_spec_task(NewSpecTask::new(TaskKind::Spec, repository.id, "Add login", "Add login", "t"))
            .await
            .unwrap();
        let progress = format!("specs/{}/progress.md", task.handle());
        let plan = "# Progress\n\n- [ ] 1. Model\n- [ ] 2. Route\n- [ ] 3. Docs\n";
        let spectask_writes = |text: &str| DesignDocsCommit {
            message: "progress".into(),
            trailers: vec![Trailer::new("Spec-Task", task.id.to_string()).unwrap()],
            writes: vec![FileWrite::put(progress.clone(), text)],
        };
        repo.commit_design_docs(&spectask_writes(plan)).unwrap();
        let mut watch = ProgressWatch::default();
        assert_eq!(
            watch.scan(&store, (&Node::named("n1"), None), true).await.unwrap(),
            0,
            "the first look only records the tip"
        );
        let mut other_node = ProgressWatch::default();
        other_node.scan(&store, (&Node::named("n1"), None), true).await.unwrap();

        repo.commit_design_docs(&spectask_writes(&plan.replace("[ ] 3.", "[x] 3."))).unwrap();
        let worktree = repo.design_docs_worktree();
        let agent_text = "# Progress\n\n- [x] 1. Model\n- [ ] 2. Route\n- [x] 3. Docs\n";
        std::fs::write(worktree.join(&progress), agent_text).unwrap();
        git(&worktree, &["commit", "-q", "-am", "tick 1"]);
        assert_eq!(
            watch.scan(&store, (&Node::named("n1"), None), true).await.unwrap(),
            1,
            "the agent's commit, not spectask's"
        );
        assert_eq!(
            other_node.scan(&store, (&Node::named("n1"), None), true).await.unwrap(),
            0,
            "another node does not report it again"
        );

        std::fs::write(worktree.join(&progress), agent_text.replace("[ ] 2.", "[~] 2.")).unwrap();
        assert_eq!(
            watch.scan(&store, (&Node::named("n1"), None), true).await.unwrap(),
            1,
            "the uncommitted edit"
        );
        assert_eq!(watch.scan(&store, (&Node::named("n1"), None), true).await.unwrap(), 0, "reported once");

        let events: Vec<_> = store
            .events_of_spec_task(task.id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.payload_as::<PlanProgressDetected>())
            .map(|p| (p.plan_task, p.state, p.source))
            .collect();
        let expected = [("1", "done", "commit"), ("2", "in_progress", "worktree")];
        assert_eq!(events, expected.map(|(t, s, o)| (t.to_owned(), s.to_owned(), o.to_owned())));
    }
}
