//! git's automatic maintenance (`git maintenance run --auto`: `gc --auto` by default), off the
//! critical path. git would run it after every `git commit` and `git merge`, a process the caller
//! waits for; [`POLICY`](crate::plumbing::cmd::POLICY) turns that off (`maintenance.auto`), and a
//! writer asks for it here instead: at most once a [`INTERVAL`] per repository, on a thread of its
//! own, with the repository's own maintenance configuration deciding what, if anything, is due.
//! When it last started is the modification time of [`MARKER`] in the repository's common git
//! directory: every process and node that writes to the repository sees it, and it costs a `stat`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::plumbing::cmd::Git;

/// How often one repository's maintenance is looked at, at most.
const INTERVAL: Duration = Duration::from_secs(60);

/// The file, in the common git directory, touched when maintenance starts.
const MARKER: &str = "spectask/maintenance-started";

/// Starts `git maintenance run --auto` where `git` runs, in the background, unless the
/// repository's was started less than [`INTERVAL`] ago. What it finds wrong is logged, never
/// the writer's failure.
pub(crate) fn after_write(git: &Git) {
    if !due(&git.common_dir().join(MARKER), SystemTime::now()) {
        return;
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

/// Whether maintenance is due at `now`: `marker` is absent or older than [`INTERVAL`]. A due
/// marker is touched at once, so that the writers that follow wait for the next interval. A marker
/// that cannot be written makes maintenance not due: a repository spectask cannot write to, or a
/// linked worktree's checkout reached without its admin dir (whose `.git` is a file); the
/// repository's other writes, through its worktrees' admin dirs, still start it.
fn due(marker: &Path, now: SystemTime) -> bool {
    // A marker ahead of the clock (the clock was set back) counts by how far ahead it is.
    let recent = |at: SystemTime| match now.duration_since(at) {
        Ok(age) => age < INTERVAL,
        Err(ahead) => ahead.duration() < INTERVAL,
    };
    if std::fs::metadata(marker).and_then(|m| m.modified()).is_ok_and(recent) {
        return false;
    }
    let touched = marker
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::File::create(marker))
        .and_then(|file| file.set_modified(now));
    if let Err(error) = touched {
        tracing::debug!(marker = %marker.display(), %error, "git maintenance skipped");
        return false;
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_is_due_once_an_interval() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("spectask").join("maintenance-started");
        let now = SystemTime::now();
        assert!(due(&marker, now), "no marker yet: due");
        assert!(!due(&marker, now + Duration::from_secs(1)), "started a second ago");
        assert!(!due(&marker, now + INTERVAL - Duration::from_secs(1)));
        assert!(due(&marker, now + INTERVAL + Duration::from_secs(1)), "an interval later: due");
        assert!(!due(&marker, now + INTERVAL + Duration::from_secs(2)));
    }

    #[test]
    fn a_marker_that_cannot_be_written_is_never_due() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("spectask"), "a file, not a directory").unwrap();
        assert!(!due(&dir.path().join("spectask").join("maintenance-started"), SystemTime::now()));
    }
}
