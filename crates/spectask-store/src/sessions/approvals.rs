//! Permission requests of agents waiting for a person (the `ask` policy). The node whose agent asks
//! records the request; any node lists and answers it; the asking node carries the answer to its
//! agent (`answers_to`, read when the orchestrator wakes). Every change has its
//! `work_session.permission` event, and an answer wakes the orchestrators of every node. A decided
//! approval (answered or withdrawn) is kept only among the newest [`DECIDED_KEPT`] of its session,
//! and for at most [`DECIDED_MAX_AGE`]: each decision deletes, in its write, the older ones of its
//! session and those of any session decided longer ago, so the table stays bounded per session and
//! over the sessions that decide nothing any more.

use serde::{Deserialize, Serialize};
use spectask_core::events::payload::{PermissionDecided, PermissionRequested, WorkSessionPermission};
use spectask_core::{SpecTaskId, Timestamp, WorkSessionId};
use sqlx::any::AnyRow;

use crate::database::codec::{get, json as column_json, millis, now, parse, time, to_json};
use crate::database::connect::{fetch_of_tasks, fixed_sql};
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::{Store, StoreError};

/// One option a person may choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalOption {
    pub option_id: String,
    pub name: String,
    /// `allow_once`, `allow_always`, `reject_once` or `reject_always`.
    pub kind: String,
}

/// A permission request as the asking node records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApproval {
    /// The id the agent runtime gave the held request.
    pub id: String,
    pub spec_task_id: SpecTaskId,
    pub work_session_id: WorkSessionId,
    /// The agent's thread that asks.
    pub acp_session_id: String,
    /// The node running the agent.
    pub node: String,
    pub tool_call_id: String,
    pub title: Option<String>,
    pub kind: Option<String>,
    /// Files the tool call touches.
    pub locations: Vec<String>,
    pub options: Vec<ApprovalOption>,
}

/// A permission request waiting for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub request: NewApproval,
    pub requested_at: Timestamp,
}

impl Approval {
    /// Whether `option_id` is one of the options the agent offered.
    pub fn offers(&self, option_id: &str) -> bool {
        self.request.options.iter().any(|o| o.option_id == option_id)
    }
}

/// Decided approvals kept per work session (the newest); pending ones are never deleted. The
/// newest are the ones the asking node may still be delivering.
pub const DECIDED_KEPT: i64 = 20;

/// How long a decided approval is kept at most. The asking node reads an answer when the answer
/// wakes it, within moments; a node that has not read it an hour later has long lost its task
/// leases (90 s without renewal by default), and its agents' requests with them.
pub const DECIDED_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

const COLUMNS: &str = "a.id, a.spec_task_id, a.work_session_id, a.acp_session_id, a.node, a.tool_call_id, \
     a.title, a.kind, a.locations, a.options, a.requested_at";

/// Pending approvals of running sessions.
const PENDING: &str = "FROM approvals a JOIN work_sessions ws ON ws.id = a.work_session_id \
     JOIN spec_tasks t ON t.id = a.spec_task_id WHERE a.status = 'pending' AND ws.status = 'running'";

/// `PENDING` narrowed to the SpecTasks of the owner, when there is one, bound at `$n`.
fn pending_of(owner: Option<&str>, n: usize) -> String {
    match owner {
        Some(_) => format!("{PENDING} AND t.created_by = ${n}"),
        None => PENDING.to_owned(),
    }
}

