//! The process groups a node started (its agents and the terminals it runs for them), recorded in
//! its data dir so that the node started again stops those a `kill -9` left running: an agent whose
//! client died does not always notice (`npx` → `node` → `codex-acp` keep running, reparented to
//! init).
//!
//! Layout: `<data dir>/process-groups/<boot id>.<pid>.<start>/<pgid>.<start>`, one empty file per
//! group, under one folder per run of spectask (named by the boot, its pid and its start time, in
//! clock ticks since boot as `/proc/<pid>/stat` gives them). A group's file is made right after its
//! leader is spawned (unreaped, so its pid is still its own) and removed once the group is killed
//! after the leader's exit. [`ProcessRecord::stop_orphans`] goes through the folders of runs that
//! are gone (another boot, or a pid that is dead or now names another process, a zombie included)
//! and kills what is left of their groups, by identity only: a process of group `pgid` started no
//! earlier than the group's leader; and if a process `pgid` lives with another start time, the pid
//! was recycled and nothing of that group is touched. Each kill goes through a pidfd opened before
//! the process's identity is read, so the process checked is the one killed.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

/// Rounds of killing one group: a member may fork between a scan and its kill; the next round
/// finds the child.
const KILL_ROUNDS: usize = 50;

/// Where this node records the process groups it starts: `process-groups/` in its data dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessRecord {
    dir: PathBuf,
}

/// One recorded group: its file is removed when this drops (once the group was killed).
#[derive(Debug)]
pub(crate) struct RecordedGroup(PathBuf);

/// The process group of a spawned agent or terminal, held by the task that waits for its leader:
/// killed whole, then forgotten (its record removed), when that task ends — by the leader's exit,
/// or by being dropped with the runtime while the process still runs. tokio's `kill_on_drop`
/// kills only the leader: what else the group holds (`codex-acp`, which its npm launcher `node`
/// runs with `spawnSync`) would live on with init as its parent, and with its record gone.
#[derive(Debug)]
pub(crate) struct LiveGroup {
    pid: u32,
    recorded: Option<RecordedGroup>,
}

impl LiveGroup {
    pub(crate) fn new(pid: u32, recorded: Option<RecordedGroup>) -> Self {
        LiveGroup { pid, recorded }
    }
}

impl Drop for LiveGroup {
    fn drop(&mut self) {
        // The leader is not reaped yet, or only just (by the task holding this): its pid still
        // names the group.
        crate::process::fault::kill_group(self.pid);
        drop(self.recorded.take());
    }
}

impl Drop for RecordedGroup {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// A process as `/proc/<pid>/stat` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ProcStat {
    pgrp: i32,
    /// Clock ticks after boot.
    start: u64,
    /// Dead but not reaped (`Z`, `X`): nothing left to kill.
    dead: bool,
}

impl ProcessRecord {
    pub fn in_data_dir(data_dir: &Path) -> Self {
        ProcessRecord { dir: data_dir.join("process-groups") }
    }

    /// Records the group led by `pid`, just spawned and not yet reaped. `None` (with a warning)
    /// when it cannot be recorded: the agent runs, only a crash would leave it behind.
    pub(crate) fn started(&self, pid: u32) -> Option<RecordedGroup> {
        self.record(pid)
            .inspect_err(|error| {
                tracing::warn!(pid, %error, dir = %self.dir.display(), "cannot record an agent's process group")
            })
            .ok()
    }

    fn record(&self, pid: u32) -> io::Result<RecordedGroup> {
        let run = self.dir.join(this_run()?);
        let stat = stat(pid_of(pid)?)?;
        fs::create_dir_all(&run)?;
        let path = run.join(format!("{pid}.{}", stat.start));
        fs::File::create(&path)?;
        Ok(RecordedGroup(path))
    }

    /// Kills what is left of the groups recorded by runs that are gone, and forgets those runs.
    /// Returns how many processes were killed. Runs still alive (another node on the same data dir,
    /// this one) are left alone.
    pub fn stop_orphans(&self) -> io::Result<usize> {
        let boot = boot_id()?;
        let runs = match fs::read_dir(&self.dir) {
            Ok(runs) => runs,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        let mut killed = 0;
        for run in runs {
            let run = run?;
            let name = run.file_name();
            let Some((run_boot, owner, owner_start)) = name.to_str().and_then(parse_run) else { continue };
            let owner_alive = stat(owner).is_ok_and(|s| s.start == owner_start && !s.dead);
            if run_boot == boot && owner_alive {
                continue;
            }
            if run_boot == boot {
                for group in fs::read_dir(run.path())? {
                    let group = group?.file_name();
                    if let Some((pgid, start)) = group.to_str().and_then(parse_group) {
                        killed += stop_group(pgid, start)?;
                    }
                }
            }
            fs::remove_dir_all(run.path())?;
        }
        Ok(killed)
    }
}

/// This run's folder name: `<boot id>.<pid>.<start>`, read once.
fn this_run() -> io::Result<&'static str> {
    static RUN: OnceLock<Result<String, String>> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let me = rustix::process::getpid();
        let name = |boot: String, start: u64| format!("{boot}.{}.{start}", me.as_raw_nonzero());
        boot_id().and_then(|boot| Ok(name(boot, stat(me)?.start))).map_err(|e| e.to_string())
    });
    run.as_deref().map_err(|e| io::Error::other(e.clone()))
}

fn boot_id() -> io::Result<String> {
    Ok(fs::read_to_string("/proc/sys/kernel/random/boot_id")?.trim().to_owned())
}

fn parse_run(name: &str) -> Option<(String, Pid, u64)> {
    let mut parts = name.rsplitn(3, '.');
    let (start, pid, boot) = (parts.next()?, parts.next()?, parts.next()?);
    Some((boot.to_owned(), Pid::from_raw(pid.parse().ok()?)?, start.parse().ok()?))
}

