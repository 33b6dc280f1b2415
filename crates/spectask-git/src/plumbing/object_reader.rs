//! One long-lived `git cat-file --batch` per repository, for the reads spectask makes at every
//! session's start and end: a branch's tip, and files at a commit (steering documents, a spec's
//! `tasks.md`). Each was a git process of its own; now each is a line written to one process and
//! its answer read back.
//!
//! git itself still reads the repository: every name is resolved as it is asked (a loose ref is
//! read again, `packed-refs` is read again once it changed, an object written since is found), so
//! an answer is never older than the question. The process starts at the first read, serves one
//! read at a time, and is killed when the last handle on the repository goes. One that died, or
//! whose answer could not be understood, is replaced, and the read asked once more of the new one.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Arc, Mutex};

use crate::error::GitError;
use crate::plumbing::cmd::Git;

/// An object as `git cat-file --batch` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// Its id, in hex.
    pub id: String,
    /// `blob`, `tree`, `commit` or `tag`.
    pub kind: String,
    pub data: Vec<u8>,
}

/// The repository's object reader, shared by a [`Repo`](crate::Repo) and its clones. Not part of
/// what the repository is: every two compare equal.
#[derive(Clone)]
pub(crate) struct ObjectReader(Arc<Shared>);

struct Shared {
    /// Where `git cat-file --batch` runs, reading only.
    git: Git,
    batch: Mutex<Option<Batch>>,
}

/// The running `git cat-file --batch`.
struct Batch {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        // Killed and reaped: no process outlives its handle, and none is left a zombie.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ObjectReader {
    /// A reader of the repository `git` runs in; no process starts until the first read.
    pub(crate) fn new(git: Git) -> ObjectReader {
        ObjectReader(Arc::new(Shared { git: git.reading(), batch: Mutex::new(None) }))
    }

    /// The objects `names` name (`<commit>:<path>`, `refs/heads/<branch>^{commit}`), in order;
    /// `None` for a name that names none (or more than one). A name holding a line break names
    /// none: it would be two questions.
    pub(crate) fn read(&self, names: &[String]) -> Result<Vec<Option<Object>>, GitError> {
        let asked: Vec<&str> = names.iter().map(String::as_str).filter(|n| !n.contains('\n')).collect();
        // A read cut off by a panic may have left its answer half read: never read on after it.
        let mut batch = self.0.batch.lock().unwrap_or_else(|cut| {
            let mut batch = cut.into_inner();
            *batch = None;
            batch
        });
        let answers = match self.ask(&mut batch, &asked) {
            Ok(answers) => answers,
            Err(first) => {
                // A process that died (or that this side lost track of) is replaced, once.
                tracing::debug!(error = %first, "the object reader failed; starting it again");
                *batch = None;
                self.ask(&mut batch, &asked).inspect_err(|_| *batch = None)?
            }
        };
        let mut answers = answers.into_iter();
        Ok(names.iter().map(|n| if n.contains('\n') { None } else { answers.next().flatten() }).collect())
    }

    /// Each of `names` asked of the running process (started when there is none).
    fn ask(&self, batch: &mut Option<Batch>, names: &[&str]) -> Result<Vec<Option<Object>>, GitError> {
        let running = match batch {
            Some(running) => running,
            None => batch.insert(self.start()?),
        };
        let failed = |source| GitError::Spawn { op: "git cat-file --batch".to_owned(), source };
        let mut answers = Vec::with_capacity(names.len());
        for name in names {
            running.input.write_all(format!("{name}\n").as_bytes()).map_err(failed)?;
            running.input.flush().map_err(failed)?;
            answers.push(answer(&mut running.output).map_err(failed)?);
        }
        Ok(answers)
    }

    fn start(&self) -> Result<Batch, GitError> {
        let mut command = self.0.git.command(["cat-file", "--batch"]);
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let spawn_err = |source| GitError::Spawn { op: "git cat-file --batch".to_owned(), source };
        let mut child = command.spawn().map_err(spawn_err)?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(spawn_err(std::io::Error::other("no pipe to git cat-file")));
        };
        Ok(Batch { child, input, output: BufReader::new(output) })
    }
}

