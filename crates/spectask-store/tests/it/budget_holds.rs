//! Budget holds: the budget that stops a task is on record with the pause it causes (whichever
//! budget: the task's own, its repository's or its user's daily one), read with the task's
//! standing, and gone once released.

use spectask_core::{
    Budget, BudgetHold, BudgetLevel, BudgetScope, Money, WorkSessionCommand, WorkSessionStatus,
};
use spectask_store::{BudgetsSet, Store};

use crate::planning::new_session;
use crate::{both_backends, new_task, repo};

both_backends!(
    a_daily_budget_pause_is_recorded_with_the_session_and_read_with_the_standing,
    the_budgets_set_are_read_together
);

async fn a_daily_budget_pause_is_recorded_with_the_session_and_read_with_the_standing(store: Store) {
    let r = repo(&store, "/repos/holds").await;
    let task = store.create_spec_task(new_task(&r, "Spend it all")).await.unwrap();
    let other = store.create_spec_task(new_task(&r, "Another")).await.unwrap();
    let session = store.create_work_session(new_session(task.id, "a")).await.unwrap();
    let session = store.transition_work_session(&session, &WorkSessionCommand::Start).await.unwrap().value;
    let hold = BudgetHold {
        scope: Some(BudgetScope::Repository),
        subject: r.id.to_string(),
        why: "the repository's daily budget of 10 tokens is reached for 2026-11-26".into(),
        raise: format!("PUT /api/v1/repos/{}/budget", r.id),
    };

    let paused = store.pause_for_budget(session.id, &hold).await.unwrap().value;
    assert_eq!(paused.status(), WorkSessionStatus::Interrupted);
    assert!(paused.state.is_paused_by_budget(), "{paused:?}");
    let standings = store.budget_standings(&[task.id, other.id], &Budget::default()).await.unwrap();
    let held = standings[&task.id].hold.as_ref().expect("the task is held");
    assert_eq!(held.hold, hold);
    assert!(standings[&other.id].hold.is_none(), "one task's hold is its own");
    assert_eq!(store.budget_held_tasks().await.unwrap().len(), 1);

    // Planning held: recorded without a session; a second record keeps since when.
    store.hold_for_budget(other.id, &BudgetHold { scope: None, ..hold.clone() }).await.unwrap();
    let since = store.budget_holds(&[other.id]).await.unwrap()[&other.id].since;
    store
        .hold_for_budget(other.id, &BudgetHold { scope: Some(BudgetScope::User), ..hold.clone() })
        .await
        .unwrap();
    let again = &store.budget_holds(&[other.id]).await.unwrap()[&other.id];
    assert_eq!((again.since, again.hold.scope), (since, Some(BudgetScope::User)));

    assert!(store.release_budget_hold(task.id, false).await.unwrap());
    assert!(!store.release_budget_hold(task.id, false).await.unwrap(), "released once");
    let standing = store.budget_standing(task.id, &Budget::default()).await.unwrap();
    assert_eq!(standing.hold, None);
    assert_eq!(store.budget_held_tasks().await.unwrap().len(), 1, "the other task is still held");
}

async fn the_budgets_set_are_read_together(store: Store) {
    let r = repo(&store, "/repos/set").await;
    let task = store.create_spec_task(new_task(&r, "Budgeted")).await.unwrap();
    let other = store.create_spec_task(new_task(&r, "Not budgeted")).await.unwrap();
    let repository = r.id.to_string();
    let none = store.budgets_set(Some(task.id), &repository, "alice").await.unwrap();
    assert_eq!(none, BudgetsSet::default(), "nothing set yet");

    let own = Budget { tokens: Some(1_000), cost: None };
    let daily = Budget { tokens: None, cost: Some(Money { micros: 2_500_000, currency: "USD".into() }) };
    let users = Budget { tokens: Some(50), cost: None };
    let below = BudgetLevel::Within;
    store.set_task_budget(task.id, &own, "admin", below).await.unwrap();
    store.set_daily_budget(BudgetScope::Repository, &repository, &daily, "admin", below).await.unwrap();
    store.set_daily_budget(BudgetScope::User, "alice", &users, "admin", below).await.unwrap();
    // Another user's and another repository's are not theirs.
    store.set_daily_budget(BudgetScope::User, "bob", &own, "admin", below).await.unwrap();
    store.set_daily_budget(BudgetScope::Repository, "alice", &own, "admin", below).await.unwrap();

    let set = store.budgets_set(Some(task.id), &repository, "alice").await.unwrap();
    assert_eq!(
        set,
        BudgetsSet { task: Some(own), repository: Some(daily.clone()), user: Some(users.clone()) }
    );
    assert_eq!(set.daily(BudgetScope::User), Some(&users));
    let of_other = store.budgets_set(Some(other.id), &repository, "alice").await.unwrap();
    assert_eq!(
        of_other,
        BudgetsSet { task: None, repository: Some(daily.clone()), user: Some(users.clone()) }
    );
    let no_task = store.budgets_set(None, &repository, "carol").await.unwrap();
    assert_eq!(no_task, BudgetsSet { task: None, repository: Some(daily), user: None });
}
