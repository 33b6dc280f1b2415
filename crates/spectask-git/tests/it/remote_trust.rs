//! How far git trusts a remote and the content it serves: as git does where the operator or an
//! administrator registered the repository; no further than the operator's checks where a member
//! did. A member's URL met those checks, and its server could lead git past them (to a loopback
//! port, a cloud's metadata address): by a redirect, by a submodule's URL in `.gitmodules`, or by
//! the Git LFS server its `.lfsconfig` names (whose answers name more addresses).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;

use spectask_git::{GitError, RegisterOptions, RemoteTrust, Repo, clone_repository};

use crate::support::{git, init_repo};

/// A loopback HTTP server answering its first `connections` requests with `answer` (given the
/// server's own port), telling each request line it read.
fn serve(
    connections: usize,
    answer: impl Fn(u16) -> String + Send + 'static,
) -> (u16, mpsc::Receiver<String>, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let serving = std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line.trim_end().to_owned());
            let mut stream = stream;
            let _ = stream.write_all(answer(port).as_bytes());
        }
    });
    (port, rx, serving)
}

fn not_found(_: u16) -> String {
    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
}

/// A redirecting remote in front of an inside address: the URL a member registered, and what
/// reached the inside address.
struct Redirecting {
    url: String,
    inside_port: u16,
    inside: mpsc::Receiver<String>,
    inside_serving: JoinHandle<()>,
}

fn redirecting() -> Redirecting {
    let (inside_port, inside, inside_serving) = serve(1, not_found);
    // The redirect's target keeps git's path, so that git takes it as the repository's new base.
    let redirect = move |_: u16| {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{inside_port}/secret/info/refs?service=git-upload-pack\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let (port, _, _) = serve(4, redirect);
    Redirecting { url: format!("http://127.0.0.1:{port}/app.git"), inside_port, inside, inside_serving }
}

/// An inside address named directly, as a `.gitmodules` may name it: no policy judged that URL.
fn inside_only() -> Redirecting {
    let (inside_port, inside, inside_serving) = serve(1, not_found);
    Redirecting {
        url: format!("http://127.0.0.1:{inside_port}/sub.git"),
        inside_port,
        inside,
        inside_serving,
    }
}

impl Redirecting {
    /// The first request line the inside address read: a probe of the test's own when git never
    /// came.
    fn reached_inside(self) -> String {
        // Refused once the inside address served the one request it takes.
        let probe = TcpStream::connect(("127.0.0.1", self.inside_port));
        if let Ok(mut probe) = probe.as_ref() {
            let _ = probe.write_all(b"PROBE\r\n\r\n");
        }
        let first = self.inside.recv().unwrap();
        drop(probe);
        self.inside_serving.join().unwrap();
        first
    }
}

#[test]
fn a_member_clone_follows_no_redirect_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let remote = redirecting();
    let err = clone_repository(&remote.url, &dir.path().join("app"), RemoteTrust::Member).unwrap_err();
    let GitError::Remote { message, .. } = &err else { panic!("not a remote's error: {err}") };
    assert!(message.contains("returned error: 302"), "{message}");
    assert!(message.contains("register it by the URL the redirect leads to"), "{message}");
    assert_eq!(remote.reached_inside(), "PROBE", "git reached the redirect's target");
}

#[test]
fn an_operators_clone_follows_the_first_redirect_as_git_does() {
    let dir = tempfile::tempdir().unwrap();
    let remote = redirecting();
    let err = clone_repository(&remote.url, &dir.path().join("app"), RemoteTrust::Operator).unwrap_err();
    assert!(matches!(err, GitError::Remote { .. }), "{err}");
    let reached = remote.reached_inside();
    assert!(reached.starts_with("GET /secret/info/refs"), "the redirect was not followed: {reached}");
}

#[test]
fn a_member_repository_fetches_no_redirect() {
    let dir = tempfile::tempdir().unwrap();
    let source = init_repo(&dir.path().join("source"), "main");
    let url = format!("file://{}", source.display());
    let dest = dir.path().join("clone");
    clone_repository(&url, &dest, RemoteTrust::Member).unwrap();
    let repo =
        Repo::register(&dest, &RegisterOptions::default()).unwrap().repo.track_remote("origin").unwrap();
    // The remote's server starts redirecting after the registration.
    let remote = redirecting();
    git(&dest, &["remote", "set-url", "origin", &remote.url]);
    let repo = repo.with_trust(RemoteTrust::Member);
    let err = repo.fetch().unwrap_err();
    assert!(err.to_string().contains("returned error: 302"), "{err}");
    assert_eq!(remote.reached_inside(), "PROBE", "the fetch reached the redirect's target");
    assert_eq!(Repo::open(&dest).unwrap().trust(), RemoteTrust::Operator, "a handle's own choice");
}

/// A repository whose `.gitmodules` names `url` for its submodule `sub`, registered.
fn with_submodule(parent: &std::path::Path, url: &str) -> Repo {
    let root = init_repo(parent, "main");
    let head = git(&root, &["rev-parse", "HEAD"]);
    std::fs::write(root.join(".gitmodules"), format!("[submodule \"sub\"]\n\tpath = sub\n\turl = {url}\n"))
        .unwrap();
    git(&root, &["update-index", "--add", "--cacheinfo", &format!("160000,{head},sub")]);
    git(&root, &["add", ".gitmodules"]);
    git(&root, &["commit", "-qm", "add a submodule"]);
    Repo::register(&root, &RegisterOptions::default()).unwrap().repo
}

