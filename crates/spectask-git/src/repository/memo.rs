//! Memos a [`Repo`](crate::Repo) handle and its clones share: what was read at a commit, which
//! never changes.

use std::sync::{Arc, Mutex, PoisonError};

use crate::names::CommitId;

/// What [`Repo::default_branch_files`] was asked: the tip, the folders and the files.
pub(crate) type Asked = (CommitId, String, String);

/// The files it read, as `(path, contents)`.
pub(crate) type Read = Vec<(String, Vec<u8>)>;

/// The last answer of [`Repo::default_branch_files`], shared by a [`Repo`] and its clones. A
/// memo, not part of what the repository is: every two compare equal.
#[derive(Clone, Default)]
pub(crate) struct LastRead(Arc<Mutex<Option<(Asked, Read)>>>);

impl LastRead {
    pub(crate) fn get(&self, asked: &Asked) -> Option<Read> {
        let last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref().filter(|(at, _)| at == asked).map(|(_, read)| read.clone())
    }

    pub(crate) fn set(&self, asked: Asked, read: Read) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((asked, read));
    }
}

impl PartialEq for LastRead {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LastRead {}

impl std::fmt::Debug for LastRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LastRead")
    }
}
