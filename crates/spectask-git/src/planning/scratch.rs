//! The planning scratch directory: where a coding agent writes a spec's documents, inside the task's
//! worktree at `.spectask/spec/`, read back and cleared by spectask; and `.spectask/review/`, where
//! a review task's agent writes its findings. Both are excluded from git; the rest of `.spectask/`
//! (a repository's templates and steering documents) is the repository's, committed like any file.

use std::path::PathBuf;

use crate::error::io_err;
use crate::repository::registration::exclude_dir;
use crate::{CommitId, GitError, Repo, TaskHandle};

/// The directory inside a task worktree holding spectask's scratch folders.
pub const SCRATCH_DIR: &str = ".spectask";

/// Where in it a planning agent writes the spec: `.spectask/spec/`.
const SPEC_DIR: &str = "spec";

/// Where in it a review task's agent writes its findings: `.spectask/review/`.
pub const REVIEW_DIR: &str = "review";

/// The three documents a planning agent wrote (each `None` when missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanningFiles {
    pub requirements: Option<String>,
    pub design: Option<String>,
    pub tasks: Option<String>,
    /// questions.md: what the agent asks the person, when it asks anything.
    pub questions: Option<String>,
    /// consistency.md: the agent's own consistency check, what it left inconsistent.
    pub consistency: Option<String>,
}

/// The file names of the three documents, the first one named by the spec's workflow
/// (`requirements.md`, or `bugfix.md` for a bugfix).
fn names(requirements_file: &str) -> [&str; 3] {
    [requirements_file, "design.md", "tasks.md"]
}

impl Repo {
    /// Makes the task worktree and an empty `.spectask/spec/` in it holding `previous` (a version to
    /// revise, its first document as `requirements_file`), and returns `(worktree, directory)`.
    pub fn prepare_planning_dir(
        &self,
        task: &TaskHandle,
        previous: Option<&PlanningFiles>,
        requirements_file: &str,
    ) -> Result<(PathBuf, PathBuf), GitError> {
        let worktree = self.ensure_task_worktree(task)?.path;
        self.exclude_scratch()?;
        let dir = worktree.join(SCRATCH_DIR).join(SPEC_DIR);
        self.clear_planning_dir(task)?;
        std::fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        if let Some(previous) = previous {
            for (name, text) in names(requirements_file).iter().zip([
                &previous.requirements,
                &previous.design,
                &previous.tasks,
            ]) {
                if let Some(text) = text {
                    let path = dir.join(name);
                    std::fs::write(&path, text).map_err(io_err("write", &path))?;
                }
            }
        }
        Ok((worktree, dir))
    }

    /// What the agent left in `.spectask/spec/`, its first document read from `requirements_file`.
    pub fn read_planning_dir(
        &self,
        task: &TaskHandle,
        requirements_file: &str,
    ) -> Result<PlanningFiles, GitError> {
        let dir = self.planning_dir(task)?;
        let read = |name: &str| read_text(&dir.join(name));
        let [first, design, tasks] = names(requirements_file);
        Ok(PlanningFiles {
            requirements: read(first)?,
            design: read(design)?,
            tasks: read(tasks)?,
            questions: read("questions.md")?,
            consistency: read("consistency.md")?,
        })
    }

    /// Makes the task worktree of a review task, its branch at `head` (the reviewed code), with an
    /// empty `.spectask/review/` where the agent writes its findings; returns `(worktree, directory)`.
    pub fn prepare_review_dir(
        &self,
        task: &TaskHandle,
        head: CommitId,
    ) -> Result<(PathBuf, PathBuf), GitError> {
        let worktree = self.ensure_task_worktree_from(task, Some(head))?.path;
        self.exclude_scratch()?;
        self.clear_planning_dir(task)?;
        let dir = worktree.join(SCRATCH_DIR).join(REVIEW_DIR);
        std::fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        Ok((worktree, dir))
    }

    /// The file `name` the reviewing agent left in `.spectask/review/`, `None` when absent.
    pub fn read_review_file(&self, task: &TaskHandle, name: &str) -> Result<Option<String>, GitError> {
        let dir = self.planning_dir(task)?.parent().map(|p| p.join(REVIEW_DIR)).unwrap_or_default();
        read_text(&dir.join(name))
    }

