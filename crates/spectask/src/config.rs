//! The configuration file (`config.toml` in the data dir, or `--config`): agent profiles
//! (`[agents.<name>]`, read by the agent crate), the forge connections (`[forges.<name>]`, read by
//! the forge crate), the orchestrator's settings (`[orchestrator]`), the agents' OS sandbox
//! (`[sandbox]`), what browsers may do with the API (`[server]`), what users may register
//! (`[repositories]`, read in `repositories`) and where notifications go (`[notifications]`,
//! `[[webhooks]]`, read in `notify`).

mod notify;
mod repositories;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use spectask_agent::{Profiles, RuntimeConfig};
use spectask_orchestrator::OrchestratorConfig;

/// The tables read here; `[agents.*]` and `[forges.*]` are read by their own crates.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    orchestrator: OrchestratorSection,
    #[serde(default)]
    sandbox: SandboxSection,
    #[serde(default)]
    server: ServerSection,
    /// `[prices."<model>"]`: per million tokens, over the built-in defaults.
    #[serde(default)]
    prices: std::collections::BTreeMap<String, spectask_core::Price>,
    #[serde(default)]
    budget: BudgetSection,
    #[serde(default)]
    notifications: notify::NotificationsSection,
    /// `[[webhooks]]`: where notifications are sent.
    #[serde(default)]
    webhooks: Vec<notify::WebhookSection>,
    #[serde(default)]
    repositories: repositories::RepositoriesSection,
}

/// `[budget]`: the budget of a task created without its own, and the daily budgets of each
/// repository and each user where a person set none; none by default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetSection {
    /// Tokens (input and output together) a task may use.
    task_tokens: Option<u64>,
    /// Money a task may spend, in `currency`.
    task_cost: Option<f64>,
    /// Tokens all tasks of one repository may use in a day (UTC).
    repository_daily_tokens: Option<u64>,
    /// Money all tasks of one repository may spend in a day (UTC).
    repository_daily_cost: Option<f64>,
    /// Tokens all tasks one user created may use in a day (UTC).
    user_daily_tokens: Option<u64>,
    /// Money all tasks one user created may spend in a day (UTC).
    user_daily_cost: Option<f64>,
    /// The currency of the costs (default `USD`): the one the price table and agents report.
    currency: Option<String>,
}

impl BudgetSection {
    fn budgets(&self, name: &str) -> anyhow::Result<spectask_core::BudgetDefaults> {
        use spectask_core::spending::amount;
        let currency = self.currency.as_deref().map(|c| amount::currency("[budget] currency", c)).transpose();
        let currency = currency.map_err(|e| anyhow::anyhow!("{e} (in {name})"))?;
        let budget = |tokens: Option<u64>, cost: Option<f64>, key: &str| {
            let field = format!("[budget] {key}");
            let cost = cost.map(|c| amount::money(&field, c, "[budget] currency", currency.as_deref()));
            let cost = cost.transpose().map_err(|e| anyhow::anyhow!("{e} (in {name})"))?;
            Ok::<_, anyhow::Error>(spectask_core::Budget { tokens, cost })
        };
        Ok(spectask_core::BudgetDefaults {
            task: budget(self.task_tokens, self.task_cost, "task_cost")?,
            repository_daily: budget(
                self.repository_daily_tokens,
                self.repository_daily_cost,
                "repository_daily_cost",
            )?,
            user_daily: budget(self.user_daily_tokens, self.user_daily_cost, "user_daily_cost")?,
        })
    }
}

/// `[server]`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    /// Host names the server is reached by besides localhost and IP addresses (a reverse proxy's).
    #[serde(default)]
    allowed_hosts: Vec<String>,
    /// Browser origins allowed to call the API (CORS); none by default.
    #[serde(default)]
    cors_origins: Vec<String>,
    /// The login cookie is always `Secure`: TLS ends before the server, and nothing in front
    /// says so with `X-Forwarded-Proto` or `Forwarded`.
    #[serde(default)]
    secure_cookies: bool,
}

/// `[sandbox]`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SandboxSection {
    /// On a kernel without Landlock, run sandboxed profiles unconfined instead of refusing them.
    allow_without_landlock: Option<bool>,
}

/// `[orchestrator]`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrchestratorSection {
    default_planning_agent: Option<String>,
    default_implementation_agent: Option<String>,
    max_attempts: Option<u32>,
    backoff_initial_seconds: Option<f64>,
    lease_seconds: Option<f64>,
    max_concurrent_jobs: Option<usize>,
    wip_global: Option<usize>,
    wip_per_repository: Option<usize>,
    wip_per_user: Option<usize>,
    history_window_seconds: Option<f64>,
    max_parallel_sessions: Option<usize>,
    /// `plan_task` (default) or `top_level`.
    session_granularity: Option<String>,
    max_live_agents: Option<usize>,
    agent_stall_seconds: Option<f64>,
    /// A running session whose agent says nothing this long is marked stalled (default 300).
    stall_after_seconds: Option<f64>,
    /// Give implementation threads the MCP server of their coordination tools (default true).
    session_tools: Option<bool>,
    max_spawned_sessions: Option<usize>,
    max_messages_per_session: Option<usize>,
    /// Times a failing repository check goes back to the session before the session fails.
    check_rounds: Option<u32>,
    /// Converge rounds a task may have after its implementation (default 3).
    converge_rounds: Option<u32>,
    check_time_limit_seconds: Option<f64>,
}

