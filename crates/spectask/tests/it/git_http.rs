//! A git remote over smart HTTP on loopback: each request handed to git's own `git http-backend`
//! (CGI), so fetches and pushes go through git's network code as they would to a forge. A test
//! may hold pushes of some refs ([`GitHttp::hold_pushes`]): before the remote takes them, or once
//! it took them but before it answers, so that it can kill the pushing node at that moment.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Serves the bare repositories under `root` at `http://127.0.0.1:<port>/<name>.git` until the
/// test process ends (one thread per connection).
pub struct GitHttp {
    pub base: String,
    holds: Holds,
}

/// When a held push stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldAt {
    /// Before the remote takes it: once released, the connection is dropped and nothing changed.
    Before,
    /// Once the remote took it, before it answers: once released, the connection is dropped
    /// unanswered (the pusher never learns it landed).
    After,
}

/// The pushes held now: which refs, when, how many arrived, and whether they were let go.
#[derive(Clone, Default)]
struct Holds(Arc<(Mutex<Vec<Hold>>, Condvar)>);

struct Hold {
    id: u64,
    prefix: String,
    at: HoldAt,
    held: usize,
    released: bool,
}

/// Pushes held by [`GitHttp::hold_pushes`]; released when dropped.
pub struct HeldPushes {
    holds: Holds,
    id: u64,
}

impl HeldPushes {
    /// Waits until a push is held, for up to `limit`; false if none came.
    pub fn wait(&self, limit: Duration) -> bool {
        let (lock, changed) = &*self.holds.0;
        let deadline = Instant::now() + limit;
        let mut holds = lock.lock().unwrap();
        loop {
            if holds.iter().any(|h| h.id == self.id && h.held > 0) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            holds = changed.wait_timeout(holds, left).unwrap().0;
        }
    }

    /// Lets the held pushes go (each dropped: see [`HoldAt`]) and holds no more.
    pub fn release(self) {}
}

impl Drop for HeldPushes {
    fn drop(&mut self) {
        let (lock, changed) = &*self.holds.0;
        let mut holds = lock.lock().unwrap();
        for hold in holds.iter_mut().filter(|h| h.id == self.id) {
            hold.released = true;
        }
        holds.retain(|h| !(h.released && h.held == 0));
        changed.notify_all();
    }
}

impl GitHttp {
    pub fn serve(root: &Path) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let root = root.to_path_buf();
        let holds = Holds::default();
        let serving = holds.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, holds) = (root.clone(), serving.clone());
                std::thread::spawn(move || {
                    if let Err(e) = answer(stream, &root, &holds) {
                        eprintln!("git http: {e}");
                    }
                });
            }
        });
        GitHttp { base, holds }
    }

    /// Holds every push that updates a ref starting with `prefix` (`refs/heads/spectask/`), at
    /// `at`, until the returned hold is released.
    pub fn hold_pushes(&self, prefix: &str, at: HoldAt) -> HeldPushes {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (lock, _) = &*self.holds.0;
        lock.lock().unwrap().push(Hold { id, prefix: prefix.to_owned(), at, held: 0, released: false });
        HeldPushes { holds: self.holds.clone(), id }
    }
}

impl Holds {
    /// The hold a push of `refs` meets at `at`, if any: counted as held.
    fn take(&self, refs: &[String], at: HoldAt) -> Option<u64> {
        let (lock, changed) = &*self.0;
        let mut holds = lock.lock().unwrap();
        let hold = holds
            .iter_mut()
            .find(|h| !h.released && h.at == at && refs.iter().any(|r| r.starts_with(&h.prefix)))?;
        hold.held += 1;
        changed.notify_all();
        Some(hold.id)
    }

    /// Blocks until hold `id` is released.
    fn until_released(&self, id: u64) {
        let (lock, changed) = &*self.0;
        let mut holds = lock.lock().unwrap();
        while holds.iter().any(|h| h.id == id && !h.released) {
            holds = changed.wait(holds).unwrap();
        }
        if let Some(hold) = holds.iter_mut().find(|h| h.id == id) {
            hold.held -= 1;
        }
        holds.retain(|h| !(h.released && h.held == 0));
    }
}

/// The refs a receive-pack request updates (its commands' pkt-lines: `<old> <new> <ref>`).
fn pushed_refs(body: &[u8]) -> Vec<String> {
    let mut refs = Vec::new();
    let mut at = 0;
    while at + 4 <= body.len() {
        let Some(len) =
            std::str::from_utf8(&body[at..at + 4]).ok().and_then(|l| usize::from_str_radix(l, 16).ok())
        else {
            break;
        };
        if len < 4 || at + len > body.len() {
            break;
        }
        let line = &body[at + 4..at + len];
        let line = line.split(|b| *b == 0).next().unwrap_or_default();
        if let Some(name) = String::from_utf8_lossy(line).trim_end().split(' ').nth(2) {
            refs.push(name.to_owned());
        }
        at += len;
    }
    refs
}

/// Reads one request, runs `git http-backend` on it and writes its answer; closes the connection.
fn answer(stream: TcpStream, root: &PathBuf, holds: &Holds) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("GET").to_owned(), parts.next().unwrap_or("/").to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let mut writer = stream;
    if header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        read_chunked(&mut reader)?
    } else {
        let length: usize = header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let refs = if path.ends_with("/git-receive-pack") { pushed_refs(&body) } else { Vec::new() };
    if let Some(hold) = holds.take(&refs, HoldAt::Before) {
        holds.until_released(hold);
        return Ok(());
    }
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, variable) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(value) = header(name) {
            cgi.env(variable, value);
        }
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer_thread = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output()?;
    let _ = writer_thread.join();
    if let Some(hold) = holds.take(&refs, HoldAt::After) {
        holds.until_released(hold);
        return Ok(());
    }
    let out = output.stdout;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
    let split = split.or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, body) = match split {
        Some((at, len)) => (String::from_utf8_lossy(&out[..at]).into_owned(), &out[at + len..]),
        None => (String::new(), &out[..]),
    };
    let mut status = "200 OK".to_owned();
    let mut response = Vec::new();
    for line in head.lines() {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("status") => status = value.trim().to_owned(),
            Some(_) => response.extend_from_slice(format!("{line}\r\n").as_bytes()),
            None => {}
        }
    }
    let mut reply =
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len()).into_bytes();
    reply.extend_from_slice(&response);
    reply.extend_from_slice(b"\r\n");
    reply.extend_from_slice(body);
    writer.write_all(&reply)?;
    writer.flush()
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if size == 0 {
            let mut end = String::new();
            reader.read_line(&mut end)?;
            return Ok(body);
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        body.extend_from_slice(&chunk[..size]);
    }
}
