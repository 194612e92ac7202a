//! The API server goes away during a TUI session — killed, or shut down
//! gracefully (it then drains for tens of seconds while its process lives):
//! the status bar says so at once, `lab up` brings it back, and the tutor is
//! connected again with every step right. On a throw-away lab of the test's
//! own, so the shared lab keeps serving other tests.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::tmux::{Tmux, step_line, tui_command, wait_for_mark};
use common::{kubetutor, seed};
use kubetutor::lab::LabPaths;
use kubetutor::lab::process::PidRecord;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const WAIT: Duration = Duration::from_secs(20);

struct OwnLab {
    dir: PathBuf,
}

impl OwnLab {
    fn up(&self) {
        let out = kubetutor(
            &["lab", "up"],
            &[("KUBETUTOR_LAB_DIR", self.dir.to_str().unwrap())],
        );
        assert!(
            out.status.success(),
            "lab up failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn kubeconfig(&self) -> PathBuf {
        LabPaths::new(&self.dir).kubeconfig()
    }

    fn kubectl(&self, args: &[&str], stdin: &str) {
        use std::io::Write;
        let mut child = std::process::Command::new(common::lab().bin_dir.join("kubectl"))
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "kubectl {args:?}");
    }

    fn signal_apiserver(&self, signal: Signal) {
        let record = PidRecord::read(&LabPaths::new(&self.dir).pid_file("kube-apiserver"))
            .expect("the API server's pid file");
        kill(Pid::from_raw(record.pid), signal).unwrap();
    }
}

impl Drop for OwnLab {
    fn drop(&mut self) {
        let _ = kubetutor(
            &["lab", "down", "--purge"],
            &[("KUBETUTOR_LAB_DIR", self.dir.to_str().unwrap())],
        );
    }
}

/// The status bar, whole: it starts at the line naming the namespace and,
/// when its message is long, wraps onto the lines above the footer.
fn status_bar(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let footer = lines.len().saturating_sub(1);
    let start = lines[..footer]
        .iter()
        .rposition(|line| line.contains("│ ns "))
        .unwrap_or(footer.saturating_sub(1));
    lines[start..footer].join(" ")
}

fn wait_connected(tmux: &Tmux) -> String {
    let start = std::time::Instant::now();
    loop {
        let screen = tmux.screen();
        let status = status_bar(&screen);
        if status.contains("│ connected") {
            return screen;
        }
        assert!(start.elapsed() < WAIT, "not connected again:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn solve(kubeconfig: &Path, ns: &str) {
    let out = kubetutor(
        &["solve", "-n", ns],
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_api_server_killed_or_shut_down_is_reported_at_once_and_recovered_by_lab_up() {
    // The shared lab must exist first: this test borrows its binaries.
    common::lab();
    let lab = OwnLab {
        dir: common::temp_dir("outage"),
    };
    lab.up();
    lab.kubectl(&["create", "namespace", "outage"], "");
    // The controller-manager creates the namespace's default ServiceAccount.
    let mut ready = false;
    for _ in 0..100 {
        let out = std::process::Command::new(common::lab().bin_dir.join("kubectl"))
            .args(["get", "serviceaccount", "default", "-n", "outage"])
            .env("KUBECONFIG", lab.kubeconfig())
            .output()
            .unwrap();
        if out.status.success() {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "the default ServiceAccount never appeared");
    solve(&lab.kubeconfig(), "outage");

    let state = common::temp_dir("tui");
    common::learner_did_everything_on(&state, &lab.kubeconfig(), "outage");
    let tmux = Tmux::start(
        &tui_command(&state, &lab.kubeconfig(), "outage", ""),
        160,
        48,
    );
    wait_connected(&tmux);
    tmux.wait_for("Steps 12/12", WAIT);

    for signal in [Signal::SIGKILL, Signal::SIGTERM] {
        lab.signal_apiserver(signal);
        let screen = tmux.wait_for("reconnecting (", WAIT);
        eprintln!("after {signal}: {}", status_bar(&screen).trim());
        // A SIGTERMed server closes its listener and its watches at once and
        // drains requests in flight while its process lives: either way the
        // status bar must not say "connected".
        assert!(
            status_bar(&screen).contains("API server"),
            "the reason names the API server:\n{screen}"
        );
        lab.up();
        let screen = wait_connected(&tmux);
        let regressed: Vec<usize> = (1..=12)
            .filter(|n| step_line(&screen, *n).starts_with('!'))
            .collect();
        assert!(
            screen.contains("Steps 12/12") && regressed.is_empty(),
            "every step is still done after {signal}:\n{screen}"
        );
        // The watches are live again: a change made now is seen.
        lab.kubectl(&["delete", "serviceaccount", "demo-sa", "-n", "outage"], "");
        wait_for_mark(&tmux, WAIT, 7, '!');
        tmux.wait_for("no longer holds", WAIT);
        lab.kubectl(&["apply", "-n", "outage", "-f", "-"], seed::demo_sa());
        wait_for_mark(&tmux, WAIT, 7, '✓');
    }
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0", WAIT);
    let _ = std::fs::remove_dir_all(state);
}
