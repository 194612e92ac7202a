//! What the benchmark harnesses share: the TUI on a real pseudo-terminal with
//! a terminal emulator (vt100) reading its output, so "the screen shows it"
//! is timed at the moment the bytes arrive; process CPU and memory from
//! /proc; and the summary figures.

#![allow(dead_code)] // each harness uses its own part

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};

/// A predicate over the screen's text, and when it first held.
struct Probe {
    holds: Box<dyn Fn(&str) -> bool + Send>,
    at: Option<Instant>,
}

struct Screen {
    parser: vt100::Parser,
    probe: Option<Probe>,
}

/// The TUI running on a pty, its screen kept by a reader thread.
pub struct Tui {
    pub child: Child,
    master: OwnedFd,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Tui {
    /// Starts `kubetutor -n namespace` on a `cols`×`rows` terminal.
    pub fn start(kubeconfig: &Path, namespace: &str, state: &Path, cols: u16, rows: u16) -> Tui {
        Tui::spawn(&["-n", namespace], kubeconfig, state, cols, rows)
    }

    /// Starts `kubetutor ARGS` on a `cols`×`rows` terminal.
    pub fn spawn(args: &[&str], kubeconfig: &Path, state: &Path, cols: u16, rows: u16) -> Tui {
        Tui::spawn_as(&tutor_binary(), &[], args, kubeconfig, state, cols, rows)
    }

    /// Starts `program ARGS` (a kubetutor, maybe another build of it) with
    /// extra environment variables `env` on a `cols`×`rows` terminal.
    pub fn spawn_as(
        program: &Path,
        env: &[(&str, &str)],
        args: &[&str],
        kubeconfig: &Path,
        state: &Path,
        cols: u16,
        rows: u16,
    ) -> Tui {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).unwrap();
        let slave = || Stdio::from(pty.slave.try_clone().unwrap());
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .env("KUBECONFIG", kubeconfig)
            .env("XDG_STATE_HOME", state)
            .env("TERM", "xterm-256color")
            .stdin(slave())
            .stdout(slave())
            .stderr(slave())
            .spawn()
            .unwrap();
        let screen = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new(rows, cols, 0),
                probe: None,
            }),
            Condvar::new(),
        ));
        let shared = screen.clone();
        let mut file = std::fs::File::from(pty.master.try_clone().unwrap());
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = file.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                let (lock, changed) = &*shared;
                let mut screen = lock.lock().unwrap();
                screen.parser.process(&buf[..n]);
                let text = screen.parser.screen().contents();
                if let Some(probe) = &mut screen.probe
                    && probe.at.is_none()
                    && (probe.holds)(&text)
                {
                    probe.at = Some(now);
                }
                changed.notify_all();
            }
        });
        Tui {
            child,
            master: pty.master,
            screen,
            reader: Some(reader),
        }
    }

    /// The screen's text now.
    pub fn text(&self) -> String {
        self.screen.0.lock().unwrap().parser.screen().contents()
    }

    /// Waits until `holds` is true of the screen; panics after `timeout`.
    pub fn wait(&self, timeout: Duration, what: &str, holds: impl Fn(&str) -> bool) {
        let (lock, changed) = &*self.screen;
        let deadline = Instant::now() + timeout;
        let mut screen = lock.lock().unwrap();
        loop {
            if holds(&screen.parser.screen().contents()) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the screen never showed {what}:\n{}",
                screen.parser.screen().contents()
            );
            screen = changed.wait_timeout(screen, left).unwrap().0;
        }
    }

    /// From now on, notes the first moment `holds` is true of the screen.
    pub fn arm(&self, holds: impl Fn(&str) -> bool + Send + 'static) {
        self.screen.0.lock().unwrap().probe = Some(Probe {
            holds: Box::new(holds),
            at: None,
        });
    }

    /// When the armed predicate first held, waiting up to `timeout` for it.
    pub fn hit(&self, timeout: Duration) -> Option<Instant> {
        let (lock, changed) = &*self.screen;
        let deadline = Instant::now() + timeout;
        let mut screen = lock.lock().unwrap();
        loop {
            if let Some(at) = screen.probe.as_ref().and_then(|p| p.at) {
                return Some(at);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            screen = changed.wait_timeout(screen, left).unwrap().0;
        }
    }

    /// Types bytes as keys.
    pub fn keys(&self, bytes: &[u8]) {
        let mut file = std::fs::File::from(self.master.try_clone().unwrap());
        file.write_all(bytes).unwrap();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
        // The reader ends when the pty closes with the child; do not wait on it.
        drop(self.reader.take());
    }
}

/// The Steps pane line of step `number` starts with `mark` (✓, !, ·, …).
pub fn step_marked(screen: &str, number: usize, mark: char) -> bool {
    let needle = format!(" {number:>2} ");
    screen.lines().any(|line| {
        line.find(&needle)
            .and_then(|at| line[..at].chars().last())
            .is_some_and(|m| m == mark)
    })
}

/// utime + stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0 // USER_HZ, the unit of /proc/PID/stat times on Linux
}

/// Resident memory in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1024.0
}

/// Median, p95 and max of some durations, in ms.
pub struct Summary {
    pub runs: usize,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

pub fn summarize(samples: &[Duration]) -> Summary {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    Summary {
        runs: ms.len(),
        median: at(0.5),
        p95: at(0.95),
        max: ms[ms.len() - 1],
    }
}

/// One line of a table: name, median, p95, max (ms) and extra text.
pub fn row(name: &str, samples: &[Duration], extra: &str) {
    if samples.is_empty() {
        println!("  {name:<34} (no samples)  {extra}");
        return;
    }
    let s = summarize(samples);
    println!(
        "  {name:<34} {:>8.1} {:>8.1} {:>8.1}  {:>4}  {extra}",
        s.median, s.p95, s.max, s.runs
    );
}

pub fn header(title: &str) {
    println!("\n{title}");
    println!(
        "  {:<34} {:>8} {:>8} {:>8}  {:>4}",
        "", "median", "p95", "max", "runs"
    );
    println!("  {:<34} {:>8} {:>8} {:>8}", "", "ms", "ms", "ms");
}

/// The kubetutor the harness times: `KUBETUTOR_BENCH_BIN` if set, else the
/// one cargo built for the bench. The bench profile's binary is not the
/// binary `cargo build --release` makes (dev-dependencies unify other
/// features, so its functions are named and laid out differently), and
/// comparing two builds means timing each one through the same harness.
pub fn tutor_binary() -> std::path::PathBuf {
    std::env::var_os("KUBETUTOR_BENCH_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_kubetutor").into(), Into::into)
}

/// The machine, for the figures' context.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem:.0} GiB")
}