#[test]
fn a_member_task_worktree_checks_out_no_submodule() {
    let dir = tempfile::tempdir().unwrap();
    let remote = inside_only();
    let repo = with_submodule(dir.path(), &remote.url).with_trust(RemoteTrust::Member);
    let task = spectask_git::TaskHandle::new("7f3a-sub").unwrap();
    let made = repo.ensure_task_worktree(&task).unwrap();
    assert!(made.worktree_created);
    assert_eq!(remote.reached_inside(), "PROBE", "the submodule's URL was fetched");
}

#[test]
fn an_operators_task_worktree_checks_out_its_submodules() {
    let dir = tempfile::tempdir().unwrap();
    let remote = redirecting();
    let repo = with_submodule(dir.path(), &remote.url);
    let task = spectask_git::TaskHandle::new("7f3a-sub").unwrap();
    repo.ensure_task_worktree(&task).unwrap();
    let reached = remote.reached_inside();
    assert!(reached.starts_with("GET /secret/info/refs"), "the submodule was not fetched: {reached}");
}

/// Whether git-lfs is installed; when not, says that the test is skipped.
fn git_lfs_installed() -> bool {
    let dir = tempfile::tempdir().unwrap();
    let version = crate::support::git_output(dir.path(), &["lfs", "version"]);
    if !version.status.success() {
        eprintln!(
            "skipped: `git lfs version` failed ({}) (install git-lfs; scripts/test does)",
            version.status
        );
    }
    version.status.success()
}

/// A repository with a Git LFS file whose object it lacks, its `.lfsconfig` naming `lfs_url`:
/// checking the file out makes git-lfs ask there for it.
fn with_lfs_file(parent: &std::path::Path, lfs_url: &str) -> std::path::PathBuf {
    let root = init_repo(parent, "main");
    std::fs::write(root.join(".lfsconfig"), format!("[lfs]\n\turl = {lfs_url}\n")).unwrap();
    std::fs::write(root.join(".gitattributes"), "*.bin filter=lfs diff=lfs merge=lfs -text\n").unwrap();
    let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    let pointer = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n");
    std::fs::write(root.join("data.bin"), pointer).unwrap();
    git(&root, &["add", ".lfsconfig", ".gitattributes", "data.bin"]);
    git(&root, &["commit", "-qm", "an LFS file"]);
    root
}

#[test]
fn a_member_task_worktree_checks_out_lfs_pointers_and_fetches_nothing() {
    if !git_lfs_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = inside_only();
    let root = with_lfs_file(dir.path(), &format!("http://127.0.0.1:{}/lfs", server.inside_port));
    let options = RegisterOptions { trust: RemoteTrust::Member, ..RegisterOptions::default() };
    let repo = Repo::register(&root, &options).unwrap().repo;
    let task = spectask_git::TaskHandle::new("7f3a-lfs").unwrap();
    let made = repo.ensure_task_worktree(&task).unwrap();
    let checked_out = std::fs::read_to_string(made.path.join("data.bin")).unwrap();
    assert!(checked_out.starts_with("version https://git-lfs.github.com/spec/v1"), "{checked_out}");
    assert_eq!(server.reached_inside(), "PROBE", "git-lfs asked the repository's LFS server");
}

#[test]
fn an_operators_task_worktree_fetches_lfs_objects() {
    if !git_lfs_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = inside_only();
    let root = with_lfs_file(dir.path(), &format!("http://127.0.0.1:{}/lfs", server.inside_port));
    let repo = Repo::register(&root, &RegisterOptions::default()).unwrap().repo;
    let task = spectask_git::TaskHandle::new("7f3a-lfs").unwrap();
    // The server has no object: the checkout fails, having asked.
    let _ = repo.ensure_task_worktree(&task);
    let reached = server.reached_inside();
    assert!(reached.starts_with("POST /lfs/objects/batch"), "git-lfs did not ask the LFS server: {reached}");
}

#[test]
fn a_member_clone_checks_out_lfs_pointers_and_fetches_nothing() {
    if !git_lfs_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = inside_only();
    let source =
        with_lfs_file(&dir.path().join("source"), &format!("http://127.0.0.1:{}/lfs", server.inside_port));
    let url = format!("file://{}", source.display());
    let options = RegisterOptions { trust: RemoteTrust::Member, ..RegisterOptions::default() };
    let repo = spectask_git::clone_registered(&url, &dir.path().join("clone"), &options).unwrap();
    assert_eq!(repo.trust(), RemoteTrust::Member);
    let checked_out = std::fs::read_to_string(repo.root().join("data.bin")).unwrap();
    assert!(checked_out.starts_with("version https://git-lfs.github.com/spec/v1"), "{checked_out}");
    assert_eq!(server.reached_inside(), "PROBE", "git-lfs asked the repository's LFS server");
}
