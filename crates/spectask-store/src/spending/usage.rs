//! The usage ledger: one row per agent turn or planner call (`usage_entries`), written in the write
//! that records the turn's end, with the turn's cost (its part of what its agent reported, else
//! priced); and what each session's agent last reported for its thread (`session_usage`: context
//! fill, and the running cost at the last turn's end that the next turn's part is counted from).
//! Roll-ups are read in a fixed number of queries.

use std::collections::HashMap;

use spectask_core::events::payload::WorkSessionHistory;
use spectask_core::{ContextFill, Money, SpecTaskId, TokenCounts, UsagePart, WorkSessionId};
use uuid::Uuid;

use crate::database::codec::{get, millis, now, parse};
use crate::database::connect::fetch_of_tasks;
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
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
    /// What the turn cost: its part of the cost its agent reported (see [`spectask_core::TurnMeter`]),
    /// else its tokens by the price table; `None` when neither is known.
    pub cost: Option<Money>,
    /// The thread's running cost as its agent last reported it in the turn: kept with the session
    /// (in the same write) as what the next turn's part is counted from.
    pub running_total: Option<Money>,
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
    /// Appends a turn's last history `entries` and its `usage` in one write, with the entries'
    /// `work_session.history` announcement: a turn's tokens are on record exactly when its end is
    /// (a crash before it loses the turn, and its tokens, together).
    pub async fn append_turn_end(
        &self,
        entries: &[NewHistoryEntry],
        usage: Option<&NewUsage>,
    ) -> Result<(), StoreError> {
        self.record_turn_end(entries, usage, None).await
    }

    /// [`Self::append_turn_end`], with `ended`: a session's turn that ended and waits to be judged
    /// (the session and the turn's last message), kept until the next prompt. The entries of each
    /// session are announced on the live stream in the same write (`work_session.history`: a
    /// transcript on screen is read again), not in a write of their own after it.
    pub async fn record_turn_end(
        &self,
        entries: &[NewHistoryEntry],
        usage: Option<&NewUsage>,
        ended: Option<(WorkSessionId, &str)>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() && usage.is_none() && ended.is_none() {
            return Ok(());
        }
        let mut w = self.begin_write().await?;
        let at = now();
        w.insert_history_rows(entries, at).await?;
        for (spec_task_id, session, count) in per_session(entries) {
            let payload = WorkSessionHistory { entries: count };
            w.append_event(NewEvent {
                spec_task_id: Some(spec_task_id),
                work_session_id: Some(session),
                payload,
                at,
            })
            .await?;
        }
        if let Some((session, message)) = ended {
            sqlx::query("UPDATE work_sessions SET ended_turn = $1 WHERE id = $2")
                .bind(message)
                .bind(session.to_string())
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(usage) = usage {
            w.insert_usage(usage).await?;
            if let (Some(session), Some(total)) = (usage.work_session_id, &usage.running_total) {
                sqlx::query(
                    "INSERT INTO session_usage (work_session_id, spec_task_id, cost_micros, currency) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (work_session_id) DO UPDATE SET \
                     cost_micros = excluded.cost_micros, currency = excluded.currency",
                )
                .bind(session.to_string())
                .bind(usage.spec_task_id.to_string())
                .bind(total.micros)
                .bind(&total.currency)
                .execute(&mut *w.tx)
                .await?;
            }
        }
        w.commit().await
    }

    /// Records a session's thread's context fill as its agent reports it (a later report replaces
    /// the earlier one).
    pub async fn record_thread_usage(
        &self,
        spec_task_id: SpecTaskId,
        work_session_id: WorkSessionId,
        context: ContextFill,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_usage (work_session_id, spec_task_id, context_used, context_size) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (work_session_id) DO UPDATE SET \
             context_used = excluded.context_used, context_size = excluded.context_size",
        )
        .bind(work_session_id.to_string())
        .bind(spec_task_id.to_string())
        .bind(to_i64(context.used))
        .bind(to_i64(context.size))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// The running cost a session's agent reported for its thread at the last turn's end (what
    /// the next turn's part is counted from); `None` when it reported none.
    pub async fn thread_running_total(
        &self,
        work_session_id: WorkSessionId,
    ) -> Result<Option<Money>, StoreError> {
        let row = sqlx::query("SELECT cost_micros, currency FROM session_usage WHERE work_session_id = $1")
            .bind(work_session_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let micros: Option<i64> = get(&row, "cost_micros")?;
        let currency: Option<String> = get(&row, "currency")?;
        Ok(micros.zip(currency).map(|(micros, currency)| Money { micros, currency }))
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
                "SELECT spec_task_id, work_session_id, context_used, context_size FROM session_usage \
                 WHERE spec_task_id IN ({ids})"
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
        }
        Ok(out)
    }

    /// Tokens and costs per repository and user over the whole database, in one query.
    pub async fn usage_census(&self) -> Result<UsageCensus, StoreError> {
        let rows = sqlx::query(
            "SELECT t.repository_id, t.created_by, u.currency, \
             CAST(COALESCE(SUM(u.input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(u.output_tokens), 0) AS BIGINT) AS output_tokens, \
             CAST(COALESCE(SUM(u.cached_tokens), 0) AS BIGINT) AS cached_tokens, \
             CAST(SUM(u.cost_micros) AS BIGINT) AS cost_micros \
             FROM usage_entries u JOIN spec_tasks t ON t.id = u.spec_task_id \
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

/// How many of `entries` each session has, in the order the sessions first come.
fn per_session(entries: &[NewHistoryEntry]) -> Vec<(SpecTaskId, WorkSessionId, usize)> {
    let mut counts: Vec<(SpecTaskId, WorkSessionId, usize)> = Vec::new();
    for entry in entries {
        let Some(session) = entry.work_session_id else { continue };
        match counts.iter_mut().find(|(_, s, _)| *s == session) {
            Some((_, _, count)) => *count += 1,
            None => counts.push((entry.spec_task_id, session, 1)),
        }
    }
    counts
}
