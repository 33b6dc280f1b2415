//! Git runs in a clean room: the git processes spectask starts, and the repository hooks they run,
//! see none of the server's environment (its forge token above all), no global configuration of
//! the server's user, and no command a repository's configuration names (fsmonitor, hooks other
//! than the two spectask runs on purpose).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::crash_restart::wait_for;
use crate::implementation::git;
use crate::support::{Server, git_repo, scripted_coder_data, stderr};

const GREETING: &str = r#"
[[rule]]
match = "*"
steps = [
  { write_file = { path = "greeting.txt", content = "hello\n" } },
  { message = "Added greeting.txt." },
]
"#;

/// A hook that writes its environment to `<marker dir>/<name>.env`.
fn dumping_hook(repo: &Path, name: &str, markers: &Path) {
    let hook = repo.join(".git/hooks").join(name);
    let script = format!("#!/bin/sh\nenv > '{}/{name}.env'\n", markers.display());
    std::fs::write(&hook, script).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A program that, when run, leaves `<marker dir>/<name>` behind.
fn marking_program(markers: &Path, name: &str) -> String {
    let path = markers.join(format!("{name}.sh"));
    std::fs::write(&path, format!("#!/bin/sh\ntouch '{}/{name}'\n", markers.display())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// A server given a forge token in its environment, and a home whose git configuration names an
/// fsmonitor command, runs a task in a repository whose own configuration names another and whose
/// hooks dump their environment. The two hooks spectask runs on purpose (`pre-commit`,
/// `commit-msg`) run without the token or spectask's own git variables; no other hook and no
/// fsmonitor command runs at all.
#[test]
fn hooks_and_git_see_no_secret_of_the_server_and_no_command_of_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let markers = dir.path().join("markers");
    std::fs::create_dir_all(&markers).unwrap();
    let repo = git_repo(dir.path(), "app");
    for hook in [
        "pre-commit",
        "commit-msg",
        "post-commit",
        "prepare-commit-msg",
        "post-checkout",
        "reference-transaction",
    ] {
        dumping_hook(&repo, hook, &markers);
    }
    let local_monitor = marking_program(&markers, "repository-fsmonitor");
    git(&repo, &["config", "core.fsmonitor", &local_monitor]);
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let global_monitor = marking_program(&markers, "global-fsmonitor");
    std::fs::write(home.join(".gitconfig"), format!("[core]\n\tfsmonitor = {global_monitor}\n")).unwrap();

    let data = scripted_coder_data(dir.path(), GREETING);
    let env = [
        ("GITHUB_TOKEN", std::ffi::OsStr::new("ghp_server_secret_token")),
        ("SPECTASK_FORGE_SECRET", std::ffi::OsStr::new("another-secret")),
        ("HOME", home.as_os_str()),
    ];
    let server = Server::spawn_with(&["serve".to_owned()], &data, &env);
    // Nor can another process of the server's user read its environment (an agent that escaped
    // its sandbox, a hook): the server is not dumpable. Root reads every process's, so the check
    // needs another user (the unit test `serve::tests` holds the setting itself).
    if !is_root() {
        let environ = std::fs::read(format!("/proc/{}/environ", server.pid()));
        assert!(environ.is_err(), "the server's environment is readable by its user");
    }
    let added = server.task_like(&["repo", "add", repo.to_str().unwrap(), "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let id = server.coding_session(&repo, "Add a greeting", "add greeting.txt");
    let task = wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let branch = format!("spectask/{}", task["handle"].as_str().unwrap());
    assert!(git(&repo, &["ls-tree", "-r", "--name-only", &branch]).contains("greeting.txt"));
    assert!(server.task(&["approve", &id]).status.success());
    wait_for(&server, &id, "done", Duration::from_secs(60));
    server.stop();

    let ran: Vec<String> = std::fs::read_dir(&markers)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".sh"))
        .collect();
    let mut ran_sorted = ran.clone();
    ran_sorted.sort();
    assert_eq!(
        ran_sorted,
        ["commit-msg.env", "pre-commit.env"],
        "only the two hooks spectask runs on purpose ran; no fsmonitor command, no other hook"
    );
    for hook in ["pre-commit", "commit-msg"] {
        let env = std::fs::read_to_string(markers.join(format!("{hook}.env"))).unwrap();
        for secret in [
            "ghp_server_secret_token",
            "another-secret",
            "GITHUB_TOKEN",
            "SPECTASK_",
            "GIT_LITERAL_PATHSPECS",
        ] {
            assert!(!env.contains(secret), "{hook} saw {secret}:\n{env}");
        }
        assert!(env.contains("PATH="), "{hook} has a PATH:\n{env}");
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|uids| uids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}
