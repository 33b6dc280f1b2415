//! The SpecTask listing reads its indexes: the count of the visible tasks (all, or one owner's)
//! reads only `spec_tasks_visible_count`, and a page is read in order from `spec_tasks_visible` or
//! `spec_tasks_visible_by_owner` (PostgreSQL may take `spec_tasks_created`, then order the ties on
//! `created_at` incrementally), never sorted whole. Held on the plans each database makes: SQLite's
//! without statistics (spectask runs no ANALYZE), PostgreSQL's after `VACUUM ANALYZE`.

use spectask_store::testing::{
    ListingPlans, isolated_postgres_database, listing_plans, seed_spec_tasks, vacuum_spec_tasks,
};
use spectask_store::{Backend, DatabaseUrl, SpecTaskFilter, Store};

use crate::repo;

#[tokio::test(flavor = "multi_thread")]
async fn on_sqlite_the_listing_counts_from_its_count_index_and_reads_a_page_in_order() {
    the_listing_counts_from_its_count_index_and_reads_a_page_in_order(crate::sqlite().await.store).await
}

/// In a database of its own: a transaction another test holds open in the shared database keeps
/// `VACUUM` from marking the new rows visible to all, and the planner then reads the table.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_the_listing_counts_from_its_count_index_and_reads_a_page_in_order() {
    let database = isolated_postgres_database().await.unwrap();
    let store = Store::open(&DatabaseUrl::parse(&database.url).unwrap()).await.unwrap();
    the_listing_counts_from_its_count_index_and_reads_a_page_in_order(store).await
}

fn filter(owner: Option<&str>) -> SpecTaskFilter {
    SpecTaskFilter { created_by: owner.map(str::to_owned), limit: 50, ..Default::default() }
}

async fn the_listing_counts_from_its_count_index_and_reads_a_page_in_order(store: Store) {
    let r = repo(&store, "/repos/a").await;
    seed_spec_tasks(&store, r.id, "alice", 3000).await.unwrap();
    seed_spec_tasks(&store, r.id, "bob", 30).await.unwrap();
    let hidden = store.list_spec_tasks(&filter(Some("bob"))).await.unwrap().items[0].id;
    store.hide_spec_task(hidden).await.unwrap();
    vacuum_spec_tasks(&store).await.unwrap();

    assert_eq!(store.list_spec_tasks(&filter(None)).await.unwrap().total, 3029);
    assert_eq!(store.list_spec_tasks(&filter(Some("bob"))).await.unwrap().total, 29);

    for (owner, page_index) in [(None, "spec_tasks_visible"), (Some("bob"), "spec_tasks_visible_by_owner")] {
        let plans = listing_plans(&store, &filter(owner)).await.unwrap();
        let ListingPlans { count, page } = &plans;
        let (count, page) = (count.join("\n"), page.join("\n"));
        match store.backend() {
            Backend::Sqlite => {
                assert!(
                    count.contains("USING COVERING INDEX spec_tasks_visible_count"),
                    "owner {owner:?}: the count reads the table:\n{count}"
                );
                assert!(
                    page.contains(&format!("INDEX {page_index} "))
                        || page.ends_with(&format!("INDEX {page_index}")),
                    "owner {owner:?}: the page is not read from {page_index}:\n{page}"
                );
                assert!(!page.contains("TEMP B-TREE"), "owner {owner:?}: the page is sorted:\n{page}");
            }
            Backend::Postgres => {
                assert!(
                    count.contains("Index Only Scan using spec_tasks_visible_count"),
                    "owner {owner:?}: the count does not read the count index alone:\n{count}"
                );
                // An incremental sort of rows read in `created_at` order (ties on it) is fine;
                // a sort of every visible row, or a scan of the table, is not.
                let sorts_all = plans
                    .page
                    .iter()
                    .any(|line| line.trim_start_matches([' ', '-', '>']).starts_with("Sort  ("));
                assert!(
                    !sorts_all && !page.contains("Seq Scan"),
                    "owner {owner:?}: the page is sorted or scanned:\n{page}"
                );
            }
        }
    }
}
