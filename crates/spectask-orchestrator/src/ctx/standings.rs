//! What a task's sessions are told of each other when their threads are first prompted (the plan
//! as the sessions stand, what the finished ones said), read once for every session that asks
//! while a read of it is under way: a thousand sessions started together make a few reads of
//! their task's sessions, not a thousand (each of which grows with the number of sessions).
//!
//! A caller never gets a read that started before it asked: callers that ask while a read runs
//! wait for the next one, which starts after the running one ends and serves all of them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use spectask_core::{SpecTaskId, WorkSession};

/// A task's sessions as its prompts tell them.
#[derive(Debug, Default)]
pub(crate) struct Standing {
    /// The task's completed sessions with their summaries, in creation order.
    pub finished: Vec<(WorkSession, Option<String>)>,
    /// The task's progress document as its sessions stand (none when it has none).
    pub progress: Option<String>,
}

/// The reads of this node's tasks' standings that are under way or just made.
#[derive(Debug, Default)]
pub(crate) struct Standings {
    tasks: Mutex<HashMap<SpecTaskId, Arc<Reads>>>,
}

/// One task's reads.
#[derive(Debug, Default)]
struct Reads {
    /// How many callers asked so far (each call is numbered by it).
    asked: AtomicU64,
    /// The last read, with the number of the last call made before it started.
    last: tokio::sync::Mutex<Option<(u64, Arc<Standing>)>>,
}

impl Standings {
    /// The standing of `task` from a read that started after this call: `read`'s, or that of a
    /// caller who asked at about the same time. A failed read serves only its own caller.
    pub(crate) async fn of<E, F>(&self, task: SpecTaskId, read: F) -> Result<Arc<Standing>, E>
    where
        F: Future<Output = Result<Standing, E>>,
    {
        let reads = Held::new(self, task);
        let call = reads.0.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let mut last = reads.0.last.lock().await;
        if let Some((covers, standing)) = last.as_ref()
            && *covers >= call
        {
            return Ok(standing.clone());
        }
        let covers = reads.0.asked.load(Ordering::SeqCst);
        let standing = Arc::new(read.await?);
        *last = Some((covers, standing.clone()));
        Ok(standing)
    }
}

/// A task's reads while a caller uses them; the last caller forgets them.
struct Held<'a>(Arc<Reads>, &'a Standings, SpecTaskId);

impl<'a> Held<'a> {
    fn new(standings: &'a Standings, task: SpecTaskId) -> Self {
        let mut tasks = standings.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        Held(tasks.entry(task).or_default().clone(), standings, task)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut tasks = self.1.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        // Held by the map and this caller only: nobody else waits on it.
        if Arc::strong_count(&self.0) == 2 {
            tasks.remove(&self.2);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    /// Callers that ask while a read runs share the next read; one that asks after a read ended
    /// gets a read of its own; nobody asking, the task is forgotten.
    #[tokio::test(flavor = "multi_thread")]
    async fn callers_at_once_share_a_read_that_started_after_they_asked() {
        let standings = Arc::new(Standings::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let (open, opened) = tokio::sync::watch::channel(false);
        let task = SpecTaskId::from_uuid(uuid::Uuid::nil());
        let mut callers = Vec::new();
        for _ in 0..10 {
            let (standings, reads, mut opened) = (standings.clone(), reads.clone(), opened.clone());
            callers.push(tokio::spawn(async move {
                let read = async move {
                    let _ = opened.wait_for(|open| *open).await;
                    reads.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(Standing::default())
                };
                standings.of(task, read).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        open.send_replace(true);
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
        // The first read, then one for the callers that asked while it ran.
        assert!(reads.load(Ordering::SeqCst) <= 2, "{} reads", reads.load(Ordering::SeqCst));
        let before = reads.load(Ordering::SeqCst);
        let read = async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(Standing::default())
        };
        standings.of(task, read).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), before + 1, "a later caller reads again");
        assert!(standings.tasks.lock().unwrap().is_empty(), "nobody asks: forgotten");
    }
}
