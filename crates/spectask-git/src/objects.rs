//! Writing the objects of spectask's commits (a design-docs commit's blobs and the trees above
//! them, every commit object) as loose object files, the way git writes them, instead of through
//! libgit2's object database.
//!
//! libgit2 first looks for every object it is asked to write (a loose file's `utime`, then a rescan
//! of the pack directory when it is not found — always, for a new object), and starts a zlib stream
//! per object (a few hundred kilobytes to clear). Here an object is hashed, framed as zlib and
//! written to a temporary file in its fan-out directory that is then renamed to its name: the same
//! file git would write, found by every reader (libgit2's included, which looks for loose objects
//! on disk at each lookup). An object that exists already is written again with the same bytes,
//! which changes nothing (ids are hashed with libgit2's collision-detecting SHA-1, which refuses
//! content made to collide); the `rename` makes it appear whole or not at all, so a crash leaves at
//! most a temporary file (`tmp_obj_…`, which `git gc` prunes). Objects are written before anything
//! names them, so no tree, commit or ref ever names a missing one.
//!
//! Small objects are stored in zlib's uncompressed ("stored") blocks: one that takes a filesystem
//! block either way gains nothing from compression, and a stored block needs no compressor state.
//! Larger ones are deflated at level 1, git's default for loose objects (`core.looseCompression`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use git2::{ObjectType, Oid, Repository, Signature};

use crate::error::{GitError, GitResultExt, io_err};
use crate::object_cache::{self, TREE_MODE, TreeEntry};

/// Objects up to this size (header included) are written uncompressed: one filesystem block.
const STORED_MAX: usize = 4096;

/// The loose object directory of a repository (its common git dir's `objects/`).
pub(crate) struct LooseObjects {
    dir: PathBuf,
}

impl LooseObjects {
    /// The object directory `repo` (the main repository or one of its worktrees) writes to.
    pub(crate) fn of(repo: &Repository) -> LooseObjects {
        LooseObjects { dir: repo.commondir().join("objects") }
    }

    /// Writes one object of `kind` holding `data`; returns its id.
    pub(crate) fn write(&self, kind: ObjectType, data: &[u8]) -> Result<Oid, GitError> {
        let id = Oid::hash_object(kind, data).op(|| format!("hash a {kind}"))?;
        self.write_hashed(id, kind, data)?;
        Ok(id)
    }

