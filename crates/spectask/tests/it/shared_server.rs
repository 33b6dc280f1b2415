//! A server others share, tried as a second user would: no user chooses where the server writes,
//! reaches another user's repository by any name of it (a path, a symlink, a linked worktree, a
//! path inside `.git`, a directory for an editor thread, another spelling of its URL), or makes
//! the server connect into its own network. Each refusal comes before any git command runs, and
//! leaves the disk as it was.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::git_http::GitHttp;
use crate::implementation::git;
use crate::remote_repos::upstream;
use crate::repo_owners::{as_user, user};
use crate::support::{Server, git_repo, http_as, json, scripted_coder_data, spectask, stderr};

const NOTHING: &str = "[[rule]]\nmatch = \"*\"\nsteps = [{ message = \"Nothing to do.\" }]\n";

fn refused(output: &Output, naming: &str) {
    assert!(!output.status.success(), "not refused: {}", String::from_utf8_lossy(&output.stdout));
    assert!(stderr(output).contains(naming), "the refusal should say {naming:?}: {}", stderr(output));
}

/// `(status, body)` of an API call as the user of `token`.
fn api(server: &Server, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let text = body.map(|b| b.to_string());
    let (status, answer) =
        http_as(&server.url, Some(token), method, &format!("/api/v1{path}"), text.as_deref());
    (status, serde_json::from_str(&answer).unwrap_or(Value::String(answer)))
}

/// Every file under `dir` with its size, to show nothing changed there.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            found.push((entry.path().display().to_string(), if meta.is_dir() { 0 } else { meta.len() }));
        }
    }
    found.sort();
    found
}

/// A member names no place on the server's disk: not as a clone's destination, not by a path
/// outside the directories the operator allows, not by `file://`, and a URL into the server's own
/// network is refused without a connection. An administrator may.
#[test]
fn a_member_chooses_no_place_on_the_servers_disk_and_reaches_no_internal_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = scripted_coder_data(dir.path(), NOTHING);
    let server = Server::start(&data, None);
    let bob = user(&data, "bob");
    let bare = upstream(dir.path());
    let file_url = format!("file://{}", bare.display());
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = git_repo(outside.path(), "theirs");

    // A clone's destination is the server's to choose.
    let target = outside.path().join("config").join("git");
    let into = ["repo", "add", "https://203.0.114.7/a/b", "--into", target.to_str().unwrap()];
    refused(&as_user(&server, &bob, &into), "the server decides");
    let (status, body) = api(
        &server,
        &bob,
        "POST",
        "/repos",
        Some(json!({ "url": "https://203.0.114.7/a/b", "path": target })),
    );
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_repository")), "{body}");
    assert!(!target.exists() && !outside.path().join("config").exists(), "nothing made there");
    // Nor the server's own disk by file://, or a path outside the roots.
    let (status, body) = api(&server, &bob, "POST", "/repos", Some(json!({ "url": file_url })));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("url_not_allowed")), "{body}");
    for path in [elsewhere.to_str().unwrap(), "/etc", "/nonexistent/probe"] {
        let (status, body) = api(&server, &bob, "POST", "/repos", Some(json!({ "path": path })));
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("path_not_allowed")),
            "{path}: {body}"
        );
    }
    assert!(git(&elsewhere, &["branch", "--list", "helix-design-docs"]).is_empty(), "git never ran there");

    // A URL into the server's network: refused before anything connects.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        format!("https://127.0.0.1:{port}/a.git"),
        format!("ssh://git@localhost:{port}/a.git"),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://[::1]/a.git".to_owned(),
    ] {
        let (status, body) = api(&server, &bob, "POST", "/repos", Some(json!({ "url": url })));
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("url_not_allowed")), "{url}: {body}");
    }
    assert!(listener.accept().is_err(), "no connection reached the probed port");
    // Credentials in a URL are refused, never echoed.
    let (status, body) =
        api(&server, &bob, "POST", "/repos", Some(json!({ "url": "https://bob:hunter2@203.0.114.7/a/b" })));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("credentials_in_url")), "{body}");
    assert!(!body.to_string().contains("hunter2"), "{body}");

    // An administrator may do what the operator may: a file:// URL, cloned under the data dir.
    let made = spectask().args(["user", "role", "bob", "admin", "--data-dir"]).arg(&data).output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let (status, me) = api(&server, &bob, "GET", "/auth/me", None);
    assert_eq!((status, me["role"].as_str()), (200, Some("admin")), "{me}");
    let added = as_user(&server, &bob, &["repo", "add", &file_url, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let clone = json(&added)["path"].as_str().unwrap().to_owned();
    let clones = data.join("clones").canonicalize().unwrap();
    assert!(Path::new(&clone).starts_with(&clones), "{clone} is under {}", clones.display());
    server.stop();
}

/// Alice's repository, by every name of it, is refused to Bob before git runs there: her linked
/// worktree, a path inside her `.git`, a symlink to it, a directory for an editor thread, her
/// repository's id as a task's repository. The refusals name neither her nor the repository's id.
#[test]
fn another_users_repository_is_out_of_reach_by_every_name_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), NOTHING);
    let server = Server::start(&data, None);
    let (alice, bob) = (user(&data, "alice"), user(&data, "bob"));
    let added = as_user(&server, &alice, &["repo", "add", repo.to_str().unwrap(), "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let id = json(&added)["id"].as_str().unwrap().to_owned();
    let worktree = repo.join(".git-worktrees").join("helix-design-docs");
    assert!(worktree.is_dir(), "her design-docs worktree");
    let link = dir.path().join("link-to-app");
    std::os::unix::fs::symlink(&repo, &link).unwrap();
    let before = listing(&repo.join(".git"));
    let branches = git(&repo, &["branch", "--list", "--format=%(refname:short)"]);

    for path in [
        worktree.clone(),
        repo.join(".git").join("refs").join("heads"),
        link.clone(),
        repo.join("."),
        repo.join("src").join("..").join("."),
    ] {
        for body in [json!({ "path": path }), json!({ "path": path, "design_docs_branch": "stray" })] {
            let (status, answer) = api(&server, &bob, "POST", "/repos", Some(body));
            assert_eq!(status, 403, "{}: {answer}", path.display());
            let text = answer.to_string();
            assert!(!text.contains("alice") && !text.contains(&id), "names neither: {text}");
        }
    }
    assert_eq!(listing(&repo.join(".git")), before, "nothing in her .git changed");
    assert_eq!(git(&repo, &["branch", "--list", "--format=%(refname:short)"]), branches);

    // An editor thread in her repository, or in her worktree: as outside every repository.
    for cwd in [repo.clone(), worktree.clone(), link.clone()] {
        for route in ["/editor/threads", "/zed-threads/create-session"] {
            let (status, answer) = api(&server, &bob, "POST", route, Some(json!({ "cwd": cwd })));
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (404, Some("cwd_outside_repositories")),
                "{route} {}: {answer}",
                cwd.display()
            );
        }
    }
    let missing = dir.path().join("missing");
    let (_, answer) = api(&server, &bob, "POST", "/editor/threads", Some(json!({ "cwd": missing })));
    assert_eq!(answer["error"]["code"], "cwd_outside_repositories", "a missing directory alike: {answer}");
    // Nor a task in it, by its id or its path.
    refused(&as_user(&server, &bob, &["task", "create", "--repo", &id, "Do it"]), "no repository of yours");
    let (status, tasks) = api(&server, &alice, "GET", "/spec-tasks", None);
    assert_eq!((status, tasks["total"].as_i64()), (200, Some(0)), "nothing made in hers: {tasks}");
    let (_, tasks) = api(&server, &bob, "GET", "/spec-tasks", None);
    assert_eq!(tasks["total"], 0, "nor for him: {tasks}");

    // She may: a thread from her worktree is hers.
    let (status, opened) = api(&server, &alice, "POST", "/editor/threads", Some(json!({ "cwd": repo })));
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["spec_task"]["repository"]["id"], id.as_str(), "{opened}");

    // A member she adds reads her daily budget but does not change it.
    assert!(as_user(&server, &alice, &["repo", "member", "add", &id, "bob"]).status.success());
    let (status, answer) = api(&server, &bob, "PUT", &format!("/repos/{id}/budget"), Some(json!({})));
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("not_the_owner")), "{answer}");
    let (status, _) = api(&server, &bob, "GET", &format!("/repos/{id}/budget"), None);
    assert_eq!(status, 200);
    server.stop();
}

