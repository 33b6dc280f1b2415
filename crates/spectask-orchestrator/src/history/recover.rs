//! `spectask recover`: rebuilds, in an empty database, what the design-docs branch holds about a
//! repository's SpecTasks — each task's rows from `specs/<task>/state.json` with its spec versions
//! from `specs/<task>/versions/<n>/`, and its session history from `sessions/<task>/`, marked
//! committed in the commits whose `History-Seqs` trailers name the entries. A task caught mid-work
//! has its interrupted work queued again, so it goes on once a server runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use spectask_core::{HistoryFile, SpecTaskId, WorkSessionId};
use spectask_git::{CommitId, GitError, RegisterOptions, Repo, TaskHandle};
use spectask_store::{RestoredHistoryEntry, Store};

use crate::history::history_text::{SEQS_TRAILER, parse_entries, parse_seqs};
use crate::history::mirror::{version_files, version_path};
use crate::job_error::JobError;

/// What `spectask recover` rebuilt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoverReport {
    pub repository: PathBuf,
    pub tasks: Vec<String>,
    pub spec_versions: usize,
    pub reviews: usize,
    pub work_sessions: usize,
    pub coordination_events: usize,
    pub history_entries: usize,
}

/// Rebuilds the repository at `path` and its SpecTasks into `store`, which must be empty.
pub async fn recover(store: &Store, path: &Path) -> Result<RecoverReport, JobError> {
    if !store.is_empty().await? {
        return Err(JobError::fatal("the database is not empty; recover only into an empty database"));
    }
    let path = path.to_path_buf();
    let repo = crate::repos::blocking(move || match Repo::open(&path) {
        Err(GitError::NotRegistered { .. }) => {
            Repo::register(&path, &RegisterOptions::default()).map(|r| r.repo)
        }
        other => other,
    })
    .await?;
    let reader = repo.clone();
    let (snapshots, history, commits) = crate::repos::blocking(move || read_branch(&reader)).await?;
    let root = repo.root().display().to_string();
    let mut report = RecoverReport { repository: repo.root().to_path_buf(), ..RecoverReport::default() };
    let mut tasks: HashMap<String, SpecTaskId> = HashMap::new();
    for (name, snapshot) in &snapshots {
        let id = store.import_task(snapshot, &root).await?;
        // A task caught mid-work goes on by itself once a server runs: no manual retry.
        store.resume_imported_task(id).await?;
        tasks.insert(name.clone(), id);
        report.tasks.push(name.clone());
        let count = |table: &str| snapshot[table].as_array().map_or(0, Vec::len);
        report.spec_versions += count("spec_versions");
        report.reviews += count("spec_reviews");
        report.work_sessions += count("work_sessions");
        report.coordination_events += count("coordination_events");
    }
    if snapshots.is_empty() {
        // Whoever registers it first on this server owns it.
        store
            .register_repository(repo.root(), repo.default_branch(), repo.design_docs_branch(), None)
            .await?;
    }
    let mut entries: Vec<RestoredHistoryEntry> = history
        .into_iter()
        .filter_map(|(task, session, file, entry)| {
            Some(RestoredHistoryEntry {
                seq: entry.seq,
                spec_task_id: *tasks.get(&task)?,
                work_session_id: session,
                file,
                content: entry.content,
                created_at: entry.at,
                commit_id: commits.get(&entry.seq).map(ToString::to_string),
            })
        })
        .collect();
    entries.sort_by_key(|e| e.seq);
    entries.dedup_by_key(|e| e.seq);
    report.history_entries = entries.len();
    store.restore_history(&entries).await?;
    Ok(report)
}

/// What [`read_branch`] found: task snapshots by `<task>`, history, and the commit of each seq.
type Branch = (Vec<(String, Value)>, History, HashMap<i64, CommitId>);

type History = Vec<(String, Option<WorkSessionId>, HistoryFile, crate::history::history_text::RecordedEntry)>;

/// The task snapshots (with their versions' documents put back), every history entry by task,
/// session and file, and the commit holding each history seq.
fn read_branch(repo: &Repo) -> Result<Branch, GitError> {
    let index = repo.recovery_index()?;
    let read = |path: &str| -> Result<String, GitError> {
        Ok(String::from_utf8_lossy(&repo.read_file_at(index.tip, path)?.unwrap_or_default()).into_owned())
    };
    let mut snapshots = Vec::new();
    for path in index.spec_files.iter().filter(|p| p.split('/').count() == 3 && p.ends_with("/state.json")) {
        let name = path.split('/').nth(1).unwrap_or_default().to_owned();
        let Ok(mut snapshot) = serde_json::from_str::<Value>(&read(path)?) else {
            tracing::warn!(%path, "skipping an unreadable task state");
            continue;
        };
        let task = TaskHandle::new(name.clone())?;
        let base = snapshot["spec_tasks"][0]["workflow_base"].as_str().unwrap_or_default().to_owned();
        for version in snapshot["spec_versions"].as_array_mut().into_iter().flatten() {
            let number = version["version"].as_i64().unwrap_or_default();
            for (column, file) in version_files(&base) {
                let mut text = read(&version_path(&task, number, file))?;
                if text.is_empty() && column == "requirements" {
                    // Branches written before the first document took its workflow's name.
                    text = read(&version_path(&task, number, "requirements.md"))?;
                }
                version[column] = Value::from(text);
            }
        }
        snapshots.push((name, snapshot));
    }
    let mut history = History::new();
    for path in &index.session_files {
        let parts: Vec<&str> = path.split('/').collect();
        let (task, session, file) = match parts.as_slice() {
            ["sessions", task, "coordination-log.md"] => (*task, None, HistoryFile::CoordinationLog),
            ["sessions", task, "progress-updates", _] => (*task, None, HistoryFile::ProgressUpdate),
            ["sessions", task, session, name] => {
                let Some(file) = session_file(name) else { continue };
                let Ok(session) = session.parse::<WorkSessionId>() else { continue };
                (*task, Some(session), file)
            }
            _ => continue,
        };
        for entry in parse_entries(&read(path)?) {
            history.push((task.to_owned(), session, file, entry));
        }
    }
    let mut commits = HashMap::new();
    for info in repo.commit_infos_between(None, index.tip)? {
        for (_, value) in info.trailers.iter().filter(|(k, _)| k == SEQS_TRAILER) {
            for seq in parse_seqs(value) {
                commits.entry(seq).or_insert(info.id);
            }
        }
    }
    Ok((snapshots, history, commits))
}

fn session_file(name: &str) -> Option<HistoryFile> {
    [HistoryFile::Conversation, HistoryFile::CodeChanges, HistoryFile::Decisions, HistoryFile::ActivityLog]
        .into_iter()
        .find(|f| f.file_name() == name)
}
