//! What a Zed thread's agent reaches besides the conversation: Zed's own MCP servers (its
//! `mcpServers` in `session/new`, and again in `session/load`, also after a server restart) beside
//! spectask's coordination server, never written to the database; terminals, which Zed serves when
//! it advertised them; and files, which spectask serves confined to the task's worktree when Zed
//! did not advertise them.

use serde_json::{Value, json};

use crate::support::{Server, http};
use crate::zed_client::{Editor, ZedSetup, agent_messages};

const SCRIPT: &str = r#"
[[rule]]
match = "use both tool servers"
steps = [
  { mcp = { tool = "plan_status" } },
  { mcp = { server = "zed-tools", tool = "plan_status" } },
  { message = "tools done" },
]

[[rule]]
match = "use the other tool server"
steps = [{ mcp = { server = "zed-more", tool = "plan_status" } }, { message = "other done" }]

[[rule]]
match = "run the tests"
steps = [{ run = { command = "npm", args = ["test"] } }, { message = "ran" }]

[[rule]]
match = "edit files"
steps = [
  { write_file = { path = "notes.md", content = "written by the agent\n" } },
  { read_file = { path = "notes.md" } },
  { write_file = { path = "../../outside.md", content = "escaped\n" } },
  { message = "edited" },
]
"#;

/// Zed serving the terminal the agent asks for (it advertised `terminal`).
fn zed_terminal(method: &str, _params: &Value) -> Value {
    match method {
        "terminal/create" => json!({"terminalId": "zed-term-1"}),
        "terminal/wait_for_exit" => json!({"exitCode": 0}),
        "terminal/output" => {
            json!({"output": "3 passing (served by zed)", "truncated": false, "exitStatus": {"exitCode": 0}})
        }
        "terminal/release" => json!({}),
        other => panic!("unexpected request {other} from the agent"),
    }
}

#[test]
fn zed_tools_terminals_and_files_reach_the_agent_on_sqlite() {
    tools_terminals_and_files(None);
}

#[test]
fn zed_tools_terminals_and_files_reach_the_agent_on_postgres() {
    let url = crate::support::postgres_url();
    tools_terminals_and_files(Some(&url));
}

fn tools_terminals_and_files(database_url: Option<&str>) {
    let ZedSetup { dir, repo, data, server } = ZedSetup::start(SCRIPT, database_url);
    refuses_bad_mcp_servers(&server, &repo);

    // Zed's own MCP server (here another `spectask mcp`, with a credential of Zed's that the
    // server does not know) reaches the agent beside spectask's coordination server.
    let mut zed = Editor::zed(&server.url, &[], &repo);
    // An HTTP one is left out (spectask gives agents stdio servers only).
    let http_server =
        json!({"type": "http", "name": "zed-docs", "url": "http://127.0.0.1:9/mcp", "headers": []});
    let mut zed_tools = zed_server(&server, "zed-tools", "stc_zeds_own_secret");
    zed_tools.as_array_mut().unwrap().push(http_server);
    let thread = zed.new_session_with(&repo, zed_tools.clone()).expect("session/new with Zed's MCP servers");
    zed.turn(&thread, "use both tool servers");
    let said = agent_messages(&zed.seen, &thread);
    let calls: Vec<&String> = said.iter().filter(|m| m.starts_with("plan_status: ")).collect();
    assert_eq!(calls.len(), 2, "{said:#?}");
    assert!(calls[0].contains("\"you\": true"), "spectask's server knows the thread: {said:#?}");
    assert!(!calls[1].contains("no MCP server"), "Zed's server was given to the agent: {said:#?}");
    assert!(calls[1].contains("invalid_credential"), "Zed's server ran with Zed's own credential: {said:#?}");
    let (_, shown) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{thread}"), None);
    assert!(!shown.contains("stc_zeds_own_secret"), "the server's environment is never shown: {shown}");

    // A terminal: Zed advertised it, so Zed runs it and the agent reads Zed's output.
    zed.seen.clear();
    zed.turn_with(&thread, "run the tests", zed_terminal);
    let requests: Vec<&str> =
        zed.seen.iter().filter(|m| m.get("id").is_some()).filter_map(|m| m["method"].as_str()).collect();
    assert_eq!(
        requests,
        ["terminal/create", "terminal/wait_for_exit", "terminal/output", "terminal/release"],
        "{:#?}",
        zed.seen
    );
    let create = zed.seen.iter().find(|m| m["method"] == "terminal/create").unwrap();
    assert_eq!(create["params"]["command"], "npm", "{create}");
    assert_eq!(create["params"]["sessionId"], thread.as_str(), "Zed's own session id: {create}");
    let said = agent_messages(&zed.seen, &thread);
    assert!(said.iter().any(|m| m == "exit 0: 3 passing (served by zed)"), "{said:#?}");
    assert!(zed.quit().success());

    // Zed takes the thread up again giving other MCP servers (`session/load`): its agent thread,
    // still live, is loaded again with them.
    let mut zed = Editor::start(&server.url, &[], &repo);
    zed.initialize();
    let zed_more = zed_server(&server, "zed-more", "stc_zeds_other_secret");
    zed.load(&thread, &repo, zed_more);
    zed.seen.clear();
    zed.turn(&thread, "use the other tool server");
    let said = agent_messages(&zed.seen, &thread);
    let called = said.iter().find(|m| m.starts_with("plan_status: ")).unwrap_or_else(|| panic!("{said:#?}"));
    assert!(called.contains("invalid_credential"), "the server given on load reached the agent: {said:#?}");
    assert!(zed.quit().success());
    if database_url.is_none() {
        for secret in ["stc_zeds_own_secret", "stc_zeds_other_secret"] {
            let holding = files_holding(&data, secret);
            assert!(holding.is_empty(), "{secret} was written to {holding:?}");
        }
    }

    // After a restart of the server, the MCP servers Zed gives again when it loads the thread reach
    // its agent, which the new server starts.
    server.stop();
    let server = Server::start(&data, database_url);
    let mut zed = Editor::start(&server.url, &[], &repo);
    zed.initialize();
    let zed_tools = zed_server(&server, "zed-tools", "stc_zeds_own_secret");
    zed.load(&thread, &repo, zed_tools);
    zed.seen.clear();
    zed.turn(&thread, "use both tool servers");
    let said = agent_messages(&zed.seen, &thread);
    let calls: Vec<&String> = said.iter().filter(|m| m.starts_with("plan_status: ")).collect();
    assert_eq!(calls.len(), 2, "{said:#?}");
    assert!(calls[1].contains("invalid_credential"), "Zed's server reached the restarted agent: {said:#?}");
    assert!(zed.quit().success());

    // An editor that serves no files: spectask serves them, in the task's worktree only.
    let mut bare = Editor::start(&server.url, &[], &repo);
    bare.initialize_with(json!({}));
    let thread = bare.new_session(&repo).expect("session/new");
    bare.turn(&thread, "edit files");
    assert!(
        !bare.seen.iter().any(|m| m.get("id").is_some()),
        "no request reached the editor: {:#?}",
        bare.seen
    );
    let said = agent_messages(&bare.seen, &thread).concat();
    assert!(said.contains("written by the agent"), "spectask served the read: {said}");
    let written: Vec<_> = walk(&repo).into_iter().filter(|p| p.ends_with("notes.md")).collect();
    assert_eq!(written.len(), 1, "one notes.md, in the task's worktree: {written:?}");
    assert!(written[0].starts_with(repo.join(".git-worktrees")), "{written:?}");
    assert!(!dir.path().join("outside.md").exists() && !repo.join("outside.md").exists());
    assert!(said.contains("outside"), "the refused write is reported to the agent: {said}");
    assert!(bare.quit().success());
    server.stop();
}

