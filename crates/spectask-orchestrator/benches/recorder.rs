//! `cargo bench -p spectask-orchestrator --bench recorder`: session history entries recorded per
//! second through the whole recorder path — acknowledged in the database, then committed to the
//! design-docs branch by `flush_history` — for several batch sizes (entries per commit).

use std::time::{Duration, Instant};

use spectask_core::{HistoryFile, NewSpecTask, SpecTask, TaskKind};
use spectask_git::{RegisterOptions, Repo};
use spectask_orchestrator::{Node, flush_history};
use spectask_store::{DatabaseUrl, NewHistoryEntry, NewWorkSession, Store};

const ENTRIES: usize = 2_000;
const SESSIONS: usize = 10;
const BATCHES: [usize; 4] = [1, 10, 100, 500];

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Error> {
    println!("{} entries over {SESSIONS} work sessions, SQLite store, fresh repository per row", ENTRIES);
    println!(
        "{:>18} {:>10} {:>20} {:>20}",
        "entries per commit", "commits", "committed per sec", "end to end per sec"
    );
    for batch in BATCHES {
        let (commits, flushing, total) = run(batch).await?;
        let rate = |d: Duration| ENTRIES as f64 / d.as_secs_f64();
        println!("{batch:>18} {commits:>10} {:>20.0} {:>20.0}", rate(flushing), rate(total));
    }
    Ok(())
}

/// Records `ENTRIES` entries, flushing every `batch`; returns the commits made, the time spent
/// committing and the total time.
async fn run(batch: usize) -> Result<(usize, Duration, Duration), Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app");
    spectask_git::init_repository(&path, &[("README.md", "app\n")], "init")?;
    let repo = Repo::register(&path, &RegisterOptions::default())?.repo;
    let store = Store::open(&DatabaseUrl::sqlite_in(&dir.path().join("data"))).await?;
    let repository = store
        .register_repository(repo.root(), repo.default_branch(), repo.design_docs_branch(), Some("local"))
        .await?;
    let task = store
        .create_spec_task(NewSpecTask::new(TaskKind::Spec, repository.id, "Bench", "Bench", "bench"))
        .await?;
    let sessions = sessions(&store, &task).await?;
    let (mut commits, mut flushing) = (0, Duration::ZERO);
    let start = Instant::now();
    for chunk in (0..ENTRIES).collect::<Vec<_>>().chunks(batch) {
        let entries: Vec<NewHistoryEntry> = chunk
            .iter()
            .map(|i| NewHistoryEntry {
                spec_task_id: task.id,
                work_session_id: Some(sessions[i % SESSIONS]),
                file: HistoryFile::Conversation,
                content: format!("**agent** step {i}: edited src/lib.rs and ran the tests\n"),
            })
            .collect();
        store.append_history(&entries).await?;
        let flush = Instant::now();
        commits += flush_history(&store, &Node::named("bench"), repository.id)
            .await
            .map_err(|e| e.to_string())?
            .commits
            .len();
        flushing += flush.elapsed();
    }
    Ok((commits, flushing, start.elapsed()))
}

async fn sessions(store: &Store, task: &SpecTask) -> Result<Vec<spectask_core::WorkSessionId>, Error> {
    let mut ids = Vec::new();
    for i in 0..SESSIONS {
        let session = store
            .create_work_session(NewWorkSession::implementation(task.id, format!("session {i}"), ""))
            .await?;
        ids.push(session.id);
    }
    Ok(ids)
}
