//! `kubetutor --lab` on a machine whose lab is not built yet: the tutor is
//! usable at once (lesson text, a prediction answered) while the build runs,
//! the status bar says how far it is, the steps that need the cluster wait;
//! when the build is done the real lab starts and the tutor connects by
//! itself. A quit during the build restores the terminal and stops the build.
//!
//! The build is a script of the test's own (`KUBETUTOR_LAB_BUILD_SCRIPT`,
//! build.sh's contract): it says it builds two components, waits for a file
//! the test creates, then names the folder of the lab binaries already built
//! on this machine. Everything after it is real: ports, certificates, etcd,
//! the API server, the engine. The lab is one of the test's own (its own
//! folder and ports); the shared lab is not touched.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::tmux::{Tmux, step_line};

/// A start of the real lab (etcd, API server, controllers, kwok) on a shared,
/// busy machine.
const LAB_START: Duration = Duration::from_secs(180);
const WAIT: Duration = Duration::from_secs(20);

/// The folder of this machine's built lab binaries (`--check` builds nothing).
fn built_bin_dir() -> String {
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab/build.sh"))
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the lab is not built on this machine: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A build script with build.sh's contract: `--check` names this machine's
/// built folder as not built yet; a build writes its pid to `pid`, runs
/// `body` (its `@` lines and waits), then names the folder.
fn build_script(dir: &Path, pid: &Path, body: &str) -> PathBuf {
    let script = dir.join("build.sh");
    let bin = built_bin_dir();
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\n\
             if [ \"${{1:-}}\" = --check ]; then echo \"{bin}\"; exit 3; fi\n\
             echo $$ > \"{pid}\"\n{body}\necho \"{bin}\"\n",
            pid = pid.display(),
        ),
    )
    .unwrap();
    script
}

/// A build that reports two components and finishes once `go` exists.
fn controlled_build(dir: &Path, go: &Path, pid: &Path) -> PathBuf {
    let body = format!(
        r#"echo "@plan 2 90" >&2
echo "lab build: [1/2] etcd: building" >&2
echo "@start 1 etcd" >&2
while [ ! -e "{go}" ]; do sleep 0.1; done
echo "@done 1 etcd 1" >&2
echo "@start 2 kube-apiserver" >&2
echo "@done 2 kube-apiserver 1" >&2"#,
        go = go.display(),
    );
    build_script(dir, pid, &body)
}

/// A build that names its plan, installs etcd and the API server at once,
/// then waits for `go` before it says the rest is built (kubectl, the
/// controller manager, the scheduler, kwok), as build.sh does on a first run.
fn arriving_build(dir: &Path, go: &Path, pid: &Path) -> PathBuf {
    let body = format!(
        r#"echo "@plan 6 300 etcd kube-apiserver kubectl kube-controller-manager kube-scheduler kwok" >&2
echo "@start 1 etcd" >&2
echo "@done 1 etcd 1" >&2
echo "@start 2 kube-apiserver" >&2
echo "@done 2 kube-apiserver 1" >&2
echo "@start 3 kubectl" >&2
while [ ! -e "{go}" ]; do sleep 0.1; done
n=3
for id in kubectl kube-controller-manager kube-scheduler kwok; do
    echo "@start $n $id" >&2
    echo "@done $n $id 1" >&2
    n=$((n + 1))
done"#,
        go = go.display(),
    );
    build_script(dir, pid, &body)
}

/// Quits the tutor with Ctrl-C: the terminal is restored, the learner is
/// told `said`, and the build whose pid is in `pid_file` is stopped.
fn quit_stops_the_build(tmux: &Tmux, pid_file: &Path, said: &str) {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("EXITED 0 MODE icanon END", WAIT);
    assert!(
        screen.contains(said),
        "the learner is told what became of the lab:\n{screen}"
    );
    let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err();
    assert!(gone, "the build (pid {pid}) was stopped:\n{screen}");
}

/// `lab status`'s line for `component` in the test's own lab.
fn lab_status_of(scratch: &Path, component: &str) -> String {
    let lab = scratch.join("lab");
    let out = common::kubetutor(
        &["lab", "status"],
        &[("KUBETUTOR_LAB_DIR", lab.to_str().unwrap())],
    );
    let status = String::from_utf8_lossy(&out.stdout);
    status
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{component} ")))
        .unwrap_or_else(|| panic!("lab status names no {component}:\n{status}"))
        .to_string()
}

