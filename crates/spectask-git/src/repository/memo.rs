//! Memos a [`Repo`](crate::Repo) handle and its clones share: what was read at a commit, which
//! never changes, and when the last fetch that succeeded started.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::names::CommitId;

/// What [`Repo::default_branch_files`] was asked: the tip, the folders and the files.
pub(crate) type Asked = (CommitId, String, String);

/// The files it read, as `(path, contents)`.
pub(crate) type Read = Vec<(String, Vec<u8>)>;

/// A value a [`Repo`] and its clones share. A memo, not part of what the repository is: every two
/// compare equal.
#[derive(Default)]
struct Shared<T>(Arc<Mutex<T>>);

impl<T> Shared<T> {
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Shared<T> {}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("memo")
    }
}

/// The last answer of [`Repo::default_branch_files`].
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct LastRead(Shared<Option<(Asked, Read)>>);

impl LastRead {
    pub(crate) fn get(&self, asked: &Asked) -> Option<Read> {
        self.0.with(|last| last.as_ref().filter(|(at, _)| at == asked).map(|(_, read)| read.clone()))
    }

    pub(crate) fn set(&self, asked: Asked, read: Read) {
        self.0.with(|last| *last = Some((asked, read)));
    }
}

/// When the last fetch of the remote that succeeded started: a fetch asked before then is answered
/// by it (see [`Repo::fetch`](crate::Repo::fetch)).
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct LastFetch(Shared<Option<Instant>>);

impl LastFetch {
    /// Whether a fetch that succeeded started at or after `asked`.
    pub(crate) fn started_since(&self, asked: Instant) -> bool {
        self.0.with(|last| last.is_some_and(|started| started >= asked))
    }

    /// A fetch that started at `started` succeeded.
    pub(crate) fn succeeded(&self, started: Instant) {
        self.0.with(|last| {
            if last.is_none_or(|before| before < started) {
                *last = Some(started);
            }
        });
    }
}
