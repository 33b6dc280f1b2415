use std::sync::Arc;

use super::*;
use crate::testing::{Backend, Fixture};

const TASKS: usize = 12;

/// Two nodes (each with its own lock) tick different plan tasks at the same time: every tick is kept,
/// none overwritten by a tick made on an older tip.
#[tokio::test(flavor = "multi_thread")]
async fn ticks_from_two_nodes_at_once_are_all_kept() {
    let f = Fixture::new(Backend::Sqlite).await;
    let plan: String = std::iter::once("# Implementation Plan\n\n".to_owned())
        .chain((1..=TASKS).map(|i| format!("- [ ] {i}. Task {i}\n")))
        .collect();
    let task = f.spec_task_with_plan(&plan).await;
    let mut other = f.ctx.clone();
    other.markers = Arc::default();
    let mut ticks = tokio::task::JoinSet::new();
    for i in 1..=TASKS {
        let ctx = if i % 2 == 0 { f.ctx.clone() } else { other.clone() };
        let task = task.clone();
        ticks.spawn(async move { set(&ctx, &task, &i.to_string(), PlanTaskState::Done).await });
    }
    while let Some(done) = ticks.join_next().await {
        done.unwrap().unwrap();
    }
    let repo = f.repo().await;
    for name in ["tasks.md", "progress.md"] {
        let text = repo.read_design_doc(&format!("specs/{}/{name}", task.handle())).unwrap().unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.matches("- [x]").count(), TASKS, "every tick is in {name}:\n{text}");
    }
}