/// Runs `kubetutor --lab` in tmux with the lab folder, state and build of
/// `scratch`, then reports how it exited and the terminal's mode.
fn tutor(scratch: &Path, script: &Path) -> Tmux {
    let command = format!(
        "cd {dir} && env -u KUBETUTOR_LAB_BIN -u KUBECONFIG XDG_STATE_HOME={state} \
         KUBETUTOR_LAB_DIR={lab} KUBETUTOR_LAB_BUILD_SCRIPT={script} {bin} --lab; \
         code=$?; mode=$(stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon); \
         echo \"EXITED $code MODE $mode END\"; sleep 60",
        dir = env!("CARGO_MANIFEST_DIR"),
        state = scratch.join("state").display(),
        lab = scratch.join("lab").display(),
        script = script.display(),
        bin = common::KUBETUTOR,
    );
    Tmux::start(&command, 160, 48)
}

/// Stops the test's own lab (whatever the test's outcome) and removes its folders.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        // A test that failed early may leave its build waiting for a file.
        if let Some(pid) = std::fs::read_to_string(self.0.join("build.pid"))
            .ok()
            .and_then(|pid| pid.trim().parse().ok())
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let out = common::kubetutor(
            &["lab", "down"],
            &[("KUBETUTOR_LAB_DIR", self.0.join("lab").to_str().unwrap())],
        );
        if out.status.success() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            eprintln!(
                "lab down of {} failed: {}",
                self.0.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_lesson_and_its_predictions_work_while_the_lab_builds_then_it_connects() {
    let _one_at_a_time = common::pty_lock();
    let scratch = Scratch(common::temp_dir("lab-building"));
    let go = scratch.0.join("go");
    let script = controlled_build(&scratch.0, &go, &scratch.0.join("build.pid"));
    let tmux = tutor(&scratch.0, &script);

    let screen = tmux.wait_for("waiting for the lab: building etcd (1 of 2)", WAIT);
    assert!(
        screen.contains("1. The API server behind the kubernetes Service"),
        "the lesson is there while the lab builds:\n{screen}"
    );
    let status = screen.replace('\n', "");
    assert!(
        status.contains("of about 1 min 30 s (the last build here)"),
        "the estimate of the build's own plan:\n{screen}"
    );
    assert!(!screen.contains('✗'), "nothing fails:\n{screen}");
    assert!(
        step_line(&screen, 2).is_empty(),
        "step 2 carries the waiting mark, not a state's:\n{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("⧗  2 Every namespace has a")),
        "step 2 is marked as waiting:\n{screen}"
    );

    // The prediction is answered while the lab builds.
    tmux.keys(&["1"]);
    let screen = tmux.wait_for("Right.", WAIT);
    assert!(
        screen.contains("waiting for the lab: building"),
        "still building:\n{screen}"
    );
    // A step's check does not run, and says so (not as a failure).
    let checks = common::tmux::pane_text(&screen, "Checks");
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words(&checks).contains(kubetutor::app::LAB_WAITING),
        "the Checks pane waits:\n{screen}"
    );

    // The build finishes: the real lab starts and the tutor connects by itself.
    std::fs::write(&go, "").unwrap();
    let screen = tmux.wait_for("connected", LAB_START);
    assert!(!screen.contains("waiting for the lab"), "{screen}");
    // The first step's checks ran on the lab, and the answer given while it
    // built counts: the step is done.
    common::tmux::wait_for_mark(&tmux, WAIT, 1, '✓');

    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 MODE icanon END", WAIT);
}