/// Everything read from the configuration file.
#[derive(Debug)]
pub struct Config {
    pub profiles: Profiles,
    pub orchestrator: OrchestratorConfig,
    pub runtime: RuntimeConfig,
    /// Whether threads get the coordination tools (the server knows their address once it listens).
    pub session_tools: bool,
    /// Allowed host names and CORS origins.
    pub security: spectask_server::Security,
    /// The data directory (its token key).
    pub data_dir: PathBuf,
    /// What users may register (`[repositories]`).
    pub repositories: spectask_server::RepositoryPolicy,
}

/// Reads `explicit`, else `<data_dir>/config.toml` when it exists, else the defaults.
/// The orchestrator's node name is set by the server once it knows its address.
pub fn load(explicit: Option<&Path>, data_dir: &Path) -> anyhow::Result<Config> {
    let path: Option<PathBuf> = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(data_dir.join("config.toml")).filter(|p| p.is_file()),
    };
    let text = match &path {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the config file {}", p.display()))?,
        None => String::new(),
    };
    let name =
        path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "the built-in defaults".into());
    let mut profiles = Profiles::from_toml(&text).with_context(|| format!("in {name}"))?;
    use_this_binary_for_scripted(&mut profiles);
    let file: File = toml::from_str(&text).with_context(|| {
        format!(
            "invalid [orchestrator], [sandbox], [server], [prices], [budget], [repositories], [notifications] \
             or [[webhooks]] settings in {name}"
        )
    })?;
    let security = spectask_server::Security::new(&file.server.allowed_hosts, &file.server.cors_origins)
        .map_err(|e| anyhow::anyhow!("[server] in {name}: {e}"))?
        .with_secure_cookies(file.server.secure_cookies);
    let repositories = file.repositories.policy(&name)?;
    let o = file.orchestrator;
    let mut config = OrchestratorConfig::new("unnamed");
    config.forges = spectask_forge::Forges::from_toml(&text).with_context(|| format!("in {name}"))?;
    let prices: Vec<(String, spectask_core::Price)> = file
        .prices
        .into_iter()
        .map(|(model, price)| price.checked(&model).map(|p| (model, p)))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{e} (in {name})"))?;
    config.prices = spectask_core::PriceTable::defaults().with(prices);
    config.budgets = file.budget.budgets(&name)?;
    config.notifications = notify::read(file.notifications, file.webhooks, &|var| std::env::var(var).ok())
        .with_context(|| format!("in {name}"))?;
    if let Some(v) = o.default_planning_agent {
        config.default_planning_agent = Some(v);
    }
    if let Some(v) = o.default_implementation_agent {
        config.default_implementation_agent = Some(v);
    }
    if let Some(v) = o.max_attempts {
        config.max_attempts = v.max(1);
    }
    if let Some(v) = o.backoff_initial_seconds {
        config.backoff_initial = seconds(v, "backoff_initial_seconds")?;
    }
    if let Some(v) = o.lease_seconds {
        config.lease = seconds(v, "lease_seconds")?;
    }
    if let Some(v) = o.max_concurrent_jobs {
        config.max_concurrent_jobs = v.max(1);
    }
    if let Some(v) = o.wip_global {
        config.wip.global = v;
    }
    if let Some(v) = o.wip_per_repository {
        config.wip.per_repository = v;
    }
    if let Some(v) = o.wip_per_user {
        config.wip.per_user = v;
    }
    if let Some(v) = o.history_window_seconds {
        config.history_window = seconds(v, "history_window_seconds")?;
    }
    if let Some(v) = o.max_parallel_sessions {
        config.max_parallel_sessions = v.max(1);
    }
    if let Some(v) = o.session_granularity.as_deref() {
        config.granularity = match v {
            "plan_task" => spectask_orchestrator::Granularity::PlanTask,
            "top_level" => spectask_orchestrator::Granularity::TopLevel,
            other => anyhow::bail!(
                "[orchestrator] session_granularity = {other:?} in {name}; expected plan_task or top_level"
            ),
        };
    }
    if let Some(v) = o.max_spawned_sessions {
        config.coordination.max_spawned_sessions = v;
    }
    if let Some(v) = o.max_messages_per_session {
        config.coordination.max_messages_per_session = v;
    }
    if let Some(v) = o.converge_rounds {
        config.converge_rounds = v;
    }
    if let Some(v) = o.check_rounds {
        config.checks.rounds = v;
    }
    if let Some(v) = o.stall_after_seconds {
        config.stall_after = seconds(v, "stall_after_seconds")?;
    }
    if let Some(v) = o.check_time_limit_seconds {
        config.checks.time_limit = seconds(v, "check_time_limit_seconds")?;
    }
    let session_tools = o.session_tools.unwrap_or(true);
    let mut runtime = RuntimeConfig::default();
    // Agents and terminals start through this binary's `agent sandbox-exec`.
    runtime.sandbox.launcher = std::env::current_exe().ok().map(spectask_sandbox::Launcher::spectask);
    runtime.process_record = Some(spectask_agent::ProcessRecord::in_data_dir(data_dir));
    runtime.sandbox.allow_without_landlock = file.sandbox.allow_without_landlock.unwrap_or(false);
    if let Some(v) = o.max_live_agents {
        runtime.max_live_instances = v.max(1);
    }
    if let Some(v) = o.agent_stall_seconds {
        runtime.stall_timeout = seconds(v, "agent_stall_seconds")?;
    }
    for agent in [&config.default_planning_agent, &config.default_implementation_agent].into_iter().flatten()
    {
        profiles
            .get(agent)
            .with_context(|| format!("[orchestrator] in {name} names an unknown agent profile"))?;
    }
    Ok(Config {
        profiles,
        orchestrator: config,
        runtime,
        session_tools,
        security,
        data_dir: data_dir.to_path_buf(),
        repositories,
    })
}