fn parse_group(name: &str) -> Option<(Pid, u64)> {
    let (pgid, start) = name.split_once('.')?;
    Some((Pid::from_raw(pgid.parse().ok()?)?, start.parse().ok()?))
}

fn pid_of(pid: u32) -> io::Result<Pid> {
    i32::try_from(pid).ok().and_then(Pid::from_raw).ok_or_else(|| io::Error::other(format!("no pid {pid}")))
}

fn stat(pid: Pid) -> io::Result<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero()))?;
    parse_stat(&text).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, text))
}

/// `pid (comm) state ppid pgrp … starttime …`: comm may hold spaces and parentheses, so the fields
/// are counted after the last `)`; state is field 3, pgrp 5, starttime 22.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let state = fields.first()?;
    Some(ProcStat {
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
        dead: matches!(*state, "Z" | "X" | "x"),
    })
}

/// Kills the live processes of group `pgid` whose leader started at `start`; how many.
fn stop_group(pgid: Pid, start: u64) -> io::Result<usize> {
    let is_member = |pid: Pid, s: &ProcStat| {
        s.pgrp == pgid.as_raw_nonzero().get()
            && !s.dead
            && s.start >= start
            && (pid != pgid || s.start == start)
    };
    let mut killed = HashSet::new();
    for _ in 0..KILL_ROUNDS {
        // A live process `pgid` started at another time: the pid was recycled, the group is not ours.
        if stat(pgid).is_ok_and(|s| s.start != start && !s.dead) {
            break;
        }
        let members: Vec<Pid> =
            processes()?.filter(|(pid, s)| is_member(*pid, s)).map(|(pid, _)| pid).collect();
        if members.is_empty() {
            break;
        }
        for pid in members {
            // The pidfd pins the process: if the stat read after it still matches, it is the one.
            let Ok(fd) = pidfd_open(pid, PidfdFlags::empty()) else { continue };
            if stat(pid).is_ok_and(|s| is_member(pid, &s)) && pidfd_send_signal(&fd, Signal::KILL).is_ok() {
                killed.insert(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(killed.len())
}

/// Every process of `/proc` with its stat (those gone while read are skipped).
fn processes() -> io::Result<impl Iterator<Item = (Pid, ProcStat)>> {
    Ok(fs::read_dir("/proc")?.filter_map(|entry| {
        let pid = Pid::from_raw(entry.ok()?.file_name().to_str()?.parse().ok()?)?;
        Some((pid, stat(pid).ok()?))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let text = "42 (a) b (c)) S 1 40 40 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 0 0";
        assert_eq!(parse_stat(text), Some(ProcStat { pgrp: 40, start: 12345, dead: false }));
        let zombie = "42 (sh) Z 1 40 40 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 0 0";
        assert!(parse_stat(zombie).unwrap().dead);
    }

    #[test]
    fn names_of_runs_and_groups_parse_back() {
        let (boot, pid, start) = parse_run("0b6c-4d.17.900").unwrap();
        assert_eq!((boot.as_str(), pid.as_raw_nonzero().get(), start), ("0b6c-4d", 17, 900));
        assert!(parse_run("junk").is_none());
        let (pgid, start) = parse_group("123.456").unwrap();
        assert_eq!((pgid.as_raw_nonzero().get(), start), (123, 456));
    }

    /// A group recorded by a run that is gone (here: a run folder named after a dead pid) is
    /// killed, leader and child; a live run's group and a recycled pid's are not touched.
    #[test]
    fn orphans_of_a_gone_run_are_killed_and_live_runs_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let record = ProcessRecord::in_data_dir(dir.path());
        let spawn = || {
            use std::os::unix::process::CommandExt;
            std::process::Command::new("sh")
                .args(["-c", "sleep 300 & wait"])
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let mut orphan = spawn();
        let mut ours = spawn();
        let boot = boot_id().unwrap();
        let start_of = |pid: u32| stat(pid_of(pid).unwrap()).unwrap().start;
        // A gone run: one whose pid now names a process started at another time.
        let gone = record.dir.join(format!("{boot}.1.{}", u64::MAX));
        fs::create_dir_all(&gone).unwrap();
        fs::File::create(gone.join(format!("{}.{}", orphan.id(), start_of(orphan.id())))).unwrap();
        // The same group recorded with another start time: a recycled pid, never killed.
        fs::File::create(gone.join(format!("{}.{}", ours.id(), start_of(ours.id()) + 1))).unwrap();
        let live = record.started(ours.id()).unwrap();
        // Wait until the orphan's child runs, so the group has two processes.
        let group = pid_of(orphan.id()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while processes().unwrap().filter(|(_, s)| s.pgrp == group.as_raw_nonzero().get()).count() < 2 {
            assert!(std::time::Instant::now() < deadline, "the orphan's child never started");
            std::thread::sleep(Duration::from_millis(10));
        }

        assert_eq!(record.stop_orphans().unwrap(), 2);
        assert!(orphan.wait().unwrap().code().is_none(), "the orphan's leader was killed");
        let live_members = || {
            processes().unwrap().filter(|(_, s)| s.pgrp == group.as_raw_nonzero().get() && !s.dead).count()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while live_members() > 0 {
            assert!(std::time::Instant::now() < deadline, "the orphan's child lives on");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!gone.exists(), "the gone run is forgotten");
        assert!(ours.try_wait().unwrap().is_none(), "a live run's group runs on");
        assert!(live.0.exists());
        rustix::process::kill_process_group(pid_of(ours.id()).unwrap(), Signal::KILL).unwrap();
        ours.wait().unwrap();
    }
}
