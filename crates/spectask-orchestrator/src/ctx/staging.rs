//! Completed sessions whose changes git stages on this node. A session whose commit nothing can
//! refuse is completed once git listed its changes, before it stages them, so the sessions its
//! completion starts run beside that staging. Until it ends, none of them may be prompted: an
//! agent writing in the worktree then would have its writes staged in its predecessor's commit. A
//! session's first prompt waits here ([`Staging::settled`]) for its task's sessions to leave
//! `Staging`, woken only by its own task's changes; the store's record of sessions completed and
//! not committed covers those this node does not know (`drive::first_prompt`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use spectask_core::{SpecTaskId, WorkSessionId};
use tokio::sync::Notify;

/// Where a completed session's changes stand on this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Staged {
    /// Git is staging them.
    Staging,
    /// Staged, and noted for their commit: no other commit of the worktree takes them.
    Staged,
}

/// This node's completed sessions whose commit is under way, by task.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    tasks: Mutex<HashMap<SpecTaskId, TaskStaging>>,
}

/// A task's sessions being committed, and what wakes the first prompts waiting on them: a change
/// wakes only the task's own.
#[derive(Debug, Default)]
struct TaskStaging {
    sessions: HashMap<WorkSessionId, Staged>,
    changed: Arc<Notify>,
}

impl TaskStaging {
    fn staging(&self) -> bool {
        self.sessions.values().any(|s| *s == Staged::Staging)
    }
}

impl Staging {
    /// Notes that git stages `session`'s changes, before its completion is written. The mark
    /// returned ends the entry when dropped: once the commit is on record, or failed (the
    /// store's record of it then speaks).
    pub(crate) fn begin(self: &Arc<Self>, task: SpecTaskId, session: WorkSessionId) -> StagingMark {
        self.set(task, session, Some(Staged::Staging));
        StagingMark { staging: self.clone(), task, session }
    }

    /// Where `session`'s changes stand, when this node commits them.
    pub(crate) fn of(&self, task: SpecTaskId, session: WorkSessionId) -> Option<Staged> {
        self.lock().get(&task).and_then(|t| t.sessions.get(&session)).copied()
    }

    /// Waits until no session of `task` is being staged on this node.
    pub(crate) async fn settled(&self, task: SpecTaskId) {
        loop {
            let changed;
            let notified;
            {
                let all = self.lock();
                let Some(t) = all.get(&task).filter(|t| t.staging()) else { return };
                changed = t.changed.clone();
                // Made under the lock: every change after this look wakes it (an entry removed
                // wakes the waiters of the one it held).
                notified = changed.notified();
            }
            notified.await;
        }
    }

    fn set(&self, task: SpecTaskId, session: WorkSessionId, to: Option<Staged>) {
        let mut all = self.lock();
        let changed = match to {
            Some(to) => {
                let t = all.entry(task).or_default();
                t.sessions.insert(session, to);
                t.changed.clone()
            }
            None => {
                let Some(t) = all.get_mut(&task) else { return };
                t.sessions.remove(&session);
                let changed = t.changed.clone();
                if t.sessions.is_empty() {
                    all.remove(&task);
                }
                changed
            }
        };
        drop(all);
        changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SpecTaskId, TaskStaging>> {
        // A panic while the map was held left it whole: every change is one insert or remove.
        self.tasks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A completed session's changes being committed on this node (see [`Staging::begin`]).
#[derive(Debug)]
pub(crate) struct StagingMark {
    staging: Arc<Staging>,
    task: SpecTaskId,
    session: WorkSessionId,
}

impl StagingMark {
    /// Git staged the changes and noted their commit.
    #[cfg(test)]
    pub(crate) fn staged(&self) {
        self.teller().tell();
    }

    /// What tells, from git's thread, that the changes are staged.
    pub(crate) fn teller(&self) -> StagedTeller {
        StagedTeller { staging: self.staging.clone(), task: self.task, session: self.session }
    }
}

/// Tells [`Staging`] that a session's changes are staged (see [`StagingMark::teller`]).
#[derive(Debug)]
pub(crate) struct StagedTeller {
    staging: Arc<Staging>,
    task: SpecTaskId,
    session: WorkSessionId,
}

impl StagedTeller {
    /// Marks the changes staged, unless their mark ended already (a commit that outlived the
    /// step that waited for it): the store's record then speaks for them.
    pub(crate) fn tell(self) {
        let mut all = self.staging.lock();
        let Some(t) = all.get_mut(&self.task) else { return };
        let Some(staged) = t.sessions.get_mut(&self.session) else { return };
        *staged = Staged::Staged;
        let changed = t.changed.clone();
        drop(all);
        changed.notify_waiters();
    }
}

impl Drop for StagingMark {
    fn drop(&mut self) {
        self.staging.set(self.task, self.session, None);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_first_prompt_waits_while_its_task_stages_and_no_longer() {
        let staging = Arc::new(Staging::default());
        let (task, other) =
            (SpecTaskId::from_uuid(uuid::Uuid::now_v7()), SpecTaskId::from_uuid(uuid::Uuid::now_v7()));
        let session = WorkSessionId::from_uuid(uuid::Uuid::now_v7());
        let mark = staging.begin(task, session);
        assert_eq!(staging.of(task, session), Some(Staged::Staging));

        let waiting = tokio::spawn({
            let staging = staging.clone();
            async move { staging.settled(task).await }
        });
        // Another task's sessions do not wait.
        tokio::time::timeout(Duration::from_secs(5), staging.settled(other)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "settled while git still staged");

        mark.staged();
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(staging.of(task, session), Some(Staged::Staged));
        drop(mark);
        assert_eq!(staging.of(task, session), None);
        assert!(staging.lock().is_empty(), "{:?}", staging.lock());
    }

    #[tokio::test]
    async fn a_staging_that_ends_unstaged_lets_its_waiters_go_to_the_record() {
        let staging = Arc::new(Staging::default());
        let (task, session) =
            (SpecTaskId::from_uuid(uuid::Uuid::now_v7()), WorkSessionId::from_uuid(uuid::Uuid::now_v7()));
        let mark = staging.begin(task, session);
        let waiting = tokio::spawn({
            let staging = staging.clone();
            async move { staging.settled(task).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        let late = mark.teller();
        drop(mark);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(staging.of(task, session), None);
        // Git's thread telling after the mark ended leaves nothing behind.
        late.tell();
        assert!(staging.lock().is_empty(), "{:?}", staging.lock());
    }

    #[tokio::test]
    async fn a_first_prompt_waits_through_one_commit_after_another() {
        let staging = Arc::new(Staging::default());
        let task = SpecTaskId::from_uuid(uuid::Uuid::now_v7());
        let (a, b) =
            (WorkSessionId::from_uuid(uuid::Uuid::now_v7()), WorkSessionId::from_uuid(uuid::Uuid::now_v7()));
        let first = staging.begin(task, a);
        let waiting = tokio::spawn({
            let staging = staging.clone();
            async move { staging.settled(task).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The task's entry goes, and comes back with the next session's commit, before the
        // waiter looks again.
        drop(first);
        let second = staging.begin(task, b);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "settled while the second commit stages");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    }
}
