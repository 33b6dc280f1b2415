//! Several processes writing to one repository, as several spectask servers sharing a filesystem
//! would: the cross-process lock keeps every write, in order, with no lock failures.

use std::path::Path;
use std::process::Command;

use spectask_git::{DesignDocsCommit, FileWrite, Repo};

use crate::support::{assert_fsck_clean, registered_repo, status};

const CHILD_REPO: &str = "SPECTASK_GIT_TEST_CHILD_REPO";
const CHILD_ID: &str = "SPECTASK_GIT_TEST_CHILD_ID";
const PROCESSES: usize = 4;
const WRITES: usize = 10;

/// The body of each child process of the test below; returns at once in an ordinary test run.
#[test]
fn child_process_writer() {
    let (Ok(root), Ok(id)) = (std::env::var(CHILD_REPO), std::env::var(CHILD_ID)) else { return };
    let repo = Repo::open(Path::new(&root)).unwrap();
    for n in 0..WRITES {
        let line = format!("process {id} write {n}\n");
        let commit = DesignDocsCommit {
            message: format!("process {id} write {n}"),
            trailers: vec![],
            writes: vec![
                FileWrite::append("sessions/t/coordination-log.md", line.clone()),
                FileWrite::append(format!("sessions/t/p{id}/activity-log.md"), line),
            ],
        };
        repo.commit_design_docs(&commit).unwrap();
    }
}

#[test]
fn several_processes_write_without_losing_or_failing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|id| {
            Command::new(&exe)
                .args(["--exact", "processes::child_process_writer", "--test-threads=1", "--quiet"])
                .env(CHILD_REPO, repo.root())
                .env(CHILD_ID, id.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }
    let log =
        String::from_utf8(repo.read_design_doc("sessions/t/coordination-log.md").unwrap().unwrap()).unwrap();
    assert_eq!(log.lines().count(), PROCESSES * WRITES);
    for id in 0..PROCESSES {
        let own = repo.read_design_doc(&format!("sessions/t/p{id}/activity-log.md")).unwrap().unwrap();
        let expected: String = (0..WRITES).map(|n| format!("process {id} write {n}\n")).collect();
        assert_eq!(String::from_utf8(own).unwrap(), expected, "in order per process");
        for n in 0..WRITES {
            assert_eq!(log.matches(&format!("process {id} write {n}\n")).count(), 1);
        }
    }
    assert_eq!(status(&repo.design_docs_worktree()), "");
    assert_fsck_clean(repo.root());
}
