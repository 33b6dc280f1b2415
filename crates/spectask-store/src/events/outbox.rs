//! The event outbox: appended inside write transactions, read back in `seq` order.

use spectask_core::{Event, EventKind, EventPayload, SpecTaskId, Timestamp, WorkSessionId};
use sqlx::any::AnyRow;

use crate::database::codec::{get, millis, now, opt_parse, parse, time};
use crate::database::connect::{fetch_of_tasks, fixed_sql, placeholders};
use crate::database::write::WriteTx;
use crate::{Store, StoreError};

/// An event about to be recorded: its payload's type names its kind.
pub(crate) struct NewEvent<P> {
    pub spec_task_id: Option<SpecTaskId>,
    pub work_session_id: Option<WorkSessionId>,
    pub payload: P,
    pub at: Timestamp,
}

impl WriteTx<'_> {
    /// Appends an event in this transaction and returns its sequence number.
    pub(crate) async fn append_event<P: EventPayload>(
        &mut self,
        event: NewEvent<P>,
    ) -> Result<i64, StoreError> {
        // Through a `Value`, as the payloads were written before they were typed.
        let payload = serde_json::to_value(&event.payload)
            .map_err(|e| StoreError::corrupt(format!("cannot encode a {} payload: {e}", P::KIND)))?;
        let row = sqlx::query(
            "INSERT INTO events (kind, spec_task_id, work_session_id, payload, at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING seq",
        )
        .bind(P::KIND.as_str())
        .bind(event.spec_task_id.map(|id| id.to_string()))
        .bind(event.work_session_id.map(|id| id.to_string()))
        .bind(payload.to_string())
        .bind(millis(event.at))
        .fetch_one(&mut *self.tx)
        .await?;
        self.appended_events = true;
        get(&row, "seq")
    }
}

impl Store {
    /// Records an event that goes with no state change (live progress of a session, say).
    pub async fn publish_event<P: EventPayload>(
        &self,
        spec_task_id: Option<SpecTaskId>,
        work_session_id: Option<WorkSessionId>,
        payload: &P,
    ) -> Result<i64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = w.append_event(NewEvent { spec_task_id, work_session_id, payload, at: now() }).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Events with `seq > after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Up to `limit` events of the SpecTasks of `owner` after sequence number `after`, oldest first
    /// (events of no task are not theirs).
    pub async fn events_of_owner_after(
        &self,
        owner: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.seq, e.kind, e.spec_task_id, e.work_session_id, e.payload, e.at FROM events e \
             JOIN spec_tasks t ON t.id = e.spec_task_id WHERE t.created_by = $1 AND e.seq > $2 \
             ORDER BY e.seq LIMIT $3",
        )
        .bind(owner)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The newest event's sequence number (0 when there is none): where a client that has just
    /// loaded the current state starts following the live stream.
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").fetch_one(&self.pool).await?;
        get(&row, "seq")
    }

    /// The newest event of `kind` for each work session of a SpecTask (a session's latest plan, say),
    /// in one query.
    pub async fn latest_session_events(
        &self,
        id: SpecTaskId,
        kind: EventKind,
    ) -> Result<Vec<Event>, StoreError> {
        self.latest_session_events_of_tasks(&[id], kind).await
    }

    /// [`Self::latest_session_events`] of several SpecTasks in one query.
    pub async fn latest_session_events_of_tasks(
        &self,
        tasks: &[SpecTaskId],
        kind: EventKind,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = fetch_of_tasks(&self.pool, tasks, &[kind.as_str()], |ids| {
            format!(
                "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events WHERE seq IN \
                 (SELECT MAX(seq) FROM events WHERE kind = $1 AND spec_task_id IN ({ids}) \
                  AND work_session_id IS NOT NULL GROUP BY work_session_id) ORDER BY seq"
            )
        })
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The events of `kinds` about one work session of task `task`, oldest first.
    pub async fn events_of_work_session(
        &self,
        task: SpecTaskId,
        session: WorkSessionId,
        kinds: &[EventKind],
    ) -> Result<Vec<Event>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events \
             WHERE spec_task_id = $1 AND work_session_id = $2 AND kind IN ({}) ORDER BY seq",
            placeholders(3, kinds.len())
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(fixed_sql(sql)).bind(task.to_string()).bind(session.to_string());
        for kind in kinds {
            query = query.bind(kind.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Every event of one SpecTask, oldest first.
    pub async fn events_of_spec_task(&self, id: SpecTaskId) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events \
             WHERE spec_task_id = $1 ORDER BY seq",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The events of one kind of a SpecTask (its sessions' checks, say), oldest first.
    pub async fn events_of_spec_task_kind(
        &self,
        id: SpecTaskId,
        kind: EventKind,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, spec_task_id, work_session_id, payload, at FROM events \
             WHERE spec_task_id = $1 AND kind = $2 ORDER BY seq",
        )
        .bind(id.to_string())
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }
}

pub(crate) fn event_from_row(row: &AnyRow) -> Result<Event, StoreError> {
    let payload: String = get(row, "payload")?;
    Ok(Event {
        seq: get(row, "seq")?,
        kind: parse(row, "kind")?,
        spec_task_id: opt_parse(row, "spec_task_id")?,
        work_session_id: opt_parse(row, "work_session_id")?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::corrupt(format!("event payload: {e}")))?,
        at: time(row, "at")?,
    })
}
