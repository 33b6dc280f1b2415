//! Wire types of the API. Domain types stay out of the JSON contract; these are it. Every type
//! here describes itself to the OpenAPI document (`utoipa::ToSchema`).

mod agents;
mod attention;
mod auth;
mod budget;
mod coordination;
mod demo;
mod editor;
mod events;
mod history;
mod notifications;
mod progress;
mod repos;
mod review;
mod review_report;
mod sessions;
mod specs;
mod task_view;
mod tasks;
mod usage;

pub use agents::*;
pub use attention::*;
pub use auth::*;
pub use budget::*;
pub use coordination::*;
pub use demo::*;
pub use editor::*;
pub use events::*;
pub use history::*;
pub use notifications::*;
pub use progress::*;
pub use repos::*;
pub use review::*;
pub use review_report::*;
pub use sessions::*;
pub use specs::*;
pub use task_view::*;
pub use tasks::*;
pub use usage::*;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    pub version: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// This server's name among the nodes sharing the database.
    pub node: String,
    /// The newest event's sequence number: follow `GET /events?after=` this after loading the
    /// current state.
    pub last_event_seq: i64,
}

/// One page of a listing, with the number of all matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}
