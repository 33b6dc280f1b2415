//! Zed's prompts through `spectask acp`: each runs as a turn on the work session's thread in the
//! task's agent instance, with the session's coordination tools; the agent's updates and requests
//! reach the editor in order, the editor answers the permission request and serves the file from its
//! buffer, `session/cancel` stops a turn, an agent that crashes mid-turn is an error naming it, every
//! turn is in the session's history and, once committed, on the design-docs branch, and after a
//! server restart the thread is loaded (its conversation replayed) and goes on.

use serde_json::{Value, json};
use spectask_core::JobStatus;

use crate::support::{Server, http};
use crate::zed_client::{Editor, ZedSetup, history, prompt, task_of, updates};

/// The scripted agent of the editor tests (also behind the TypeScript SDK's, `acp_sdk.rs`).
pub(crate) const SCRIPT: &str = r#"
[[rule]]
match = "please work"
steps = [
  { thought = "thinking it over" },
  { plan = [{ content = "read the notes", status = "in_progress" }] },
  { message = "starting" },
  { mcp = { tool = "plan_status" } },
  { permission = { title = "edit notes.md" } },
  { read_file = { path = "notes.md" } },
  { message = "done" },
]

[[rule]]
match = "take your time"
steps = [{ message = "working slowly" }, { sleep = 120000 }, { message = "never said" }]

[[rule]]
match = "crash now"
# The permission's round trip shows the message reached spectask before the crash.
steps = [{ message = "about to crash" }, { permission = { title = "crash?" } }, { crash = 3 }]
"#;

/// Zed's answers: it allows the permission and serves the file from its (unsaved) buffer.
fn zed_answers(method: &str, _params: &Value) -> Value {
    match method {
        "session/request_permission" => json!({"outcome": {"outcome": "selected", "optionId": "allow"}}),
        "fs/read_text_file" => json!({"content": "unsaved buffer text"}),
        other => panic!("unexpected request {other} from the agent"),
    }
}

/// Waits until every job of work session `id` of `task` has ended, read from the server's database.
fn until_jobs_of_session_end(data: &std::path::Path, database_url: Option<&str>, task: &str, id: &str) {
    use spectask_store::{DatabaseUrl, Store};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = match database_url {
        Some(url) => DatabaseUrl::parse(url).unwrap(),
        None => DatabaseUrl::sqlite_in(data),
    };
    let store = runtime.block_on(Store::open(&url)).unwrap();
    let task = task.parse().unwrap();
    let mut jobs = Vec::new();
    crate::implementation::wait_until("the session's jobs end", || {
        jobs = runtime.block_on(store.jobs_of(task)).unwrap();
        jobs.retain(|job| job.work_session_id.is_some_and(|s| s.to_string() == id));
        jobs.iter().all(|job| matches!(job.status, JobStatus::Done | JobStatus::Failed))
    });
    assert!(jobs.iter().any(|job| job.attempts > 1), "the crashed turn's job was retried: {jobs:#?}");
}

#[test]
fn zed_prompts_stream_the_turn_and_are_recorded_on_sqlite() {
    prompts_stream_and_are_recorded(None);
}

#[test]
fn zed_prompts_stream_the_turn_and_are_recorded_on_postgres() {
    let url = crate::support::postgres_url();
    prompts_stream_and_are_recorded(Some(&url));
}