/// Zed's MCP server `name` (another `spectask mcp`, with a credential of Zed's the server does not know).
fn zed_server(server: &Server, name: &str, credential: &str) -> Value {
    json!([{
        "name": name,
        "command": env!("CARGO_BIN_EXE_spectask"),
        "args": ["mcp", "--server", server.url],
        "env": [{"name": "SPECTASK_SESSION_TOKEN", "value": credential}],
    }])
}

/// A stdio MCP server without a name or an absolute command is refused with 400, naming it, when a
/// thread opens and with a prompt.
fn refuses_bad_mcp_servers(server: &Server, repo: &std::path::Path) {
    let bad = json!({"cwd": repo, "client": "zed", "mcp_servers": [{"name": "rel", "command": "bin/mcp"}]});
    let (status, body) = http(&server.url, "POST", "/api/v1/editor/threads", Some(&bad.to_string()));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_mcp_server") && body.contains(r#"\"rel\""#), "{body}");
    assert!(body.contains("absolute command path"), "{body}");
    let good = json!({"cwd": repo, "client": "zed"}).to_string();
    let (status, body) = http(&server.url, "POST", "/api/v1/editor/threads", Some(&good));
    assert_eq!(status, 201, "{body}");
    let opened: Value = serde_json::from_str(&body).unwrap();
    let turn =
        format!("/api/v1/work-sessions/{}/editor/turn", opened["work_session"]["id"].as_str().unwrap());
    let bad = json!({"prompt": [{"type": "text", "text": "hi"}], "mcp_servers": [{"name": " ", "command": "/bin/mcp"}]});
    let (status, body) = http(&server.url, "POST", &turn, Some(&bad.to_string()));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_mcp_server"), "{body}");
}

/// The files under `dir` whose bytes hold `secret`.
fn files_holding(dir: &std::path::Path, secret: &str) -> Vec<std::path::PathBuf> {
    let mut holding = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            holding.extend(files_holding(&path, secret));
        } else if std::fs::read(&path).is_ok_and(|b| b.windows(secret.len()).any(|w| w == secret.as_bytes()))
        {
            holding.push(path);
        }
    }
    holding
}

/// Every file under `dir` (the repository's own `.git` left out).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