/// One answer: `<id> <type> <size>`, the object and a line break; or `<name> missing` (or
/// `ambiguous`). A process that ended, or an answer of another shape, is an error: what follows
/// on the stream could not be trusted.
fn answer(output: &mut impl BufRead) -> std::io::Result<Option<Object>> {
    let mut header = Vec::new();
    if output.read_until(b'\n', &mut header)? == 0 || header.pop() != Some(b'\n') {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "git cat-file ended"));
    }
    let header = String::from_utf8_lossy(&header);
    let mut fields = header.rsplitn(3, ' ');
    let (size, kind, id) = (fields.next(), fields.next(), fields.next());
    let object = match (id, kind, size.and_then(|s| s.parse::<usize>().ok())) {
        (Some(id), Some(kind), Some(size)) if is_object_id(id) => Some((id, kind, size)),
        _ if header.ends_with(" missing") || header.ends_with(" ambiguous") => None,
        _ => {
            let shape = format!("an answer of git cat-file not understood: {header}");
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, shape));
        }
    };
    let Some((id, kind, size)) = object else { return Ok(None) };
    let mut data = vec![0; size + 1];
    output.read_exact(&mut data)?;
    if data.pop() != Some(b'\n') {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "git cat-file's object ran on"));
    }
    Ok(Some(Object { id: id.to_owned(), kind: kind.to_owned(), data }))
}

/// A SHA-1 or SHA-256 object id in hex.
fn is_object_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl PartialEq for ObjectReader {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ObjectReader {}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("object reader")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn repository() -> (tempfile::TempDir, Git) {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::at(dir.path());
        git.run(&["init", "-q", "-b", "main"]).unwrap();
        (dir, git)
    }

    fn commit(dir: &std::path::Path, git: &Git, path: &str, text: &str) -> String {
        std::fs::write(dir.join(path), text).unwrap();
        git.run(&["add", "--", path]).unwrap();
        let identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"];
        git.run(&[&identity[..], &["commit", "-q", "-m", path]].concat()).unwrap();
        git.text(&["rev-parse", "HEAD"]).unwrap()
    }

    #[test]
    fn names_are_resolved_as_they_are_asked() {
        let (dir, git) = repository();
        let reader = ObjectReader::new(git.clone());
        let first = commit(dir.path(), &git, "a.txt", "one\n");
        let tip = || reader.read(&["refs/heads/main^{commit}".to_owned()]).unwrap().remove(0).unwrap();
        assert_eq!(tip().id, first);
        assert_eq!(tip().kind, "commit");

        // A commit since, and the branch packed: the same process answers with the new tip.
        let second = commit(dir.path(), &git, "a.txt", "two\n");
        assert_eq!(tip().id, second);
        git.run(&["pack-refs", "--all"]).unwrap();
        git.run(&["gc", "-q"]).unwrap();
        assert_eq!(tip().id, second);
        let third = commit(dir.path(), &git, "b.txt", "three\n");
        assert_eq!(tip().id, third);

        let asked = ["main:a.txt", "main:none.txt", "main:b.txt", "bad\nname", "nothing^{commit}"];
        let read = reader.read(&asked.map(str::to_owned)).unwrap();
        let data: Vec<Option<&[u8]>> = read.iter().map(|o| o.as_ref().map(|o| o.data.as_slice())).collect();
        assert_eq!(data, [Some(&b"two\n"[..]), None, Some(b"three\n"), None, None]);
    }

    #[test]
    fn a_reader_whose_process_died_starts_another() {
        let (dir, git) = repository();
        let id = commit(dir.path(), &git, "a.txt", "one\n");
        let reader = ObjectReader::new(git);
        let asked = ["HEAD".to_owned()];
        assert_eq!(reader.read(&asked).unwrap()[0].as_ref().unwrap().id, id);
        let pid = {
            let mut batch = reader.0.batch.lock().unwrap();
            let running = batch.as_mut().unwrap();
            running.child.kill().unwrap();
            running.child.wait().unwrap();
            running.child.id()
        };
        assert_eq!(reader.read(&asked).unwrap()[0].as_ref().unwrap().id, id);
        let batch = reader.0.batch.lock().unwrap();
        assert_ne!(batch.as_ref().unwrap().child.id(), pid, "another process answered");
    }

    #[test]
    fn the_process_goes_with_the_last_handle() {
        let (dir, git) = repository();
        commit(dir.path(), &git, "a.txt", "one\n");
        let reader = ObjectReader::new(git);
        let clone = reader.clone();
        reader.read(&["HEAD".to_owned()]).unwrap();
        let pid = reader.0.batch.lock().unwrap().as_ref().unwrap().child.id();
        let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
        drop(reader);
        assert!(alive(), "a clone still holds it");
        drop(clone);
        assert!(!alive(), "killed and reaped with the last handle");
    }
}
