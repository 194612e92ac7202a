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

/// What a pid file records: the pid, and the program it ran, so a pid that the
/// kernel has since given to another process is never mistaken for ours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PidRecord {
    pub pid: i32,
    pub program: PathBuf,
}

impl PidRecord {
    pub fn read(pid_file: &Path) -> Option<PidRecord> {
        let text = fs::read_to_string(pid_file).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// True while the recorded process runs the recorded program. A zombie has
    /// an empty command line, so it counts as stopped.
    pub fn is_running(&self) -> bool {
        let Ok(cmdline) = fs::read(format!("/proc/{}/cmdline", self.pid)) else {
            return false;
        };
        let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        argv0 == self.program.as_os_str().as_encoded_bytes()
    }
}

/// Starts `program` in its own session (no terminal signals reach it), output
/// appended to `log_file`, and records it in `pid_file`.
pub fn spawn_detached(
    program: &Path,
    args: &[String],
    log_file: &Path,
    pid_file: &Path,
) -> anyhow::Result<PidRecord> {
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
    // SAFETY: setsid is async-signal-safe and touches no memory of this process.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let record = PidRecord {
        pid: child.id() as i32,
        program: program.to_path_buf(),
    };
    fs::write(pid_file, serde_json::to_vec(&record)?)
        .with_context(|| format!("writing {}", pid_file.display()))?;
    // The child is deliberately not waited for: it must outlive this command.
    drop(child);
    Ok(record)
}

/// SIGTERM, then SIGKILL if the process is still there after `grace`.
/// Returns true if it had to be killed.
pub fn stop(record: &PidRecord, grace: Duration) -> bool {
    if !record.is_running() {
        return false;
    }
    let pid = Pid::from_raw(record.pid);
    let _ = kill(pid, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        reap(pid);
        if !record.is_running() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(pid, Signal::SIGKILL);
    while record.is_running() {
        reap(pid);
        std::thread::sleep(Duration::from_millis(20));
    }
    true
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
