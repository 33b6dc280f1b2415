//! Running the binary: a server process per test and CLI invocations against it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn spectask() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spectask"));
    cmd.env_remove("SPECTASK_SERVER")
        .env_remove("SPECTASK_DATABASE_URL")
        .env_remove("SPECTASK_DATA_DIR")
        .env("RUST_BACKTRACE", "0");
    cmd
}

/// A `spectask serve` process on a free port; stopped (SIGTERM, then reaped) on drop.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub fn start(data_dir: &Path, database_url: Option<&str>) -> Self {
        let mut args = vec!["serve".to_owned()];
        if let Some(url) = database_url {
            args.extend(["--database-url".to_owned(), url.to_owned()]);
        }
        Self::spawn(&args, data_dir)
    }

    /// `spectask <args> --addr 127.0.0.1:0 --data-dir DIR`, for `serve` and `demo`.
    pub fn spawn(args: &[String], data_dir: &Path) -> Self {
        let mut cmd = spectask();
        cmd.args(args)
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn spectask serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read the ready line");
        // Keep draining: the process may print more, and a closed pipe would fail its writes.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .trim()
            .strip_prefix("spectask listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }

    /// Runs `spectask task <args>` against this server.
    pub fn task(&self, args: &[&str]) -> Output {
        spectask().arg("task").arg("--server").arg(&self.url).args(args).output().expect("run spectask task")
    }

    pub fn stop(mut self) {
        self.terminate();
    }

    /// SIGKILL: the process dies at once, mid-write if it was writing.
    pub fn kill(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-KILL", &pid]).status().expect("run kill");
        assert!(status.success(), "kill -KILL {pid} failed");
    }

    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("wait for the server");
        assert!(status.success(), "server exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A git repository with one commit.
pub fn git_repo(parent: &Path, name: &str) -> PathBuf {
    let path = parent.join(name);
    std::fs::create_dir_all(&path).unwrap();
    for args in [&["init", "-q", "-b", "main"][..], &["commit", "-q", "--allow-empty", "-m", "init"]] {
        let ok = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&path)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    path
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "command failed: {}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("json output")
}
