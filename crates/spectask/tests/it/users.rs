//! Users and tokens through the real binary, on both backends: a server without users refuses a
//! non-loopback address; `user add` and `token create` make a token the CLI passes as SPECTASK_TOKEN,
//! and without it the server answers 401.

use std::time::{Duration, Instant};

use crate::support::{Server, git_repo, json, repository_roots, spectask, stderr, stdout};

fn store_args(data: &std::path::Path, database_url: Option<&str>) -> Vec<String> {
    let mut args = vec!["--data-dir".to_owned(), data.display().to_string()];
    if let Some(url) = database_url {
        args.extend(["--database-url".to_owned(), url.to_owned()]);
    }
    args
}

fn users_and_tokens(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let url = database_url.as_deref();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("config.toml"), repository_roots(dir.path())).unwrap();

    // Without users, every address but loopback is refused, at once.
    let mut serve = spectask()
        .args(["serve", "--addr", "0.0.0.0:0"])
        .args(store_args(&data, url))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while serve.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = serve.kill();
            panic!("spectask serve on 0.0.0.0 without users did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let refused = serve.wait_with_output().unwrap();
    assert!(!refused.status.success());
    assert!(stdout(&refused).is_empty(), "it listened: {}", stdout(&refused));
    assert!(
        stderr(&refused).contains("refusing to serve on 0.0.0.0:0 without users"),
        "{}",
        stderr(&refused)
    );

    let added = spectask().args(["user", "add", "alice"]).args(store_args(&data, url)).output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let bad = spectask().args(["user", "add", "Alice Smith"]).args(store_args(&data, url)).output().unwrap();
    assert!(stderr(&bad).contains("user name \"Alice Smith\" is not"), "{}", stderr(&bad));
    let created = spectask()
        .args(["token", "create", "--user", "alice"])
        .args(store_args(&data, url))
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created).trim().to_owned();
    assert!(token.starts_with("spt_"), "{token}");
    let key = std::fs::metadata(data.join("token.key")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o777, 0o600);
    if url.is_none() {
        // The database holds every user's work: its owner's alone.
        let db = std::fs::metadata(data.join("spectask.db")).unwrap();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&db.permissions()) & 0o777, 0o600);
    }

    let server = Server::start(&data, url);
    let anonymous = server.task(&["list"]);
    assert_eq!(anonymous.status.code(), Some(1));
    assert!(stderr(&anonymous).contains("needs an API token") && stderr(&anonymous).contains("(HTTP 401)"));
    let wrong =
        spectask().args(["task", "--server", &server.url, "list"]).env("SPECTASK_TOKEN", "spt_x").output();
    assert!(stderr(&wrong.unwrap()).contains("(HTTP 401)"));
    let repo = git_repo(dir.path(), "app");
    let as_alice = |args: &[&str]| {
        spectask()
            .arg("task")
            .arg("--server")
            .arg(&server.url)
            .args(args)
            .env("SPECTASK_TOKEN", &token)
            .output()
            .unwrap()
    };
    let made = as_alice(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    assert!(made.status.success(), "{}", stderr(&made));
    let listed = json(&as_alice(&["list", "--json"]));
    assert_eq!(listed["total"], 1, "{listed}");
    server.stop();
}

#[test]
fn users_and_tokens_on_sqlite() {
    users_and_tokens(None);
}

#[test]
fn users_and_tokens_on_postgres() {
    let url = crate::support::postgres_url();
    users_and_tokens(Some(url));
}

/// A server started without users (open, on loopback) requires tokens once a user is added, with
/// no restart; a revoked token is refused at once by every node (two on PostgreSQL, sharing the
/// database and the token key).
fn users_added_while_serving_and_revoked_tokens(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url.as_deref();
    let data = dir.path().join("a");
    let mut nodes = vec![Server::start_node(&data, url, "a")];
    if url.is_some() {
        let other = dir.path().join("b");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::copy(data.join("token.key"), other.join("token.key")).expect("the open server made its key");
        nodes.push(Server::start_node(&other, url, "b"));
    }
    let list = |server: &Server, token: Option<&str>| {
        let mut cmd = spectask();
        cmd.args(["task", "--server", &server.url, "list", "--json"]);
        if let Some(token) = token {
            cmd.env("SPECTASK_TOKEN", token);
        }
        cmd.output().unwrap()
    };
    for node in &nodes {
        let open = list(node, None);
        assert!(open.status.success(), "no users yet: open on loopback: {}", stderr(&open));
    }

    let cli = |args: &[&str]| {
        let output = spectask().args(args).args(store_args(&data, url)).output().unwrap();
        assert!(output.status.success(), "spectask {args:?}: {}", stderr(&output));
        stdout(&output)
    };
    cli(&["user", "add", "alice"]);
    let token = cli(&["token", "create", "--user", "alice"]).trim().to_owned();
    cli(&["token", "create", "--user", "alice"]);
    for node in &nodes {
        let anonymous = list(node, None);
        assert!(
            stderr(&anonymous).contains("(HTTP 401)"),
            "a user exists: tokens from now on: {}",
            stderr(&anonymous)
        );
        let with_token = list(node, Some(&token));
        assert!(with_token.status.success(), "alice's token, without a restart: {}", stderr(&with_token));
    }

    let listed = cli(&["token", "list", "--user", "alice"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines.iter().all(|l| l.contains("\talice\t") && l.ends_with("revoked: -")), "{listed}");
    assert!(!listed.contains("spt_"), "never a secret: {listed}");
    let first = lines[0].split('\t').next().unwrap();

    let revoked = cli(&["token", "revoke", first]);
    assert!(revoked.contains(&format!("revoked API token {first} of alice")), "{revoked}");
    for node in &nodes {
        let refused = list(node, Some(&token));
        assert!(stderr(&refused).contains("(HTTP 401)"), "revoked: refused at once: {}", stderr(&refused));
    }
    let listed = cli(&["token", "list"]);
    assert!(
        listed.lines().next().is_some_and(|l| l.starts_with(first) && !l.ends_with("revoked: -")),
        "{listed}"
    );
    let unknown =
        spectask().args(["token", "revoke", "ffffffff"]).args(store_args(&data, url)).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no API token matches \"ffffffff\""), "{}", stderr(&unknown));
    for node in nodes {
        node.stop();
    }
}

#[test]
fn users_added_while_serving_and_revoked_tokens_on_sqlite() {
    users_added_while_serving_and_revoked_tokens(None);
}

#[test]
fn users_added_while_serving_and_revoked_tokens_on_two_postgres_nodes() {
    users_added_while_serving_and_revoked_tokens(Some(crate::support::postgres_url()));
}
