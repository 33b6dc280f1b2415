//! `spectask task create|list|show|cancel` against a running server, on both backends.

use crate::support::{Server, git_repo, spectask, stderr, stdout};

fn create_list_restart_and_cancel(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = dir.path().join("data");
    let server = Server::start(&data, database_url.as_deref());

    let created = server.task(&["create", "--repo", repo.to_str().unwrap(), "Add JWT authentication"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let out = stdout(&created);
    let id_line = out.lines().find(|l| l.starts_with("id ")).expect("an id line");
    let id = id_line.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(id.len(), 36, "{out}");
    assert!(out.contains("status                backlog"), "{out}");

    // On a server without users the person is one identity, `local`, whatever the shell's $USER:
    // the tasks the CLI makes are theirs as the API's and the dashboard's are (and their budget holds).
    let made = spectask()
        .env("USER", "ana")
        .args([
            "task",
            "--server",
            &server.url,
            "create",
            "--repo",
            repo.to_str().unwrap(),
            "Second",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(made["created_by"], "local", "{made:#}");
    let shown = server.task_json(&["show", &id, "--json"]);
    assert_eq!(shown["created_by"], "local", "{shown:#}");
    let second = made["id"].as_str().unwrap();
    assert_eq!(server.task_json(&["cancel", second, "--json"])["status"], "cancelled");

    let listed = server.task_json(&["list", "--json", "--status", "backlog"]);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(listed["items"][0]["status"], "backlog");
    let table = stdout(&server.task(&["list"]));
    assert!(table.contains("Add JWT authentication") && table.contains("backlog"), "{table}");

    // A restart keeps everything.
    server.stop();
    let server = Server::start(&data, database_url.as_deref());
    let shown = server.task_json(&["show", &id[id.len() - 8..id.len() - 3], "--json"]);
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["title"], "Add JWT authentication");

    let cancelled = server.task_json(&["cancel", &id, "--json"]);
    assert_eq!(cancelled["status"], "cancelled");
    let again = server.task(&["cancel", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again).trim(),
        "spectask: error: cannot cancel spec task: it is cancelled (it is finished) (HTTP 409)"
    );
    server.stop();
}

#[test]
fn tasks_survive_a_restart_on_sqlite() {
    create_list_restart_and_cancel(None);
}

#[test]
fn tasks_survive_a_restart_on_postgres() {
    let url = crate::support::postgres_url();
    create_list_restart_and_cancel(Some(url));
}

#[test]
fn bad_input_exits_non_zero_with_a_message_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let server = Server::start(&dir.path().join("data"), None);
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let cases: [(&[&str], String); 5] = [
        (&["create", "--repo", repo.to_str().unwrap(), "   "], "prompt is empty (HTTP 400)".into()),
        (&["create", "--repo", "/no/such/repo", "x"], "path /no/such/repo does not exist (HTTP 404)".into()),
        (
            &["create", "--repo", plain.to_str().unwrap(), "x"],
            format!("{} is not a git repository (HTTP 404)", plain.canonicalize().unwrap().display()),
        ),
        (&["show", "0000"], "no spec task matches \"0000\" (HTTP 404)".into()),
        (&["show", "xy"], "\"xy\" is not a valid spec task id: use at least 4 characters (HTTP 400)".into()),
    ];
    for (args, message) in cases {
        let out = server.task(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out).trim(), format!("spectask: error: {message}"), "{args:?}");
    }
    let bad_kind = server.task(&["create", "--repo", repo.to_str().unwrap(), "--kind", "batch", "x"]);
    assert_eq!(bad_kind.status.code(), Some(2), "clap rejects it before any request");
    assert!(stderr(&bad_kind).contains("expected one of: spec, interactive, coding_session"));
}

#[test]
fn an_unreachable_server_is_named() {
    let out =
        crate::support::spectask().args(["task", "--server", "http://127.0.0.1:9", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "spectask: error: cannot reach the spectask server at http://127.0.0.1:9: connection refused \
         (is `spectask serve` running?)",
        "the error names the cause"
    );
}