impl Store {
    /// Records a request the agent holds open, with its event.
    pub async fn hold_approval(&self, new: &NewApproval) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO approvals (id, spec_task_id, work_session_id, acp_session_id, node, tool_call_id, \
             title, kind, locations, options, status, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11)",
        )
        .bind(&new.id)
        .bind(new.spec_task_id.to_string())
        .bind(new.work_session_id.to_string())
        .bind(&new.acp_session_id)
        .bind(&new.node)
        .bind(&new.tool_call_id)
        .bind(new.title.as_deref())
        .bind(new.kind.as_deref())
        .bind(to_json(&new.locations)?)
        .bind(to_json(&new.options)?)
        .bind(millis(now()))
        .execute(&mut *w.tx)
        .await?;
        let payload = WorkSessionPermission::Requested(PermissionRequested {
            approval_id: new.id.clone(),
            tool_call_id: new.tool_call_id.clone(),
            title: new.title.clone(),
            node: new.node.clone(),
            decided: false,
        });
        permission_event(&mut w, new.spec_task_id, new.work_session_id, payload).await?;
        w.commit().await
    }

    /// The pending approvals of running sessions, oldest first: every one when `owner` is `None`,
    /// else those of `owner`'s SpecTasks.
    pub async fn pending_approvals(&self, owner: Option<&str>) -> Result<Vec<Approval>, StoreError> {
        let sql = format!("SELECT {COLUMNS} {} ORDER BY a.requested_at, a.id", pending_of(owner, 1));
        let mut query = sqlx::query(fixed_sql(sql));
        if let Some(owner) = owner {
            query = query.bind(owner);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(approval_from_row).collect()
    }

    /// The pending approvals of running sessions of `tasks`, oldest first, in one query.
    pub async fn pending_approvals_of_tasks(
        &self,
        tasks: &[SpecTaskId],
    ) -> Result<Vec<Approval>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[], |ids| {
            format!("SELECT {COLUMNS} {PENDING} AND a.spec_task_id IN ({ids}) ORDER BY a.requested_at, a.id")
        })
        .await?;
        rows.iter().map(approval_from_row).collect()
    }

    /// One pending approval, if `owner` (or anyone, for `None`) may see it.
    pub async fn pending_approval(
        &self,
        id: &str,
        owner: Option<&str>,
    ) -> Result<Option<Approval>, StoreError> {
        let sql = format!("SELECT {COLUMNS} {} AND a.id = $1", pending_of(owner, 2));
        let mut query = sqlx::query(fixed_sql(sql)).bind(id);
        if let Some(owner) = owner {
            query = query.bind(owner);
        }
        let row = query.fetch_optional(&self.pool).await?;
        row.as_ref().map(approval_from_row).transpose()
    }

    /// A person's answer: `false` when the approval was no longer pending (answered or withdrawn
    /// meanwhile). Wakes every node's orchestrator, so the asking node delivers it.
    pub async fn answer_approval(&self, id: &str, option_id: &str, by: &str) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE approvals SET status = 'answered', option_id = $1, answered_by = $2, decided_at = $3 \
             WHERE id = $4 AND status = 'pending' \
             RETURNING id, spec_task_id, work_session_id, tool_call_id, title, options",
        )
        .bind(option_id)
        .bind(by)
        .bind(millis(now()))
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        decided_event(&mut w, &row, "answered", Some((option_id, by))).await?;
        answer_line(&mut w, &row, option_id, by).await?;
        forget_old_decisions(&mut w, &get::<String>(&row, "work_session_id")?).await?;
        w.wake_orchestrator().await?;
        w.commit().await?;
        Ok(true)
    }

    /// The answers given to approvals among `ids` (those this node's agents hold), as
    /// `(approval id, option id)`.
    pub async fn answers_to(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, option_id FROM approvals WHERE status = 'answered' AND id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(fixed_sql(sql));
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((get(row, "id")?, get(row, "option_id")?))).collect()
    }

    /// The agent runtime ended a request without a person's answer through the store (its session
    /// was cancelled): withdrawn, if still pending.
    pub async fn withdraw_approval(&self, id: &str) -> Result<(), StoreError> {
        self.withdraw("id = $1", id).await
    }

    /// Withdraws what a work session's earlier turns left pending: the agent that asked is gone.
    pub async fn withdraw_approvals_of_session(&self, session: WorkSessionId) -> Result<(), StoreError> {
        self.withdraw("work_session_id = $1", &session.to_string()).await
    }

    /// Withdraws what a node's agents left pending, when that node starts again (its agents are gone).
    pub async fn withdraw_approvals_of_node(&self, node: &str) -> Result<(), StoreError> {
        self.withdraw("node = $1", node).await
    }

    async fn withdraw(&self, filter: &'static str, value: &str) -> Result<(), StoreError> {
        // Most calls find nothing: read before taking the writer's lock.
        let sql = format!("SELECT 1 AS pending FROM approvals WHERE {filter} AND status = 'pending' LIMIT 1");
        if sqlx::query(fixed_sql(sql)).bind(value).fetch_optional(&self.pool).await?.is_none() {
            return Ok(());
        }
        let mut w = self.begin_write().await?;
        let sql = format!(
            "UPDATE approvals SET status = 'withdrawn', decided_at = $2 WHERE {filter} AND status = 'pending' \
             RETURNING id, spec_task_id, work_session_id, tool_call_id"
        );
        let rows = sqlx::query(fixed_sql(sql)).bind(value).bind(millis(now())).fetch_all(&mut *w.tx).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut sessions = std::collections::BTreeSet::new();
        for row in &rows {
            decided_event(&mut w, row, "withdrawn", None).await?;
            sessions.insert(get::<String>(row, "work_session_id")?);
        }
        for session in &sessions {
            forget_old_decisions(&mut w, session).await?;
        }
        w.commit().await
    }
}

