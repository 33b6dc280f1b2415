//! Notifications through the real binary: a webhook receiver on loopback that fails every delivery
//! twice before taking it gets each notification once, in the JSON and the Slack format, for every
//! kind (spec ready, implementation ready, permission waiting, check failed, session and task
//! failed; budget and stall from events published next to the server), and the API lists each
//! notification with its deliveries' attempts.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use spectask_core::events::payload::{BudgetAmount, BudgetNews, SpecTaskBudget, WorkSessionStalled};
use spectask_store::{DatabaseUrl, Store};

use crate::crash_restart::{setup_agent, wait_for};
use crate::fake_llm::{FakeLlm, spec_answer};
use crate::support::{AllowServedWrites, CoderConfig, Server, git_repo, http, http_json, stderr};

const CHECK: &str = "test -f fixed.txt || { echo 'fixed.txt is missing'; exit 1; }";

/// "Clean the build" asks a person first; "Add a greeting" never passes the check.
const SCRIPT: &str = r#"
[[rule]]
match = "*Your task: Clean the build*"
steps = [
  { permission = { title = "write cleaned.txt", path = "cleaned.txt" } },
  { write_file = { path = "cleaned.txt", content = "yes\n" } },
  { message = "Cleaned the build directory." },
]

[[rule]]
match = "*Your task: Add a greeting*"
steps = [
  { write_file = { path = "greeting.txt", content = "hello\n" } },
  { message = "Done, I think." },
]
"#;

/// Every kind the test expects to be told.
const KINDS: [&str; 8] = [
    "spec_ready",
    "implementation_ready",
    "permission_waiting",
    "check_failed",
    "session_failed",
    "failed",
    "budget",
    "stalled",
];

/// Failed answers before a delivery is taken.
const FAILURES: u32 = 2;

/// What the receiver saw: attempts per (webhook path, notification id), and the bodies it took.
struct Seen {
    attempts: HashMap<(String, i64), u32>,
    taken: Vec<(String, i64, Value)>,
    /// While false, every attempt is answered 500.
    accepting: bool,
}

/// A webhook receiver on loopback answering 500 to the first two attempts of each delivery.
struct Receiver {
    base_url: String,
    seen: Arc<Mutex<Seen>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start() -> Self {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let seen =
            Arc::new(Mutex::new(Seen { attempts: HashMap::new(), taken: Vec::new(), accepting: true }));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/{hook}", post(receive)).with_state(seen.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Receiver { base_url: format!("http://{addr}"), seen, _runtime: runtime }
    }
}

