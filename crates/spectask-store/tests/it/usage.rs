//! The usage ledger: each turn's tokens recorded with the turn's end, the cost each agent reported,
//! and their roll-ups per session, task, repository and user.

use spectask_core::{ContextFill, HistoryFile, Money, TokenCounts};
use spectask_store::{NewHistoryEntry, NewUsage, Store};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(the_ledger_sums_each_session_and_rolls_up_per_task_repository_and_user);

fn tokens(input: u64, output: u64, cached: u64) -> TokenCounts {
    TokenCounts { input_tokens: input, output_tokens: output, cached_tokens: cached }
}

fn usd(micros: i64) -> Option<Money> {
    Some(Money { micros, currency: "USD".into() })
}

async fn the_ledger_sums_each_session_and_rolls_up_per_task_repository_and_user(store: Store) {
    let r = repo(&store, "/repos/ledger").await;
    let task = store.create_spec_task(new_task(&r, "Count the tokens")).await.unwrap();
    let other = store.create_spec_task(new_task(&r, "Another task")).await.unwrap();
    let a = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let b = store.create_work_session(new_session(task.id, "b")).await.unwrap();
    let turn = |session: &spectask_core::WorkSession, t: TokenCounts, cost: Option<Money>| NewUsage {
        spec_task_id: session.spec_task_id,
        work_session_id: Some(session.id),
        model: Some("m".into()),
        tokens: t,
        cost,
        running_total: None,
    };
    // Session a: two priced turns, each with its turn's end in the same write.
    for (t, cost) in [(tokens(1000, 100, 50), usd(1_500)), (tokens(2000, 200, 0), usd(2_500))] {
        let end = NewHistoryEntry {
            spec_task_id: task.id,
            work_session_id: Some(a.id),
            file: HistoryFile::ActivityLog,
            content: "- turn ended: end_turn\n".into(),
        };
        store.append_turn_end(&[end], Some(&turn(&a, t, cost))).await.unwrap();
    }
    // Session b: its agent reports a running cost; each turn's entry holds its part of it, and the
    // running total at the turn's end is what the next turn counts from.
    assert_eq!(store.thread_running_total(b.id).await.unwrap(), None);
    let first = NewUsage { running_total: usd(40_000), ..turn(&b, tokens(4, 8, 0), usd(40_000)) };
    store.append_turn_end(&[], Some(&first)).await.unwrap();
    assert_eq!(store.thread_running_total(b.id).await.unwrap(), usd(40_000));
    let second = NewUsage { running_total: usd(70_000), ..turn(&b, tokens(6, 12, 0), usd(30_000)) };
    store.append_turn_end(&[], Some(&second)).await.unwrap();
    let fill = |used| ContextFill { used, size: 1000 };
    store.record_thread_usage(task.id, b.id, fill(300)).await.unwrap();
    store.record_thread_usage(task.id, b.id, fill(350)).await.unwrap();
    assert_eq!(store.thread_running_total(b.id).await.unwrap(), usd(70_000), "a fill keeps the total");
    // The thread loaded again keeps its total; a new thread (the old one lost in a crash) counts
    // from nothing, so its agent's total is all its own.
    store.record_thread(b.id, "acp-b", spectask_core::ThreadStatus::Active).await.unwrap();
    store.record_thread(b.id, "acp-b", spectask_core::ThreadStatus::Active).await.unwrap();
    assert_eq!(store.thread_running_total(b.id).await.unwrap(), usd(70_000), "the same thread");
    store.record_thread(b.id, "acp-b2", spectask_core::ThreadStatus::Active).await.unwrap();
    assert_eq!(store.thread_running_total(b.id).await.unwrap(), None, "a new thread");
    // The planner's calls of the task.
    let planner = NewUsage { work_session_id: None, ..turn(&a, tokens(500, 50, 0), usd(100)) };
    store.record_usage(&[planner]).await.unwrap();
    // Another task's unpriced turn (no model): its cost is unknown, never guessed.
    let o = store.create_work_session(new_session(other.id, "o")).await.unwrap();
    store
        .append_turn_end(&[], Some(&NewUsage { model: None, ..turn(&o, tokens(7, 3, 0), None) }))
        .await
        .unwrap();

    let usage = store.usage_of_tasks(&[task.id, other.id]).await.unwrap();
    let mine = &usage[&task.id];
    let sa = &mine.sessions[&a.id];
    assert_eq!(sa.tokens, tokens(3000, 300, 50), "{mine:?}");
    assert_eq!(sa.cost(), usd(4_000));
    assert_eq!(sa.context, None);
    let sb = &mine.sessions[&b.id];
    assert_eq!(sb.tokens, tokens(10, 20, 0), "{mine:?}");
    assert_eq!(sb.cost(), usd(70_000), "the turns' parts of the reported cost, summed");
    assert_eq!(sb.context, Some(fill(350)));
    assert_eq!(mine.planning.tokens, tokens(500, 50, 0));
    let totals = mine.totals();
    assert_eq!(totals.tokens, tokens(3510, 370, 50), "{mine:?}");
    assert_eq!(totals.cost, usd(4_000 + 70_000 + 100));
    assert_eq!(store.task_usage(task.id).await.unwrap(), mine.clone());
    let theirs = usage[&other.id].totals();
    assert_eq!((theirs.tokens, theirs.cost), (tokens(7, 3, 0), None), "{usage:?}");

    // Per repository and user: the tokens of both tasks; the money that is known.
    let census = store.usage_census().await.unwrap();
    let repository = r.id.to_string();
    assert_eq!(
        census.tokens,
        vec![(repository.clone(), "alice".into(), tokens(3517, 373, 50))],
        "{census:?}"
    );
    assert_eq!(census.costs, vec![(repository, "alice".into(), "USD".into(), 74_100)], "{census:?}");
}
