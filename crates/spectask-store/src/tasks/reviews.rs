//! Spec reviews: a person's decision on the current spec version, recorded with the transition it
//! causes (approve → spec_approved, request changes → spec_revision, reject → rejected).

use spectask_core::events::payload::SpecReviewRecorded;
use spectask_core::{
    LineComment, ReviewDecision, SpecReview, SpecReviewId, SpecTask, SpecTaskCommand, SpecTaskEffect,
    SpecTaskId,
};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::database::codec::{get, json, millis, now, parse, time, to_json};
use crate::events::outbox::NewEvent;
use crate::tasks::spec_tasks::AppliedChange;
use crate::{Store, StoreError};

#[derive(Clone, Debug, PartialEq)]
pub struct NewSpecReview {
    pub decision: ReviewDecision,
    pub comments: String,
    pub line_comments: Vec<LineComment>,
    pub reviewer: String,
}

macro_rules! columns {
    () => {
        "id, spec_task_id, version, decision, comments, line_comments, reviewer, created_at"
    };
}

impl Store {
    /// Records a review of the task's current spec version and applies its decision. A version
    /// that holds only the planner's questions cannot be approved: there is no spec to approve.
    pub async fn review_spec(
        &self,
        task: &SpecTask,
        new: NewSpecReview,
    ) -> Result<(AppliedChange<SpecTask, SpecTaskEffect>, SpecReview), StoreError> {
        // Versions never change once written, and a newer one moves the task's row, which the
        // transition below checks: reading before the write is safe.
        if new.decision == ReviewDecision::Approve
            && task.spec_version > 0
            && self.spec_version(task.id, Some(task.spec_version)).await?.is_questions_only()
        {
            return Err(StoreError::Refused {
                code: "questions_unanswered",
                message: "the planner asked questions instead of writing the spec: answer them \
                          with request-changes (answers) for its first draft"
                    .to_owned(),
            });
        }
        let command = match new.decision {
            ReviewDecision::Approve => SpecTaskCommand::Approve,
            ReviewDecision::RequestChanges => SpecTaskCommand::RequestChanges,
            ReviewDecision::Reject => SpecTaskCommand::Reject,
        };
        let mut w = self.begin_write().await?;
        let applied = w.transition_spec_task(task, &command).await?;
        let review = SpecReview {
            id: SpecReviewId::from_uuid(Uuid::now_v7()),
            spec_task_id: task.id,
            version: task.spec_version,
            decision: new.decision,
            comments: new.comments,
            line_comments: new.line_comments,
            reviewer: new.reviewer,
            created_at: now(),
        };
        sqlx::query(concat!(
            "INSERT INTO spec_reviews (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(review.id.to_string())
        .bind(task.id.to_string())
        .bind(i64::from(review.version))
        .bind(review.decision.as_str())
        .bind(&review.comments)
        .bind(to_json(&review.line_comments)?)
        .bind(&review.reviewer)
        .bind(millis(review.created_at))
        .execute(&mut *w.tx)
        .await?;
        w.append_event(NewEvent {
            spec_task_id: Some(task.id),
            work_session_id: None,
            payload: SpecReviewRecorded {
                review_id: review.id,
                version: review.version,
                decision: review.decision,
                reviewer: review.reviewer.clone(),
            },
            at: review.created_at,
        })
        .await?;
        w.commit().await?;
        Ok((applied, review))
    }

    /// Every review of a task, oldest first.
    pub async fn reviews_of(&self, id: SpecTaskId) -> Result<Vec<SpecReview>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM spec_reviews WHERE spec_task_id = $1 ORDER BY created_at, id"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(review_from_row).collect()
    }
}

fn review_from_row(row: &AnyRow) -> Result<SpecReview, StoreError> {
    let version: i64 = get(row, "version")?;
    Ok(SpecReview {
        id: parse(row, "id")?,
        spec_task_id: parse(row, "spec_task_id")?,
        version: u32::try_from(version)
            .map_err(|_| StoreError::corrupt(format!("review version {version}")))?,
        decision: parse(row, "decision")?,
        comments: get(row, "comments")?,
        line_comments: json(row, "line_comments")?,
        reviewer: get(row, "reviewer")?,
        created_at: time(row, "created_at")?,
    })
}
