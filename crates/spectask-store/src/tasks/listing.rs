//! Listing SpecTasks (`GET /spec-tasks`, `GET /tasks`): one page, newest first, with the number of
//! matches, in two queries whatever the page holds. Hidden (deleted) tasks are in no listing.
//!
//! The indexes these read (migrations 0100, 0101): `spec_tasks_visible` and
//! `spec_tasks_visible_by_owner` give a page in order, `spec_tasks_visible_count` the count.

use serde::Serialize;
use spectask_core::{RepositoryId, SpecTask, SpecTaskStatus};

use crate::database::codec::get;
use crate::database::connect::fixed_sql;
use crate::tasks::spec_tasks::{columns, spec_task_from_row};
use crate::{Store, StoreError};

/// Which SpecTasks to list. Newest first.
#[derive(Clone, Debug, Default)]
pub struct SpecTaskFilter {
    pub status: Option<SpecTaskStatus>,
    pub repository_id: Option<RepositoryId>,
    /// Only the SpecTasks of this user (its `created_by`).
    pub created_by: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One page of a listing, with the total number of matches.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The two queries of a listing and what they bind (the page's also binds limit and offset).
struct ListingSql {
    count: String,
    page: String,
    binds: Vec<String>,
}

impl ListingSql {
    fn of(filter: &SpecTaskFilter) -> Self {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        if let Some(status) = filter.status {
            binds.push(status.as_str().to_owned());
            conditions.push(format!("status = ${}", binds.len()));
        }
        if let Some(repository_id) = filter.repository_id {
            binds.push(repository_id.to_string());
            conditions.push(format!("repository_id = ${}", binds.len()));
        }
        if let Some(owner) = &filter.created_by {
            binds.push(owner.clone());
            conditions.push(format!("created_by = ${}", binds.len()));
        }
        conditions.push("hidden_at IS NULL".to_owned());
        let filter_sql = format!(" WHERE {}", conditions.join(" AND "));
        let count = format!("SELECT COUNT(*) AS total FROM spec_tasks{filter_sql}");
        let page = format!(
            "SELECT {} FROM spec_tasks{filter_sql} ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            columns!(),
            binds.len() + 1,
            binds.len() + 2
        );
        Self { count, page, binds }
    }
}

/// How the database runs a listing's two queries (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on
/// PostgreSQL), one line per plan step.
#[cfg(feature = "test-support")]
#[derive(Clone, Debug)]
pub struct ListingPlans {
    pub count: Vec<String>,
    pub page: Vec<String>,
}

impl Store {
    pub async fn list_spec_tasks(&self, filter: &SpecTaskFilter) -> Result<Page<SpecTask>, StoreError> {
        let page = self.list_spec_tasks_waiting(filter).await?;
        let items = page.items.into_iter().map(|(task, _)| task).collect();
        Ok(Page { items, total: page.total, limit: page.limit, offset: page.offset })
    }

    /// [`Self::list_spec_tasks`] with why each task waits, if it does, read in the same query.
    pub async fn list_spec_tasks_waiting(
        &self,
        filter: &SpecTaskFilter,
    ) -> Result<Page<(SpecTask, Option<String>)>, StoreError> {
        let sql = ListingSql::of(filter);
        let mut count = sqlx::query(fixed_sql(sql.count));
        for b in &sql.binds {
            count = count.bind(b.clone());
        }
        let total: i64 = get(&count.fetch_one(&self.pool).await?, "total")?;
        let mut list = sqlx::query(fixed_sql(sql.page));
        for b in &sql.binds {
            list = list.bind(b.clone());
        }
        let rows = list.bind(filter.limit).bind(filter.offset).fetch_all(&self.pool).await?;
        Ok(Page {
            items: rows
                .iter()
                .map(|row| Ok((spec_task_from_row(row)?, get(row, "queue_reason")?)))
                .collect::<Result<_, StoreError>>()?,
            total,
            limit: filter.limit,
            offset: filter.offset,
        })
    }

    /// The SpecTasks that may still need someone (every one not done, rejected or cancelled; failed
    /// ones too), of `owner` or of everyone, most recently changed first, at most `limit`: what the
    /// attention view judges. One query, on the status index.
    pub async fn open_spec_tasks(
        &self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<SpecTask>, StoreError> {
        let sql = format!(
            "SELECT {} FROM spec_tasks WHERE status NOT IN ('done', 'rejected', 'cancelled') \
             AND hidden_at IS NULL{} ORDER BY updated_at DESC, id DESC LIMIT $1",
            columns!(),
            if owner.is_some() { " AND created_by = $2" } else { "" }
        );
        let mut query = sqlx::query(fixed_sql(sql)).bind(limit);
        if let Some(owner) = owner {
            query = query.bind(owner);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(spec_task_from_row).collect()
    }

    /// The plans of the listing's queries for `filter` (what the tests hold to its indexes).
    #[cfg(feature = "test-support")]
    pub(crate) async fn listing_plans(&self, filter: &SpecTaskFilter) -> Result<ListingPlans, StoreError> {
        let sql = ListingSql::of(filter);
        let (explain, column) = match self.backend {
            crate::Backend::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
            crate::Backend::Postgres => ("EXPLAIN", "QUERY PLAN"),
        };
        let mut plans = Vec::new();
        for (query, paged) in [(sql.count, false), (sql.page, true)] {
            let mut explained = sqlx::query(fixed_sql(format!("{explain} {query}")));
            for b in &sql.binds {
                explained = explained.bind(b.clone());
            }
            if paged {
                explained = explained.bind(filter.limit).bind(filter.offset);
            }
            let rows = explained.fetch_all(&self.pool).await?;
            plans.push(rows.iter().map(|row| get(row, column)).collect::<Result<Vec<String>, _>>()?);
        }
        let page = plans.pop().unwrap_or_default();
        let count = plans.pop().unwrap_or_default();
        Ok(ListingPlans { count, page })
    }
}
