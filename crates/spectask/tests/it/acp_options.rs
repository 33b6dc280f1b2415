//! `spectask acp`'s options as Zed's settings give them: `--repo` stands for every thread's
//! directory (and registers it), `--agent` picks the coding agent of the task made for the threads,
//! a thread opened inside a task's worktree joins that task, and on a server with users it
//! authenticates with the token in its environment (never inside Zed).

use serde_json::json;

use crate::implementation::sessions;
use crate::support::{Server, git_repo, postgres_url, scripted_coder_data, spectask, stderr, stdout};
use crate::zed_client::{Editor, task_of, updates};

const SCRIPT: &str = r#"
[[rule]]
match = "hello"
steps = [{ message = "hi from the agent" }]
"#;

#[test]
fn repo_and_agent_options_and_a_worktree_thread_on_sqlite() {
    repo_and_agent_options_and_a_worktree_thread(None);
}

#[test]
fn repo_and_agent_options_and_a_worktree_thread_on_postgres() {
    repo_and_agent_options_and_a_worktree_thread(Some(&postgres_url()));
}

fn repo_and_agent_options_and_a_worktree_thread(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), SCRIPT);
    // A second profile, the same scripted agent under another name, for `--agent`.
    let config = std::fs::read_to_string(data.join("config.toml")).unwrap();
    let coder = config.split("\n\n").find(|part| part.starts_with("[agents.coder]")).unwrap();
    let helper = coder.replace("[agents.coder]", "[agents.helper]");
    std::fs::write(data.join("config.toml"), format!("{helper}\n\n{config}")).unwrap();
    let server = Server::start(&data, database_url);

    // Zed's project is elsewhere: `--repo` (registered by `spectask acp` itself) is the threads' directory.
    let elsewhere = tempfile::tempdir().unwrap();
    let repo_arg = repo.display().to_string();
    let mut zed = Editor::start(&server.url, &["--repo", &repo_arg, "--agent", "helper"], elsewhere.path());
    zed.initialize();
    let thread = zed.new_session(elsewhere.path()).expect("session/new under --repo");
    zed.turn(&thread, "hello");
    let said: Vec<_> = updates(&zed.seen, &thread).into_iter().map(|(_, text)| text).collect();
    assert!(said.iter().any(|t| t == "hi from the agent"), "{said:#?}");
    let task_id = task_of(&server, &thread);
    let task = server.task_json(&["show", &task_id, "--json"]);
    assert_eq!(task["implementation_agent"], "helper", "{task:#}");
    assert!(task["worktree_path"].as_str().is_some_and(|w| w.contains(".git-worktrees")), "{task:#}");
    assert!(zed.quit().success());

    // A thread opened inside that task's worktree joins the task.
    let worktree = std::path::PathBuf::from(task["worktree_path"].as_str().unwrap());
    let inside = worktree.join("src");
    std::fs::create_dir_all(&inside).unwrap();
    let mut zed = Editor::start(&server.url, &[], &inside);
    zed.initialize();
    let second = zed.new_session(&inside).expect("session/new in the worktree");
    let ids: Vec<String> =
        sessions(&server, &task_id).iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, [thread.clone(), second.clone()], "both threads are the task's sessions");
    let listed = zed.call("session/list", json!({"cwd": inside})).expect("session/list");
    assert_eq!(listed["sessions"].as_array().map(Vec::len), Some(2), "{listed:#}");
    assert!(zed.quit().success());

    // A user is added: `spectask acp` needs a token, from its environment as the README's snippet
    // sets it; without one Zed is told the server refused it.
    let mut store = vec!["--data-dir".to_owned(), data.display().to_string()];
    if let Some(url) = database_url {
        store.extend(["--database-url".to_owned(), url.to_owned()]);
    }
    let added = spectask().args(["user", "add", "alice"]).args(&store).output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let created = spectask().args(["token", "create", "--user", "alice"]).args(&store).output().unwrap();
    assert!(created.status.success(), "{}", stderr(&created));
    let token = stdout(&created).trim().to_owned();
    let mut anonymous = Editor::start(&server.url, &[], &repo);
    let init = anonymous.initialize();
    assert!(init["authMethods"].as_array().is_none_or(Vec::is_empty), "no login inside Zed: {init}");
    let refused = anonymous.new_session(&repo).expect_err("no token");
    assert!(refused["message"].as_str().unwrap_or_default().contains("HTTP 401"), "{refused}");
    let mut zed =
        Editor::start_with_env(&server.url, &["--repo", &repo_arg], &repo, &[("SPECTASK_TOKEN", &token)]);
    zed.initialize();
    let third = zed.new_session(&repo).expect("session/new with the token");
    zed.turn(&third, "hello");
    assert!(zed.quit().success());
    server.stop();
}
