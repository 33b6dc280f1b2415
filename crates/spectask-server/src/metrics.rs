//! What `GET /metrics` reports, in the OpenMetrics text format Prometheus scrapes: SpecTasks and
//! work sessions by state, the job queue, this node's live agent instances (read at each scrape,
//! the store's in a fixed number of aggregate queries), how long the orchestrator takes to react
//! to a change (a job claimed after it became due), the API's latency per route template, and
//! each forge connection's requests by how they ended and the quota its forge last stated.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use spectask_core::JobKind;
use spectask_orchestrator::EngineObserver;
use spectask_store::{Census, UsageCensus};

/// The content type of the answer.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of requests no API route matched (the dashboard's files, unknown paths).
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabel {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    repository: String,
    user: String,
    /// `input`, `output` or `cached`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CostLabels {
    repository: String,
    user: String,
    currency: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ForgeLabel {
    /// The connection's name in the configuration.
    forge: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ForgeRequestLabels {
    forge: String,
    /// `answered`, `not_modified`, `rate_limited`, `held`, `refused` or `failed`.
    outcome: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// The process's metrics; shared by the server and the orchestrator it observes.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    spec_tasks: Family<StatusLabel, Gauge>,
    work_sessions: Family<StatusLabel, Gauge>,
    jobs: Family<StatusLabel, Gauge>,
    oldest_due_job: Gauge<f64, AtomicU64>,
    agent_instances: Gauge,
    tokens: Family<TokenLabels, Counter>,
    cost: Family<CostLabels, Counter<f64, AtomicU64>>,
    reactions: Histograms<JobLabel>,
    http: Histograms<HttpLabels>,
    forge_requests: Family<ForgeRequestLabels, Counter>,
    forge_quota_remaining: Family<ForgeLabel, Gauge>,
    forge_quota_limit: Family<ForgeLabel, Gauge>,
    forge_waiting_until: Family<ForgeLabel, Gauge>,
    /// One scrape at a time sets the gauges and encodes them.
    scrape: tokio::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn reaction_histogram() -> Histogram {
    // 5 ms … about 82 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

fn http_histogram() -> Histogram {
    // 1 ms … about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("spectask");
        let metrics = Self {
            spec_tasks: Family::default(),
            work_sessions: Family::default(),
            jobs: Family::default(),
            oldest_due_job: Gauge::default(),
            agent_instances: Gauge::default(),
            tokens: Family::default(),
            cost: Family::default(),
            reactions: Family::new_with_constructor(reaction_histogram),
            http: Family::new_with_constructor(http_histogram),
            forge_requests: Family::default(),
            forge_quota_remaining: Family::default(),
            forge_quota_limit: Family::default(),
            forge_waiting_until: Family::default(),
            scrape: tokio::sync::Mutex::new(()),
            registry: Registry::default(),
        };
        registry.register("spec_tasks", "SpecTasks by status", metrics.spec_tasks.clone());
        registry.register("work_sessions", "Work sessions by status", metrics.work_sessions.clone());
        registry.register("jobs", "Orchestrator jobs queued (due or not) and running", metrics.jobs.clone());
        registry.register_with_unit(
            "oldest_due_job_age",
            "How long the longest-waiting due job has waited (0 when none is due)",
            Unit::Seconds,
            metrics.oldest_due_job.clone(),
        );
        registry.register(
            "agent_instances_live",
            "Agent processes this node runs (one per SpecTask at work here)",
            metrics.agent_instances.clone(),
        );
        registry.register(
            "tokens",
            "Tokens agents and planners used, per repository, user and kind (input, output, cached)",
            metrics.tokens.clone(),
        );
        registry.register(
            "cost",
            "What agents and planners cost as reported or priced, per repository, user and currency",
            metrics.cost.clone(),
        );
        registry.register_with_unit(
            "reaction",
            "From a job becoming due (the change that queued it) to a node claiming it, per job kind",
            Unit::Seconds,
            metrics.reactions.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "API requests until the response's head, per method, route template and status",
            Unit::Seconds,
            metrics.http.clone(),
        );
        registry.register(
            "forge_requests",
            "Requests to each forge connection by how they ended: answered, not_modified (a 304, free \
             of GitHub's quota), rate_limited, held (not sent: waiting for the forge's reset), \
             refused, failed",
            metrics.forge_requests.clone(),
        );
        registry.register(
            "forge_quota_remaining",
            "Requests left in each forge connection's rate-limit window, as the forge last said",
            metrics.forge_quota_remaining.clone(),
        );
        registry.register(
            "forge_quota_limit",
            "Requests each forge connection's rate-limit window allows, as the forge last said",
            metrics.forge_quota_limit.clone(),
        );
        registry.register_with_unit(
            "forge_waiting_until",
            "Until when (Unix time) a forge connection sends nothing, as its rate limit asked; 0: no wait",
            Unit::Seconds,
            metrics.forge_waiting_until.clone(),
        );
        Self { registry, ..metrics }
    }

    /// The text of a scrape: the gauges set from `census` and `live_agents`, the counters brought
    /// up to the ledger's totals in `usage` and the connections' in `forges` (which only grow),
    /// then everything encoded.
    pub(crate) async fn render(
        &self,
        census: Census,
        usage: UsageCensus,
        live_agents: usize,
        forges: &spectask_forge::Forges,
    ) -> Result<String, std::fmt::Error> {
        let _one = self.scrape.lock().await;
        for forge in forges.iter() {
            let usage = forge.usage();
            for outcome in spectask_forge::RequestOutcome::ALL {
                let labels = ForgeRequestLabels { forge: forge.name.clone(), outcome: outcome.as_str() };
                let counter = self.forge_requests.get_or_create(&labels);
                counter.inc_by(usage.count(outcome).saturating_sub(counter.get()));
            }
            let label = ForgeLabel { forge: forge.name.clone() };
            if let Some(quota) = usage.quota {
                let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                self.forge_quota_remaining.get_or_create(&label).set(gauge(quota.remaining));
                self.forge_quota_limit.get_or_create(&label).set(gauge(quota.limit));
            }
            let until = usage.limited_until.map_or(0, |until| until.timestamp());
            self.forge_waiting_until.get_or_create(&label).set(until);
        }
        for (repository, user, tokens) in usage.tokens {
            let kinds = [
                ("input", tokens.input_tokens),
                ("output", tokens.output_tokens),
                ("cached", tokens.cached_tokens),
            ];
            for (kind, total) in kinds {
                let labels = TokenLabels { repository: repository.clone(), user: user.clone(), kind };
                let counter = self.tokens.get_or_create(&labels);
                counter.inc_by(total.saturating_sub(counter.get()));
            }
        }
        for (repository, user, currency, micros) in usage.costs {
            let counter = self.cost.get_or_create(&CostLabels { repository, user, currency });
            let total = micros as f64 / 1_000_000.0;
            if total > counter.get() {
                counter.inc_by(total - counter.get());
            }
        }
        for (status, n) in census.spec_tasks {
            self.spec_tasks.get_or_create(&StatusLabel { status: status.as_str() }).set(n);
        }
        for (status, n) in census.work_sessions {
            self.work_sessions.get_or_create(&StatusLabel { status: status.as_str() }).set(n);
        }
        self.jobs.get_or_create(&StatusLabel { status: "queued" }).set(census.jobs_queued);
        self.jobs.get_or_create(&StatusLabel { status: "running" }).set(census.jobs_running);
        let waited = census
            .oldest_due_job
            .map_or(Duration::ZERO, |due| (chrono::Utc::now() - due).to_std().unwrap_or(Duration::ZERO));
        self.oldest_due_job.set(waited.as_secs_f64());
        self.agent_instances.set(i64::try_from(live_agents).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    fn observe_request(&self, method: &Method, route: Option<&str>, status: StatusCode, took: Duration) {
        let labels = HttpLabels {
            method: method_label(method),
            route: route.unwrap_or(UNMATCHED).to_owned(),
            status: status.as_u16(),
        };
        self.http.get_or_create(&labels).observe(took.as_secs_f64());
    }
}

impl EngineObserver for Metrics {
    fn job_claimed(&self, kind: JobKind, waited: Duration) {
        self.reactions.get_or_create(&JobLabel { job: kind.as_str() }).observe(waited.as_secs_f64());
    }
}

/// The standard methods by name; anything else is `other` (clients choose methods, and each label
/// value is a series kept for the process's life).
fn method_label(method: &Method) -> &'static str {
    let known = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
    ];
    known.into_iter().find(|(m, _)| m == method).map_or("other", |(_, name)| name)
}

/// The layer timing every request by the route template it matched.
pub(crate) async fn observe_http(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_request(&method, route.as_deref(), response.status(), started.elapsed());
    response
}
