//! What polling a fleet of open pull requests costs of GitHub's quota (5,000 requests an hour per
//! token): `BENCH_PRS` (200) open pull requests on one connection, each read as spectask's
//! watcher reads it every `poll_seconds` (60) for `BENCH_MINUTES` (60) minutes of simulated time,
//! against the fake GitHub (`tools/fake-forge`, which keeps GitHub's quota and answers `304`s as
//! GitHub does). Between two rounds, `BENCH_CHANGES` (10) pull requests change: a new commit
//! status of the head, or a review. It prints the requests by how they ended and the quota used,
//! against the 5,000 allowed.
//!
//! The time is simulated: each minute's round of readings runs as soon as the last ended, so an
//! hour takes what its requests take (a few minutes; the fake is asked directly, not through
//! Prism). `cargo bench -p spectask-forge --bench quota`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use serde_json::json;
use spectask_forge::testing::OnFake;
use spectask_forge::{ForgeClient, RequestOutcome};

/// GitHub's primary quota: requests an hour per token.
const GITHUB_QUOTA: u64 = 5000;

fn number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let (prs, minutes, changes) =
        (number("BENCH_PRS", 200), number("BENCH_MINUTES", 60), number("BENCH_CHANGES", 10));
    // The fake's own address: the same GitHub routes, without Prism's validation in front.
    let fake = OnFake::direct("github", "fleet").await;
    // A branch of its own per pull request, each a commit of its own (heads are not shared).
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").args(args).current_dir(&fake.bare).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let tree = git(&["rev-parse", "feature^{tree}"]);
    let mut fleet = Vec::with_capacity(prs);
    for i in 0..prs {
        let env = [
            ("GIT_AUTHOR_NAME", "t"),
            ("GIT_AUTHOR_EMAIL", "t@example.com"),
            ("GIT_COMMITTER_NAME", "t"),
            ("GIT_COMMITTER_EMAIL", "t@example.com"),
        ];
        let out = std::process::Command::new("git")
            .args(["commit-tree", &tree, "-p", "feature", "-m", &format!("fleet {i}")])
            .envs(env)
            .current_dir(&fake.bare)
            .output()
            .unwrap();
        let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        git(&["branch", &format!("fleet-{i}"), &commit]);
        fleet.push((fake.open_pull_request_from(&format!("fleet-{i}")).await, commit));
    }
    // A fresh hour's quota for the polling alone.
    fake.limits(&json!({ "remaining": GITHUB_QUOTA, "reset_in": 3600 })).await;
    let client = ForgeClient::new(&fake.forge);
    let before = fake.forge.usage();
    let started = Instant::now();
    let mut seed = 0x2545_f491_u64;
    for minute in 0..minutes {
        for (number, _) in &fleet {
            client.read_pull_request(&fake.repo, *number).await.unwrap();
        }
        // What changes before the next round: a new status of the head, or a review.
        for change in 0..changes {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let (number, head) = &fleet[(seed >> 33) as usize % fleet.len()];
            if change % 2 == 0 {
                let body = json!({ "state": "success", "context": format!("ci/{minute}-{change}") });
                fake.act("POST", &format!("/statuses/{head}"), body).await;
            } else {
                let body =
                    json!({ "login": "alice", "state": "COMMENTED", "body": format!("minute {minute}") });
                fake.act("POST", &format!("/pulls/{number}/reviews"), body).await;
            }
        }
    }
    let took = started.elapsed();
    let after = fake.forge.usage();
    let count = |outcome| after.count(outcome) - before.count(outcome);
    let (answered, not_modified) = (count(RequestOutcome::Answered), count(RequestOutcome::NotModified));
    let refused = count(RequestOutcome::RateLimited) + count(RequestOutcome::Held);
    let requests =
        answered + not_modified + refused + count(RequestOutcome::Refused) + count(RequestOutcome::Failed);
    let quota = after.quota.expect("GitHub states the quota");
    let used = quota.limit - quota.remaining;
    let readings = prs * minutes;
    println!(
        "{prs} open pull requests read every minute for {minutes} minutes ({readings} readings), {changes} changes a minute"
    );
    println!(
        "requests: {requests} ({:.1} a reading): {answered} answered, {not_modified} not modified (304), {refused} rate limited",
        requests as f64 / readings as f64
    );
    println!(
        "GitHub quota used: {used} of {} ({:.1}%), {} left; simulated in {:.0} s",
        quota.limit,
        100.0 * used as f64 / quota.limit as f64,
        quota.remaining,
        took.as_secs_f64()
    );
    assert_eq!(refused, 0, "the quota ran out");
    assert!(used < GITHUB_QUOTA, "over GitHub's quota: {used}");
}
