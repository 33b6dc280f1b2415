//! Where the `git` program is: found once on spectask's own `PATH` (the one git is given, see
//! `cmd`), as the system would find it, and run by that path.
//!
//! Named by its path, git is started with `posix_spawn` (a `vfork`): Rust's standard library falls
//! back to `fork` and `exec` when a command's environment sets `PATH` and its program is a bare name,
//! since the child's `PATH` must then be searched. A fork copies the page tables of spectask's whole
//! process, whose memory grows with the sessions it runs: with a thousand of them, starting each git
//! command cost milliseconds of the kernel's time, most of a node's CPU. Found or not, what runs is
//! the same program: where nothing is found, the bare name is kept, and the spawn fails as before.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `git` program to run: its path on `PATH` when found there, else the bare name.
pub(crate) fn git() -> &'static Path {
    static GIT: OnceLock<PathBuf> = OnceLock::new();
    GIT.get_or_init(|| find("git", std::env::var_os("PATH")).unwrap_or_else(|| PathBuf::from("git")))
}

/// The first executable file named `name` in the directories of `path` (`PATH`'s syntax), as
/// `execvp` would run it. Relative directories (and empty entries, the current directory) are left
/// to the system: a path found there would name another file once the working directory changes.
fn find(name: &str, path: Option<OsString>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    for dir in std::env::split_paths(&path?) {
        if !dir.is_absolute() {
            return None;
        }
        let candidate = dir.join(name);
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => return Some(candidate),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_is_found_where_path_names_it_first() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let make = |dir: &Path, mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            let file = dir.join("git");
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            file
        };
        make(first.path(), 0o644);
        let found = make(second.path(), 0o755);
        let path = std::env::join_paths([first.path(), second.path()]).unwrap();
        assert_eq!(find("git", Some(path)), Some(found), "a file that is not executable is passed over");
        let relative = std::env::join_paths([Path::new("bin"), second.path()]).unwrap();
        assert_eq!(find("git", Some(relative)), None, "a relative directory first is left to the system");
        assert_eq!(find("git", None), None);
    }

    #[test]
    fn the_git_of_this_process_is_the_one_on_its_path() {
        assert!(git().is_absolute(), "{}", git().display());
        assert!(git().ends_with("git"));
    }
}
