//! Endpoints end to end through the real router on SQLite and PostgreSQL:
//! each test runs a scripted scenario on a fresh database of each backend.

mod design_docs;
mod editor_instance;
mod editor_threads;
mod export;
mod fixture;
mod headers;
mod history;
mod implementation_sessions;
mod queries;
mod races;
mod recorder;
mod repos;
mod review;
mod task_view;

/// Runs a scenario on SQLite and on PostgreSQL (a fresh schema; PostgreSQL must be reachable).
macro_rules! on_both_backends {
    ($scenario:path, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $sqlite() {
            $scenario(crate::endpoints::fixture::Fixture::new(false).await).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn $postgres() {
            $scenario(crate::endpoints::fixture::Fixture::new(true).await).await;
        }
    };
}
pub(crate) use on_both_backends;