    /// Writes the object `id`, which the caller hashed from `kind` and `data`.
    pub(crate) fn write_hashed(&self, id: Oid, kind: ObjectType, data: &[u8]) -> Result<(), GitError> {
        let mut framed = format!("{kind} {}\0", data.len()).into_bytes();
        framed.extend_from_slice(data);
        let file = if framed.len() <= STORED_MAX { zlib_stored(&framed) } else { zlib_deflated(&framed)? };
        let hex = id.to_string();
        let fan_out = self.dir.join(&hex[..2]);
        let target = fan_out.join(&hex[2..]);
        let temp = fan_out.join(temp_name());
        let mut out = match create_new(&temp) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&fan_out) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(io_err("create directory", &fan_out)(e));
                    }
                    _ => {}
                }
                create_new(&temp)
            }
            created => created,
        }
        .map_err(io_err("create", &temp))?;
        let written = out.write_all(&file).map_err(io_err("write", &temp));
        drop(out);
        if let Err(e) =
            written.and_then(|()| std::fs::rename(&temp, &target).map_err(io_err("name", &target)))
        {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        if kind == ObjectType::Blob {
            object_cache::keep_blob(id, data);
        }
        Ok(())
    }

    /// Writes the commit of `tree` on `parent` by `signature` (author and committer), exactly as
    /// libgit2's `git_commit_create` would write it; returns its id.
    pub(crate) fn write_commit(
        &self,
        tree: Oid,
        parent: Oid,
        signature: &Signature<'_>,
        message: &str,
    ) -> Result<Oid, GitError> {
        if message.contains('\0') {
            return Err(GitError::Git {
                op: "write a commit".to_owned(),
                source: git2::Error::from_str("the commit message holds a NUL byte"),
            });
        }
        let mut text = format!("tree {tree}\nparent {parent}\n").into_bytes();
        for header in ["author ", "committer "] {
            write_signature(&mut text, header, signature);
        }
        text.push(b'\n');
        text.extend_from_slice(message.as_bytes());
        let id = self.write(ObjectType::Commit, &text)?;
        object_cache::keep_commit(id, tree);
        Ok(id)
    }

    /// Writes the trees of `base` (the root tree, `None` for none) with each `(path, blob)` of
    /// `files` set as a regular file, as libgit2's `git_tree_create_updated` upserts them; returns
    /// the new root tree's id. Only the trees on the written paths are read and written.
    pub(crate) fn write_updated_tree(
        &self,
        repo: &Repository,
        base: Option<Oid>,
        files: &[(&str, Oid)],
    ) -> Result<Oid, GitError> {
        let mut entries = match base {
            Some(id) => object_cache::tree(repo, id)?.as_ref().clone(),
            None => Vec::new(),
        };
        let mut dirs: Vec<(&str, Vec<(&str, Oid)>)> = Vec::new();
        for (path, blob) in files {
            match path.split_once('/') {
                None => set_entry(&mut entries, path.as_bytes(), i32::from(git2::FileMode::Blob), *blob),
                Some((dir, rest)) => match dirs.iter_mut().find(|(name, _)| name == &dir) {
                    Some((_, under)) => under.push((rest, *blob)),
                    None => dirs.push((dir, vec![(rest, *blob)])),
                },
            }
        }
        for (dir, under) in dirs {
            let subtree = match entries.iter().find(|e| e.name == dir.as_bytes()) {
                None => None,
                Some(TreeEntry { mode: TREE_MODE, id, .. }) => Some(*id),
                Some(_) => {
                    return Err(GitError::Git {
                        op: format!("write the tree of {dir}/"),
                        source: git2::Error::from_str("D/F conflict when updating tree"),
                    });
                }
            };
            let id = self.write_updated_tree(repo, subtree, &under)?;
            set_entry(&mut entries, dir.as_bytes(), TREE_MODE, id);
        }
        // git's order: by name, a directory's name compared as if it ended with '/'.
        entries.sort_by(|a, b| sort_key(&a.name, a.mode).cmp(sort_key(&b.name, b.mode)));
        let mut data = Vec::with_capacity(entries.iter().map(|e| e.name.len() + 28).sum());
        for TreeEntry { name, mode, id } in &entries {
            data.extend_from_slice(format!("{mode:o} ").as_bytes());
            data.extend_from_slice(name);
            data.push(0);
            data.extend_from_slice(id.as_bytes());
        }
        let id = self.write(ObjectType::Tree, &data)?;
        object_cache::keep_tree(id, std::sync::Arc::new(entries));
        Ok(id)
    }
}

/// Sets the entry `name` of a tree being built (replacing one of that name, whatever its kind).
fn set_entry(entries: &mut Vec<TreeEntry>, name: &[u8], mode: i32, id: Oid) {
    let entry = TreeEntry { name: name.to_vec(), mode, id };
    match entries.iter_mut().find(|existing| existing.name == name) {
        Some(existing) => *existing = entry,
        None => entries.push(entry),
    }
}

/// The bytes a tree entry is ordered by: its name, and a `/` after a directory's.
fn sort_key(name: &[u8], mode: i32) -> impl Iterator<Item = u8> + '_ {
    name.iter().copied().chain((mode == TREE_MODE).then_some(b'/'))
}

/// `<header><name> <<email>> <seconds> <±hhmm>\n`, as libgit2's `git_signature__writebuf`.
pub(crate) fn write_signature(out: &mut Vec<u8>, header: &str, signature: &Signature<'_>) {
    let when = signature.when();
    let offset = when.offset_minutes();
    let sign = if offset < 0 || when.sign() == '-' { '-' } else { '+' };
    let (hours, minutes) = (offset.abs() / 60, offset.abs() % 60);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(signature.name_bytes());
    out.extend_from_slice(b" <");
    out.extend_from_slice(signature.email_bytes());
    // libgit2 writes the time as a 32-bit unsigned number.
    out.extend_from_slice(format!("> {} {sign}{hours:02}{minutes:02}\n", when.seconds() as u32).as_bytes());
}

