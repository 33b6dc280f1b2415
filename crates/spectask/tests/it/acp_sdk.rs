//! Interoperability with an ACP client we did not write: the official TypeScript SDK
//! (`@agentclientprotocol/sdk`, pinned in `tests/acp-client/`) plays Zed against `spectask acp`
//! (`tests/acp-client/zed.mjs`): two threads, a prompt whose updates, permission request and file
//! read reach the SDK's client, a cancelled turn, list, close and a refused directory.

use std::process::Command;

use serde_json::{Value, json};

use crate::acp_prompt::SCRIPT;
use crate::real_agents::install::acp_client_modules;
use crate::support::http;
use crate::zed_client::ZedSetup;

#[test]
fn the_typescript_sdk_drives_spectask_acp_as_zed_would() {
    let modules = acp_client_modules();
    let client_dir = modules.parent().unwrap();
    let script = client_dir.join("zed.mjs");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/acp-client/zed.mjs"), &script)
        .unwrap();
    let ZedSetup { dir: _dir, repo, server, .. } = ZedSetup::start(SCRIPT, None);

    let out = Command::new("node")
        .arg(&script)
        .args([env!("CARGO_BIN_EXE_spectask"), server.url.as_str(), repo.to_str().unwrap()])
        .current_dir(client_dir)
        .output()
        .expect("node runs (Node.js 20 is needed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the SDK client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    assert_eq!(result["init"]["agentInfo"]["name"], "spectask", "{result:#}");
    assert_eq!(result["init"]["agentCapabilities"]["loadSession"], true, "{result:#}");
    let (first, second) =
        (result["sessionId"].as_str().unwrap(), result["secondSessionId"].as_str().unwrap());
    assert_ne!(first, second);
    assert_eq!(result["stopReason"], "end_turn", "{result:#}");
    assert_eq!(result["cancelledStopReason"], "cancelled", "{result:#}");
    assert_eq!(result["listed"], json!([first, second]), "{result:#}");
    let refused = &result["outsideError"];
    assert_eq!(refused["code"], -32602, "{result:#}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("is not inside a repository of yours"));
    assert_eq!(result["exitCode"], 0, "stdin closed: spectask acp ends");

    // The SDK's client saw the turn in the agent's order, and answered its requests.
    let seen = result["seen"].as_array().unwrap();
    let texts: Vec<&str> = seen.iter().filter_map(|s| s["text"].as_str()).collect();
    let at = |text: &str| texts.iter().position(|t| t.contains(text)).unwrap_or(usize::MAX);
    assert!(at("starting") < at("permission: allow"), "{texts:?}");
    assert!(at("permission: allow") < at("unsaved buffer text"), "{texts:?}");
    assert!(at("unsaved buffer text") < at("done") && at("done") < at("working slowly"), "{texts:?}");
    assert!(!texts.contains(&"never said"), "{texts:?}");
    let requests: Vec<&str> = seen.iter().filter_map(|s| s["request"].as_str()).collect();
    assert_eq!(requests, ["session/request_permission", "fs/read_text_file"], "{seen:#?}");
    assert!(seen.iter().all(|s| s["sessionId"] == first), "{seen:#?}");

    // The threads are work sessions of one task: the closed one completed, the other left interrupted.
    let (_, session) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{second}"), None);
    assert!(session.contains("\"completed\""), "{session}");
    let (_, session) = http(&server.url, "GET", &format!("/api/v1/work-sessions/{first}"), None);
    assert!(session.contains("\"interrupted\""), "{session}");
    server.stop();
}