/// One remote is one repository whatever its spelling: a second user's registration of it under
/// another spelling is refused, with no second clone; its owner names it by URL everywhere.
#[test]
fn one_remote_under_another_spelling_is_one_repository() {
    let dir = tempfile::tempdir().unwrap();
    let bare = upstream(dir.path());
    let http = GitHttp::serve(bare.parent().unwrap());
    let data = scripted_coder_data(dir.path(), NOTHING);
    let config = std::fs::read_to_string(data.join("config.toml")).unwrap();
    let config = config.replacen(
        "[repositories]\n",
        "[repositories]\nurl_schemes = [\"http\"]\nallow_hosts = [\"127.0.0.1\"]\n",
        1,
    );
    std::fs::write(data.join("config.toml"), config).unwrap();
    let server = Server::start(&data, None);
    let (alice, bob) = (user(&data, "alice"), user(&data, "bob"));
    let url = format!("{}/upstream.git", http.base);
    let added = as_user(&server, &alice, &["repo", "add", &url, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let id = json(&added)["id"].as_str().unwrap().to_owned();
    let clones = || std::fs::read_dir(data.join("clones")).unwrap().flatten().count();
    let made = clones();

    for spelling in [url.clone(), format!("{}/upstream", http.base), format!("{}/upstream.git/", http.base)] {
        let (status, answer) = api(&server, &bob, "POST", "/repos", Some(json!({ "url": spelling })));
        assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("not_a_member")), "{answer}");
        let again = as_user(&server, &alice, &["repo", "add", &spelling, "--json"]);
        assert!(again.status.success(), "{}", stderr(&again));
        assert_eq!(json(&again)["id"], id.as_str(), "the same record");
    }
    assert_eq!(clones(), made, "no second clone");

    // Her repository by URL: settings, a task, a listing.
    let set = as_user(&server, &alice, &["repo", "set", &url, "--merge-policy", "keep_branch", "--json"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(json(&set)["merge_policy"], "keep_branch");
    let created = as_user(
        &server,
        &alice,
        &["task", "create", "--repo", &url, "--kind", "interactive", "Hi", "--json"],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert_eq!(json(&created)["repository"]["id"], id.as_str());
    refused(&as_user(&server, &bob, &["repo", "set", &url, "--check", "true"]), "no repository of yours");
    server.stop();
}
