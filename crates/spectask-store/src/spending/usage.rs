//! The usage ledger: one row per agent turn or planner call (`usage_entries`), written in the write
//! that records the turn's end, and what each session's agent last reported for its thread
//! (`session_usage`: context fill, cumulative cost). Roll-ups are read in a fixed number of queries.

use std::collections::HashMap;

use spectask_core::{ContextFill, Money, SpecTaskId, TokenCounts, UsagePart, WorkSessionId};
use uuid::Uuid;

use crate::database::codec::{get, millis, now, parse};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::history::entries::NewHistoryEntry;
use crate::{Store, StoreError};

/// One ledger entry: the tokens of one turn (of `work_session_id`) or planner call (none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUsage {
    pub spec_task_id: SpecTaskId,
    pub work_session_id: Option<WorkSessionId>,
    /// The model that was used, when known.
    pub model: Option<String>,
    pub tokens: TokenCounts,
    /// What the tokens cost by the price table; `None` when the model or its price is unknown.
    pub cost: Option<Money>,
}

/// A task's usage: each session's, and its planning's (the planner calls).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskUsage {
    pub sessions: HashMap<WorkSessionId, UsagePart>,
    pub planning: UsagePart,
}

impl TaskUsage {
    /// The task's roll-up: every session and the planning.
    pub fn totals(&self) -> spectask_core::UsageTotals {
        spectask_core::UsageTotals::sum(self.sessions.values().chain([&self.planning]))
    }
}

/// Tokens and costs of one repository and user, for `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageCensus {
    /// Per (repository id, user): tokens.
    pub tokens: Vec<(String, String, TokenCounts)>,
    /// Per (repository id, user, currency): money in micros.
    pub costs: Vec<(String, String, String, i64)>,
}

