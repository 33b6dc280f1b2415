//! Tasks' pull requests, as last read from their forges. The forge is the source of truth: a row
//! is a dated reading of it, replaced by the next. Which node reads an open pull request next is
//! decided by a compare-and-swap on `next_check_at` ([`Store::claim_pull_request_checks`]).

use std::time::Duration;

use spectask_core::{
    PullRequestCheck, PullRequestReview, PullRequestState, SpecTask, SpecTaskCommand, SpecTaskId,
    TaskPullRequest, Timestamp,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database::codec::{deadline, get, millis, now, parse, time};
use crate::events::outbox::NewEvent;
use crate::{NewCoordination, Store, StoreError};

/// The longest a failed reading puts the next one off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

macro_rules! columns {
    () => {
        "spec_task_id, forge, repository, number, url, state, head_sha, opened_at, checked_at, \
         check_error, next_check_at, checks, reviews"
    };
}

/// What a reading of the forge found: the pull request's state, head, checks and reviewers'
/// verdicts, or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRequestReading {
    Read {
        state: PullRequestState,
        head_sha: String,
        checks: Vec<PullRequestCheck>,
        reviews: Vec<PullRequestReview>,
    },
    Failed {
        error: String,
    },
    /// Not read: the forge asked to wait until `until` (its rate limit). Said like a failure, but
    /// the next reading is due then, not put off further.
    Waiting {
        error: String,
        until: Timestamp,
    },
}

impl Store {
    /// Records the task's pull request as just opened (or found), replacing any earlier one, with
    /// its first reading due after `poll`; one `pull_request.updated` event. The feedback already
    /// sent back stays seen, and the reviewers' verdicts stay, when it is the same pull request (a
    /// fix pushed to it).
    pub async fn record_pull_request(
        &self,
        pull_request: &TaskPullRequest,
        poll: Duration,
    ) -> Result<(), StoreError> {
        let at = now();
        let mut w = self.begin_write().await?;
        sqlx::query(concat!(
            "INSERT INTO pull_requests (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (spec_task_id) DO UPDATE SET \
               reviews_seen = CASE WHEN pull_requests.number = excluded.number \
                 THEN pull_requests.reviews_seen ELSE 0 END, \
               comments_seen = CASE WHEN pull_requests.number = excluded.number \
                 THEN pull_requests.comments_seen ELSE 0 END, \
               check_rounds = CASE WHEN pull_requests.number = excluded.number \
                 THEN pull_requests.check_rounds ELSE 0 END, \
               checks_sent_for = CASE WHEN pull_requests.number = excluded.number \
                 THEN pull_requests.checks_sent_for ELSE NULL END, \
               checks = excluded.checks, \
               reviews = CASE WHEN pull_requests.number = excluded.number \
                 THEN pull_requests.reviews ELSE excluded.reviews END, \
               forge = excluded.forge, repository = excluded.repository, number = excluded.number, \
               url = excluded.url, state = excluded.state, head_sha = excluded.head_sha, \
               opened_at = excluded.opened_at, checked_at = excluded.checked_at, \
               check_error = excluded.check_error, next_check_at = excluded.next_check_at"
        ))
        .bind(pull_request.spec_task_id.to_string())
        .bind(&pull_request.forge)
        .bind(&pull_request.repository)
        .bind(i64::try_from(pull_request.number).unwrap_or(i64::MAX))
        .bind(&pull_request.url)
        .bind(pull_request.state.as_str())
        .bind(&pull_request.head_sha)
        .bind(millis(pull_request.opened_at))
        .bind(millis(pull_request.checked_at))
        .bind(pull_request.check_error.as_deref())
        .bind(deadline(at, poll))
        .bind(checks_json(&pull_request.checks)?)
        .bind(reviews_json(&pull_request.reviews)?)
        .execute(&mut *w.tx)
        .await?;
        w.append_event(updated_event(pull_request, at)).await?;
        w.commit().await
    }

    /// The task's pull request, when it has one.
    pub async fn pull_request_of(&self, task: SpecTaskId) -> Result<Option<TaskPullRequest>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM pull_requests WHERE spec_task_id = $1"))
            .bind(task.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(pull_request_from_row).transpose()
    }

