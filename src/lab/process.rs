//! Starting the lab's components as detached processes that outlive the command,
//! and finding and stopping them again through their pid files.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

/// How long a process may take to disappear after SIGKILL before we give up
/// on it (only a process stuck in the kernel takes that long).
const KILL_WAIT: Duration = Duration::from_secs(10);

/// What a pid file records: the pid, the program it ran and when it started,
/// so a pid that the kernel has since given to another process is never
/// mistaken for ours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PidRecord {
    pub pid: i32,
    pub program: PathBuf,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    /// Absent in pid files written before it was recorded.
    #[serde(default)]
    pub start_time: Option<u64>,
}

/// How `stop` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It exited on SIGTERM within the grace period.
    Exited,
    /// It was still there after the grace period and got SIGKILL.
    Killed,
}

impl PidRecord {
    pub fn read(pid_file: &Path) -> Option<PidRecord> {
        let text = fs::read_to_string(pid_file).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// True while the recorded process runs the recorded program. An exiting
    /// process has already dropped its memory (empty command line), so it
    /// counts as not running, though it may still hold files: see `is_gone`.
    pub fn is_running(&self) -> bool {
        let Ok(cmdline) = fs::read(format!("/proc/{}/cmdline", self.pid)) else {
            return false;
        };
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        argv0 == self.program.as_os_str().as_encoded_bytes() && self.same_start()
    }

    /// True once the process has released everything it held: it has no
    /// /proc entry, the pid now belongs to another process, or only its
    /// zombie is left. A Go program's main thread can be a zombie while other
    /// threads still hold its files (etcd's data-directory locks, listening
    /// sockets): those count as not gone until the last thread has exited.
    pub fn is_gone(&self) -> bool {
        let stat = ProcStat::read(self.pid);
        let threads = stat.as_ref().and_then(|_| threads(self.pid));
        let cmdline = fs::read(format!("/proc/{}/cmdline", self.pid)).unwrap_or_default();
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        self.gone_given(stat.as_ref(), threads, argv0)
    }

    /// `is_gone` over what /proc showed: the pid's stat (None: no such
    /// process), its thread count and its argv[0].
    fn gone_given(&self, stat: Option<&ProcStat>, threads: Option<u32>, argv0: &[u8]) -> bool {
        let Some(stat) = stat else {
            return true;
        };
        if self.start_time.is_some_and(|t| t != stat.start_time) {
            return true;
        }
        if matches!(stat.state, 'Z' | 'X') {
            // The zombie's own thread is the last one left once the others
            // have closed the files they shared.
            return threads.is_none_or(|n| n <= 1);
        }
        // Without a recorded start time: a live process running another
        // program has taken the pid over. An empty command line is our
        // process on its way out.
        self.start_time.is_none()
            && !argv0.is_empty()
            && argv0 != self.program.as_os_str().as_encoded_bytes()
    }

    fn same_start(&self) -> bool {
        match self.start_time {
            None => true,
            Some(recorded) => ProcStat::read(self.pid).is_some_and(|s| s.start_time == recorded),
        }
    }
}

/// The two fields of `/proc/<pid>/stat` we need.
struct ProcStat {
    state: char,
    start_time: u64,
}

impl ProcStat {
    fn read(pid: i32) -> Option<ProcStat> {
        let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name (field 2) is in parentheses and may hold spaces.
        let rest = &text[text.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        Some(ProcStat {
            state: fields.first()?.chars().next()?,
            // Field 22 overall; `rest` starts at field 3.
            start_time: fields.get(19)?.parse().ok()?,
        })
    }
}

/// Threads not yet released, from `/proc/<pid>/status`.
fn threads(pid: i32) -> Option<u32> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Starts `program` in its own session (no terminal signals reach it), output
/// appended to `log_file`, and records it in `pid_file`.
pub fn spawn_detached(
    program: &Path,
    args: &[String],
    log_file: &Path,
    pid_file: &Path,
) -> anyhow::Result<PidRecord> {
    spawn(program, args, log_file, pid_file, None)
}

/// `spawn_detached`, the new process placed in the cgroup whose
/// `cgroup.procs` is given before it runs a single instruction of `program`:
/// it and everything it ever starts are then recorded by the kernel.
pub fn spawn_detached_in_cgroup(
    program: &Path,
    args: &[String],
    log_file: &Path,
    pid_file: &Path,
    cgroup_procs: &Path,
) -> anyhow::Result<PidRecord> {
    spawn(program, args, log_file, pid_file, Some(cgroup_procs))
}

fn spawn(
    program: &Path,
    args: &[String],
    log_file: &Path,
    pid_file: &Path,
    cgroup_procs: Option<&Path>,
) -> anyhow::Result<PidRecord> {
    // Opened here: between fork and exec only async-signal-safe calls (a write).
    let cgroup = cgroup_procs
        .map(|path| {
            fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))
        })
        .transpose()?;
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .with_context(|| format!("opening log {}", log_file.display()))?;
    writeln!(
        log,
        "==== kubetutor lab: starting at {} ====\n{} {}",
        time::OffsetDateTime::now_utc(),
        program.display(),
        args.join(" ")
    )?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid and write are async-signal-safe and touch no memory of
    // this process but the two bytes written.
    unsafe {
        command.pre_exec(move || {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            if let Some(procs) = &cgroup {
                // "0": the writing process itself.
                nix::unistd::write(procs, b"0").map_err(std::io::Error::from)?;
            }
            Ok(())
        });
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let pid = child.id() as i32;
    let record = PidRecord {
        pid,
        program: program.to_path_buf(),
        start_time: ProcStat::read(pid).map(|s| s.start_time),
    };
    fs::write(pid_file, serde_json::to_vec(&record)?)
        .with_context(|| format!("writing {}", pid_file.display()))?;
    // The child is deliberately not waited for: it must outlive this command.
    drop(child);
    Ok(record)
}

/// SIGTERM, then SIGKILL if the process is still there after `grace`; returns
/// only once it is gone (see `PidRecord::is_gone`), so its ports and files are
/// free for a successor.
pub fn stop(record: &PidRecord, grace: Duration) -> anyhow::Result<Stopped> {
    let pid = Pid::from_raw(record.pid);
    if record.is_running() {
        let _ = kill(pid, Signal::SIGTERM);
    }
    if wait_gone(record, grace) {
        return Ok(Stopped::Exited);
    }
    if record.is_running() || !record.is_gone() {
        let _ = kill(pid, Signal::SIGKILL);
    }
    if wait_gone(record, KILL_WAIT) {
        return Ok(Stopped::Killed);
    }
    anyhow::bail!(
        "pid {} ({}) is still there {} s after SIGKILL; it may be stuck in the kernel \
         (see `cat /proc/{}/stack` as root)",
        record.pid,
        record.program.display(),
        KILL_WAIT.as_secs(),
        record.pid
    )
}

/// Waits up to `timeout` for the process to be gone, reaping it when it is
/// our own child. Returns whether it is gone.
fn wait_gone(record: &PidRecord, timeout: Duration) -> bool {
    let pid = Pid::from_raw(record.pid);
    let deadline = Instant::now() + timeout;
    loop {
        reap(pid);
        if record.is_gone() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a component started by `spawn_detached` has ended while it was
/// starting, and why. For a child of this process (the `up` that started it)
/// the kernel's answer decides: waitpid gives its exit status or signal
/// (reaping it), and that reason is appended to its log, so a program that
/// dies without a word (a signal, an exit before it logs) still leaves its
/// reason there. /proc is no judge here: between the moment `spawn` returns
/// and the moment the new program's arguments are in place, the child's
/// command line reads empty, and on a busy machine that lasts long enough to
/// take a starting process for a dead one. A process an earlier command
/// started is judged by `is_running`.
pub fn ended_while_starting(record: &PidRecord, log_file: &Path) -> Option<String> {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let reason = match waitpid(Pid::from_raw(record.pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, code)) => format!("exit status {code}"),
        Ok(WaitStatus::Signaled(_, signal, core)) => format!(
            "killed by signal {}{}",
            signal.as_str(),
            if core { " (core dumped)" } else { "" }
        ),
        Ok(_) => return None,
        Err(_) if record.is_running() => return None,
        Err(_) => return Some("no longer running".to_string()),
    };
    note_in_log(log_file, &format!("exited while starting: {reason}"));
    Some(reason)
}

/// Appends a line of kubetutor's own to a component's log (best effort: the
/// error that follows says the same).
fn note_in_log(log_file: &Path, note: &str) {
    if let Ok(mut log) = fs::OpenOptions::new().append(true).open(log_file) {
        let _ = writeln!(
            log,
            "==== kubetutor lab: {note} at {} ====",
            time::OffsetDateTime::now_utc()
        );
    }
}

/// Collects the exit status when the process is our own child (it is, in the
/// `up` that started it), so it does not linger as a zombie.
fn reap(pid: Pid) {
    use nix::sys::wait::{WaitPidFlag, waitpid};
    let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
}

/// The last `lines` lines of a log file, for error messages.
pub fn tail(log_file: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(log_file) else {
        return String::from("(no log written)");
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_of(child: &std::process::Child, program: &str) -> PidRecord {
        let pid = child.id() as i32;
        PidRecord {
            pid,
            program: program.into(),
            start_time: ProcStat::read(pid).map(|s| s.start_time),
        }
    }

    #[test]
    fn a_running_child_is_running_and_after_stop_is_gone() {
        let mut child = Command::new("/bin/sleep").arg("30").spawn().unwrap();
        let record = record_of(&child, "/bin/sleep");
        // On a loaded machine /proc may show the new program a moment late.
        let since = std::time::Instant::now();
        while !record.is_running() && since.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            record.is_running(),
            "argv0 {:?}",
            fs::read(format!("/proc/{}/cmdline", record.pid))
        );
        assert!(!record.is_gone());
        assert_eq!(
            stop(&record, Duration::from_secs(5)).unwrap(),
            Stopped::Exited
        );
        assert!(record.is_gone());
        assert!(!record.is_running());
        // `stop` has reaped it already.
        let _ = child.wait();
    }

    #[test]
    fn a_process_that_ignores_sigterm_is_killed() {
        let ready = std::env::temp_dir().join(format!("kt-trap-{}", std::process::id()));
        let _ = fs::remove_file(&ready);
        let mut child = Command::new("/bin/sh")
            .args([
                "-c",
                "trap '' TERM; touch \"$0\"; while :; do sleep 0.05; done",
            ])
            .arg(&ready)
            .spawn()
            .unwrap();
        let record = record_of(&child, "/bin/sh");
        // The shell says when its trap is in place (a loaded machine may take a while).
        let since = std::time::Instant::now();
        while !ready.exists() && since.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = fs::remove_file(&ready);
        assert_eq!(
            stop(&record, Duration::from_millis(300)).unwrap(),
            Stopped::Killed
        );
        assert!(record.is_gone());
        let _ = child.wait();
    }

    #[test]
    fn a_zombie_main_thread_is_not_gone_while_other_threads_run() {
        // What /proc shows of an exiting Go program (etcd after SIGKILL): the
        // main thread is a zombie with an empty command line, while another
        // thread still holds the data-directory locks.
        let record = PidRecord {
            pid: 1234,
            program: "/lab/bin/etcd".into(),
            start_time: Some(77),
        };
        let zombie = ProcStat {
            state: 'Z',
            start_time: 77,
        };
        assert!(!record.gone_given(Some(&zombie), Some(2), b""));
        assert!(record.gone_given(Some(&zombie), Some(1), b""));
        assert!(record.gone_given(None, None, b""));
        let exiting = ProcStat {
            state: 'R',
            start_time: 77,
        };
        assert!(!record.gone_given(Some(&exiting), Some(8), b""));
        let other = ProcStat {
            state: 'S',
            start_time: 78,
        };
        assert!(record.gone_given(Some(&other), Some(1), b"/bin/bash"));
        // A pid file from before start times were recorded.
        let old = PidRecord {
            start_time: None,
            ..record
        };
        assert!(!old.gone_given(Some(&exiting), Some(8), b""));
        assert!(!old.gone_given(Some(&exiting), Some(8), b"/lab/bin/etcd"));
        assert!(old.gone_given(Some(&exiting), Some(1), b"/bin/bash"));
    }

    fn scratch(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("kt-proc-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        (dir.join("log"), dir.join("pid"))
    }

    fn spawn_sh(script: &str, log: &Path, pid: &Path) -> PidRecord {
        spawn_detached(
            Path::new("/bin/sh"),
            &["-c".to_string(), script.to_string()],
            log,
            pid,
        )
        .unwrap()
    }

    fn wait_ended(record: &PidRecord, log: &Path) -> String {
        let since = Instant::now();
        loop {
            if let Some(reason) = ended_while_starting(record, log) {
                return reason;
            }
            assert!(since.elapsed() < Duration::from_secs(10), "never ended");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_child_that_exits_at_start_leaves_its_status_in_its_log() {
        let (log, pid) = scratch("exit");
        let record = spawn_sh("exit 3", &log, &pid);
        assert_eq!(wait_ended(&record, &log), "exit status 3");
        let text = fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("exited while starting: exit status 3"),
            "{text}"
        );
        let record = spawn_sh("kill -KILL $$", &log, &pid);
        assert_eq!(wait_ended(&record, &log), "killed by signal SIGKILL");
        let text = fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("exited while starting: killed by signal SIGKILL"),
            "{text}"
        );
        let _ = fs::remove_dir_all(log.parent().unwrap());
    }

    #[test]
    fn a_child_just_started_is_never_taken_for_ended() {
        // Right after `spawn` returns, /proc may show an empty command line
        // (the new program's arguments are not in place yet): the check
        // asks the kernel for its child's state instead.
        let (log, pid) = scratch("start");
        for _ in 0..50 {
            let record =
                spawn_detached(Path::new("/bin/sleep"), &["30".to_string()], &log, &pid).unwrap();
            assert_eq!(ended_while_starting(&record, &log), None);
            stop(&record, Duration::from_secs(5)).unwrap();
        }
        let _ = fs::remove_dir_all(log.parent().unwrap());
    }

    /// The CoreDNS start flake, measured: right after `spawn` returns, how
    /// often /proc (`is_running`) says a child is not running while the
    /// kernel says it is alive (the false alarm `lab up` used to report as
    /// "exited while starting"). Big static binaries (CoreDNS, kubelet) show
    /// it a few times in a thousand starts on a loaded 2-core machine.
    /// KUBETUTOR_SPAWN_RACE_PROGRAM names the program (given one argument,
    /// `30`; default /bin/sleep), KUBETUTOR_SPAWN_RACE_RUNS the count.
    #[test]
    #[ignore = "a measurement: run on demand with --nocapture"]
    fn right_after_spawn_proc_may_not_show_the_program_yet() {
        let program = std::env::var("KUBETUTOR_SPAWN_RACE_PROGRAM")
            .unwrap_or_else(|_| "/bin/sleep".to_string());
        let runs: usize = std::env::var("KUBETUTOR_SPAWN_RACE_RUNS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000);
        let (log, pid) = scratch("race");
        let (mut false_alarms, mut exits) = (0, Vec::new());
        for _ in 0..runs {
            let record =
                spawn_detached(Path::new(&program), &["30".to_string()], &log, &pid).unwrap();
            let proc_says_running = record.is_running();
            match ended_while_starting(&record, &log) {
                None if !proc_says_running => false_alarms += 1,
                None => {}
                // A real exit (e.g. CoreDNS finding port 53 taken by the
                // previous one): the kernel's word, with its status.
                Some(reason) => exits.push(reason),
            }
            let _ = kill(Pid::from_raw(record.pid), Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(Pid::from_raw(record.pid), None);
        }
        println!(
            "{program}, {runs} starts: /proc said a live child was not running {false_alarms} \
             times; {} real exits ({:?})",
            exits.len(),
            exits.first()
        );
        let _ = fs::remove_dir_all(log.parent().unwrap());
        assert!(exits.iter().all(|r| r != "no longer running"), "{exits:?}");
    }

    #[test]
    fn a_pid_taken_over_by_another_start_is_not_ours() {
        let mut child = Command::new("/bin/sleep").arg("30").spawn().unwrap();
        let mut record = record_of(&child, "/bin/sleep");
        record.start_time = record.start_time.map(|t| t + 1);
        assert!(!record.is_running());
        assert!(record.is_gone());
        record.start_time = None;
        stop(&record, Duration::from_secs(5)).unwrap();
        let _ = child.wait();
    }
}
