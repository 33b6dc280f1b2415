//! git's automatic maintenance (`git maintenance run --auto`: `gc --auto` by default), off the
//! critical path. git would run it after every `git commit` and `git merge`, a process the caller
//! waits for; [`POLICY`](crate::plumbing::cmd::POLICY) turns that off (`maintenance.auto`), and a
//! writer asks for it here instead: at most once a [`INTERVAL`] per repository, on a thread of its
//! own, with the repository's own maintenance configuration deciding what, if anything, is due.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::plumbing::cmd::Git;

/// How often one repository's maintenance is looked at, at most.
const INTERVAL: Duration = Duration::from_secs(60);

/// When each repository's maintenance was last started, by its common git directory.
static LAST_RUN: Mutex<Option<HashMap<PathBuf, Instant>>> = Mutex::new(None);

/// Starts `git maintenance run --auto` where `git` runs, in the background, unless the
/// repository's was started less than [`INTERVAL`] ago. What it finds wrong is logged, never
/// the writer's failure.
pub(crate) fn after_write(git: &Git) {
    let repository = git.common_dir();
    let now = Instant::now();
    {
        let mut last = LAST_RUN.lock().unwrap_or_else(PoisonError::into_inner);
        let last = last.get_or_insert_with(HashMap::new);
        if last.get(&repository).is_some_and(|at| now.duration_since(*at) < INTERVAL) {
            return;
        }
        last.insert(repository, now);
    }
    let git = git.clone();
    let started = std::thread::Builder::new().name("git-maintenance".to_owned()).spawn(move || {
        match git.output(&["maintenance", "run", "--auto", "--quiet"], None) {
            Ok(out) if out.status.success() => {}
            Ok(out) => tracing::warn!(
                dir = %git.dir().display(),
                stderr = %String::from_utf8_lossy(&out.stderr).trim(),
                "git maintenance failed"
            ),
            Err(error) => tracing::warn!(dir = %git.dir().display(), %error, "git maintenance failed"),
        }
    });
    if let Err(error) = started {
        tracing::warn!(%error, "git maintenance not started");
    }
}