    /// The open pull requests of `forge` whose tasks wait for them and that are due for a
    /// reading, each claimed for this caller by moving its next
    /// reading `poll` ahead (another node's claim of the same row finds it moved and skips it).
    pub async fn claim_pull_request_checks(
        &self,
        forge: &str,
        poll: Duration,
    ) -> Result<Vec<TaskPullRequest>, StoreError> {
        let at = now();
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pull_requests WHERE forge = $1 AND state = 'open' AND next_check_at <= $2 \
             AND spec_task_id IN (SELECT id FROM spec_tasks WHERE status = 'pull_request') \
             ORDER BY next_check_at LIMIT 50"
        ))
        .bind(forge)
        .bind(millis(at))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for row in &rows {
            let due: i64 = get(row, "next_check_at")?;
            let task: String = get(row, "spec_task_id")?;
            let won = sqlx::query(
                "UPDATE pull_requests SET next_check_at = $1 WHERE spec_task_id = $2 AND next_check_at = $3",
            )
            .bind(deadline(at, poll))
            .bind(&task)
            .bind(due)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if won == 1 {
                claimed.push(pull_request_from_row(row)?);
            }
        }
        Ok(claimed)
    }

    /// Records a reading of the task's pull request `number` (a newer one replaced it meanwhile:
    /// nothing). A reading that changes what is shown (state, head, error) is one
    /// `pull_request.updated` event; returns the pull request as it now is. A failed reading
    /// puts the next one off: `poll` doubled for each failure in a row, up to [`MAX_BACKOFF`]; a
    /// waiting one, to the time the forge named.
    pub async fn record_pull_request_reading(
        &self,
        task: SpecTaskId,
        number: u64,
        reading: &PullRequestReading,
        poll: Duration,
    ) -> Result<Option<TaskPullRequest>, StoreError> {
        let Some(before) = self.pull_request_of(task).await?.filter(|p| p.number == number) else {
            return Ok(None);
        };
        let at = now();
        let mut after = before.clone();
        match reading {
            PullRequestReading::Read { state, head_sha, checks, reviews } => {
                after.state = *state;
                after.head_sha = head_sha.clone();
                after.checks = checks.clone();
                after.reviews = reviews.clone();
                after.check_error = None;
                after.checked_at = at;
            }
            PullRequestReading::Failed { error } | PullRequestReading::Waiting { error, .. } => {
                after.check_error = Some(error.clone());
            }
        }
        let mut w = self.begin_write().await?;
        let failures: i64 = sqlx::query("SELECT failures FROM pull_requests WHERE spec_task_id = $1")
            .bind(task.to_string())
            .fetch_one(&mut *w.tx)
            .await
            .and_then(|row| row.try_get("failures"))?;
        let (failures, next) = match reading {
            PullRequestReading::Read { .. } => (0, None),
            PullRequestReading::Failed { .. } => {
                let factor = 1u32 << failures.clamp(0, 16);
                (failures + 1, Some(deadline(at, poll.saturating_mul(factor).min(MAX_BACKOFF))))
            }
            PullRequestReading::Waiting { until, .. } => (failures, Some(millis(*until))),
        };
        sqlx::query(
            "UPDATE pull_requests SET state = $1, head_sha = $2, checked_at = $3, check_error = $4, \
             checks = $7, failures = $8, next_check_at = COALESCE($9, next_check_at), reviews = $10 \
             WHERE spec_task_id = $5 AND number = $6",
        )
        .bind(after.state.as_str())
        .bind(&after.head_sha)
        .bind(millis(after.checked_at))
        .bind(after.check_error.as_deref())
        .bind(task.to_string())
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .bind(checks_json(&after.checks)?)
        .bind(failures)
        .bind(next)
        .bind(reviews_json(&after.reviews)?)
        .execute(&mut *w.tx)
        .await?;
        let news = (after.state, &after.head_sha, &after.check_error, &after.checks, &after.reviews)
            != (before.state, &before.head_sha, &before.check_error, &before.checks, &before.reviews);
        if news {
            w.append_event(updated_event(&after, at)).await?;
        }
        w.commit().await?;
        Ok(Some(after))
    }
}