fn seconds(value: f64, key: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("[orchestrator] {key} = {value} is not a duration"))
}

/// Profiles whose command is `spectask` (the `scripted` preset, and configs copying it) run this very
/// binary, so they work without `spectask` on PATH and always match this version.
fn use_this_binary_for_scripted(profiles: &mut Profiles) {
    let Ok(exe) = std::env::current_exe() else { return };
    let exe = exe.display().to_string();
    let names: Vec<String> = profiles.names().map(str::to_owned).collect();
    for name in names {
        let Ok(profile) = profiles.get(&name) else { continue };
        let mut profile = profile.clone();
        if let spectask_agent::profiles::ProfileKind::Acp { command, .. } = &mut profile.kind
            && command == "spectask"
        {
            *command = exe.clone();
            profiles.insert(profile);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_the_file_override_and_extend_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let text = "[prices.\"gpt-5\"]\ninput_per_million = 2.0\noutput_per_million = 8.0\n\n\
                    [prices.local]\ninput_per_million = 0.5\noutput_per_million = 1.5\n\
                    cached_input_per_million = 0.1\ncurrency = \"EUR\"\n";
        std::fs::write(&path, text).unwrap();
        let config = load(Some(&path), dir.path()).unwrap();
        let prices = &config.orchestrator.prices;
        assert_eq!(prices.get("gpt-5").map(|p| p.input_per_million), Some(2.0));
        assert_eq!(prices.get("local").map(|p| p.currency.as_str()), Some("EUR"));
        assert!(prices.get("claude-sonnet-4-5").is_some(), "the defaults stay");
    }

    fn loaded(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text)?;
        load(Some(&path), dir.path())
    }

    #[test]
    fn budget_amounts_are_finite_non_negative_and_in_an_iso_currency() {
        for (text, field) in [
            ("[budget]\ntask_cost = nan\n", "[budget] task_cost is NaN"),
            ("[budget]\nrepository_daily_cost = inf\n", "[budget] repository_daily_cost is inf"),
            ("[budget]\nuser_daily_cost = -1.0\n", "[budget] user_daily_cost is -1"),
            ("[budget]\ntask_cost = 1.0\ncurrency = \"dollars\"\n", "[budget] currency is \"dollars\""),
            (
                "[prices.local]\ninput_per_million = nan\noutput_per_million = 1.0\n",
                "[prices.\"local\"] input_per_million is NaN",
            ),
        ] {
            let err = loaded(text).map(|_| ()).expect_err(text);
            assert!(format!("{err:#}").contains(field), "{text}: {err:#}");
        }
        let config = loaded("[budget]\ntask_cost = 5\ntask_tokens = 100\ncurrency = \"usd\"\n").unwrap();
        let cost = config.orchestrator.budgets.task.cost.expect("a cost");
        assert_eq!((cost.micros, cost.currency.as_str()), (5_000_000, "USD"));
        let config =
            loaded("[prices.local]\ninput_per_million = 1\noutput_per_million = 2\ncurrency = \"eur\"\n")
                .unwrap();
        assert_eq!(config.orchestrator.prices.get("local").map(|p| p.currency.as_str()), Some("EUR"));
    }
}
