//! `GET /api/v1/metrics` scraped through the real server while a scripted interactive task runs:
//! the gauges read from the store and the agent runtime, the orchestrator's reaction latency and
//! the API's latency per route template all move with what happens.

use std::time::{Duration, Instant};

use crate::planning::wait_for_status;
use crate::support::{Server, git_repo, http, postgres_url, scripted_coder_data, stderr};

const SCRIPT: &str = r##"
[[rule]]
match = "*Your task: Pair on metrics*"
steps = [{ message = "Ready." }]
"##;

/// One scrape: each sample line's series (name and labels) and value.
struct Scrape(Vec<(String, f64)>, String);

impl Scrape {
    fn take(server: &Server) -> Self {
        let (status, text) = http(&server.url, "GET", "/api/v1/metrics", None);
        assert_eq!(status, 200, "GET /metrics: {text}");
        assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics text ends with # EOF: {text}");
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("a sample: {line}"));
                (series.to_owned(), value.parse().unwrap_or_else(|e| panic!("{line}: {e}")))
            })
            .collect();
        Self(samples, text)
    }

    /// The value of one series, 0 when it is absent (a histogram nothing was observed in yet).
    fn value(&self, series: &str) -> f64 {
        self.0.iter().find(|(s, _)| s == series).map_or(0.0, |(_, v)| *v)
    }

    /// The sum of every series of `name` whose labels contain `label`.
    fn sum(&self, name: &str, label: &str) -> f64 {
        self.0
            .iter()
            .filter(|(s, _)| s.starts_with(&format!("{name}{{")) && s.contains(label))
            .map(|(_, v)| v)
            .sum()
    }
}

/// Scrapes until `done` holds; bounded, printing the last scrape on failure.
fn scrape_until(server: &Server, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let scrape = Scrape::take(server);
        if done(&scrape) {
            return scrape;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}; the last scrape:\n{}", scrape.1);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn metrics_move_with_a_scripted_task_on_sqlite() {
    metrics_move_with_a_scripted_task(None);
}

#[test]
fn metrics_move_with_a_scripted_task_on_postgres() {
    metrics_move_with_a_scripted_task(Some(&postgres_url()));
}

fn metrics_move_with_a_scripted_task(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git_repo(dir.path(), "app");
    let data = scripted_coder_data(dir.path(), SCRIPT);
    let server = Server::start(&data, database_url);

    let idle = Scrape::take(&server);
    assert_eq!(idle.value(r#"spectask_spec_tasks{status="implementation"}"#), 0.0, "{}", idle.1);
    assert_eq!(idle.value("spectask_agent_instances_live"), 0.0, "{}", idle.1);
    assert_eq!(idle.sum("spectask_reaction_seconds_count", ""), 0.0, "nothing reacted yet: {}", idle.1);
    assert_eq!(idle.value(r#"spectask_jobs{status="queued"}"#), 0.0, "{}", idle.1);

    let id = server.interactive(&repo, "Pair on metrics");
    let working = scrape_until(&server, "the interactive session runs on a live agent", |s| {
        s.value(r#"spectask_spec_tasks{status="implementation"}"#) == 1.0
            && s.value(r#"spectask_work_sessions{status="running"}"#) == 1.0
            && s.value("spectask_agent_instances_live") == 1.0
    });
    assert!(working.sum("spectask_reaction_seconds_count", "") >= 2.0, "jobs were claimed: {}", working.1);
    assert!(
        working.value(r#"spectask_reaction_seconds_count{job="start_thread"}"#) >= 1.0,
        "the session's thread was started: {}",
        working.1
    );

    // The API's latency per route template: three reads of one route, counted under its template.
    let progress = r#"spectask_http_request_duration_seconds_count{method="GET",route="/api/v1/spec-tasks/{id}/progress",status="200"}"#;
    assert_eq!(working.value(progress), 0.0, "{}", working.1);
    for _ in 0..3 {
        let (status, body) = http(&server.url, "GET", &format!("/api/v1/spec-tasks/{id}/progress"), None);
        assert_eq!(status, 200, "{body}");
    }
    let read = Scrape::take(&server);
    assert_eq!(read.value(progress), 3.0, "{}", read.1);
    let raw = format!("route=\"/api/v1/spec-tasks/{id}");
    assert!(!read.1.contains(&raw), "routes are labelled by template, never by raw path: {}", read.1);
    let metrics =
        r#"spectask_http_request_duration_seconds_count{method="GET",route="/api/v1/metrics",status="200"}"#;
    assert!(read.value(metrics) >= 3.0, "scrapes are requests too: {}", read.1);

    let finished = server.task(&["finish", &id]);
    assert!(finished.status.success(), "{}", stderr(&finished));
    wait_for_status(&server, &id, "implementation_review");
    let ended = scrape_until(&server, "the task is in review and its agent stopped", |s| {
        s.value(r#"spectask_spec_tasks{status="implementation_review"}"#) == 1.0
            && s.value(r#"spectask_spec_tasks{status="implementation"}"#) == 0.0
            && s.value(r#"spectask_work_sessions{status="completed"}"#) == 1.0
            && s.value(r#"spectask_work_sessions{status="running"}"#) == 0.0
            && s.value("spectask_agent_instances_live") == 0.0
    });
    assert!(
        ended.sum("spectask_reaction_seconds_count", "") > working.sum("spectask_reaction_seconds_count", ""),
        "finishing queued more jobs, each claimed: {}",
        ended.1
    );
    server.stop();
}