async fn receive(
    State(seen): State<Arc<Mutex<Seen>>>,
    UrlPath(hook): UrlPath<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let id: i64 = headers
        .get("x-spectask-notification")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    let mut seen = seen.lock().unwrap();
    let attempts = seen.attempts.entry((hook.clone(), id)).or_default();
    *attempts += 1;
    if *attempts <= FAILURES || !seen.accepting {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
    seen.taken.push((hook, id, body));
    StatusCode::OK
}

#[test]
fn a_webhook_gets_each_notification_once_after_failing_twice() {
    notifications_reach_webhooks(None, &[]);
}

#[test]
fn a_webhook_gets_each_notification_once_after_failing_twice_on_postgres() {
    notifications_reach_webhooks(Some(&crate::support::postgres_url()), &[]);
}

/// Two nodes follow the outbox and deliver: still once each.
#[test]
fn a_webhook_gets_each_notification_once_from_two_nodes_on_postgres() {
    notifications_reach_webhooks(Some(&crate::support::postgres_url()), &["node-a", "node-b"]);
}

/// A node killed while a delivery is being retried: restarted, it records nothing twice and the
/// delivery goes on to be taken once.
#[test]
fn a_delivery_retried_across_a_kill_9_is_taken_once() {
    let receiver = Receiver::start();
    receiver.seen.lock().unwrap().accepting = false;
    let llm = FakeLlm::start(vec![spec_answer("kill")]);
    let dir = tempfile::tempdir().unwrap();
    let (data, _script) = setup_agent(dir.path(), &llm, SCRIPT, &CoderConfig::default());
    let hooks = format!(
        "\n[notifications]\nmax_attempts = 1000\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.2\n\
         timeout_seconds = 1\n\n[[webhooks]]\nname = \"json\"\nurl = \"{}/json\"\n",
        receiver.base_url
    );
    let config_path = data.join("config.toml");
    let text = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, text + &hooks).unwrap();
    let server = Server::start_node(&data, None, "node-a");
    let repo = git_repo(dir.path(), "app");
    let created = server.task_json(&["create", "--repo", repo.to_str().unwrap(), "Add login", "--json"]);
    let id = created["id"].as_str().unwrap().to_owned();
    wait_for(&server, &id, "spec_review", Duration::from_secs(60));
    // Three failed attempts recorded (not merely made: an attempt whose answer the kill cuts off
    // is not recorded, and is made again).
    let recorded = |listed: &Value| {
        listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["deliveries"][0]["attempts"].as_u64())
            .sum::<u64>()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = http_json(&server.url, "/api/v1/notifications");
        if recorded(&listed) >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the webhook was not tried: {listed:#}");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    receiver.seen.lock().unwrap().accepting = true;
    let server = Server::start_node(&data, None, "node-a");
    let listed = wait_until_delivered_kinds(&server, &receiver, &["spec_ready"]);
    assert_eq!(listed.len(), 1, "recorded once: {listed:#?}");
    let seen = receiver.seen.lock().unwrap();
    let taken: Vec<i64> = seen.taken.iter().map(|(_, i, _)| *i).collect();
    assert_eq!(taken, [listed[0]["id"].as_i64().unwrap()], "taken once");
    let attempts = listed[0]["deliveries"][0]["attempts"].as_u64().unwrap();
    assert!(attempts > 3, "the three attempts recorded before the kill are kept: {listed:#?}");
    drop(seen);
    server.stop();
}

/// The flow on one server, or on the named nodes sharing `database_url` (tasks made through the first).
fn notifications_reach_webhooks(database_url: Option<&str>, nodes: &[&str]) {
    let receiver = Receiver::start();
    let llm = FakeLlm::start(vec![spec_answer("notify")]);
    let dir = tempfile::tempdir().unwrap();
    let config = CoderConfig {
        profile: "permission_policy = \"ask\"\n",
        orchestrator: "check_rounds = 0\nmax_attempts = 1\n",
        ..CoderConfig::default()
    };
    let (data, _script) = setup_agent(dir.path(), &llm, SCRIPT, &config);
    let hooks = format!(
        "\n[notifications]\nmax_attempts = 4\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.2\n\
         dashboard_url = \"http://spectask.test\"\n\n\
         [[webhooks]]\nname = \"json\"\nurl = \"{0}/json\"\n\n\
         [[webhooks]]\nname = \"slack\"\nurl = \"{0}/slack\"\nformat = \"slack\"\n",
        receiver.base_url
    );
    let config_path = data.join("config.toml");
    let text = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, text + &hooks).unwrap();
    let mut servers: Vec<Server> = nodes.iter().map(|n| Server::start_node(&data, database_url, n)).collect();
    if servers.is_empty() {
        servers.push(Server::start(&data, database_url));
    }
    let server = &servers[0];
    // Under `ask`, spectask's own writes for an agent wait for a person too: allowed at once.
    let _allow = AllowServedWrites::start(&server.url);

    // Spec ready.
    let spec_repo = git_repo(dir.path(), "app");
    let created = server.task_json(&["create", "--repo", spec_repo.to_str().unwrap(), "Add login", "--json"]);
    let spec_task = created["id"].as_str().unwrap().to_owned();
    wait_for(server, &spec_task, "spec_review", Duration::from_secs(60));
    // Permission waiting, then implementation ready.
    let clean = server.coding_session(&git_repo(dir.path(), "clean"), "Clean the build", "remove output");
    allow_the_pending_approval(server);
    wait_for(server, &clean, "implementation_review", Duration::from_secs(60));
    // Check failed, session failed, task failed.
    let greet_repo = git_repo(dir.path(), "greet");
    let added = server.task_like(&["repo", "add", greet_repo.to_str().unwrap(), "--check", CHECK, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let greet = server.coding_session(&greet_repo, "Add a greeting", "add greeting.txt");
    wait_for(server, &greet, "failed", Duration::from_secs(90));
    // Budget and stall: their emitters are not on this branch; their events are published here.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = match database_url {
        Some(url) => DatabaseUrl::parse(url).unwrap(),
        None => DatabaseUrl::sqlite_in(&data),
    };
    let store = runtime.block_on(Store::open(&url)).unwrap();
    let id: spectask_core::SpecTaskId = spec_task.parse().unwrap();
    let amount = BudgetAmount { tokens: Some(10), cost_micros: None, currency: None };
    for level in [BudgetNews::Reached, BudgetNews::Raised] {
        let budget = SpecTaskBudget {
            level,
            scope: None,
            subject: None,
            day: None,
            budget: amount.clone(),
            spent: Some(amount.clone()),
            by: None,
            message: "news".into(),
        };
        runtime.block_on(store.publish_event(Some(id), None, &budget)).unwrap();
    }
    let stalled =
        WorkSessionStalled { stalled: true, last_activity_at: None, silent_seconds: Some(300), policy: None };
    runtime.block_on(store.publish_event(Some(id), None, &stalled)).unwrap();

    let listed = wait_until_delivered_kinds(server, &receiver, &KINDS);
    let kinds: BTreeSet<&str> = listed.iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, KINDS.into_iter().collect(), "{listed:#?}");
    let seen = receiver.seen.lock().unwrap();
    let mut expected = BTreeSet::new();
    for notification in &listed {
        let id = notification["id"].as_i64().unwrap();
        for hook in ["json", "slack"] {
            expected.insert((hook.to_owned(), id));
            assert_eq!(seen.attempts[&(hook.to_owned(), id)], FAILURES + 1, "{notification:#}");
        }
        let deliveries = notification["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 2, "{notification:#}");
        for delivery in deliveries {
            assert_eq!(delivery["status"], "delivered", "{notification:#}");
            assert_eq!(delivery["attempts"], FAILURES + 1, "{notification:#}");
            assert_eq!(delivery["last_http_status"], 200, "{notification:#}");
        }
        let text = notification["text"].as_str().unwrap();
        let path = notification["path"].as_str().unwrap();
        let body = |hook: &str| &seen.taken.iter().find(|(h, i, _)| h == hook && *i == id).unwrap().2;
        assert_eq!(body("json")["kind"], notification["kind"]);
        assert_eq!(body("json")["text"], text);
        assert_eq!(body("json")["url"], format!("http://spectask.test{path}"));
        assert_eq!(
            body("slack"),
            &json!({"text": format!("{text} <http://spectask.test{path}|Open the task>")})
        );
    }
    let taken: Vec<(String, i64)> = seen.taken.iter().map(|(h, i, _)| (h.clone(), *i)).collect();
    assert_eq!(taken.len(), expected.len(), "each delivery taken once: {taken:?}");
    assert_eq!(taken.into_iter().collect::<BTreeSet<_>>(), expected);
    // The budget's `raised` level tells nobody.
    assert_eq!(listed.iter().filter(|n| n["kind"] == "budget").count(), 1, "{listed:#?}");
    drop(seen);
    for server in servers {
        server.stop();
    }
}

/// Allows the permission request the agent asks itself (not one for spectask's own writes).
fn allow_the_pending_approval(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending = http_json(&server.url, "/api/v1/approvals");
        let asked = pending
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| !a["tool_call"]["id"].as_str().is_some_and(|id| id.starts_with("spectask-")));
        if let Some(id) = asked.and_then(|a| a["id"].as_str()) {
            let (status, body) = http(
                &server.url,
                "POST",
                &format!("/api/v1/approvals/{id}"),
                Some(r#"{"option_id":"allow"}"#),
            );
            assert_eq!(status, 204, "{body}");
            return;
        }
        assert!(Instant::now() < deadline, "no permission request came");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The listed notifications once each of `kinds` came and every delivery was taken.
fn wait_until_delivered_kinds(server: &Server, receiver: &Receiver, kinds: &[&str]) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = http_json(&server.url, "/api/v1/notifications");
        let listed = listed.as_array().cloned().unwrap_or_default();
        let came: BTreeSet<&str> = listed.iter().filter_map(|n| n["kind"].as_str()).collect();
        let delivered = listed.iter().all(|n| {
            n["deliveries"]
                .as_array()
                .is_some_and(|d| !d.is_empty() && d.iter().all(|d| d["status"] == "delivered"))
        });
        if delivered && kinds.iter().all(|k| came.contains(k)) {
            return listed;
        }
        if Instant::now() >= deadline {
            let seen = receiver.seen.lock().unwrap();
            panic!(
                "not every notification was delivered: {listed:#?}\nreceiver attempts: {:?}\ntaken: {:?}",
                seen.attempts,
                seen.taken.iter().map(|(h, i, _)| (h, i)).collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