    /// Removes spectask's scratch folders (`.spectask/spec/`, `.spectask/review/`) from the task
    /// worktree, and `.spectask/` when nothing else is in it: the repository's own files there
    /// (`.spectask/templates/`, `.spectask/steering/`) stay.
    pub fn clear_planning_dir(&self, task: &TaskHandle) -> Result<(), GitError> {
        let spec = self.planning_dir(task)?;
        let scratch = spec.parent().map(PathBuf::from).unwrap_or_default();
        for dir in [spec, scratch.join(REVIEW_DIR)] {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove directory", &dir)(e)),
            }
        }
        // Fails, leaving it, when the repository keeps files there.
        let _ = std::fs::remove_dir(&scratch);
        Ok(())
    }

    fn planning_dir(&self, task: &TaskHandle) -> Result<PathBuf, GitError> {
        let path = self.root().join(crate::WORKTREES_DIR).join(task.as_str());
        let canonical = path.canonicalize().op_io(&path)?;
        Ok(canonical.join(SCRATCH_DIR).join(SPEC_DIR))
    }

    /// Excludes the scratch folders from git in every worktree (the whole `.spectask/`, which
    /// spectask excluded before, no more).
    fn exclude_scratch(&self) -> Result<(), GitError> {
        // Tasks planned at once each edit info/exclude: one at a time, none losing another's line.
        let _lock = self.lock(crate::plumbing::lock::LockScope::Repository)?;
        for folder in [SPEC_DIR, REVIEW_DIR] {
            exclude_dir(self.git_dir(), &format!("{SCRATCH_DIR}/{folder}"), Some(SCRATCH_DIR))?;
        }
        Ok(())
    }
}

/// The most spectask reads of a file an agent wrote.
const AGENT_FILE_BYTES: u64 = 1024 * 1024;

