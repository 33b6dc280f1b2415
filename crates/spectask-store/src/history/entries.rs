//! Session history entries: appended durably, then committed to git by the recorder in batches.

use spectask_core::{HistoryEntry, HistoryFile, SpecTaskId, Timestamp, WorkSessionId};
use sqlx::any::AnyRow;

use crate::database::codec::{get, millis, now, opt_parse, opt_time, parse, time};
use crate::database::connect::{fixed_sql, placeholders};
use crate::database::write::WriteTx;
use crate::{Store, StoreError};

macro_rules! columns {
    () => {
        "seq, spec_task_id, work_session_id, file, content, created_at, committed_at, commit_id"
    };
}

/// History rows per `INSERT` (5 parameters each: well under both backends' limits).
const HISTORY_ROWS_PER_INSERT: usize = 200;

/// An entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHistoryEntry {
    pub spec_task_id: SpecTaskId,
    pub work_session_id: Option<WorkSessionId>,
    pub file: HistoryFile,
    pub content: String,
}

impl Store {
    /// Appends entries in one transaction; once this returns they are acknowledged (never lost).
    /// Returns their sequence numbers. Wakes this process's recorder ([`Store::history_appended`]).
    pub async fn append_history(&self, entries: &[NewHistoryEntry]) -> Result<Vec<i64>, StoreError> {
        let at = now();
        let mut w = self.begin_write().await?;
        let mut seqs = Vec::with_capacity(entries.len());
        for chunk in entries.chunks(HISTORY_ROWS_PER_INSERT) {
            seqs.extend(w.insert_history_rows(chunk, at).await?);
        }
        w.commit().await?;
        Ok(seqs)
    }

    /// Entries not yet committed to git, oldest first, at most `limit`.
    pub async fn pending_history(&self, limit: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM history_entries WHERE committed_at IS NULL ORDER BY seq LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Waits until this process appends history entries (a wake-up that came while nobody waited
    /// is kept). Entries other nodes append wake their own recorders.
    pub async fn history_appended(&self) {
        self.history_signal.notified().await;
    }

    /// The oldest uncommitted entry's time, to know when a time window closes.
    pub async fn oldest_pending_history(&self) -> Result<Option<Timestamp>, StoreError> {
        let row =
            sqlx::query("SELECT MIN(created_at) AS oldest FROM history_entries WHERE committed_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        get::<Option<i64>>(&row, "oldest")?.map(crate::database::codec::from_millis).transpose()
    }

    /// Records that `seqs` are in design-docs commit `commit`.
    pub async fn mark_history_committed(&self, seqs: &[i64], commit: &str) -> Result<(), StoreError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (0..seqs.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "UPDATE history_entries SET committed_at = $1, commit_id = $2 WHERE seq IN ({})",
            placeholders.join(", ")
        );
        let mut w = self.begin_write().await?;
        let mut query = sqlx::query(fixed_sql(sql)).bind(millis(now())).bind(commit.to_owned());
        for seq in seqs {
            query = query.bind(*seq);
        }
        query.execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// Every entry of one work session, in order.
    pub async fn history_of_session(&self, id: WorkSessionId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM history_entries WHERE work_session_id = $1 ORDER BY seq"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Up to `limit` entries of one work session with `seq > after`, in order, of `file` only when
    /// given: a page of its history (the last entry's `seq` is where the next page starts).
    pub async fn history_page(
        &self,
        id: WorkSessionId,
        after: i64,
        limit: i64,
        file: Option<HistoryFile>,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM history_entries WHERE work_session_id = $1 AND seq > $2 AND ($3 = '' OR file = $3) \
             ORDER BY seq LIMIT $4"
        ))
        .bind(id.to_string())
        .bind(after)
        .bind(file.map_or("", HistoryFile::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Whether spectask ever prompted a work session's thread (its conversation has an entry: each
    /// prompt is recorded before it is sent).
    pub async fn session_was_prompted(&self, id: WorkSessionId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS prompted FROM history_entries WHERE work_session_id = $1 AND file = $2 LIMIT 1",
        )
        .bind(id.to_string())
        .bind(spectask_core::HistoryFile::Conversation.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Every entry of one SpecTask (its sessions' included), in order.
    pub async fn history_of_task(&self, id: SpecTaskId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM history_entries WHERE spec_task_id = $1 ORDER BY seq"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// The entries of one SpecTask in the given files only, in order, in one query.
    pub async fn history_of_task_files(
        &self,
        id: SpecTaskId,
        files: &[HistoryFile],
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM history_entries WHERE spec_task_id = $1 AND file IN ({}) ORDER BY seq",
            columns!(),
            placeholders(2, files.len())
        );
        let mut query = sqlx::query(fixed_sql(sql)).bind(id.to_string());
        for file in files {
            query = query.bind(file.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }
}

impl WriteTx<'_> {
    /// Appends one entry inside a larger transaction (and wakes the recorder once committed; the
    /// orchestrator's engine has nothing to do for it).
    pub(crate) async fn insert_history(
        &mut self,
        e: &NewHistoryEntry,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let seqs = self.insert_history_rows(std::slice::from_ref(e), at).await?;
        seqs.first().copied().ok_or_else(|| StoreError::corrupt("an insert returned no sequence number"))
    }

    /// Appends `entries` in one statement (at most [`HISTORY_ROWS_PER_INSERT`]); returns their
    /// sequence numbers in order.
    pub(crate) async fn insert_history_rows(
        &mut self,
        entries: &[NewHistoryEntry],
        at: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        if let Some(e) = entries.iter().find(|e| e.file.is_per_session() && e.work_session_id.is_none()) {
            return Err(StoreError::InvalidReference {
                entity: "history entry",
                reference: e.file.as_str().to_owned(),
                reason: "this file belongs to a work session; name one",
            });
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<String> =
            (0..entries.len()).map(|i| format!("({})", placeholders(i * 5 + 1, 5))).collect();
        let sql = format!(
            "INSERT INTO history_entries (spec_task_id, work_session_id, file, content, created_at) \
             VALUES {} RETURNING seq",
            rows.join(", ")
        );
        let mut query = sqlx::query(fixed_sql(sql));
        for e in entries {
            query = query
                .bind(e.spec_task_id.to_string())
                .bind(e.work_session_id.map(|id| id.to_string()))
                .bind(e.file.as_str())
                .bind(&e.content)
                .bind(millis(at));
        }
        let returned = query.fetch_all(&mut *self.tx).await?;
        self.appended_history = true;
        // The rows get their sequence numbers in the order listed; RETURNING's own order is not
        // promised, so they are put in order here.
        let mut seqs = returned.iter().map(|row| get::<i64>(row, "seq")).collect::<Result<Vec<_>, _>>()?;
        seqs.sort_unstable();
        if seqs.len() != entries.len() {
            return Err(StoreError::corrupt(format!(
                "{} history rows inserted, {} returned",
                entries.len(),
                seqs.len()
            )));
        }
        Ok(seqs)
    }
}

pub(crate) fn entry_from_row(row: &AnyRow) -> Result<HistoryEntry, StoreError> {
    Ok(HistoryEntry {
        seq: get(row, "seq")?,
        spec_task_id: parse(row, "spec_task_id")?,
        work_session_id: opt_parse(row, "work_session_id")?,
        file: parse(row, "file")?,
        content: get(row, "content")?,
        created_at: time(row, "created_at")?,
        committed_at: opt_time(row, "committed_at")?,
        commit_id: get(row, "commit_id")?,
    })
}