fn prompts_stream_and_are_recorded(database_url: Option<&str>) {
    let ZedSetup { dir: _dir, repo, data, server } = ZedSetup::start(SCRIPT, database_url);

    let mut zed = Editor::zed(&server.url, &[], &repo);
    let thread = zed.new_session(&repo).expect("session/new");

    // A prompt: the turn's updates come back in the agent's order, its requests are Zed's to answer.
    zed.turn_with(&thread, "please work", zed_answers);
    let said = updates(&zed.seen, &thread);
    let kinds: Vec<&str> = said.iter().map(|(kind, _)| kind.as_str()).collect();
    let first = |kind: &str| kinds.iter().position(|k| *k == kind).unwrap_or(usize::MAX);
    assert!(
        first("agent_thought_chunk") < first("plan") && first("plan") < first("agent_message_chunk"),
        "{said:#?}"
    );
    let messages: Vec<&str> =
        said.iter().filter(|(k, _)| k == "agent_message_chunk").map(|(_, t)| t.as_str()).collect();
    assert_eq!(messages.first(), Some(&"starting"), "{said:#?}");
    assert_eq!(messages.last(), Some(&"done"), "{said:#?}");
    assert!(messages.iter().any(|m| m.contains("permission: allow")), "Zed allowed it: {said:#?}");
    assert!(messages.iter().any(|m| m.contains("unsaved buffer text")), "Zed served the file: {said:#?}");
    // The thread has the session's coordination tools, as every work session's thread does.
    assert!(kinds.contains(&"tool_call"), "{said:#?}");
    let status = messages.iter().find(|m| m.starts_with("plan_status: ")).expect("plan_status answered");
    assert!(status.contains("\"you\": true"), "the tools know the thread as its session: {status}");
    let requests: Vec<&Value> = zed.seen.iter().filter(|m| m.get("id").is_some()).collect();
    let methods: Vec<&str> = requests.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["session/request_permission", "fs/read_text_file"], "{requests:#?}");
    assert!(
        requests.iter().all(|m| m["params"]["sessionId"] == thread.as_str()),
        "Zed's session id: {requests:#?}"
    );

    // Recorded like any turn: Zed's prompt and the agent's answer.
    let recorded = history(&server, &thread);
    assert!(recorded.contains("### zed") && recorded.contains("please work"), "{recorded}");
    assert!(recorded.contains("done"), "{recorded}");

    // session/cancel stops a turn under way; the turn answers `cancelled`.
    let id = zed.start_call("session/prompt", prompt(&thread, "take your time"));
    zed.until_seen(id, |m| m["params"]["update"]["content"]["text"] == "working slowly");
    zed.notify("session/cancel", json!({"sessionId": thread}));
    let cancelled = zed.finish_call(id, zed_answers).expect("a cancelled prompt still answers");
    assert_eq!(cancelled["stopReason"], "cancelled", "{:#?}", zed.seen);
    assert!(!updates(&zed.seen, &thread).iter().any(|(_, t)| t == "never said"));

    // The thread goes on after a cancel.
    zed.seen.clear();
    zed.turn_with(&thread, "please work", zed_answers);

    // History is committed to the design-docs branch like any session's.
    let task = task_of(&server, &thread);
    let (status, committed) =
        http(&server.url, "POST", &format!("/api/v1/spec-tasks/{task}/commit-progress"), Some("{}"));
    assert_eq!(status, 200, "{committed}");
    let on_branch = std::process::Command::new("git")
        .args(["grep", "-l", "take your time", "helix-design-docs", "--", "sessions/"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(!on_branch.stdout.is_empty(), "Zed's prompts are on the design-docs branch: {committed}");

    // An agent that crashes mid-turn: Zed gets an error naming it, and what was said is kept.
    let crashed = zed.call_with("session/prompt", prompt(&thread, "crash now"), zed_answers);
    let error = crashed.expect_err("the agent crashed");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("exited with code 3"), "the error names the crash: {error}");
    let recorded = history(&server, &thread);
    assert!(recorded.contains("about to crash"), "nothing said is lost: {recorded}");
    // The crash's retry leaves the thread interrupted (Zed may be gone by then): only Zed's next
    // prompt takes it up again.
    until_jobs_of_session_end(&data, database_url, &task, &thread);
    let (_, body) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{thread}"), None);
    let after_crash: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(after_crash["status"], "interrupted", "{after_crash:#}");

    assert!(zed.quit().success());
    server.stop();

    // After a server restart, a new Zed loads the thread: its conversation comes back as updates, and
    // the thread goes on where it was.
    let server = Server::start(&data, database_url);
    let mut zed = Editor::start(&server.url, &[], &repo);
    let init = zed.initialize();
    assert_eq!(init["agentCapabilities"]["loadSession"], true, "{init}");
    assert!(init["agentCapabilities"]["sessionCapabilities"]["resume"].is_object(), "{init}");
    zed.load(&thread, &repo, json!([]));
    let replayed = updates(&zed.seen, &thread);
    let said_by = |kind: &str, text: &str| replayed.iter().any(|(k, t)| k == kind && t.contains(text));
    assert!(said_by("user_message_chunk", "please work"), "{replayed:#?}");
    assert!(said_by("user_message_chunk", "take your time"), "{replayed:#?}");
    assert!(said_by("agent_message_chunk", "unsaved buffer text"), "{replayed:#?}");
    assert!(said_by("agent_message_chunk", "about to crash"), "{replayed:#?}");
    zed.seen.clear();
    zed.turn_with(&thread, "please work", zed_answers);
    assert!(updates(&zed.seen, &thread).iter().any(|(_, t)| t == "done"), "{:#?}", zed.seen);
    // session/resume takes a thread up again without the replay.
    zed.seen.clear();
    zed.call("session/resume", json!({"sessionId": thread, "cwd": repo})).expect("session/resume");
    assert!(updates(&zed.seen, &thread).is_empty(), "{:#?}", zed.seen);
    assert!(zed.quit().success());
    server.stop();
}