/// The text of the file an agent wrote at `path`, `None` when there is none. Read as the agent
/// left it: refused when it is not a regular file (a symbolic link could point where the agent's
/// sandbox cannot read) or larger than [`AGENT_FILE_BYTES`].
fn read_text(path: &std::path::Path) -> Result<Option<String>, GitError> {
    use std::io::Read;
    let refuse =
        |why: &str| Err(io_err("read", path)(std::io::Error::new(std::io::ErrorKind::InvalidData, why)));
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", path)(e)),
        Ok(meta) if !meta.file_type().is_file() => return refuse("it is not a regular file"),
        Ok(_) => {}
    }
    let file = std::fs::File::open(path).map_err(io_err("read", path))?;
    let mut bytes = Vec::new();
    file.take(AGENT_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_err("read", path))?;
    if bytes.len() as u64 > AGENT_FILE_BYTES {
        return refuse("it is larger than 1 MiB");
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
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
        let previous = PlanningFiles {
            requirements: Some("# R v1\n".into()),
            design: None,
            tasks: None,
            questions: None,
            consistency: None,
        };
        let (worktree, spec) = repo.prepare_planning_dir(&task, Some(&previous), "requirements.md").unwrap();
        std::fs::write(spec.join("tasks.md"), "- [ ] 1. x\n").unwrap();
        std::fs::write(spec.join("consistency.md"), "- tasks.md:1: x builds nothing\n").unwrap();
        let read = repo.read_planning_dir(&task, "requirements.md").unwrap();
        assert_eq!(read.consistency.as_deref(), Some("- tasks.md:1: x builds nothing\n"));
        assert_eq!(read.requirements.as_deref(), Some("# R v1\n"));
        assert_eq!(read.tasks.as_deref(), Some("- [ ] 1. x\n"));
        assert_eq!(read.design, None);
        assert!(repo.task_uncommitted(&task).unwrap().is_empty(), ".spectask/spec/ is excluded from git");
        repo.clear_planning_dir(&task).unwrap();
        assert!(!worktree.join(SCRATCH_DIR).exists());
    }

    /// Only the scratch folders are excluded: a steering document or template an agent adds under
    /// `.spectask/` is committed like any file, also where spectask excluded all of it before.
    #[test]
    fn only_the_scratch_folders_are_kept_out_of_git() {
        let dir = tempfile::tempdir().unwrap();
        init_repository(&dir.path().join("r"), &[("README.md", "# r\n")], "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let exclude = repo.git_dir().join("info").join("exclude");
        let before = std::fs::read_to_string(&exclude).unwrap();
        std::fs::write(&exclude, format!("{before}/.spectask/\n*.log\n")).unwrap();
        let task = TaskHandle::new("0badcafe-steer").unwrap();
        let (worktree, spec) = repo.prepare_planning_dir(&task, None, "requirements.md").unwrap();
        std::fs::write(spec.join("design.md"), "# D\n").unwrap();
        std::fs::create_dir_all(worktree.join(".spectask/steering")).unwrap();
        std::fs::write(worktree.join(".spectask/steering/tech.md"), "# Tech\n").unwrap();
        let uncommitted = repo.task_uncommitted(&task).unwrap();
        assert_eq!(uncommitted, [".spectask/steering/tech.md"], "{uncommitted:?}");
        let lines = std::fs::read_to_string(&exclude).unwrap();
        assert!(!lines.lines().any(|l| l == "/.spectask/"), "{lines}");
        assert!(
            lines.contains("/.spectask/spec/\n/.spectask/review/\n") && lines.contains("*.log\n"),
            "{lines}"
        );
    }

    /// The repository's own `.spectask/` files (templates, steering) survive planning and review.
    #[test]
    fn the_repositorys_own_spectask_files_stay_and_agent_files_are_read_safely() {
        let dir = tempfile::tempdir().unwrap();
        let files = [("README.md", "# r\n"), (".spectask/templates/quick.toml", "description = \"q\"\n")];
        init_repository(&dir.path().join("r"), &files, "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let task = TaskHandle::new("0badcafe-keep").unwrap();
        let (worktree, spec) = repo.prepare_planning_dir(&task, None, "requirements.md").unwrap();
        std::fs::write(spec.join("design.md"), "# D\n").unwrap();
        repo.clear_planning_dir(&task).unwrap();
        assert!(worktree.join(".spectask/templates/quick.toml").exists(), "a tracked template stays");
        assert!(!spec.exists());
        assert!(repo.task_uncommitted(&task).unwrap().is_empty(), "nothing tracked was removed");

        let (_, spec) = repo.prepare_planning_dir(&task, None, "requirements.md").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", spec.join("tasks.md")).unwrap();
        let refused = repo.read_planning_dir(&task, "requirements.md").unwrap_err().to_string();
        assert!(refused.contains("not a regular file"), "{refused}");
        std::fs::remove_file(spec.join("tasks.md")).unwrap();
        std::fs::write(spec.join("tasks.md"), vec![b'x'; 1024 * 1024 + 1]).unwrap();
        let refused = repo.read_planning_dir(&task, "requirements.md").unwrap_err().to_string();
        assert!(refused.contains("larger than 1 MiB"), "{refused}");
    }

    #[test]
    fn a_bugfix_spec_is_planned_in_bugfix_md() {
        let dir = tempfile::tempdir().unwrap();
        init_repository(&dir.path().join("r"), &[("README.md", "# r\n")], "init").unwrap();
        let repo = Repo::register(&dir.path().join("r"), &RegisterOptions::default()).unwrap().repo;
        let task = TaskHandle::new("0badcafe-fix").unwrap();
        let previous = PlanningFiles {
            requirements: Some("# Bugfix v1\n".into()),
            design: None,
            tasks: None,
            questions: None,
            consistency: None,
        };
        let (_, spec) = repo.prepare_planning_dir(&task, Some(&previous), "bugfix.md").unwrap();
        assert!(spec.join("bugfix.md").exists() && !spec.join("requirements.md").exists());
        let read = repo.read_planning_dir(&task, "bugfix.md").unwrap();
        assert_eq!(read.requirements.as_deref(), Some("# Bugfix v1\n"));
    }
}
