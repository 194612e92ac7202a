//! TUI figures: startup to first frame (median of 20), CPU used over 60 s
//! idle, resident memory idle, the time to render one frame at 200×50, and
//! a key and its frame on a 1 MB editor buffer.
//!
//! Run: cargo bench --bench tui   (needs the lab; about 75 s)

#[path = "../common/mod.rs"]
mod common;

use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Starts the TUI on a pseudo-terminal of 160×48; returns the child and the master side.
fn start(state: &std::path::Path) -> (Child, OwnedFd) {
    let size = Winsize {
        ws_row: 48,
        ws_col: 160,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).unwrap();
    let slave = || Stdio::from(pty.slave.try_clone().unwrap());
    let child = Command::new(common::KUBETUTOR)
        .args(["-n", "default"])
        .env("KUBECONFIG", common::lab().paths.kubeconfig())
        .env("XDG_STATE_HOME", state)
        .env("TERM", "xterm-256color")
        .stdin(slave())
        .stdout(slave())
        .stderr(slave())
        .spawn()
        .unwrap();
    (child, pty.master)
}

/// Reads the terminal output until `needle` is on the screen. Matched on
/// the emulated screen (vt100), not the bytes: ratatui moves the cursor over
/// cells that stay blank, so "Tab pane" never appears as bytes.
fn read_until(master: &OwnedFd, needle: &str) {
    let mut file = std::fs::File::from(master.try_clone().unwrap());
    let mut screen = vt100::Parser::new(48, 160, 0);
    let mut buf = [0u8; 65536];
    let start = Instant::now();
    while !screen.screen().contents().contains(needle) {
        let n = file.read(&mut buf).unwrap();
        screen.process(&buf[..n]);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no {needle:?} on the terminal:\n{}",
            screen.screen().contents()
        );
    }
}

fn stop(mut child: Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let state = std::env::temp_dir().join(format!("kubetutor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&state).unwrap();

    // Startup: process spawned → footer of the first frame written to the terminal.
    let mut startups = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let (child, master) = start(&state);
        read_until(&master, "Tab pane");
        startups.push(t0.elapsed());
        stop(child);
    }
    println!(
        "startup to first frame     median {:>8.1} ms (20 runs)",
        median(startups).as_secs_f64() * 1000.0
    );

    // Idle: connected, nothing happening, for 60 s.
    let (child, master) = start(&state);
    read_until(&master, "Tab pane");
    // Keep draining the terminal so the app never blocks on a full pty buffer.
    let drain = std::thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut buf = [0u8; 65536];
        while let Ok(n) = file.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    });
    // Connecting and the first evaluation take well under a second on the lab.
    std::thread::sleep(Duration::from_secs(3));
    let ticks_per_second = 100.0; // USER_HZ, the unit of /proc/PID/stat times on Linux
    let before = cpu_ticks(child.id());
    std::thread::sleep(Duration::from_secs(60));
    let used = (cpu_ticks(child.id()) - before) as f64 / ticks_per_second;
    println!(
        "CPU over 60 s idle         {:>8.2} s ({:.2} % of one core)",
        used,
        used / 60.0 * 100.0
    );
    println!(
        "resident memory idle       {:>8.1} MiB",
        rss_kib(child.id()) as f64 / 1024.0
    );
    stop(child);
    let _ = drain.join();

    // Rendering: one full frame of the fixture state at 200×50.
    let app = common::fixture::fixture();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut frames = Vec::new();
    for _ in 0..200 {
        let t0 = Instant::now();
        terminal
            .draw(|frame| kubetutor::ui::draw(frame, &app))
            .unwrap();
        frames.push(t0.elapsed());
    }
    println!(
        "render one frame 200×50    median {:>8.3} ms (200 frames)",
        median(frames).as_secs_f64() * 1000.0
    );

    big_buffer_keys();
    let _ = std::fs::remove_dir_all(state);
}

/// A key and its frame with 1 MB in the editor (160×48): type, move down, a
/// page down, split a line and join it again, 200 keys. This thread's CPU
/// time (the machine is shared, and waiting for a core says nothing about
/// the code) and the wall time, median / p95 / max. Most of a key's cost is
/// ratatui-textarea's screen-map refresh after an edit, O(lines).
fn big_buffer_keys() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use kubetutor::app::{Msg, Pane, new_editor};
    let text = common::fixture::big_buffer(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n",
    );
    let mut app = common::fixture::fixture();
    app.steps[app.current].editor = new_editor(&text);
    app.focus = Pane::Editor;
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    for key in common::fixture::BIG_BUFFER_KEYS
        .into_iter()
        .cycle()
        .take(200)
    {
        let (cpu_before, started) = (thread_cpu_time(), Instant::now());
        kubetutor::app::update(&mut app, Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        terminal.draw(|f| kubetutor::ui::draw(f, &app)).unwrap();
        cpu.push(thread_cpu_time() - cpu_before);
        wall.push(started.elapsed());
    }
    let figures = |mut times: Vec<Duration>| {
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 95 / 100]),
            ms(times[times.len() - 1])
        )
    };
    println!(
        "key + frame, 1 MB buffer   CPU {} (median / p95 / max, 200 keys)",
        figures(cpu)
    );
    println!("                           wall {}", figures(wall));
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
