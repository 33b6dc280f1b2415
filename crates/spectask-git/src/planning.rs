//! The planning scratch directory: where a coding agent writes a spec's documents, inside the task's
//! worktree at `.spectask/spec/` (excluded from git), read back and cleared by spectask.

use std::path::PathBuf;

use crate::error::io_err;
use crate::registration::exclude_dir;
use crate::{GitError, Repo, TaskHandle};

/// The directory inside a task worktree that is never committed.
pub const SCRATCH_DIR: &str = ".spectask";

/// The three documents a planning agent wrote (each `None` when missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanningFiles {
    pub requirements: Option<String>,
    pub design: Option<String>,
    pub tasks: Option<String>,
}

const NAMES: [&str; 3] = ["requirements.md", "design.md", "tasks.md"];

impl Repo {
    /// Makes the task worktree and an empty `.spectask/spec/` in it holding `previous` (a version to
    /// revise), and returns `(worktree, directory)`.
    pub fn prepare_planning_dir(
        &self,
        task: &TaskHandle,
        previous: Option<&PlanningFiles>,
    ) -> Result<(PathBuf, PathBuf), GitError> {
        let worktree = self.ensure_task_worktree(task)?.path;
        exclude_dir(self.git_dir(), SCRATCH_DIR)?;
        let dir = worktree.join(SCRATCH_DIR).join("spec");
        self.clear_planning_dir(task)?;
        std::fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        if let Some(previous) = previous {
            for (name, text) in NAMES.iter().zip([&previous.requirements, &previous.design, &previous.tasks])
            {
                if let Some(text) = text {
                    let path = dir.join(name);
                    std::fs::write(&path, text).map_err(io_err("write", &path))?;
                }
            }
        }
        Ok((worktree, dir))
    }

    /// What the agent left in `.spectask/spec/`.
    pub fn read_planning_dir(&self, task: &TaskHandle) -> Result<PlanningFiles, GitError> {
        let dir = self.planning_dir(task)?;
        let read = |name: &str| -> Result<Option<String>, GitError> {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_err("read", &path)(e)),
            }
        };
        Ok(PlanningFiles { requirements: read(NAMES[0])?, design: read(NAMES[1])?, tasks: read(NAMES[2])? })
    }

    /// Removes `.spectask/` from the task worktree.
    pub fn clear_planning_dir(&self, task: &TaskHandle) -> Result<(), GitError> {
        let scratch = self.planning_dir(task)?.parent().map(PathBuf::from).unwrap_or_default();
        match std::fs::remove_dir_all(&scratch) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove directory", &scratch)(e)),
        }
    }

    fn planning_dir(&self, task: &TaskHandle) -> Result<PathBuf, GitError> {
        let path = self.root().join(crate::WORKTREES_DIR).join(task.as_str());
        let canonical = path.canonicalize().op_io(&path)?;
        Ok(canonical.join(SCRATCH_DIR).join("spec"))
    }
}

/// `canonicalize` errors named like the rest of the crate's IO errors.
trait CanonicalizeExt<T> {
    fn op_io(self, path: &std::path::Path) -> Result<T, GitError>;
}

impl<T> CanonicalizeExt<T> for std::io::Result<T> {
    fn op_io(self, path: &std::path::Path) -> Result<T, GitError> {
        self.map_err(io_err("resolve", path))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{RegisterOptions, init_repository};

    #[test]
    fn planning_files_round_trip_and_stay_out_of_git() {
        let dir = tempfile::tempdir().unwrap();
        init_repository(&dir.path().join("r"), &[("README.md", "# r\n")], "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let task = TaskHandle::new("0badcafe-demo").unwrap();
        let previous = PlanningFiles { requirements: Some("# R v1\n".into()), design: None, tasks: None };
        let (worktree, spec) = repo.prepare_planning_dir(&task, Some(&previous)).unwrap();
        std::fs::write(spec.join("tasks.md"), "- [ ] 1. x\n").unwrap();
        let read = repo.read_planning_dir(&task).unwrap();
        assert_eq!(read.requirements.as_deref(), Some("# R v1\n"));
        assert_eq!(read.tasks.as_deref(), Some("- [ ] 1. x\n"));
        assert_eq!(read.design, None);
        assert!(repo.task_uncommitted(&task).unwrap().is_empty(), ".spectask/ is excluded from git");
        repo.clear_planning_dir(&task).unwrap();
        assert!(!worktree.join(SCRATCH_DIR).exists());
    }
}
