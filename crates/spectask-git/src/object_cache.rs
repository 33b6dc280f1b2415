//! The commits, trees and blobs spectask's commits read, kept parsed in memory by id: the ones this
//! process wrote (each commit reads back what the one before it wrote: its commit, the trees on its
//! paths, an appended file's blob) and the ones it read through libgit2.
//!
//! An object's id is the hash of its content, so what is kept under an id is that object's content
//! in any repository, and stays right for good; an id is only ever looked up here after it was
//! reached from a ref of the repository (a ref names an existing commit, a commit its trees), so
//! the object exists there too. libgit2 would read each of them from its loose file again (an
//! `access`, a `stat`, an `open`, a read, its hash checked) on every commit: the objects spectask
//! writes are not in libgit2's own cache. The cache is bounded in objects and bytes, oldest out
//! first.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use git2::{Oid, Repository};

use crate::error::{GitError, GitResultExt};

/// The mode of a directory in a tree (`40000`).
pub(crate) const TREE_MODE: i32 = 0o040000;
/// The mode of a submodule's commit in a tree.
const GITLINK_MODE: i32 = 0o160000;
/// At most this many objects and bytes are kept; larger blobs are not.
const MAX_OBJECTS: usize = 4096;
const MAX_BYTES: usize = 16 << 20;
const MAX_BLOB: usize = 1 << 20;

/// One entry of a tree: its name, mode (as written) and object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeEntry {
    pub(crate) name: Vec<u8>,
    pub(crate) mode: i32,
    pub(crate) id: Oid,
}

#[derive(Clone)]
enum Kept {
    Commit { tree: Oid },
    Tree(Arc<Vec<TreeEntry>>),
    Blob(Arc<Vec<u8>>),
}

#[derive(Default)]
struct Cache {
    kept: HashMap<Oid, Kept>,
    order: VecDeque<Oid>,
    bytes: usize,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn size(kept: &Kept) -> usize {
    match kept {
        Kept::Commit { .. } => 64,
        Kept::Tree(entries) => entries.iter().map(|e| e.name.len() + 48).sum(),
        Kept::Blob(bytes) => bytes.len(),
    }
}

fn get(id: Oid) -> Option<Kept> {
    cache().lock().unwrap_or_else(PoisonError::into_inner).kept.get(&id).cloned()
}

fn keep(id: Oid, kept: Kept) {
    let mut cache = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if cache.kept.contains_key(&id) {
        return;
    }
    cache.bytes += size(&kept);
    cache.kept.insert(id, kept);
    cache.order.push_back(id);
    while cache.order.len() > MAX_OBJECTS || cache.bytes > MAX_BYTES {
        let Some(oldest) = cache.order.pop_front() else { break };
        if let Some(gone) = cache.kept.remove(&oldest) {
            cache.bytes -= size(&gone);
        }
    }
}

/// Keeps a commit this process wrote: its tree.
pub(crate) fn keep_commit(id: Oid, tree: Oid) {
    keep(id, Kept::Commit { tree });
}

/// Keeps a tree this process wrote, its entries in git's order.
pub(crate) fn keep_tree(id: Oid, entries: Arc<Vec<TreeEntry>>) {
    keep(id, Kept::Tree(entries));
}

/// Keeps a blob this process wrote (unless it is large).
pub(crate) fn keep_blob(id: Oid, bytes: &[u8]) {
    if bytes.len() <= MAX_BLOB {
        keep(id, Kept::Blob(Arc::new(bytes.to_vec())));
    }
}

/// The tree of commit `id`.
pub(crate) fn commit_tree(repo: &Repository, id: Oid) -> Result<Oid, GitError> {
    if let Some(Kept::Commit { tree }) = get(id) {
        return Ok(tree);
    }
    let tree = repo.find_commit(id).op(|| format!("read commit {id}"))?.tree_id();
    keep_commit(id, tree);
    Ok(tree)
}

/// The entries of tree `id`, in git's order.
pub(crate) fn tree(repo: &Repository, id: Oid) -> Result<Arc<Vec<TreeEntry>>, GitError> {
    if let Some(Kept::Tree(entries)) = get(id) {
        return Ok(entries);
    }
    let tree = repo.find_tree(id).op(|| format!("read tree {id}"))?;
    let entries: Arc<Vec<TreeEntry>> = Arc::new(
        tree.iter()
            .map(|e| TreeEntry { name: e.name_bytes().to_vec(), mode: e.filemode_raw(), id: e.id() })
            .collect(),
    );
    keep_tree(id, entries.clone());
    Ok(entries)
}

/// The file (a blob: a regular file, executable or not, or a symbolic link) at `path` under the
/// tree `root`, `None` when there is none.
pub(crate) fn file_at(repo: &Repository, root: Oid, path: &str) -> Result<Option<Oid>, GitError> {
    let mut tree = root;
    let mut names = path.split('/').peekable();
    while let Some(name) = names.next() {
        let entries = self::tree(repo, tree)?;
        let Some(entry) = entries.iter().find(|e| e.name == name.as_bytes()) else { return Ok(None) };
        match (names.peek(), entry.mode) {
            (None, TREE_MODE | GITLINK_MODE) => return Ok(None),
            (None, _) => return Ok(Some(entry.id)),
            (Some(_), TREE_MODE) => tree = entry.id,
            (Some(_), _) => return Ok(None),
        }
    }
    Ok(None)
}

/// The contents of the file at `path` under the tree `root`, `None` when there is none.
pub(crate) fn file_contents(
    repo: &Repository,
    root: Oid,
    path: &str,
) -> Result<Option<Arc<Vec<u8>>>, GitError> {
    let Some(id) = file_at(repo, root, path)? else { return Ok(None) };
    if let Some(Kept::Blob(bytes)) = get(id) {
        return Ok(Some(bytes));
    }
    let blob = repo.find_blob(id).op(|| format!("read {}", Path::new(path).display()))?;
    let bytes = Arc::new(blob.content().to_vec());
    if bytes.len() <= MAX_BLOB {
        keep(id, Kept::Blob(bytes.clone()));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_objects_leave_first_within_the_bounds() {
        let id = |n: u32| Oid::hash_object(git2::ObjectType::Blob, &n.to_le_bytes()).unwrap();
        for n in 0..(MAX_OBJECTS as u32 + 10) {
            keep_commit(id(n), id(n));
        }
        assert!(get(id(0)).is_none() && get(id(9)).is_none());
        assert!(matches!(get(id(MAX_OBJECTS as u32 + 9)), Some(Kept::Commit { .. })));
        let cache = cache().lock().unwrap();
        assert!(cache.order.len() <= MAX_OBJECTS && cache.bytes <= MAX_BYTES);
        assert_eq!(cache.order.len(), cache.kept.len());
    }
}
