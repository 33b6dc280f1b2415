//! A budget is a cap, not a line between turns: session 1's turn reports its spending in usage
//! updates (1,000, 2,000 and 3,000 tokens of context) and would then work on for a long while. The
//! task's budget leaves room for 5,000 tokens, so the third update reaches it: the turn is cancelled
//! there (ACP `session/cancel`), the session paused by the budget, the ledger holds the 6,000
//! tokens the turn used (over by 1,000: at most what that last update added) and the reason says
//! so. Raising the budget resumes the session, which finishes the task.

use serde_json::Value;

use crate::budget::{Planned, planned_with, spent_tokens, wait_until_value};
use crate::crash_restart::{PLAN, wait_for};
use crate::implementation::sessions;
use crate::support::{postgres_url, stderr, stdout};

/// Session 1's first turn spends in three updates, then works for a minute; its resumed turn and
/// the other sessions finish at once.
const CAPPED_CODER: &str = r##"
[[rule]]
match = "*You are resuming this task*"
steps = [
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 1 Add the user model*"
steps = [
  { usage = { used = 1000, size = 200000, input = 1000 } },
  { usage = { used = 2000, size = 200000, input = 2000 } },
  { usage = { used = 3000, size = 200000, input = 3000 } },
  { sleep = 60000 },
  { write_file = { path = "src/user.js", content = "module.exports = { users: [] };\n" } },
  { message = "Added src/user.js." },
]

[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [
  { write_file = { path = "src/login.js", content = "module.exports = function login() {};\n" } },
  { message = "Added src/login.js." },
]

[[rule]]
match = "*Your task: 3 Wire login into the app*"
steps = [
  { write_file = { path = "src/app.js", content = "require('./user'); require('./login');\n" } },
  { message = "Wired login into src/app.js." },
]
"##;

#[test]
fn a_turn_that_reaches_the_budget_is_cancelled_at_that_usage_update_on_sqlite() {
    capped_mid_turn(None);
}

#[test]
fn a_turn_that_reaches_the_budget_is_cancelled_at_that_usage_update_on_postgres() {
    capped_mid_turn(Some(&postgres_url()));
}

fn capped_mid_turn(database: Option<&str>) {
    let Planned { server, id, task, _dir, _llm, .. } = planned_with(database, "", CAPPED_CODER);
    let planned = spent_tokens(&task);
    let limit = planned + 5_000;
    let set = server.task(&["budget", &id, "--budget-tokens", &limit.to_string()]);
    assert!(set.status.success(), "{}", stderr(&set));
    let approved = server.task(&["approve", &id]);
    assert!(approved.status.success(), "{}", stderr(&approved));

    let paused = wait_until_value("session 1 is paused by the budget", &server, &id, |all| {
        let one = all.iter().find(|s| s["name"] == PLAN[0])?;
        (one["status"] == "interrupted").then(|| one.clone())
    });
    let reason = paused["state"]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.starts_with("paused by budget: the task reached its budget"), "{paused:#}");
    assert!(
        reason.contains("cancelled at the usage update that reached it, which added 3000 tokens"),
        "{reason}"
    );

    // The turn was cut at the update that reached the budget: its tokens are on record, over by
    // no more than that update added, and the minute of work after it never happened.
    let spent = wait_until_value("the cancelled turn's tokens are on record", &server, &id, |all| {
        let one = all.iter().find(|s| s["name"] == PLAN[0])?;
        (one["usage"]["input_tokens"].as_u64() == Some(6_000)).then(|| one.clone())
    });
    let task = server.task_json(&["show", &id, "--json"]);
    assert_eq!(task["budget"]["spent_tokens"].as_u64(), Some(planned + 6_000), "{task:#}\n{spent:#}");
    let over = task["budget"]["spent_tokens"].as_u64().unwrap() - limit;
    assert!(over <= 3_000, "over by {over}: more than the last usage update");
    assert_eq!(task["budget"]["paused"], true, "{task:#}");
    assert_eq!(task["budget"]["held_by"]["budget"], "task", "{task:#}");
    let shown = stdout(&server.task(&["show", &id]));
    assert!(shown.contains("paused by budget: the task reached its budget"), "{shown}");
    let all = sessions(&server, &id);
    assert!(all.iter().all(|s| s["status"] != "completed"), "nothing completed past the cap: {all:#?}");

    // Raising the budget resumes the session; the task finishes.
    let raised = server.task(&["budget", &id, "--budget-tokens", &(limit + 100_000).to_string()]);
    assert!(raised.status.success(), "{}", stderr(&raised));
    let task = wait_for(&server, &id, "implementation_review", std::time::Duration::from_secs(90));
    assert_eq!(task["budget"]["paused"], false, "{task:#}");
    assert_eq!(task["budget"]["held_by"], Value::Null, "{task:#}");
    server.stop();
}
