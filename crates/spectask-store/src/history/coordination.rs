//! Coordination events: per-SpecTask, durable, gap-free ordered log of what sessions did and said.

use spectask_core::events::payload::CoordinationRecorded;
use spectask_core::{CoordinationEvent, CoordinationKind, HistoryFile, SpecTaskId, WorkSessionId};
use sqlx::any::AnyRow;

use crate::NewHistoryEntry;
use crate::database::codec::{get, json, millis, now, opt_parse, parse, time};
use crate::database::write::WriteTx;
use crate::events::outbox::NewEvent;
use crate::{Store, StoreError};

/// An event to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCoordination {
    pub spec_task_id: SpecTaskId,
    pub kind: CoordinationKind,
    pub from_session: Option<WorkSessionId>,
    pub to_session: Option<WorkSessionId>,
    pub message: String,
    pub data: serde_json::Value,
}

impl Store {
    /// Appends to the task's coordination log (next `seq`, no gaps) and records the outbox event.
    pub async fn record_coordination(&self, new: NewCoordination) -> Result<CoordinationEvent, StoreError> {
        let mut w = self.begin_write().await?;
        let event = w.record_coordination(new).await?;
        w.commit().await?;
        Ok(event)
    }

    /// The task's coordination log, in order.
    pub async fn coordination_log(&self, id: SpecTaskId) -> Result<Vec<CoordinationEvent>, StoreError> {
        self.coordination_entries(id, None).await
    }

    /// The entries of one kind in the task's coordination log, in order (a scheduling pass looks
    /// for review decisions without reading every session's entries).
    pub async fn coordination_of_kind(
        &self,
        id: SpecTaskId,
        kind: CoordinationKind,
    ) -> Result<Vec<CoordinationEvent>, StoreError> {
        self.coordination_entries(id, Some(kind)).await
    }

    async fn coordination_entries(
        &self,
        id: SpecTaskId,
        kind: Option<CoordinationKind>,
    ) -> Result<Vec<CoordinationEvent>, StoreError> {
        const ALL: &str = "SELECT spec_task_id, seq, kind, from_session, to_session, message, data, at \
             FROM coordination_events WHERE spec_task_id = $1 AND ($2 = '' OR kind = $2) ORDER BY seq";
        let rows = sqlx::query(ALL)
            .bind(id.to_string())
            .bind(kind.map_or("", |k| k.as_str()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The kinds of the entries `session` wrote in its task's coordination log, in order: what a
    /// step rerun after a crash has logged already, without reading the whole log.
    pub async fn coordination_kinds_from(
        &self,
        task: SpecTaskId,
        session: WorkSessionId,
    ) -> Result<Vec<CoordinationKind>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind FROM coordination_events WHERE spec_task_id = $1 AND from_session = $2 ORDER BY seq",
        )
        .bind(task.to_string())
        .bind(session.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| parse(row, "kind")).collect()
    }
}

impl WriteTx<'_> {
    /// The entry inside a larger transaction.
    pub(crate) async fn record_coordination(
        &mut self,
        new: NewCoordination,
    ) -> Result<CoordinationEvent, StoreError> {
        let at = now();
        // The task's next number, taken in the insert itself (this write is the only writer: SQLite's
        // one, PostgreSQL's advisory lock).
        let row = sqlx::query(
            "INSERT INTO coordination_events (spec_task_id, seq, kind, from_session, to_session, message, data, at) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM coordination_events \
             WHERE spec_task_id = $1 RETURNING seq",
        )
        .bind(new.spec_task_id.to_string())
        .bind(new.kind.as_str())
        .bind(new.from_session.map(|id| id.to_string()))
        .bind(new.to_session.map(|id| id.to_string()))
        .bind(&new.message)
        .bind(new.data.to_string())
        .bind(millis(at))
        .fetch_one(&mut *self.tx)
        .await?;
        let seq: i64 = get(&row, "seq")?;
        // The log also goes to git: `sessions/<task>/coordination-log.md`, through the recorder.
        let line = format!(
            "- {} **{}**{} {}\n",
            at.format("%Y-%m-%d %H:%M:%S"),
            new.kind.as_str().replace('_', " "),
            new.from_session.map(|s| format!(" `{}`", s.short())).unwrap_or_default(),
            new.message.replace('\n', " ")
        );
        let entry = NewHistoryEntry {
            spec_task_id: new.spec_task_id,
            work_session_id: None,
            file: HistoryFile::CoordinationLog,
            content: line,
        };
        self.insert_history(&entry, at).await?;
        self.append_event(NewEvent {
            spec_task_id: Some(new.spec_task_id),
            work_session_id: new.from_session,
            payload: CoordinationRecorded {
                seq,
                kind: new.kind,
                message: new.message.clone(),
                to_session: new.to_session,
            },
            at,
        })
        .await?;
        Ok(CoordinationEvent {
            spec_task_id: new.spec_task_id,
            seq,
            kind: new.kind,
            from_session: new.from_session,
            to_session: new.to_session,
            message: new.message,
            data: new.data,
            at,
        })
    }
}

fn from_row(row: &AnyRow) -> Result<CoordinationEvent, StoreError> {
    Ok(CoordinationEvent {
        spec_task_id: parse(row, "spec_task_id")?,
        seq: get(row, "seq")?,
        kind: parse(row, "kind")?,
        from_session: opt_parse(row, "from_session")?,
        to_session: opt_parse(row, "to_session")?,
        message: get(row, "message")?,
        data: json(row, "data")?,
        at: time(row, "at")?,
    })
}