#[test]
fn the_tutor_connects_once_the_api_server_is_built_and_the_rest_joins_as_it_comes() {
    let _one_at_a_time = common::pty_lock();
    let scratch = Scratch(common::temp_dir("lab-arriving"));
    let go = scratch.0.join("go");
    let script = arriving_build(&scratch.0, &go, &scratch.0.join("build.pid"));
    let tmux = tutor(&scratch.0, &script);

    // etcd and the API server are built: they start and the tutor connects,
    // while the build goes on with kubectl.
    let screen = tmux.wait_for(
        "connected · lab partly up: building kubectl (3 of 6)",
        LAB_START,
    );
    // Step 1 reads the kubernetes Service, which the API server makes itself:
    // answered and checked on the real API server before the build is done.
    tmux.keys(&["1"]);
    common::tmux::wait_for_mark(&tmux, WAIT, 1, '✓');
    assert!(!screen.contains('✗'), "{screen}");
    let manager = lab_status_of(&scratch.0, "kube-controller-manager");
    assert!(
        manager.contains("stopped"),
        "the controller manager is not started before its build is done: {manager}"
    );

    // Step 2's check needs the default ServiceAccount, which the controller
    // manager makes: it waits, and the Checks pane says why.
    tmux.keys(&["C-n", "2"]);
    let screen = tmux.wait_for("still coming up", WAIT);
    let checks = common::tmux::pane_text(&screen, "Checks");
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words(&checks).contains(kubetutor::app::LAB_PARTLY_UP),
        "the Checks pane says the lab is still coming up:\n{screen}"
    );

    // The rest is built: it starts, and step 2 passes with no other act.
    std::fs::write(&go, "").unwrap();
    common::tmux::wait_for_mark(&tmux, LAB_START, 2, '✓');
    // The status bar's last words: connected, the lab no longer partly up.
    tmux.wait_for("│ connected\n", WAIT);
    for component in ["kube-controller-manager", "kube-scheduler", "kwok"] {
        let line = lab_status_of(&scratch.0, component);
        assert!(line.contains("running, serving"), "{line}");
    }

    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 MODE icanon END", WAIT);
}

#[test]
fn a_quit_while_the_lab_is_partly_up_stops_the_build_and_keeps_the_api_server() {
    let _one_at_a_time = common::pty_lock();
    let scratch = Scratch(common::temp_dir("lab-partly-quit"));
    let pid_file = scratch.0.join("build.pid");
    let script = arriving_build(&scratch.0, &scratch.0.join("never"), &pid_file);
    let tmux = tutor(&scratch.0, &script);
    tmux.wait_for("connected · lab partly up", LAB_START);
    quit_stops_the_build(&tmux, &pid_file, "etcd and the API server keep running");
    let server = lab_status_of(&scratch.0, "kube-apiserver");
    assert!(server.contains("running, serving"), "{server}");
    let scheduler = lab_status_of(&scratch.0, "kube-scheduler");
    assert!(scheduler.contains("stopped"), "{scheduler}");
}

#[test]
fn a_quit_during_the_build_restores_the_terminal_and_stops_the_build() {
    let _one_at_a_time = common::pty_lock();
    let scratch = Scratch(common::temp_dir("lab-quit"));
    let pid_file = scratch.0.join("build.pid");
    // Never finishes by itself: no one creates this file.
    let script = controlled_build(&scratch.0, &scratch.0.join("never"), &pid_file);
    let tmux = tutor(&scratch.0, &script);
    tmux.wait_for("waiting for the lab: building etcd (1 of 2)", WAIT);
    quit_stops_the_build(&tmux, &pid_file, "the lab's build was stopped at your quit");
}

#[test]
fn a_failed_build_is_shown_whole_with_its_log_and_what_to_do() {
    let _one_at_a_time = common::pty_lock();
    let scratch = Scratch(common::temp_dir("lab-failed"));
    let script = scratch.0.join("build.sh");
    // What build.sh says when a module cannot be downloaded.
    std::fs::write(
        &script,
        r#"#!/usr/bin/env bash
if [ "${1:-}" = --check ]; then echo /nowhere; exit 3; fi
echo "@plan 1 -" >&2
echo "@start 1 etcd" >&2
echo "lab build: [1/1] etcd: building" >&2
echo "go: go.etcd.io/etcd/server/v3@v3.6.16: dial tcp: lookup proxy.golang.org: no such host" >&2
echo "lab build: error: etcd failed (command: go build; the Go tool's output: /c/lab/build.log). Check that the Go module proxy is reachable, then run kubetutor lab build again." >&2
exit 1
"#,
    )
    .unwrap();
    let tmux = tutor(&scratch.0, &script);
    let screen = tmux.wait_for("the lab did not start", WAIT);
    let output = common::tmux::pane_text(&screen, "Output");
    let words = output.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "lookup proxy.golang.org: no such host",
        "the Go tool's output: /c/lab/build.log",
        "then run kubetutor lab build again",
        "fix the cause and run `kubetutor lab build` again",
    ] {
        assert!(
            words.contains(said),
            "the Output pane lacks {said:?}:\n{screen}"
        );
    }
    assert!(
        !screen.contains("waiting for the lab"),
        "nothing waits any more:\n{screen}"
    );
    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 MODE icanon END", WAIT);
}