/// Deletes the decided approvals of `session` beyond its newest [`DECIDED_KEPT`], and those of
/// every session decided more than [`DECIDED_MAX_AGE`] ago.
async fn forget_old_decisions(w: &mut WriteTx<'_>, session: &str) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM approvals WHERE work_session_id = $1 AND status <> 'pending' AND id NOT IN \
         (SELECT id FROM approvals WHERE work_session_id = $1 AND status <> 'pending' \
          ORDER BY decided_at DESC, id DESC LIMIT $2)",
    )
    .bind(session)
    .bind(DECIDED_KEPT)
    .execute(&mut *w.tx)
    .await?;
    let max_age = i64::try_from(DECIDED_MAX_AGE.as_millis()).unwrap_or(i64::MAX);
    sqlx::query("DELETE FROM approvals WHERE decided_at IS NOT NULL AND decided_at < $1")
        .bind(millis(now()).saturating_sub(max_age))
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

/// The event of an approval decided: `answered` with the option and who chose it, or `withdrawn`.
async fn decided_event(
    w: &mut WriteTx<'_>,
    row: &AnyRow,
    outcome: &str,
    answer: Option<(&str, &str)>,
) -> Result<(), StoreError> {
    let payload = WorkSessionPermission::Decided(PermissionDecided {
        outcome: outcome.to_owned(),
        option_id: answer.map(|(option_id, _)| option_id.to_owned()),
        by: answer.map(|(_, by)| by.to_owned()),
        approval_id: get(row, "id")?,
        tool_call_id: get(row, "tool_call_id")?,
        decided: true,
    });
    permission_event(w, parse(row, "spec_task_id")?, parse(row, "work_session_id")?, payload).await
}

/// A person's answer leaves a line in the task's coordination log (its timeline and export): who
/// answered what, with which option.
async fn answer_line(w: &mut WriteTx<'_>, row: &AnyRow, option_id: &str, by: &str) -> Result<(), StoreError> {
    let options: Vec<ApprovalOption> = column_json(row, "options")?;
    let option = options.iter().find(|o| o.option_id == option_id);
    let chosen = option.map_or(option_id, |o| o.name.as_str());
    let title: Option<String> = get(row, "title")?;
    let asked = title.as_deref().map_or_else(|| "a permission request".to_owned(), |t| format!("“{t}”"));
    let new = crate::NewCoordination {
        spec_task_id: parse(row, "spec_task_id")?,
        kind: spectask_core::CoordinationKind::PermissionAnswered,
        from_session: Some(parse(row, "work_session_id")?),
        to_session: None,
        message: format!("{by} answered {asked}: {chosen}"),
        data: serde_json::json!({
            "approval_id": get::<String>(row, "id")?,
            "option_id": option_id,
            "option_kind": option.map(|o| o.kind.as_str()),
            "by": by,
        }),
    };
    w.record_coordination(new).await.map(drop)
}

async fn permission_event(
    w: &mut WriteTx<'_>,
    task: SpecTaskId,
    session: WorkSessionId,
    payload: WorkSessionPermission,
) -> Result<(), StoreError> {
    let event = NewEvent { spec_task_id: Some(task), work_session_id: Some(session), payload, at: now() };
    w.append_event(event).await.map(drop)
}

fn approval_from_row(row: &AnyRow) -> Result<Approval, StoreError> {
    Ok(Approval {
        request: NewApproval {
            id: get(row, "id")?,
            spec_task_id: parse(row, "spec_task_id")?,
            work_session_id: parse(row, "work_session_id")?,
            acp_session_id: get(row, "acp_session_id")?,
            node: get(row, "node")?,
            tool_call_id: get(row, "tool_call_id")?,
            title: get(row, "title")?,
            kind: get(row, "kind")?,
            locations: column_json(row, "locations")?,
            options: column_json(row, "options")?,
        },
        requested_at: time(row, "requested_at")?,
    })
}