/// A temporary file name no other writer uses: the process id and a counter.
fn temp_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("tmp_obj_spectask_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A new file, read-only as git keeps its objects.
fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o444).open(path)
}

/// `data` as a zlib stream of stored (uncompressed) blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = u16::MAX as usize;
    let mut out = Vec::with_capacity(data.len() + 11 + 5 * (data.len() / BLOCK));
    // CMF: deflate with a 32 KiB window; FLG: no dictionary, check bits (0x7801 % 31 == 0).
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(BLOCK).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        // Each stored block: BFINAL and BTYPE 00 in a byte of its own, LEN, NLEN, the bytes.
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
    out
}

/// `data` deflated as a zlib stream at level 1.
fn zlib_deflated(data: &[u8]) -> Result<Vec<u8>, GitError> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let deflate_err = |source| GitError::Io { op: "deflate an object for", path: PathBuf::new(), source };
    encoder.write_all(data).map_err(deflate_err)?;
    encoder.finish().map_err(deflate_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trees and commits written here are libgit2's, byte for byte (same ids), and libgit2
    /// reads them back.
    #[test]
    fn trees_and_commits_are_written_as_libgit2_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let objects = LooseObjects::of(&repo);
        let blob = |text: &str| objects.write(ObjectType::Blob, text.as_bytes()).unwrap();
        let mut inner = repo.treebuilder(None).unwrap();
        inner.insert("c.md", blob("c"), 0o100644).unwrap();
        let inner = inner.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        for (name, id, mode) in [
            ("b-x", blob("1"), 0o100644),
            ("b", inner, 0o040000),
            ("b.md", blob("2"), 0o100755),
            ("b0", blob("3"), 0o120000),
        ] {
            root.insert(name, id, mode).unwrap();
        }
        let base = repo.find_tree(root.write().unwrap()).unwrap();
        let files =
            [("b/new.md", blob("n")), ("top.md", blob("t")), ("b/deep/x.md", blob("x")), ("b.md", blob("m"))];
        let ours = objects.write_updated_tree(&repo, Some(base.id()), &files).unwrap();
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, id) in files {
            update.upsert(path, id, git2::FileMode::Blob);
        }
        assert_eq!(ours, update.create_updated(&repo, &base).unwrap());
        let fresh = objects.write_updated_tree(&repo, None, &files[..1]).unwrap();
        assert_eq!(repo.find_tree(fresh).unwrap().get_path(Path::new("b/new.md")).unwrap().id(), files[0].1);

        let tree = repo.find_tree(ours).unwrap();
        let parent =
            repo.find_commit(repo.commit(None, &sig(0), &sig(0), "first\n", &base, &[]).unwrap()).unwrap();
        for offset in [-90, 0, 330] {
            let message = "spec(7f3a): one\n\nSpec-Task: 7f3a\n";
            let id = objects.write_commit(ours, parent.id(), &sig(offset), message).unwrap();
            let theirs =
                repo.commit_create_buffer(&sig(offset), &sig(offset), message, &tree, &[&parent]).unwrap();
            assert_eq!(id, Oid::hash_object(ObjectType::Commit, &theirs).unwrap(), "offset {offset}");
            assert_eq!(repo.find_commit(id).unwrap().tree_id(), ours);
        }
    }

    fn sig(offset: i32) -> Signature<'static> {
        Signature::new("A Person", "person@example.com", &git2::Time::new(1_700_000_000, offset)).unwrap()
    }

    #[test]
    fn stored_and_deflated_streams_inflate_to_the_data() {
        use std::io::Read;
        for size in [0, 1, 100, 65_535, 65_536, 200_000] {
            let data: Vec<u8> = (0..size).map(|n| (n * 7 % 251) as u8).collect();
            for stream in [zlib_stored(&data), zlib_deflated(&data).unwrap()] {
                let mut inflated = Vec::new();
                flate2::read::ZlibDecoder::new(stream.as_slice()).read_to_end(&mut inflated).unwrap();
                assert_eq!(inflated, data, "{size} bytes");
            }
        }
    }
}