impl Store {
    /// Makes every open pull request of `repository` (`owner/name`) on `forge` due for a reading
    /// now (a webhook said something changed there); how many.
    pub async fn pull_requests_due_now(&self, forge: &str, repository: &str) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let due = sqlx::query(
            "UPDATE pull_requests SET next_check_at = $1 \
             WHERE forge = $2 AND repository = $3 AND state = 'open'",
        )
        .bind(millis(now()))
        .bind(forge)
        .bind(repository)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(due)
    }

    /// What of the task's pull request already went back to its agent.
    pub async fn pull_request_feedback_seen(&self, task: SpecTaskId) -> Result<FeedbackSeen, StoreError> {
        let row = sqlx::query(
            "SELECT reviews_seen, comments_seen, checks_sent_for, check_rounds FROM pull_requests \
             WHERE spec_task_id = $1",
        )
        .bind(task.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(FeedbackSeen::default()) };
        let count = |column| get::<i64>(&row, column).map(|v| u64::try_from(v).unwrap_or_default());
        Ok(FeedbackSeen {
            reviews: count("reviews_seen")?,
            comments: count("comments_seen")?,
            checks_for: get(&row, "checks_sent_for")?,
            check_rounds: count("check_rounds")?,
        })
    }

    /// Marks what of the task's pull request `number` went back (or, for checks past their
    /// rounds, was given up on), without moving the task; `entry` is logged in the same write.
    pub async fn mark_pull_request_feedback(
        &self,
        task: SpecTaskId,
        number: u64,
        seen: &FeedbackSeen,
        entry: NewCoordination,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        mark_seen(&mut w, task, number, seen).await?;
        w.record_coordination(entry).await?;
        w.commit().await
    }

    /// A reviewer (or a failing check) asked for changes on the task's pull request `number`: in
    /// one write, the feedback `seen` says is marked sent back, the task goes back to
    /// work (`command`) and `entry` is logged. A task no longer waiting on its pull request is left
    /// alone (the transition refuses).
    pub async fn send_pull_request_feedback_back(
        &self,
        task: &SpecTask,
        number: u64,
        seen: &FeedbackSeen,
        entry: NewCoordination,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        mark_seen(&mut w, task.id, number, seen).await?;
        w.transition_spec_task(task, &SpecTaskCommand::PullRequestChangesRequested).await?;
        w.record_coordination(entry).await?;
        w.commit().await
    }
}

/// What of a pull request went back to the task's agent already.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackSeen {
    /// The newest review id sent back.
    pub reviews: u64,
    /// The newest line comment id sent back.
    pub comments: u64,
    /// The head whose failing checks went back (or were given up on).
    pub checks_for: Option<String>,
    /// How many times failing checks went back.
    pub check_rounds: u64,
}

async fn mark_seen(
    w: &mut crate::database::write::WriteTx<'_>,
    task: SpecTaskId,
    number: u64,
    seen: &FeedbackSeen,
) -> Result<(), StoreError> {
    let big = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE pull_requests SET reviews_seen = $1, comments_seen = $2, checks_sent_for = $3, \
         check_rounds = $4 WHERE spec_task_id = $5 AND number = $6",
    )
    .bind(big(seen.reviews))
    .bind(big(seen.comments))
    .bind(seen.checks_for.as_deref())
    .bind(big(seen.check_rounds))
    .bind(task.to_string())
    .bind(big(number))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

fn reviews_json(reviews: &[PullRequestReview]) -> Result<String, StoreError> {
    serde_json::to_string(reviews).map_err(|e| StoreError::corrupt(format!("pull request reviews: {e}")))
}

fn checks_json(checks: &[PullRequestCheck]) -> Result<String, StoreError> {
    serde_json::to_string(checks).map_err(|e| StoreError::corrupt(format!("pull request checks: {e}")))
}

fn updated_event(pull_request: &TaskPullRequest, at: Timestamp) -> NewEvent<&TaskPullRequest> {
    NewEvent {
        spec_task_id: Some(pull_request.spec_task_id),
        work_session_id: None,
        payload: pull_request,
        at,
    }
}

fn pull_request_from_row(row: &AnyRow) -> Result<TaskPullRequest, StoreError> {
    Ok(TaskPullRequest {
        spec_task_id: parse(row, "spec_task_id")?,
        forge: get(row, "forge")?,
        repository: get(row, "repository")?,
        number: u64::try_from(get::<i64>(row, "number")?).unwrap_or_default(),
        url: get(row, "url")?,
        state: parse(row, "state")?,
        head_sha: get(row, "head_sha")?,
        opened_at: time(row, "opened_at")?,
        checked_at: time(row, "checked_at")?,
        check_error: get(row, "check_error")?,
        checks: serde_json::from_str(&get::<String>(row, "checks")?)
            .map_err(|e| StoreError::corrupt(format!("column checks: {e}")))?,
        reviews: serde_json::from_str(&get::<String>(row, "reviews")?)
            .map_err(|e| StoreError::corrupt(format!("column reviews: {e}")))?,
    })
}