pub(crate) const SUM: &str = "CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
     CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
     CAST(COALESCE(SUM(cached_tokens), 0) AS BIGINT) AS cached_tokens, \
     CAST(SUM(cost_micros) AS BIGINT) AS cost_micros, \
     CAST(SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS unpriced";

impl Store {
    /// Appends a turn's last history `entries` and its `usage` in one write: a turn's tokens are on
    /// record exactly when its end is (a crash before it loses the turn, and its tokens, together).
    pub async fn append_turn_end(
        &self,
        entries: &[NewHistoryEntry],
        usage: Option<&NewUsage>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() && usage.is_none() {
            return Ok(());
        }
        let mut w = self.begin_write().await?;
        w.insert_history_rows(entries, now()).await?;
        if let Some(usage) = usage {
            w.insert_usage(usage).await?;
        }
        w.commit().await
    }

    /// Records what a session's agent reports of its thread: the context fill, and the thread's
    /// cumulative cost when reported (a later report replaces the earlier one; none keeps it).
    pub async fn record_thread_usage(
        &self,
        spec_task_id: SpecTaskId,
        work_session_id: WorkSessionId,
        context: ContextFill,
        cost: Option<&Money>,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_usage (work_session_id, spec_task_id, context_used, context_size, \
             cost_micros, currency) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (work_session_id) DO UPDATE SET context_used = excluded.context_used, \
             context_size = excluded.context_size, \
             cost_micros = COALESCE(excluded.cost_micros, session_usage.cost_micros), \
             currency = COALESCE(excluded.currency, session_usage.currency)",
        )
        .bind(work_session_id.to_string())
        .bind(spec_task_id.to_string())
        .bind(to_i64(context.used))
        .bind(to_i64(context.size))
        .bind(cost.map(|c| c.micros))
        .bind(cost.map(|c| c.currency.clone()))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// Appends planner calls' usage (or any entries) in one write.
    pub async fn record_usage(&self, entries: &[NewUsage]) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        for entry in entries {
            w.insert_usage(entry).await?;
        }
        w.commit().await
    }

    /// One task's usage.
    pub async fn task_usage(&self, task: SpecTaskId) -> Result<TaskUsage, StoreError> {
        Ok(self.usage_of_tasks(&[task]).await?.remove(&task).unwrap_or_default())
    }

    /// The usage of `tasks`, in two queries however many there are.
    pub async fn usage_of_tasks(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<HashMap<SpecTaskId, TaskUsage>, StoreError> {
        let mut out: HashMap<SpecTaskId, TaskUsage> = HashMap::new();
        let entries = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT spec_task_id, work_session_id, currency, {SUM} FROM usage_entries \
                 WHERE spec_task_id IN ({ids}) GROUP BY spec_task_id, work_session_id, currency"
            )
        })
        .await?;
        for row in &entries {
            let task: SpecTaskId = parse(row, "spec_task_id")?;
            let session: Option<String> = get(row, "work_session_id")?;
            let usage = out.entry(task).or_default();
            let part = match session {
                Some(id) => usage.sessions.entry(id.parse().map_err(|_| bad_id(&id))?).or_default(),
                None => &mut usage.planning,
            };
            add_entries(part, row)?;
        }
        let reported = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!(
                "SELECT spec_task_id, work_session_id, context_used, context_size, cost_micros, currency \
                 FROM session_usage WHERE spec_task_id IN ({ids})"
            )
        })
        .await?;
        for row in &reported {
            let task: SpecTaskId = parse(row, "spec_task_id")?;
            let session: WorkSessionId = parse(row, "work_session_id")?;
            let part = out.entry(task).or_default().sessions.entry(session).or_default();
            let used: Option<i64> = get(row, "context_used")?;
            let size: Option<i64> = get(row, "context_size")?;
            if let (Some(used), Some(size)) = (used, size) {
                part.context = Some(ContextFill { used: to_u64(used), size: to_u64(size) });
            }
            let micros: Option<i64> = get(row, "cost_micros")?;
            let currency: Option<String> = get(row, "currency")?;
            if let (Some(micros), Some(currency)) = (micros, currency) {
                part.reported = Some(Money { micros, currency });
            }
        }
        Ok(out)
    }

    /// Tokens and costs per repository and user over the whole database, in two queries. A
    /// session's reported cost counts instead of its priced entries.
    pub async fn usage_census(&self) -> Result<UsageCensus, StoreError> {
        let rows = sqlx::query(
            "SELECT t.repository_id, t.created_by, u.currency, \
             CAST(COALESCE(SUM(u.input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(u.output_tokens), 0) AS BIGINT) AS output_tokens, \
             CAST(COALESCE(SUM(u.cached_tokens), 0) AS BIGINT) AS cached_tokens, \
             CAST(SUM(CASE WHEN s.cost_micros IS NULL THEN u.cost_micros END) AS BIGINT) AS cost_micros \
             FROM usage_entries u JOIN spec_tasks t ON t.id = u.spec_task_id \
             LEFT JOIN session_usage s ON s.work_session_id = u.work_session_id \
             GROUP BY t.repository_id, t.created_by, u.currency",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tokens: HashMap<(String, String), TokenCounts> = HashMap::new();
        let mut costs: HashMap<(String, String, String), i64> = HashMap::new();
        for row in &rows {
            let repository: String = get(row, "repository_id")?;
            let user: String = get(row, "created_by")?;
            let sum = tokens.entry((repository.clone(), user.clone())).or_default();
            *sum = sum.plus(counts(row)?);
            let currency: Option<String> = get(row, "currency")?;
            let micros: Option<i64> = get(row, "cost_micros")?;
            if let (Some(currency), Some(micros)) = (currency, micros) {
                *costs.entry((repository, user, currency)).or_default() += micros;
            }
        }
        // Costs the agents reported, which stand for their sessions' priced entries.
        let reported = sqlx::query(
            "SELECT t.repository_id, t.created_by, s.currency, CAST(SUM(s.cost_micros) AS BIGINT) AS micros \
             FROM session_usage s JOIN spec_tasks t ON t.id = s.spec_task_id \
             WHERE s.cost_micros IS NOT NULL GROUP BY t.repository_id, t.created_by, s.currency",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &reported {
            let key = (get(row, "repository_id")?, get(row, "created_by")?, get(row, "currency")?);
            *costs.entry(key).or_default() += get::<i64>(row, "micros")?;
        }
        let mut tokens: Vec<_> = tokens.into_iter().map(|((r, u), t)| (r, u, t)).collect();
        tokens.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut costs: Vec<_> = costs.into_iter().map(|((r, u, c), m)| (r, u, c, m)).collect();
        costs.sort();
        Ok(UsageCensus { tokens, costs })
    }
}

impl WriteTx<'_> {
    pub(crate) async fn insert_usage(&mut self, usage: &NewUsage) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO usage_entries (id, spec_task_id, work_session_id, model, input_tokens, \
             output_tokens, cached_tokens, cost_micros, currency, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(usage.spec_task_id.to_string())
        .bind(usage.work_session_id.map(|id| id.to_string()))
        .bind(usage.model.clone())
        .bind(to_i64(usage.tokens.input_tokens))
        .bind(to_i64(usage.tokens.output_tokens))
        .bind(to_i64(usage.tokens.cached_tokens))
        .bind(usage.cost.as_ref().map(|c| c.micros))
        .bind(usage.cost.as_ref().map(|c| c.currency.clone()))
        .bind(millis(now()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// Adds one (session, currency) group of entries to `part`: tokens always; money when the group
/// was priced in the part's one currency, else the group counts as unpriced.
pub(crate) fn add_entries(part: &mut UsagePart, row: &sqlx::any::AnyRow) -> Result<(), StoreError> {
    part.tokens = part.tokens.plus(counts(row)?);
    part.unpriced += to_u64(get::<i64>(row, "unpriced")?);
    let currency: Option<String> = get(row, "currency")?;
    let micros: Option<i64> = get(row, "cost_micros")?;
    if let (Some(currency), Some(micros)) = (currency, micros) {
        part.priced = match part.priced.take() {
            None => Some(Money { micros, currency }),
            Some(sum) if sum.currency == currency => {
                Some(Money { micros: sum.micros.saturating_add(micros), currency })
            }
            Some(_) => {
                // Two currencies cannot be summed: the cost is unknown.
                part.unpriced += 1;
                None
            }
        };
    }
    Ok(())
}

fn counts(row: &sqlx::any::AnyRow) -> Result<TokenCounts, StoreError> {
    Ok(TokenCounts {
        input_tokens: to_u64(get(row, "input_tokens")?),
        output_tokens: to_u64(get(row, "output_tokens")?),
        cached_tokens: to_u64(get(row, "cached_tokens")?),
    })
}

fn bad_id(id: &str) -> StoreError {
    StoreError::InvalidReference { entity: "work session", reference: id.to_owned(), reason: "not an id" }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
