//! A closed store lets go of every connection it opened, its event listener's included: a process
//! that opens and closes stores (the stress simulation's engines, restarted on every kill) must not pile
//! up connections on a PostgreSQL server that others share.

use std::time::{Duration, Instant};

use spectask_store::testing::{isolated_postgres_url, postgres_base_url};
use spectask_store::{DatabaseUrl, Store};
use sqlx::{AnyPool, Row};

/// The connections open under `application_name` on the tests' server.
async fn connections_named(admin: &AnyPool, name: &str) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = $1")
        .bind(name)
        .fetch_one(admin)
        .await
        .unwrap();
    row.get("n")
}

/// The connections under `name` once the server has noticed the closed ones: it does on its own
/// time, so they are counted until none is left, for a few seconds at most.
async fn connections_left(admin: &AnyPool, name: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut left = connections_named(admin, name).await;
    while left > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = connections_named(admin, name).await;
    }
    left
}

/// Opens a store under `name`, starts its listener and its event tail, and closes it.
async fn open_listen_and_close(url: &DatabaseUrl, admin: &AnyPool, name: &str) {
    let store = Store::open(url).await.unwrap();
    let mut reader = store.event_wakeups();
    let listening = tokio::time::timeout(Duration::from_secs(10), reader.next()).await;
    assert_eq!(listening, Ok(true), "the listener listens");
    store.event_tail().await.unwrap();
    let open = connections_named(admin, name).await;
    assert!(open >= 2, "the pool and the listener are connected: {open}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_a_closed_store_leaves_no_connection_open() {
    sqlx::any::install_default_drivers();
    let name = format!("closing_{}", uuid::Uuid::now_v7().simple());
    let url =
        DatabaseUrl::parse(&format!("{}&application_name={name}", isolated_postgres_url().await.unwrap()))
            .unwrap();
    let admin = AnyPool::connect(&postgres_base_url()).await.unwrap();
    for _ in 0..3 {
        open_listen_and_close(&url, &admin, &name).await;
    }
    assert_eq!(connections_left(&admin, &name).await, 0, "connections of three closed stores are still open");
    admin.close().await;
}

/// A store dropped without `close` (every clone gone, no event tail started) lets go too: its
/// listener ends with it.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_a_dropped_store_leaves_no_connection_open() {
    sqlx::any::install_default_drivers();
    let name = format!("dropping_{}", uuid::Uuid::now_v7().simple());
    let url =
        DatabaseUrl::parse(&format!("{}&application_name={name}", isolated_postgres_url().await.unwrap()))
            .unwrap();
    let admin = AnyPool::connect(&postgres_base_url()).await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let mut reader = store.event_wakeups();
    let listening = tokio::time::timeout(Duration::from_secs(10), reader.next()).await;
    assert_eq!(listening, Ok(true), "the listener listens");
    drop((reader, store));
    assert_eq!(connections_left(&admin, &name).await, 0, "the dropped store's connections are still open");
    admin.close().await;
}
